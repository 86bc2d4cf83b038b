// The decoder's pieces outside its forward pass: the KV cache greedy generation appends to, repeat_kv,
// Gemma2's soft-capped attention, and the Add & Norm record (hfDecoder.ts uses them).
import { softmaxRow, weightedSumInto, type HeadsAttention } from '../attention';
import type { Recorder } from './transformerLayer';
import type { AddNormStep } from '../types';

/** Rotated keys and values of the positions seen so far, per layer: [length, kv_heads·head_dim] each. */
export class LayerCache {
  k = new Float32Array(0);
  v = new Float32Array(0);
  length = 0;
  append(k: Float32Array, v: Float32Array, rows: number): void {
    const grow = (a: Float32Array, b: Float32Array) => {
      const out = new Float32Array(a.length + b.length);
      out.set(a);
      out.set(b, a.length);
      return out;
    };
    this.k = grow(this.k, k);
    this.v = grow(this.v, v);
    this.length += rows;
  }
}

export function add(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] + b[i];
  return out;
}

function rowNorms(x: Float32Array, rows: number): Float32Array {
  const cols = x.length / rows;
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < cols; c++) s += x[r * cols + c] ** 2;
    out[r] = Math.sqrt(s);
  }
  return out;
}

type Step = Omit<AddNormStep, 'residualNorm' | 'sublayerNorm' | 'outputNorm'>;

/** The residual's, the sub-layer's and the sum's row norms (the inspector's Add & Norm view). */
export function record(rec: Recorder | undefined, step: Step, x: Float32Array, y: Float32Array, out: Float32Array, n: number): void {
  rec?.addNorm.push({ ...step, residualNorm: rowNorms(x, n), sublayerNorm: rowNorms(y, n), outputNorm: rowNorms(out, n) });
}

/** [n, KV·hd] → [n, H·hd], each K/V head repeated for its H/KV query heads (repeat_kv). */
export function repeatKv(x: Float32Array, n: number, kvHeads: number, heads: number, hd: number): Float32Array {
  if (kvHeads === heads) return x;
  const group = heads / kvHeads;
  const out = new Float32Array(n * heads * hd);
  for (let r = 0; r < n; r++) {
    for (let h = 0; h < heads; h++) {
      const from = (r * kvHeads + Math.floor(h / group)) * hd;
      out.set(x.subarray(from, from + hd), (r * heads + h) * hd);
    }
  }
  return out;
}

/**
 * Gemma2's eager_attention_forward with softcap: scores q·k/√hd (scaling already folded into q),
 * then tanh(s / cap) · cap before the mask and softmax. `scores` holds the capped values.
 */
export function softcappedAttention(
  q: Float32Array, // [nq, heads·hd]
  k: Float32Array, // [nk, heads·hd]
  v: Float32Array,
  nq: number,
  nk: number,
  heads: number,
  hd: number,
  mask: Uint8Array, // [nq, nk], 1 = hidden
  cap: number,
): HeadsAttention {
  const width = heads * hd;
  const scale = 1 / Math.sqrt(hd);
  const scores = new Float32Array(heads * nq * nk);
  const probs = new Float32Array(heads * nq * nk);
  const context = new Float32Array(nq * width);
  const row = new Float64Array(nk);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < nq; i++) {
      const so = (h * nq + i) * nk;
      for (let j = 0; j < nk; j++) {
        let s = 0;
        for (let c = 0; c < hd; c++) s += q[i * width + h * hd + c] * k[j * width + h * hd + c];
        row[j] = Math.tanh(Math.fround(Math.fround(s * scale) / cap)) * cap;
        scores[so + j] = row[j];
      }
      softmaxRow(row, mask.subarray(i * nk, (i + 1) * nk));
      probs.set(row, so);
      weightedSumInto(row, v, nk, width, h * hd, hd, context, i * width + h * hd);
    }
  }
  return { probs, scores, context };
}

/** [n, H·hd] → [H, n, hd]. */
export function byHead(x: Float32Array, n: number, heads: number, hd: number): Float32Array {
  const out = new Float32Array(heads * n * hd);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < n; i++) out.set(x.subarray((i * heads + h) * hd, (i * heads + h + 1) * hd), (h * n + i) * hd);
  }
  return out;
}
