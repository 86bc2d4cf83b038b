// The WASM SIMD kernels and the native kernels (AVX-512, or AVX2 in nativeAvx2.test.ts's child) against the reference kernels (the
// oracle), on random shapes including odd sizes that exercise every tail path (rows % 4 and % 12,
// columns % 8 and % 32, k % 2, head sizes % 8), single-threaded and on 2 threads.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { referenceKernels as R } from '../../../src/engine/kernels/reference';
import { causalMask } from '../../../src/engine/attention';
import { createWasmKernels } from '../../../src/engine/kernels/index';
import { createNativeKernels, nativeModule } from '../../../src/engine/kernels/native';
import { rowNorms } from '../../../src/engine/models/transformerLayer';
import { rng } from '../../helpers/randomModel';
import type { Activation } from '../../../src/engine/format/loaded';

const TOL = 1e-5;
// minParallelWork 0: even the smallest job goes through the pool's chunking.
const native = nativeModule();
const pools = [
  ...[createWasmKernels({ threads: 1 }), createWasmKernels({ threads: 2, minParallelWork: 0 })].map((K) =>
    Object.assign(K, { label: 'wasm' }),
  ),
  ...(native.module
    ? [createNativeKernels({ threads: 1 }), createNativeKernels({ threads: 2, minParallelWork: 0 })].map((K) =>
        Object.assign(K, { label: `native ${native.isa}` }),
      )
    : []),
];
after(() => pools.forEach((p) => p.dispose()));

// The build makes the native module wherever it can run (x86-64 with a C compiler); a machine
// whose CPU lacks both AVX-512 and AVX2 says so and the engine runs on the WASM kernels.
const noIsa = native.why === 'this CPU has neither AVX-512 nor AVX2 + FMA' ? native.why : false;
test(
  'the native kernels are built and load here',
  { skip: noIsa || process.env.ATTENTION_KERNELS === 'wasm' || process.arch !== 'x64' },
  () => {
    assert.ok(native.module, `native kernels unavailable: ${native.why}`);
  },
);

const rand = rng(42);
const randArray = (n: number, scale = 1) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale);
const randInt = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));

/** max |a − b| / max(1, |b|): values of order 1 compare absolutely, larger ones relatively. */
function assertClose(a: Float32Array, b: Float32Array, what: string, tol = TOL): void {
  assert.equal(a.length, b.length, `${what}: length`);
  let worst = 0,
    at = -1;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i]));
    if (!(e <= worst)) {
      worst = e;
      at = i;
    }
  }
  assert.ok(worst <= tol, `${what}: error ${worst.toExponential(2)} at ${at} (${a[at]} vs ${b[at]})`);
}

for (const K of pools) {
  const t = `${K.label}, ${K.threads} thread${K.threads > 1 ? 's' : ''}`;

  test(`linear matches the reference on random shapes (${t})`, () => {
    const shapes = [
      [1, 1, 1],
      [1, 7, 3],
      [3, 5, 9],
      [4, 8, 8],
      [5, 17, 13],
      [13, 33, 31],
      [64, 96, 72],
      [7, 300, 20],
      [130, 257, 129],
      [1, 768, 768],
      [9, 64, 1000],
      [12, 520, 40],
      [13, 520, 40],
    ];
    for (let r = 0; r < 6; r++) shapes.push([randInt(1, 70), randInt(1, 300), randInt(1, 90)]);
    for (const [m, k, n] of shapes) {
      const x = randArray(m * k),
        w = randArray(n * k, 1 / Math.sqrt(k)),
        b = randArray(n);
      assertClose(K.linear(x, m, k, w, n, b), R.linear(x, m, k, w, n, b), `linear ${m}×${k}→${n}`);
      assertClose(K.linear(x, m, k, w, n), R.linear(x, m, k, w, n), `linear ${m}×${k}→${n} (no bias)`);
    }
  });

  test(`linear reuses packed weights and sees a new array as new weights (${t})`, () => {
    const w = randArray(12 * 10),
      x = randArray(3 * 10);
    const first = K.linear(x, 3, 10, w, 12);
    assertClose(K.linear(x, 3, 10, w, 12), first, 'second call');
    const w2 = randArray(12 * 10);
    assertClose(K.linear(x, 3, 10, w2, 12), R.linear(x, 3, 10, w2, 12), 'other weights');
  });

  test(`matmul matches the reference (${t})`, () => {
    for (const [m, k, n] of [
      [1, 1, 1],
      [2, 3, 5],
      [9, 17, 33],
      [40, 64, 12],
      [5, 300, 8],
    ]) {
      const a = randArray(m * k),
        b = randArray(k * n);
      assertClose(K.matmul(a, m, k, b, n), R.matmul(a, m, k, b, n), `matmul ${m}×${k}·${k}×${n}`);
    }
  });

  test(`layerNorm matches the reference (${t})`, () => {
    for (const [rows, cols] of [
      [1, 1],
      [1, 2],
      [3, 7],
      [5, 768],
      [33, 13],
      [300, 64],
    ]) {
      const x = randArray(rows * cols, 3),
        g = randArray(cols),
        b = randArray(cols);
      for (let i = 0; i < cols; i++) x[i] += 5; // a row with a large mean
      assertClose(K.layerNorm(x, rows, cols, g, b, 1e-5), R.layerNorm(x, rows, cols, g, b, 1e-5), `layerNorm ${rows}×${cols}`);
      assertClose(K.layerNorm(x, rows, cols, g, b, 1e-12), R.layerNorm(x, rows, cols, g, b, 1e-12), `layerNorm ${rows}×${cols} eps 1e-12`);
    }
  });

  test(`activations match the reference, large and small inputs (${t})`, () => {
    for (const kind of ['relu', 'gelu', 'gelu_new', 'swish'] as Activation[]) {
      for (const n of [1, 3, 4, 5, 1031, 70000]) {
        const x = randArray(n, 6);
        if (n > 4) x.set([0, -0, 1e-8, -1e-8, 30, -30, 100, -100].slice(0, n));
        const a = x.slice(),
          b = x.slice();
        K.activate(a, kind);
        R.activate(b, kind);
        assertClose(a, b, `${kind} n=${n}`);
      }
    }
  });

  test(`feedForward matches linear, activate, linear of the reference (${t})`, () => {
    // [m, d, hidden, out]: hidden % 8 ≠ 0 exercises the padded hidden columns fc2 must not read.
    const shapes = [
      [1, 1, 1, 1],
      [3, 5, 9, 7],
      [4, 8, 16, 8],
      [13, 33, 37, 11],
      [130, 64, 257, 24],
      [1, 96, 384, 96],
      [20, 768, 3072, 768],
    ];
    for (const [m, d, hidden, out] of shapes) {
      for (const act of ['relu', 'gelu', 'gelu_new', 'swish'] as Activation[]) {
        for (const withBias of [true, false]) {
          const fc1 = { w: randArray(hidden * d, 2 / Math.sqrt(d)), b: withBias ? randArray(hidden) : undefined, out: hidden, in: d };
          const fc2 = { w: randArray(out * hidden, 1 / Math.sqrt(hidden)), b: withBias ? randArray(out) : undefined, out, in: hidden };
          const x = randArray(m * d, 2);
          const h = R.linear(x, m, d, fc1.w, hidden, fc1.b);
          R.activate(h, act);
          const exp = R.linear(h, m, hidden, fc2.w, out, fc2.b);
          assertClose(
            K.feedForward!(x, m, fc1, fc2, act),
            exp,
            `feedForward ${m}×${d}→${hidden}→${out} ${act}${withBias ? '' : ' no bias'}`,
          );
        }
      }
    }
  });

  test(`addNorm: residual add, LayerNorm and row norms match the reference (${t})`, () => {
    for (const [rows, cols] of [
      [1, 1],
      [1, 2],
      [3, 7],
      [5, 768],
      [33, 13],
      [130, 64],
    ]) {
      const x = randArray(rows * cols, 3),
        y = randArray(rows * cols, 2),
        g = randArray(cols),
        b = randArray(cols);
      for (let i = 0; i < cols; i++) x[i] += 5; // a row with a large mean
      const sum = x.map((v, i) => v + y[i]);
      const what = `addNorm ${rows}×${cols}`;
      for (const eps of [1e-5, 1e-12]) {
        const post = K.addNorm!(x, y, rows, cols, { gamma: g, beta: b, eps }, true);
        const exp = R.layerNorm(sum, rows, cols, g, b, eps);
        assertClose(post.out, exp, `${what} post-LN eps ${eps}`);
        assertClose(post.norms!.residual, rowNorms(x, rows), `${what}: residual norms`);
        assertClose(post.norms!.sublayer, rowNorms(y, rows), `${what}: sub-layer norms`);
        assertClose(post.norms!.output, rowNorms(exp, rows), `${what}: output norms`);
      }
      const pre = K.addNorm!(x, y, rows, cols, undefined, false); // pre-LN: the sum itself, no norms asked
      assertClose(pre.out, sum, `${what} pre-LN`);
      assert.equal(pre.norms, undefined);
    }
  });

  test(`attention: scores, probs and context match scaledDotProductAttention (${t})`, () => {
    const cases = [
      [1, 1, 1, 1],
      [1, 5, 2, 8],
      [3, 3, 2, 8],
      [4, 9, 3, 5],
      [7, 7, 1, 64],
      [17, 17, 12, 64],
      [2, 33, 4, 7],
      [65, 65, 3, 16],
      [1, 64, 8, 64],
      [130, 130, 2, 24],
      // few query rows (decoder steps; the native kernels' unpacked path): key counts % 4 and % 16, head sizes % 16 and > 64
      [1, 1, 3, 64],
      [1, 17, 3, 7],
      [1, 64, 2, 100],
      [1, 130, 2, 7],
      [1, 130, 4, 64],
      [2, 21, 3, 64],
      [3, 40, 2, 100],
      [4, 37, 5, 33],
      [5, 12, 2, 64],
    ];
    for (let r = 0; r < 4; r++) cases.push([randInt(1, 40), randInt(1, 40), randInt(1, 5), randInt(1, 40)]);
    for (const [nq, nk, heads, dHead] of cases) {
      const w = heads * dHead;
      const q = randArray(nq * w, 2),
        k = randArray(nk * w, 2),
        v = randArray(nk * w);
      const masks = [
        undefined,
        nq <= nk ? causalMask(nq, nk, nk - nq) : undefined,
        Uint8Array.from({ length: nq * nk }, () => (rand() < 0.4 ? 1 : 0)),
      ];
      if (nq === 1) masks.push(new Uint8Array(nk).fill(1)); // the only row fully masked
      for (const mask of masks) {
        if (mask && nq > 1) mask.fill(1, 0, nk); // a fully masked row: all-zero probabilities
        const got = K.attention!(q, k, v, nq, nk, heads, dHead, mask);
        const exp = R.attention!(q, k, v, nq, nk, heads, dHead, mask);
        const what = `attention nq=${nq} nk=${nk} heads=${heads} dHead=${dHead}${mask ? ' masked' : ''}`;
        assertClose(got.scores, exp.scores, `${what}: scores`);
        assertClose(got.probs, exp.probs, `${what}: probs`);
        assertClose(got.context, exp.context, `${what}: context`);
        if (got.rowEntropy) {
          // −Σ p ln p of each row of the reference's probabilities (0 for a fully masked row)
          const ent = new Float32Array(heads * nq).map((_, r) =>
            exp.probs.subarray(r * nk, (r + 1) * nk).reduce((s, p) => (p > 0 ? s - p * Math.log(p) : s), 0),
          );
          assertClose(got.rowEntropy, ent, `${what}: row entropies`);
        }
      }
    }
  });
}
