// The worker's kernels poll for the inspector's requests and the run's Cancel inside a layer: after
// each projection, between groups of heads of the attention core and after each FEED_FORWARD_ROWS
// rows of a feed-forward, whose pieces give the bits of the whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultKernels } from '../../../src/engine/kernels/index';
import { FEED_FORWARD_ROWS, pollingKernels } from '../../../src/engine/kernels/polling';
import { createNativeKernels } from '../../../src/engine/kernels/native';
import { createWasmKernels } from '../../../src/engine/kernels/wasm/index';
import * as path from 'node:path';
import { CancelledError } from '../../../src/engine/control';
import { loadModel, prepare, runModel } from '../../../src/engine/run';

const rnd = (n: number, seed: number) => {
  let s = seed;
  return Float32Array.from({ length: n }, () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296 - 0.5);
};

test('a feed-forward polls after every FEED_FORWARD_ROWS rows and gives the bits of the whole; a projection polls once', () => {
  const k = defaultKernels({ threads: 2 });
  assert.ok(k.feedForward, 'the fast kernels have a fused feed-forward');
  let polls = 0;
  const p = pollingKernels(k, () => polls++);
  const [d, f] = [48, 96];
  const fc1 = { w: rnd(f * d, 1), b: rnd(f, 2), out: f, in: d };
  const fc2 = { w: rnd(d * f, 3), b: rnd(d, 4), out: d, in: f };
  for (const m of [1, FEED_FORWARD_ROWS, 2 * FEED_FORWARD_ROWS + 45]) {
    const x = rnd(m * d, 5 + m);
    const whole = k.feedForward!(x, m, fc1, fc2, 'gelu').slice();
    polls = 0;
    const pieces = p.feedForward!(x, m, fc1, fc2, 'gelu');
    assert.equal(polls, Math.ceil(m / FEED_FORWARD_ROWS), `${m} rows`);
    assert.equal(pieces.length, whole.length);
    assert.ok(
      pieces.every((v, i) => Object.is(v, whole[i])),
      `${m} rows: the same bits`,
    );
  }
  polls = 0;
  const x = rnd(300 * d, 9);
  assert.deepEqual(p.linear(x, 300, d, fc1.w, f, fc1.b), k.linear(x, 300, d, fc1.w, f, fc1.b));
  assert.equal(polls, 1);
});

for (const [name, make] of [
  ['native', () => createNativeKernels({ threads: 2 })],
  ['WASM', () => createWasmKernels({ threads: 2 })],
] as const)
  test(`the ${name} attention core polls between groups of one head per thread and gives the bits of the whole call`, () => {
    const k = make();
    try {
      let polls = 0;
      const p = pollingKernels(k, () => polls++);
      const dHead = 16;
      // [heads, rows, polls]: groups of 2 heads (the threads) at 200 rows; a decoder step's 3 rows whole.
      for (const [heads, nq, want] of [
        [12, 200, 6],
        [5, 150, 3],
        [12, 3, 1],
      ]) {
        const nk = nq === 3 ? 300 : nq;
        const q = rnd(nq * heads * dHead, heads + nq),
          kk = rnd(nk * heads * dHead, 2 * nq),
          v = rnd(nk * heads * dHead, 3 * nq);
        const mask = Uint8Array.from({ length: nq * nk }, (_, i) => (i % 7 === 0 ? 0 : 1));
        const whole = k.attention!(q, kk, v, nq, nk, heads, dHead, mask);
        const copy = {
          scores: whole.scores.slice(),
          probs: whole.probs.slice(),
          context: whole.context.slice(),
          rowEntropy: whole.rowEntropy?.slice(),
        };
        polls = 0;
        const split = p.attention!(q, kk, v, nq, nk, heads, dHead, mask);
        assert.equal(polls, want, `${heads} heads × ${nq} rows`);
        for (const key of ['scores', 'probs', 'context', 'rowEntropy'] as const) {
          const a = split[key]!,
            b = copy[key]!;
          assert.equal(a.length, b.length, key);
          assert.ok(
            a.every((x, i) => Object.is(x, b[i])),
            `${heads} heads × ${nq} rows: ${key} has the same bits`,
          );
        }
      }
    } finally {
      k.dispose();
    }
  });

test("a Cancel thrown from a kernel's poll stops a run inside its first layer; the model then runs again to the same bits", () => {
  const model = loadModel(path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'hf', 'bert'));
  let polls = 0;
  let stopAt = Infinity;
  // As the worker's poll: its requests, then the run's cancel flag.
  prepare(
    model,
    pollingKernels(defaultKernels({ threads: 2 }), () => {
      if (++polls >= stopAt) throw new CancelledError();
    }),
  );
  const ids = [2, 5, 7, 3, 9, 4];
  const layersDone: string[] = [];
  const ctl = { isCancelled: () => false, progress: (p: { message: string }) => void layersDone.push(p.message) };
  const before = runModel(model, { ids }, ctl);
  const perRun = polls;
  assert.ok(perRun >= 8, `${perRun} polls in a run`);
  layersDone.length = 0;
  polls = 0;
  stopAt = 2; // after the second projection of the first layer
  assert.throws(() => runModel(model, { ids }, ctl), { name: 'CancelledError' });
  assert.equal(polls, 2, 'stopped at that poll');
  assert.ok(layersDone.length <= 1, `no layer finished after it: ${layersDone.join(' | ')}`);
  stopAt = Infinity;
  const after = runModel(model, { ids }, ctl);
  for (const [i, a] of before.attentions.entries())
    assert.ok(
      a.probs.every((v, j) => Object.is(v, after.attentions[i].probs[j])),
      `layer ${i}: the same probabilities after the stopped run`,
    );
});

test('the native kernels watch the run’s cancel flag: a product stops inside, throws CancelledError, and a weight packed meanwhile stays whole', async () => {
  const k = createNativeKernels({ threads: 2 });
  const fresh = createNativeKernels({ threads: 2 });
  const flag = new Int32Array(new SharedArrayBuffer(4));
  try {
    const [m, d, n] = [4096, 2048, 2048];
    const x = rnd(m * d, 11),
      w = rnd(n * d, 12);
    k.watchCancel(flag);
    let t = performance.now();
    const whole = k.linear(x, m, d, w, n).slice();
    const wholeMs = performance.now() - t;
    // Another thread sets the flag while this one is inside the product.
    const { Worker } = await import('node:worker_threads');
    const setter = new Worker(`const { workerData: f } = require('node:worker_threads'); setTimeout(() => Atomics.store(f, 0, 1), 15);`, {
      eval: true,
      workerData: flag,
    });
    await new Promise((r) => setter.once('online', r));
    t = performance.now();
    assert.throws(() => k.linear(x, m, d, w, n), { name: 'CancelledError' });
    const cutMs = performance.now() - t;
    await setter.terminate();
    assert.ok(cutMs < wholeMs * 0.6, `stopped after ${cutMs.toFixed(0)} ms of a ${wholeMs.toFixed(0)} ms product`);
    // Set before the call: a weight seen for the first time is packed whole (and cached), the product not run.
    const w2 = rnd(n * d, 13);
    assert.throws(() => k.linear(x.subarray(0, 64 * d), 64, d, w2, n), { name: 'CancelledError' });
    // The module watches the flag for the thread: another kernel object of it stops too, never a silent half product.
    assert.throws(() => fresh.linear(x.subarray(0, 64 * d), 64, d, w2, n), { name: 'CancelledError' });
    k.watchCancel(undefined);
    const after = k.linear(x.subarray(0, 64 * d), 64, d, w2, n);
    const want = fresh.linear(x.subarray(0, 64 * d), 64, d, w2, n);
    assert.ok(
      after.every((v, i) => Object.is(v, want[i])),
      'the product with the weight packed while the flag was set',
    );
    assert.ok(
      k.linear(x, m, d, w, n).every((v, i) => Object.is(v, whole[i])),
      'unwatched again: the whole product',
    );
  } finally {
    k.watchCancel(undefined);
    k.dispose();
    fresh.dispose();
  }
});
