import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  additiveScore,
  causalMask,
  dotScore,
  generalScore,
  scaledDotProductAttention,
  scaledDotScore,
  softmaxRow,
} from '../../../src/engine/attention';

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-6) => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol, `index ${i}: ${a[i]} vs ${b[i]}`);
};

test('softmax is stable for large scores and matches the closed form', () => {
  const x = new Float64Array([1000, 1001]);
  softmaxRow(x);
  close(x, [1 / (1 + Math.E), Math.E / (1 + Math.E)], 1e-12);
});

test('masked keys get probability 0 and the rest renormalise', () => {
  const x = new Float64Array([1, 2, 3]);
  softmaxRow(x, new Uint8Array([0, 1, 0]));
  close(x, [1 / (1 + Math.E ** 2), 0, Math.E ** 2 / (1 + Math.E ** 2)], 1e-12);
});

test('a fully masked row becomes all zeros, not NaN', () => {
  const x = new Float64Array([1, 2]);
  softmaxRow(x, new Uint8Array([1, 1]));
  assert.deepEqual([...x], [0, 0]);
});

test('causal mask hides keys after the query position, also with an offset', () => {
  assert.deepEqual([...causalMask(3, 3)], [0, 1, 1, 0, 0, 1, 0, 0, 0]);
  // one new query at position 2 of a 3-key cache sees everything
  assert.deepEqual([...causalMask(1, 3, 2)], [0, 0, 0]);
});

test('scaled dot-product: equal keys give uniform rows; one-hot keys give the closed form', () => {
  // 1 head, dHead 2; q = [c, 0]; keys e1, e2 → scores [c/√2, 0]
  const c = 3;
  const q = new Float32Array([c, 0]);
  const k = new Float32Array([1, 0, 0, 1]);
  const v = new Float32Array([10, 0, 0, 20]);
  const r = scaledDotProductAttention(q, k, v, 1, 2, 1, 2);
  const s = c / Math.SQRT2;
  const p0 = 1 / (1 + Math.exp(-s));
  close(r.scores, [s, 0], 1e-6);
  close(r.probs, [p0, 1 - p0], 1e-6);
  close(r.context, [10 * p0, 20 * (1 - p0)], 1e-5);
  const same = scaledDotProductAttention(q, new Float32Array([1, 1, 1, 1]), v, 1, 2, 1, 2);
  close(same.probs, [0.5, 0.5]);
});

test('heads are independent: head h only uses its own columns', () => {
  // 2 heads × dHead 1: head 0 sees q=1 on keys [0, 5]; head 1 sees q=0 → uniform
  const q = new Float32Array([1, 0]);
  const k = new Float32Array([0, 7, 5, -7]);
  const v = new Float32Array([1, 1, 2, 2]);
  const r = scaledDotProductAttention(q, k, v, 1, 2, 2, 1);
  const p = 1 / (1 + Math.exp(5));
  close(r.probs, [p, 1 - p, 0.5, 0.5]);
});

test('RNN scores: general with W = I equals dot; scaled-dot divides by √d; additive with v = 0 is flat', () => {
  const s = new Float32Array([1, 2]);
  const h = new Float32Array([3, 4, -1, 0.5]); // 2 encoder states of size 2
  close(dotScore(s, h, 2, 2), [11, 0]);
  close(generalScore(s, new Float32Array([1, 0, 0, 1]), 2, h, 2, 2), [11, 0]);
  close(scaledDotScore(s, h, 2, 2), [11 / Math.SQRT2, 0]);
  // general with a non-identity W: sᵀ W h, W = [[0,1],[1,0]] → s·(swap h)
  close(generalScore(s, new Float32Array([0, 1, 1, 0]), 2, h, 2, 2), [1 * 4 + 2 * 3, 1 * 0.5 + 2 * -1]);
  close(additiveScore(s, new Float32Array(6), 2, new Float32Array(6), 2, new Float32Array(3)), [0, 0]);
  // additive, A = 1: e_j = v·tanh(w1h_j + w2·s)
  const e = additiveScore(s, new Float32Array([0.5, -0.25]), 2, new Float32Array([0.1, -0.3]), 2, new Float32Array([2]));
  close(e, [2 * Math.tanh(0.1 + 0), 2 * Math.tanh(-0.3 + 0)]);
});
