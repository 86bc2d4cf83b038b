// headData: statistics, average-pool thumbnails and head slicing against closed forms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { AttentionLayer, RunResult } from '../../../src/engine/types';
import {
  averagePool,
  axisTokens,
  headStats,
  headSummaries,
  partThumbnails,
  runMeta,
  sliceHead,
  THUMBNAIL_SIZE,
} from '../../../common/headData';
import { HEADS, LAYERS, SOURCE, syntheticResult, TARGET } from '../../webview/synthetic';

const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('averagePool copies a matrix that already fits', () => {
  const m = Float32Array.from([1, 2, 3, 4, 5, 6]);
  const p = averagePool(m, 0, 2, 3, 32, 32);
  assert.deepEqual([p.rows, p.cols], [2, 3]);
  assert.deepEqual(Array.from(p.data), [1, 2, 3, 4, 5, 6]);
});

test('averagePool 4×4 → 2×2 averages each 2×2 block', () => {
  const m = Float32Array.from({ length: 16 }, (_, i) => i);
  const p = averagePool(m, 0, 4, 4, 2, 2);
  // block (0,0) = {0,1,4,5} → 2.5; (0,1) = {2,3,6,7} → 4.5; (1,0) = {8,9,12,13} → 10.5; (1,1) → 12.5
  assert.deepEqual(Array.from(p.data), [2.5, 4.5, 10.5, 12.5]);
});

test('averagePool with uneven bins: 5×3 → 2×2 uses bins of 2,3 rows and 1,2 columns', () => {
  const m = Float32Array.from({ length: 15 }, (_, i) => i); // row r, col c → 3r + c
  const p = averagePool(m, 0, 5, 3, 2, 2);
  // rows {0,1} × col {0}: (0+3)/2 = 1.5; rows {0,1} × cols {1,2}: (1+2+4+5)/4 = 3
  // rows {2,3,4} × col {0}: (6+9+12)/3 = 9; rows {2,3,4} × cols {1,2}: (7+8+10+11+13+14)/6 = 10.5
  assert.deepEqual(Array.from(p.data), [1.5, 3, 9, 10.5]);
});

test('averagePool reads from an offset (one head inside [heads, q, k])', () => {
  const m = Float32Array.from([9, 9, 9, 9, 1, 2, 3, 4]);
  assert.deepEqual(Array.from(averagePool(m, 4, 2, 2, 1, 1).data), [2.5]);
});

test('averagePool keeps the total mass: Σ bin mean × bin area = Σ matrix (property)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 70 }),
      fc.integer({ min: 1, max: 70 }),
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 1, max: 40 }),
      (rows, cols, R, C) => {
        const m = Float32Array.from({ length: rows * cols }, (_, i) => ((i * 7919) % 97) / 97);
        const p = averagePool(m, 0, rows, cols, R, C);
        assert.ok(p.rows <= R && p.cols <= C && p.rows <= rows && p.cols <= cols);
        let total = 0;
        for (let bi = 0; bi < p.rows; bi++) {
          const h = Math.floor(((bi + 1) * rows) / p.rows) - Math.floor((bi * rows) / p.rows);
          for (let bj = 0; bj < p.cols; bj++) {
            const w = Math.floor(((bj + 1) * cols) / p.cols) - Math.floor((bj * cols) / p.cols);
            assert.ok(h >= 1 && w >= 1, 'every bin is non-empty');
            total += p.data[bi * p.cols + bj] * h * w;
          }
        }
        const expected = m.reduce((a, b) => a + b, 0);
        close(total, expected, 1e-3);
      },
    ),
    { numRuns: 200 },
  );
});

test('headStats of a uniform head: entropy ln k, every share 1/k', () => {
  const k = 4;
  const s = headStats(new Float32Array(k * k).fill(1 / k), 0, k, k, ['a', 'b', 'c', 'd'], true);
  close(s.entropy, Math.log(k));
  close(s.max, 0.25);
  close(s.toFirst, 0.25);
  close(s.toSelf ?? NaN, 0.25);
  assert.equal(s.toSep, null, 'no separator among the keys');
});

test('headStats of the identity: entropy 0, self 1, first 1/k, [SEP] 1/k', () => {
  const k = 3;
  const m = new Float32Array(k * k);
  for (let i = 0; i < k; i++) m[i * k + i] = 1;
  const s = headStats(m, 0, k, k, ['[CLS]', 'x', '[SEP]'], true);
  close(s.entropy, 0);
  close(s.max, 1);
  close(s.toSelf ?? NaN, 1);
  close(s.toFirst, 1 / 3);
  close(s.toSep ?? NaN, 1 / 3);
});

test('headStats: cross-attention has no self share; a fully masked row counts as zeros', () => {
  const cross = headStats(Float32Array.from([0.5, 0.5, 1, 0]), 0, 2, 2, ['</s>', 'y'], false);
  assert.equal(cross.toSelf, null);
  close(cross.toSep ?? NaN, 0.75);
  const empty = headStats(Float32Array.from([0, 0, 0.5, 0.5]), 0, 2, 2, ['a', 'b'], true);
  close(empty.entropy, Math.log(2) / 2);
  close(empty.toFirst, 0.25);
});

function layer(heads: number, q: number, k: number): AttentionLayer {
  const n = heads * q * k;
  return {
    part: 'encoder',
    layer: 0,
    heads,
    queries: q,
    keys: k,
    probs: Float32Array.from({ length: n }, (_, i) => i),
    scores: Float32Array.from({ length: n }, (_, i) => -i),
  };
}

test('sliceHead returns copies of exactly one head', () => {
  const l = layer(3, 2, 2);
  const s = sliceHead(l, 1);
  assert.deepEqual(Array.from(s.probs), [4, 5, 6, 7]);
  assert.deepEqual(Array.from(s.scores), [-4, -5, -6, -7]);
  assert.equal(s.mask, undefined);
  s.probs[0] = 99;
  assert.equal(l.probs[4], 4, 'the layer is not modified');
  assert.notEqual(s.probs.buffer, l.probs.buffer, 'own buffer (transferable)');
  assert.equal(s.probs.byteLength, s.probs.buffer.byteLength);
});

test('sliceHead rejects heads out of range', () => {
  const l = layer(2, 1, 1);
  for (const h of [-1, 2, 0.5, NaN]) assert.throws(() => sliceHead(l, h), RangeError);
});

test('axisTokens: encoder, decoder, cross, decoder-only and mismatched lengths', () => {
  const r = syntheticResult();
  assert.deepEqual(axisTokens(r, 'encoder', 6, 6), { queryTokens: SOURCE, keyTokens: SOURCE });
  assert.deepEqual(axisTokens(r, 'decoder', 5, 5), { queryTokens: TARGET, keyTokens: TARGET });
  assert.deepEqual(axisTokens(r, 'cross', 5, 6), { queryTokens: TARGET, keyTokens: SOURCE });
  const decoderOnly: RunResult = { ...r, tokens: { source: ['a', 'b'], target: [] } };
  assert.deepEqual(axisTokens(decoderOnly, 'decoder', 2, 2), { queryTokens: ['a', 'b'], keyTokens: ['a', 'b'] });
  assert.deepEqual(axisTokens(decoderOnly, 'decoder', 3, 3).queryTokens, ['a', 'b', '#2']);
});

test("axisTokens: a run's own axis labels replace the tokens on that part only", () => {
  const r: RunResult = {
    ...syntheticResult(),
    axisLabels: [{ part: 'cross', keys: ['(0,0)', '(0,1)', '(1,0)', '(1,1)', '(2,0)', '(2,1)'] }],
  };
  assert.deepEqual(axisTokens(r, 'cross', 5, 6), {
    queryTokens: TARGET,
    keyTokens: ['(0,0)', '(0,1)', '(1,0)', '(1,1)', '(2,0)', '(2,1)'],
  });
  assert.deepEqual(axisTokens(r, 'encoder', 6, 6).keyTokens, SOURCE);
});

test('runMeta: parts in order with per-head stats and no big arrays', () => {
  const meta = runMeta(syntheticResult());
  assert.deepEqual(
    meta.parts.map((p) => p.part),
    ['encoder', 'decoder', 'cross'],
  );
  for (const p of meta.parts) {
    assert.equal(p.layers.length, LAYERS);
    for (const l of p.layers) assert.equal(l.stats.length, HEADS);
  }
  assert.equal(meta.parts[1].layers[0].masked, true, 'decoder self-attention is causal');
  assert.equal(meta.parts[0].layers[0].masked, false);
  assert.equal(meta.scoreLabel, 'score q·k/√d_k');
  close(meta.parts[0].layers[0].stats[0].entropy, Math.log(SOURCE.length), 1e-5); // uniform head
  assert.deepEqual(JSON.parse(JSON.stringify(meta)), meta, 'plain JSON (null stats, no typed arrays)');
  const rnn = runMeta({ ...syntheticResult(), model: { ...syntheticResult().model, architecture: 'rnn-seq2seq' } });
  assert.equal(rnn.scoreLabel, 'score e_tj');
});

test('partThumbnails: one per head, at most 32×32, pooled from a large head', () => {
  const r = syntheticResult();
  assert.equal(partThumbnails(r, 'cross').length, LAYERS * HEADS);
  const big: AttentionLayer = { ...layer(2, 50, 40), part: 'encoder' };
  const t = partThumbnails({ ...r, attentions: [big] }, 'encoder');
  assert.equal(t.length, 2);
  assert.deepEqual([t[1].rows, t[1].cols, t[1].levels.length], [THUMBNAIL_SIZE, THUMBNAIL_SIZE, THUMBNAIL_SIZE * THUMBNAIL_SIZE]);
  assert.deepEqual([t[1].layer, t[1].head], [0, 1]);
  // The ramp steps of the pooled probabilities, on the tile's own 0…max scale.
  const pooled = averagePool(big.probs, 50 * 40, 50, 40, THUMBNAIL_SIZE, THUMBNAIL_SIZE).data;
  const max = Math.max(...pooled);
  assert.deepEqual(
    Array.from(t[1].levels),
    Array.from(pooled, (p) => Math.round((p / max) * 255)),
  );
  assert.equal(Math.max(...t[1].levels), 255, 'the top of the tile is the top of the ramp');
});

test('headSummaries (one pass) equals averagePool and a plain max for every head (property)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 1, max: 80 }),
      fc.integer({ min: 1, max: 80 }),
      fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      (heads, queries, keys, seed) => {
        let s = seed;
        const rnd = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296;
        const probs = Float32Array.from({ length: heads * queries * keys }, rnd); // [heads, q, k]
        const layer: AttentionLayer = { part: 'encoder', layer: 0, heads, queries, keys, probs, scores: new Float32Array(probs.length) };
        const got = headSummaries(layer);
        assert.equal(got.length, heads);
        for (let h = 0; h < heads; h++) {
          const want = averagePool(probs, h * queries * keys, queries, keys, THUMBNAIL_SIZE, THUMBNAIL_SIZE);
          assert.deepEqual([got[h].thumb.rows, got[h].thumb.cols], [want.rows, want.cols]);
          for (let i = 0; i < want.data.length; i++) close(got[h].thumb.data[i], want.data[i], 1e-6);
          let max = 0;
          for (const v of probs.subarray(h * queries * keys, (h + 1) * queries * keys)) max = Math.max(max, v);
          assert.equal(got[h].max, max);
        }
      },
    ),
    { numRuns: 60 },
  );
});

test('partThumbnails hands out copies: transferring one leaves the layer’s summary intact', () => {
  const r = syntheticResult();
  const a = partThumbnails(r, 'encoder');
  const before = Array.from(a[0].levels);
  structuredClone(a[0].levels, { transfer: [a[0].levels.buffer] }); // as a postMessage with transfer would
  assert.equal(a[0].levels.length, 0, 'the transferred copy is detached');
  assert.deepEqual(Array.from(partThumbnails(r, 'encoder')[0].levels), before);
});
