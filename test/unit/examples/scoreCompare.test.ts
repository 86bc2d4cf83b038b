// Issue 19.6: the score functions are compared across the three reversal models, each trained with
// its own score, on one input — Compare Inputs… → "Two models on one input" — not by switching the
// score of one trained model (only dot ↔ scaled-dot is defined there). Goes through the panel's
// session as the Compare command does (InspectorSession.setCompare), and checks what the compare
// view gets against the runs themselves: one alignment head per pair, its JSD recomputed here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { loadModel, runModel, summarize } from '../../../src/engine/run';
import type { RunResult } from '../../../src/engine/types';
import { InspectorSession } from '../../../src/protocol/inspectorSession';

const EXAMPLES = path.join(__dirname, '..', '..', '..', '..', 'examples');
const NAMES = ['rnn-reverse-additive', 'rnn-reverse-dot', 'rnn-reverse-general'] as const;
const models = Object.fromEntries(NAMES.map((n) => [n, loadModel(path.join(EXAMPLES, `${n}.model.json`))]));

test('the reversal models offer a score switch only where it is defined: dot ↔ scaled-dot', () => {
  assert.deepEqual(summarize(models['rnn-reverse-additive']).scores, ['additive']);
  assert.deepEqual(summarize(models['rnn-reverse-general']).scores, ['general']);
  assert.deepEqual(summarize(models['rnn-reverse-dot']).scores, ['dot', 'scaled-dot']);
  // The host refuses a re-run with a score the model is not listed for.
  const s = new InspectorSession();
  s.setResult(runModel(models['rnn-reverse-general'], { text: 'a b c' }), 't');
  const r = s.handle({ type: 'rerun', runId: 1, score: 'additive' });
  assert.equal(r.event, undefined);
  const message = r.replies[0].type === 'error' ? r.replies[0].message : '';
  assert.match(message, /cannot re-run with the “additive” score \(it has: general\)/);
});

/** Mean over rows of the Jensen–Shannon divergence (bits) between two [q, k] matrices. */
function meanJsd(a: Float32Array, b: Float32Array, q: number, k: number): number {
  let sum = 0;
  for (let i = 0; i < q; i++) {
    for (let j = 0; j < k; j++) {
      const x = a[i * k + j];
      const y = b[i * k + j];
      const m = (x + y) / 2;
      sum += (x > 0 ? (x / 2) * Math.log2(x / m) : 0) + (y > 0 ? (y / 2) * Math.log2(y / m) : 0);
    }
  }
  return sum / q;
}

for (const text of models['rnn-reverse-dot'].examples.map((e) => e.text!)) {
  test(`Compare, two models on one input (${text}): each pair of scores side by side, ranked by JSD`, () => {
    const runs = Object.fromEntries(NAMES.map((n) => [n, runModel(models[n], { text })])) as Record<string, RunResult>;
    const pairs = [[0, 1], [0, 2], [1, 2]].map(([i, j]) => [NAMES[i], NAMES[j]] as const);
    const figures: string[] = [];
    for (const [na, nb] of pairs) {
      const s = new InspectorSession();
      const out = s.setCompare({ result: runs[na], label: `A: ${na}` }, { result: runs[nb], label: `B: ${nb}` }, 'A vs B');
      const c = out.find((m) => m.type === 'compare');
      assert.ok(c && c.type === 'compare', 'the compare view gets its data');
      assert.equal(c.message, undefined, `${na} vs ${nb}: ${c.message}`);
      const n = runs[na].tokens.source.length;
      const shapes = c.parts.map((p) => [p.part, p.a.queries, p.a.keys, p.sameShape]);
      assert.deepEqual(shapes, [['cross', n + 1, n, true]], 'one alignment: n symbols + </s> × n, the same in both');
      assert.deepEqual(c.parts[0].b.keyTokens, runs[na].tokens.source, 'keys are the source tokens');
      assert.equal(c.ranking.length, 1, 'one head each');
      assert.ok(out.some((m) => m.type === 'showView' && m.view === 'compare'), 'the panel shows the compare view');
      const where = { part: 'cross', layer: 0, head: 0 } as const;
      const h = s.handle({ type: 'requestCompareHead', requestId: 1, compareId: c.compareId, ...where }).replies[0];
      assert.ok(h.type === 'compareHead', 'the compare view gets both matrices');
      const [pa, pb] = [runs[na], runs[nb]].map((r) => r.attentions.find((a) => a.part === 'cross')!.probs);
      assert.deepEqual([Array.from(h.a.probs), Array.from(h.b.probs)], [Array.from(pa), Array.from(pb)], 'A and B are the two runs');
      const jsd = meanJsd(pa, pb, n + 1, n);
      assert.ok(Math.abs(c.ranking[0].jsd - jsd) < 1e-9, `ranked JSD ${c.ranking[0].jsd} vs ${jsd}`);
      // All three read the mirrored position, so the alignments are close (a JSD of 1 bit is disjoint).
      assert.ok(jsd < 0.3, `${na} vs ${nb}: JSD ${jsd}`);
      figures.push(`${na.slice(12)} vs ${nb.slice(12)} ${jsd.toFixed(3)}`);
    }
    console.log(`${text}: mean JSD per row (bits): ${figures.join(', ')}`);
  });
}
