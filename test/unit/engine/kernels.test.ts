import { test } from 'node:test';
import assert from 'node:assert/strict';
import { activation, erf, referenceKernels as K } from '../../../src/engine/kernels/reference';
import { sinusoidalEncoding } from '../../../src/engine/positional';

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-6) => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol, `index ${i}: ${a[i]} vs ${b[i]}`);
};

test('linear uses the PyTorch [out, in] layout: y = x·Wᵀ + b', () => {
  const x = new Float32Array([1, 2, 3]); // [1, 3]
  const w = new Float32Array([1, 0, 0, 0, 1, 1]); // [2, 3]
  close(K.linear(x, 1, 3, w, 2, new Float32Array([10, 20])), [11, 25]);
});

test('matmul multiplies [m,k]·[k,n]', () => {
  close(K.matmul(new Float32Array([1, 2, 3, 4]), 2, 2, new Float32Array([5, 6, 7, 8]), 2), [19, 22, 43, 50]);
});

test('layerNorm: biased variance, eps inside the root, then scale and shift', () => {
  const out = K.layerNorm(new Float32Array([1, 3]), 1, 2, new Float32Array([2, 2]), new Float32Array([1, 1]), 0);
  close(out, [-1, 3]);
  const eps = K.layerNorm(new Float32Array([1, 3]), 1, 2, new Float32Array([1, 1]), new Float32Array([0, 0]), 1);
  close(eps, [-1 / Math.SQRT2, 1 / Math.SQRT2]);
});

test('activations match their definitions', () => {
  close([erf(0.5), erf(-1), erf(2)], [0.5204998778130465, -0.8427007929497149, 0.9953222650189527], 2e-7);
  close([activation('gelu')(1), activation('gelu')(-0.5)], [0.8413447460685429, -0.15426876936299344], 2e-7);
  close([activation('gelu_new')(1)], [0.8411919906082768], 1e-12);
  close([activation('swish')(1), activation('relu')(-2)], [0.7310585786300049, 0], 1e-12);
});

test('sinusoidal encodings: Vaswani interleaves sin/cos, Marian puts sin first then cos', () => {
  close(sinusoidalEncoding(1, 4, 'sinusoidal'), [0, 1, 0, 1]);
  close(sinusoidalEncoding(1, 4, 'sinusoidal-marian'), [0, 0, 1, 1]);
  const v = sinusoidalEncoding(2, 4, 'sinusoidal').subarray(4);
  close(v, [Math.sin(1), Math.cos(1), Math.sin(0.01), Math.cos(0.01)]);
  const m = sinusoidalEncoding(2, 4, 'sinusoidal-marian').subarray(4);
  close(m, [Math.sin(1), Math.sin(0.01), Math.cos(1), Math.cos(0.01)]);
});
