// The trained ut-fill-blanks and tdmca-repeat examples do their task in the engine, and show what
// their descriptions (examples/README.md) tell a person to look for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { loadModel, runModel } from '../../../src/engine/run';
import type { UniversalData } from '../../../common/archViews/universal';
import type { TdmcaData } from '../../../common/archViews/tdmca';

const EXAMPLES = path.join(__dirname, '..', '..', '..', '..', 'examples');
const argmax = (row: ArrayLike<number>): number => Array.from(row).reduce((b, v, j, a) => (v > a[b] ? j : b), 0);

test('ut-fill-blanks: every bundled input is filled in; blanks ponder longer than letters; step 2 head 1 points blanks at their letter', () => {
  const model = loadModel(path.join(EXAMPLES, 'ut-fill-blanks.model.json'));
  model.examples.forEach((ex, k) => {
    const r = runModel(model, ex);
    const toks = r.tokens.source;
    let last = '';
    const want = toks.map((t) => (t === '?' ? last : (last = t)));
    assert.deepEqual(r.predicted?.tokens, want, `example ${k}: ${toks.join(' ')}`);
    const act = r.app?.data as UniversalData;
    const mean = (blank: boolean) => {
      const s = act.haltingStep.filter((_, i) => (toks[i] === '?') === blank);
      return s.reduce((a, b) => a + b, 0) / s.length;
    };
    if (k === 0) {
      assert.ok(mean(true) > mean(false), `blanks ${mean(true)} vs letters ${mean(false)} steps`);
      assert.ok(new Set(act.haltingStep).size > 1, 'halting varies by token');
      const step1 = r.attentions.find((a) => a.layer === 1)!;
      const n = toks.length;
      toks.forEach((t, i) => {
        if (t !== '?') return;
        let j = i;
        while (toks[j] === '?') j--;
        assert.equal(argmax(step1.probs.subarray((1 * n + i) * n, (1 * n + i + 1) * n)), j, `blank ${i} → its letter at ${j}`);
      });
    }
  });
});

test('tdmca-repeat: continues every bundled phrase; layer 1 head 1 reads the next word from the key over its first occurrence', () => {
  const model = loadModel(path.join(EXAMPLES, 'tdmca-repeat.model.json'));
  model.examples.forEach((ex, k) => {
    const r = runModel(model, ex);
    const ids = r.ids.source;
    const n = ids.length;
    assert.deepEqual(r.predicted?.ids.slice(5, n - 1), ids.slice(6), `example ${k}: next words after the first phrase`);
    const data = r.app?.data as TdmcaData;
    assert.equal(data.spans.length, Math.ceil(n / 3));
    if (k === 0) {
      const layer = data.compressed.find((c) => c.layer === 1)!;
      const m = layer.keys;
      for (let i = 5; i < n - 1; i++) {
        const first = ((i + 1) % 6) - (((i + 1) % 6) % 3); // position of the block holding the next word's first occurrence
        assert.equal(argmax(layer.probs.slice((1 * n + i) * m, (1 * n + i + 1) * m)), first / 3, `query ${i}`);
      }
    }
  });
});
