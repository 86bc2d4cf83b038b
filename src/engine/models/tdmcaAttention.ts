// The two attentions of T-DMCA (Liu et al. 2018, "Generating Wikipedia by Summarizing Long
// Sequences"): local attention (causal inside fixed blocks of the sequence) and memory-compressed
// attention (keys and values shortened by a strided convolution before attending).
import { scaledDotProductAttention } from '../attention';
import type { Part } from '../types';
import type { AttentionWeights, LayerRunner, Recorder } from './transformerLayer';

/**
 * [n, n] local attention mask: 1 (hidden) unless key j is in query i's block
 * (⌊i/B⌋ = ⌊j/B⌋) and not after it (j ≤ i). Block-diagonal, causal inside each block.
 */
export function localCausalMask(n: number, block: number): Uint8Array {
  const mask = new Uint8Array(n * n).fill(1);
  for (let i = 0; i < n; i++) {
    for (let j = i - (i % block); j <= i; j++) mask[i * n + j] = 0;
  }
  return mask;
}

/** Number of compressed keys for n positions: ⌈n / stride⌉ (the sequence is zero-padded at the end). */
export function compressedLength(n: number, stride: number): number {
  return Math.ceil(n / stride);
}

/** [m] half-open [start, end) of the original positions compressed key j summarises (padding excluded). */
export function compressedSpans(n: number, stride: number): [number, number][] {
  return Array.from({ length: compressedLength(n, stride) }, (_, j) => [j * stride, Math.min(n, (j + 1) * stride)]);
}

/**
 * [n, m] causal mask over compressed keys. Our choice: compressed key j is visible to query i
 * only when EVERY position it summarises is ≤ i, i.e. stride·j + stride − 1 ≤ i. A key that mixes
 * in a later token would leak the future, so a block becomes visible only once it is complete;
 * the zero-padded last block of a sequence whose length is not a multiple of the stride is never
 * visible, and the first stride − 1 queries see no compressed key at all (their row is all zeros,
 * their context vector 0: softmaxRow's fully-masked convention). This keeps every row equal to
 * the one a longer sequence with the same prefix would give.
 */
export function compressedCausalMask(n: number, m: number, stride: number): Uint8Array {
  const mask = new Uint8Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) if (j * stride + stride - 1 > i) mask[i * m + j] = 1;
  return mask;
}

/**
 * 1-D convolution over the sequence with kernel = stride (PyTorch Conv1d layout, weight
 * [d_out, d_in, kernel]) on x [n, d_in] zero-padded at the end to a multiple of the stride
 * → [⌈n/stride⌉, d_out]. Each output row summarises `stride` consecutive positions.
 */
export function stridedConv(
  x: Float32Array,
  n: number,
  dIn: number,
  w: Float32Array,
  b: Float32Array,
  dOut: number,
  stride: number,
): Float32Array {
  const m = compressedLength(n, stride);
  const out = new Float32Array(m * dOut); // [m, d_out]
  for (let j = 0; j < m; j++) {
    for (let o = 0; o < dOut; o++) {
      let acc = b[o];
      for (let r = 0; r < stride; r++) {
        const p = j * stride + r;
        if (p >= n) break; // zero padding
        const xo = p * dIn;
        const wo = o * dIn * stride + r;
        for (let c = 0; c < dIn; c++) acc += w[wo + c * stride] * x[xo + c];
      }
      out[j * dOut + o] = acc;
    }
  }
  return out;
}

export interface Compression {
  k: { w: Float32Array; b: Float32Array }; // [d, d, stride], [d]
  v: { w: Float32Array; b: Float32Array };
  stride: number;
}

/**
 * Multi-head attention of x [n, d] over keys/values derived from x, with an explicit mask:
 * local (full keys, block mask) or memory-compressed (keys and values through `compress`).
 * Records probabilities and scores like LayerRunner.attention. → [n, d] after the output projection.
 */
export function maskedSelfAttention(
  run: LayerRunner,
  x: Float32Array,
  n: number,
  w: AttentionWeights,
  heads: number,
  how: { block: number } | { compress: Compression },
  where: { part: Part; layer: number },
  rec?: Recorder,
): Float32Array {
  const d = w.q.out;
  const dHead = d / heads;
  const q = run.linear(x, n, w.q); // [n, d]
  let k = run.linear(x, n, w.k); // [n, d]
  let v = run.linear(x, n, w.v); // [n, d]
  let nk = n;
  let mask: Uint8Array;
  if ('block' in how) {
    mask = localCausalMask(n, how.block); // [n, n]
  } else {
    const c = how.compress;
    k = stridedConv(k, n, d, c.k.w, c.k.b, d, c.stride); // [m, d]
    v = stridedConv(v, n, d, c.v.w, c.v.b, d, c.stride); // [m, d]
    nk = compressedLength(n, c.stride);
    mask = compressedCausalMask(n, nk, c.stride); // [n, m]
  }
  const att = scaledDotProductAttention(q, k, v, n, nk, heads, dHead, mask); // probs [heads, n, nk]
  rec?.attentions.push({ ...where, heads, queries: n, keys: nk, probs: att.probs, scores: att.scores, mask });
  return run.linear(att.context, n, w.o); // [n, d]
}
