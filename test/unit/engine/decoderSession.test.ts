// Decoder stepping with a KV cache must reproduce the full teacher-forced pass exactly, and
// greedy decoding must stop at EOS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { loadModel } from '../../../src/engine/run';
import { buildTransformer, greedyDecode, kvCacheDiscrepancy } from '../../../src/engine/models/transformerRunnable';
import { noControl } from '../../../src/engine/control';

const FIX = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures');
const expected = (name: string) => JSON.parse(fs.readFileSync(path.join(FIX, 'expected', `${name}.json`), 'utf8'));

for (const [fixture, name] of [['hf/marian', 'marian'], ['hf/gpt2', 'gpt2'], ['project/transformer-encdec.model.json', 'transformer-encdec']] as const) {
  test(`KV-cache steps agree with the full pass: ${name}`, () => {
    const m = loadModel(path.join(FIX, fixture));
    assert.equal(m.architecture, 'transformer');
    const t = buildTransformer(m as typeof m & { architecture: 'transformer' }).model;
    const e = expected(name);
    const worst = kvCacheDiscrepancy(t, e.ids, e.target_ids ?? []);
    assert.ok(worst <= 1e-6, `max difference ${worst}`);
  });
}

test('greedy decoding starts with decoder_start_id and follows the argmax of each step', () => {
  const m = loadModel(path.join(FIX, 'hf', 'marian'));
  const t = buildTransformer(m as typeof m & { architecture: 'transformer' }).model;
  const e = expected('marian');
  const memory = t.encode(e.ids);
  const seq = greedyDecode(t, memory, noControl);
  assert.equal(seq[0], t.cfg.decoder_start_id);
  // Re-derive each token from a fresh full pass: token k+1 is the argmax after tokens 0..k.
  for (let k = 0; k + 1 < seq.length; k++) {
    const h = t.decodeFull(seq.slice(0, k + 1), memory);
    const logits = t.logits(h.subarray(k * t.cfg.d_model), 1);
    let best = 0;
    for (let j = 1; j < logits.length; j++) if (logits[j] > logits[best]) best = j;
    assert.equal(seq[k + 1], best, `token ${k + 1}`);
    assert.notEqual(best, t.cfg.eos_id);
  }
  assert.ok(seq.length <= (t.cfg.max_target_length ?? 64));
});
