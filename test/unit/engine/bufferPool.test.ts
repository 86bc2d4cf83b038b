// The engine's buffer pool (buffers.ts): what it keeps and refuses, and that a run on the fast
// kernels reuses its temporaries — a second run of the same input allocates at most the arrays its
// result keeps — without one run's reused buffers changing another run's numbers.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { BufferPool, engineBuffers } from '../../../src/engine/buffers';
import { ADVISED_BYTES, setLargeBufferAdvice } from '../../../src/engine/memoryAdvice';
import { loadModel, prepare, runModel } from '../../../src/engine/run';
import { createWasmKernels, createNativeKernels, nativeModule } from '../../../src/engine/kernels/index';
import type { RunInput, RunResult } from '../../../src/engine/types';
import { poolCounter } from '../../helpers/poolCounter';
/** Counts the engine pool's takes from the start, so arrays given back before a measured run count as reused. */
const engineCounts = poolCounter(engineBuffers);

test('take() hands back a given array of the same length, else a new zeroed one', () => {
  const pool = new BufferPool(1 << 20);
  const stats = poolCounter(pool);
  const a = pool.take(6);
  assert.deepEqual([...a], [0, 0, 0, 0, 0, 0]);
  a.fill(7);
  pool.give(a);
  assert.equal(pool.take(5).length, 5, 'another length is a new array');
  const b = pool.take(6);
  assert.equal(b, a, 'the given array comes back');
  assert.notEqual(pool.take(6), a, 'and only once');
  assert.deepEqual(stats(), { reused: 1, fresh: 3, heldBytes: 0 });
});

test('give() keeps only whole, unshared, attached buffers, each once', () => {
  const pool = new BufferPool(64);
  const whole = new Float32Array(4);
  pool.give(whole, whole); // twice: kept once, so take() cannot hand it to two owners
  assert.equal(pool.heldBytes, 16);
  const file = new Float32Array(12);
  pool.give(file.subarray(4, 8)); // a view into someone's buffer (a weight file)
  pool.give(new Float32Array(new SharedArrayBuffer(16)));
  const moved = new Float32Array(4);
  structuredClone(moved.buffer, { transfer: [moved.buffer] }); // detached, as after a transfer to the host
  pool.give(moved);
  assert.equal(pool.heldBytes, 16, 'views, shared and detached buffers are not kept');
  assert.equal(pool.take(4), whole);
  assert.notEqual(pool.take(4), whole);
});

test('past its limit the pool drops the lengths given back longest ago', () => {
  const pool = new BufferPool(64);
  const old4 = new Float32Array(4),
    a8 = new Float32Array(8),
    b4 = new Float32Array(4);
  pool.give(old4, a8); // 48 bytes
  pool.give(new Float32Array(17)); // 68 bytes alone: over the limit, not kept
  assert.equal(pool.heldBytes, 48);
  pool.give(b4); // length 4 given again: now the most recent length, 64 bytes
  const c2 = new Float32Array(2);
  pool.give(c2); // 72 > 64: the length given longest ago (8) goes
  assert.equal(pool.heldBytes, 40);
  assert.notEqual(pool.take(8), a8);
  assert.equal(pool.take(4), b4, 'most recent first within a length');
  assert.equal(pool.take(4), old4);
  assert.equal(pool.take(2), c2);
  pool.give(c2);
  pool.clear();
  assert.equal(pool.heldBytes, 0);
  assert.notEqual(pool.take(2), c2);
});

test('a new array of ADVISED_BYTES or more is shown to the memory-advice hook before it is handed out; a reused one is not', () => {
  const pool = new BufferPool(64 * 2 ** 20);
  const seen: number[] = [];
  setLargeBufferAdvice((b) => seen.push(b.byteLength));
  try {
    const big = ADVISED_BYTES / 4;
    const a = pool.take(big);
    assert.deepEqual(seen, [ADVISED_BYTES], 'advised once, over the whole array');
    pool.take(big - 1); // just under: left alone
    assert.equal(seen.length, 1);
    pool.give(a);
    assert.equal(pool.take(big), a);
    assert.equal(seen.length, 1, 'its pages were touched already: no advice');
  } finally {
    setLargeBufferAdvice(undefined);
  }
});

const FIXTURES = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures');
const kernelSets = [
  createWasmKernels({ threads: 2, minParallelWork: 0 }),
  ...(nativeModule().module ? [createNativeKernels({ threads: 2, minParallelWork: 0 })] : []),
];
after(() => kernelSets.forEach((k) => k.dispose()));

/** Every array a result keeps for the host: each layer's scores, probabilities and row entropies, the Add & Norm norms. */
function keptArrays(r: RunResult): number {
  return r.attentions.reduce((s, a) => s + 2 + (a.rowEntropy ? 1 : 0), 0);
}
const copyProbs = (r: RunResult) => r.attentions.map((a) => Float32Array.from(a.probs));

for (const kernels of kernelSets) {
  for (const [name, fixture, input] of <[string, string, RunInput][]>[
    ['an encoder (BERT)', 'hf/bert', { ids: [34, 47, 16, 32, 44, 22, 30] }],
    [
      'an encoder–decoder, teacher-forced',
      'project/transformer-encdec.model.json',
      { ids: [38, 14, 4, 20, 12, 12, 22], targetIds: [1, 16, 33, 9, 36, 17] },
    ],
    ['an encoder–decoder, greedy with the KV cache', 'project/transformer-encdec.model.json', { ids: [38, 14, 4, 20, 12, 12, 22] }],
  ]) {
    test(`${kernels.name}: a second run of ${name} allocates no more than its result keeps`, () => {
      const model = loadModel(path.join(FIXTURES, fixture));
      prepare(model, kernels);
      const first = runModel(model, input);
      const firstProbs = copyProbs(first);
      const before = engineCounts();
      const second = runModel(model, input);
      const after = engineCounts();
      const kept = keptArrays(second);
      assert.ok(after.reused - before.reused > second.attentions.length, `temporaries reused: ${after.reused - before.reused}`);
      // At most: a kept array may also come from the pool when some temporary had its length.
      assert.ok(
        after.fresh - before.fresh <= kept,
        `new arrays in the second run: ${after.fresh - before.fresh}, its result keeps ${kept}`,
      );
      // Reused buffers never alias a result: the first run's probabilities are unchanged, and both runs agree.
      first.attentions.forEach((a, i) => assert.deepEqual(a.probs, firstProbs[i], `first run, attention ${i}`));
      second.attentions.forEach((a, i) => assert.deepEqual(a.probs, firstProbs[i], `second run, attention ${i}`));
      assert.deepEqual(second.predicted?.ids, first.predicted?.ids);
    });
  }

  test(`${kernels.name}: buffers reused from another input leave nothing of it behind`, () => {
    const model = loadModel(path.join(FIXTURES, 'hf/bert'));
    prepare(model, kernels);
    const other = { ids: [5, 9, 13, 2, 40, 41, 7] }; // same length: the same buffers are reused
    const input = { ids: [34, 47, 16, 32, 44, 22, 30] };
    runModel(model, other);
    const got = runModel(model, input);
    const ref = runModel(loadModel(path.join(FIXTURES, 'hf/bert')), input); // the reference kernels, fresh arrays
    got.attentions.forEach((a, i) => {
      const b = ref.attentions[i];
      let diff = 0;
      for (let j = 0; j < a.probs.length; j++)
        diff = Math.max(diff, Math.abs(a.probs[j] - b.probs[j]), Math.abs(a.scores[j] - b.scores[j]));
      assert.ok(diff <= 1e-5, `attention ${i}: ${diff.toExponential(2)} from the reference kernels`);
    });
    assert.deepEqual(got.predicted?.ids, ref.predicted?.ids);
  });
}
