// The rotary frequencies the Positional tab shows must be the ones transformers uses: each
// fixture family's inv_freq buffers, read from its rotary module after a forward over the
// fixture's input (test/fixtures/gen_rope_inv_freq.py → rope_inv_freq.json).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadModel, runModel } from '../../../src/engine/run';
import { applyRope, ropeTables } from '../../../src/engine/models/rope';
import { ropeCosCurve } from '../../../common/rope';
import type { RopeInfo } from '../../../src/engine/types';

const ROOT = path.join(__dirname, '..', '..', '..', '..');
const FIX = path.join(ROOT, 'test', 'fixtures');
const ref = JSON.parse(fs.readFileSync(path.join(FIX, 'rope_inv_freq.json'), 'utf8')) as Record<
  string,
  { seq_len: number; inv_freq: Record<string, number[]> }
>;

test('the reference covers the RoPE families and the scalings', () => {
  for (const f of ['llama', 'llama3-rope', 'llama-linear-rope', 'llama-dynamic-rope', 'gemma3', 'gpt_neox']) assert.ok(ref[f], f);
});

for (const [family, want] of Object.entries(ref)) {
  test(`rotary frequencies of ${family} equal transformers' inv_freq`, () => {
    const folder = path.join(FIX, 'hf-families', family);
    const ids = (JSON.parse(fs.readFileSync(path.join(folder, 'expected.json'), 'utf8')) as { input_ids: number[] }).input_ids;
    assert.equal(ids.length, want.seq_len);
    const rope = runModel(loadModel(folder), { ids }).rope;
    assert.ok(rope?.length, 'the run carries its RoPE');
    const buffers = Object.values(want.inv_freq);
    assert.equal(rope.length, buffers.length, 'one group per distinct frequency set');
    for (const buf of buffers) {
      const g: RopeInfo | undefined = rope.find(
        (r) => r.invFreq.length === buf.length && r.invFreq.every((v, i) => Math.abs(v - buf[i]) <= 1e-7 * Math.abs(buf[i])),
      );
      assert.ok(
        g,
        `a group with ${JSON.stringify(buf.slice(0, 3))}… (ours: ${rope.map((r) => JSON.stringify(r.invFreq.slice(0, 3))).join(' ')})`,
      );
      assert.equal(g.rotaryDim, 2 * buf.length);
    }
    assert.equal(
      rope
        .flatMap((r) => r.layers)
        .sort((a, b) => a - b)
        .join(','),
      Array.from({ length: rope.flatMap((r) => r.layers).length }, (_, i) => i).join(','),
      'every layer in exactly one group',
    );
    if (family === 'gpt_neox') assert.ok(rope[0].rotaryDim < rope[0].headDim, 'partial rotary');
  });
}

test('the cos curve is q·k of a rotated vector against itself Δ positions later, over |q|²', () => {
  const invFreq = ref['llama3-rope'].inv_freq.inv_freq;
  const r = invFreq.length * 2;
  const curve = ropeCosCurve(invFreq, 40);
  const inv = Float32Array.from(invFreq);
  for (const delta of [0, 1, 3, 17, 40]) {
    // The engine's own rotation (rotate_half pairs) of an all-ones vector at positions 5 and 5 + Δ.
    const q = new Float32Array(r).fill(1),
      k = new Float32Array(r).fill(1);
    applyRope(q, 1, 1, r, ropeTables(inv, [5]));
    applyRope(k, 1, 1, r, ropeTables(inv, [5 + delta]));
    let dot = 0;
    for (let i = 0; i < r; i++) dot += q[i] * k[i];
    assert.ok(Math.abs(dot / r - curve[delta]) < 1e-5, `Δ ${delta}: ${dot / r} vs ${curve[delta]}`);
  }
});
