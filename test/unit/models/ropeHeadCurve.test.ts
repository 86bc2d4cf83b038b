// The Positional tab's per-head RoPE curve (common/rope.ts ropeHeadCurve): the head's mean q and mean k
// before rotation scored d apart, and the run's own scores averaged over the pairs d apart. Checked
// against brute force that never un-rotates: every (query, key) pair re-rotated with the engine's own
// applyRope, on made-up vectors and on the llama and gpt_neox (partial rotary) fixtures' recorded q and k.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ropeHeadCurve } from '../../../common/rope';
import { applyRope, ropeTables } from '../../../src/engine/models/rope';
import { loadModel, runModel } from '../../../src/engine/run';
import { headQK } from '../../../src/engine/qkVectors';

const FAMILIES = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'hf-families');

/** x [dims] rotated as the engine rotates a row at `position` (float32, pairs (i, i + half)). */
function rotated(x: ArrayLike<number>, dims: number, invFreq: readonly number[], position: number): Float32Array {
  const out = Float32Array.from(x as ArrayLike<number>);
  applyRope(out, 1, 1, dims, ropeTables(Float32Array.from(invFreq), [position]));
  return out;
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

/**
 * The expected curve without un-rotating: with q̃_m = R(m)q_m and k̃_n = R(n)k_n recorded,
 * q_m·R(−d)k_n = q̃_m·R(m − d − n)k̃_n, averaged over every query m and key n.
 */
function bruteExpected(q: Float32Array, k: Float32Array, nq: number, nk: number, dims: number, inv: number[], scale: number, d: number) {
  let s = 0;
  for (let r = 0; r < nq; r++) {
    const m = nk - nq + r;
    for (let n = 0; n < nk; n++)
      s += dot(q.subarray(r * dims, (r + 1) * dims), rotated(k.subarray(n * dims, (n + 1) * dims), dims, inv, m - d - n));
  }
  return (s / (nq * nk)) * scale;
}

test('made-up q and k: the expected curve is the mean over all pairs re-rotated d apart, partial rotary included', () => {
  let seed = 3;
  const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
  const dims = 12,
    n = 9;
  const inv = [1, 0.3, 0.05, 0.01]; // 8 of 12 dims rotated
  const pre = (rows: number) => Array.from({ length: rows }, () => Array.from({ length: dims }, () => rnd() + 0.4));
  const [qs, ks] = [pre(n), pre(n)];
  const q = new Float32Array(n * dims),
    k = new Float32Array(n * dims);
  qs.forEach((row, m) => q.set(rotated(row, dims, inv, m), m * dims));
  ks.forEach((row, j) => k.set(rotated(row, dims, inv, j), j * dims));
  const c = ropeHeadCurve(q, k, n, n, dims, inv, 0.5, n - 1);
  let pass = 0;
  for (let j = 8; j < dims; j++) pass += (qs.reduce((s, r) => s + r[j], 0) / n) * (ks.reduce((s, r) => s + r[j], 0) / n);
  assert.ok(Math.abs(c.passThrough - pass * 0.5) < 1e-5, `pass-through ${c.passThrough} vs ${pass * 0.5}`);
  for (let d = 0; d < n; d++) {
    // From the unrotated vectors directly: mean over (m, n) of R(d)q_m · k_n (query d positions after the key).
    let s = 0;
    for (const qm of qs) for (const kn of ks) s += dot(rotated(qm, dims, inv, d), rotated(kn, dims, inv, 0));
    const want = (s / (n * n)) * 0.5;
    assert.ok(Math.abs(c.expected[d] - want) < 1e-5, `d ${d}: ${c.expected[d]} vs ${want}`);
    assert.ok(Math.abs(c.expected[d] - bruteExpected(q, k, n, n, dims, inv, 0.5, d)) < 1e-5, `d ${d}: brute force`);
    assert.equal(c.pairs[d], n - d);
  }
  assert.ok(Math.abs(c.expected[1] - c.expected[4]) > 1e-3, 'the curve depends on d');
});

for (const family of ['llama', 'gpt_neox']) {
  test(`${family}: the head curve from the run's q and k matches its recorded scores and the re-rotated brute force`, () => {
    const folder = path.join(FAMILIES, family);
    const ids = (JSON.parse(fs.readFileSync(path.join(folder, 'expected.json'), 'utf8')) as { input_ids: number[] }).input_ids;
    const model = loadModel(folder);
    const run = runModel(model, { ids });
    const g = run.rope![0];
    if (family === 'gpt_neox') assert.ok(g.rotaryDim < g.headDim, 'gpt_neox rotates part of each head');
    const [layer, head] = [1, 2];
    const v = headQK(model, { part: 'decoder', layer, head, ids });
    const n = v.keys;
    const c = ropeHeadCurve(v.q, v.k, v.queries, v.keys, v.dims, g.invFreq, v.scale, n - 1);
    const att = run.attentions.find((a) => a.part === 'decoder' && a.layer === layer)!;
    for (let d = 0; d < n; d++) {
      // The engine's own pre-softmax scores on the diagonal m − n = d.
      let s = 0;
      for (let m = d; m < n; m++) s += att.scores[(head * n + m) * n + (m - d)];
      const actual = s / (n - d);
      assert.ok(Math.abs(c.actual[d] - actual) < 1e-4, `d ${d}: run mean ${c.actual[d]} vs recorded scores ${actual}`);
      const want = bruteExpected(v.q, v.k, v.queries, n, v.dims, g.invFreq, v.scale, d);
      assert.ok(Math.abs(c.expected[d] - want) < 1e-4 * Math.max(1, Math.abs(want)), `d ${d}: expected ${c.expected[d]} vs ${want}`);
    }
  });
}
