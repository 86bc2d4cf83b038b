// Numbers the aggregate, compare and attention-sink views show, computed where the full run is
// (the host) so only small matrices cross to the webview. Pure functions on Float32Arrays.
import type { AttentionLayer } from '../src/engine/types';
import { SEPARATOR_TOKENS } from './headData';

/** Mean over heads of one layer: [queries, keys]. Rows still sum to 1 (a mean of distributions). */
export function meanOverHeads(layer: AttentionLayer): Float32Array {
  const n = layer.queries * layer.keys;
  const out = new Float64Array(n);
  for (let h = 0; h < layer.heads; h++) {
    const off = h * n;
    for (let k = 0; k < n; k++) out[k] += layer.probs[off + k];
  }
  const res = new Float32Array(n);
  for (let k = 0; k < n; k++) res[k] = out[k] / layer.heads;
  return res;
}

/**
 * Attention rollout (Abnar & Zuidema 2020) of self-attention layers 0…upTo: each layer's
 * head-mean A is mixed with the residual connection, Â = 0.5·A + 0.5·I, rows renormalised, and
 * R_L = Â_L · … · Â_0. Row i of R_L says how much each input token flows into position i after
 * layer L. Returns one [n, n] matrix per layer (index = position in `layers`).
 * Throws RangeError for cross-attention or non-square layers (rollout needs n → n maps).
 */
export function rollout(layers: AttentionLayer[]): Float32Array[] {
  return [...rolloutSteps(layers)].filter((x): x is Float32Array => x !== null);
}

/** Rows of the rollout product computed between two `null` steps of rolloutSteps. */
const ROWS_PER_STEP = 32;

/**
 * The same in small steps, so a caller on the extension host can yield to the event loop: at 512
 * tokens each layer is an n³ product (~0.1–1 s). Yields `null` after every ROWS_PER_STEP rows of
 * a product and each layer's finished [n, n] matrix.
 */
export function* rolloutSteps(layers: AttentionLayer[]): Generator<Float32Array | null> {
  if (layers.length === 0) return;
  const n = layers[0].queries;
  let acc: Float64Array | undefined;
  for (const l of layers) {
    if (l.queries !== n || l.keys !== n)
      throw new RangeError(`rollout needs square self-attention; ${l.part} layer ${l.layer} is ${l.queries}×${l.keys}`);
    const mean = meanOverHeads(l);
    const a = new Float64Array(n * n); // [n, n] Â = 0.5·A + 0.5·I, row-normalised
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let j = 0; j < n; j++) {
        const v = 0.5 * mean[i * n + j] + (i === j ? 0.5 : 0);
        a[i * n + j] = v;
        sum += v;
      }
      if (sum > 0) for (let j = 0; j < n; j++) a[i * n + j] /= sum;
    }
    if (acc) {
      const c = new Float64Array(n * n); // R_L = Â_L · R_{L−1}
      for (let r = 0; r < n; r += ROWS_PER_STEP) {
        matmulRows(a, acc, c, n, r, Math.min(n, r + ROWS_PER_STEP));
        yield null;
      }
      acc = c;
    } else {
      acc = a;
    }
    yield Float32Array.from(acc);
  }
}

/** Rows r0…r1−1 of c = a · b ([n, n] float64), i-k-j order so the inner loop runs along rows. */
function matmulRows(a: Float64Array, b: Float64Array, c: Float64Array, n: number, r0: number, r1: number): void {
  for (let i = r0; i < r1; i++) {
    const ci = i * n;
    for (let k = 0; k < n; k++) {
      const aik = a[ci + k];
      if (aik === 0) continue;
      const bk = k * n;
      for (let j = 0; j < n; j++) c[ci + j] += aik * b[bk + j];
    }
  }
}

/**
 * Jensen–Shannon divergence of two distributions of length `len` (at offsets oa, ob), in bits:
 * JSD = ½·KL(p‖m) + ½·KL(q‖m), m = ½(p + q); 0 for equal, 1 for disjoint supports.
 */
export function jsd(p: ArrayLike<number>, oa: number, q: ArrayLike<number>, ob: number, len: number): number {
  let d = 0;
  for (let j = 0; j < len; j++) {
    const a = p[oa + j];
    const b = q[ob + j];
    const m = 0.5 * (a + b);
    if (a > 0) d += 0.5 * a * Math.log2(a / m);
    if (b > 0) d += 0.5 * b * Math.log2(b / m);
  }
  return Math.max(0, d);
}

/**
 * Mean over query rows of the row-wise JSD between head `h` of two layers with the same shape.
 * Rows that are all zero in both (fully masked) count as 0.
 */
export function headJsd(a: AttentionLayer, b: AttentionLayer, h: number): number {
  const { queries, keys } = a;
  const off = h * queries * keys;
  let sum = 0;
  for (let i = 0; i < queries; i++) sum += jsd(a.probs, off + i * keys, b.probs, off + i * keys, keys);
  return queries > 0 ? sum / queries : 0;
}

/** Key columns the attention-sink transform hides: the first token and any separator tokens. */
export function sinkColumns(keyTokens: readonly string[]): number[] {
  const cols = keyTokens.length > 0 ? [0] : [];
  keyTokens.forEach((t, j) => {
    if (j > 0 && SEPARATOR_TOKENS.has(t)) cols.push(j);
  });
  return cols;
}

/**
 * The attention-sink display transform: the hidden columns are set to 0 and each row is divided
 * by what is left, so the remaining pattern fills the colour scale. A row whose whole mass was in
 * hidden columns stays all zero. This is a display transform — the model's numbers are unchanged.
 * `probs` is [queries, keys]; returns a new array.
 */
export function hideSinkColumns(probs: Float32Array, queries: number, keys: number, hidden: readonly number[]): Float32Array {
  const out = new Float32Array(probs.length);
  const hide = new Uint8Array(keys);
  for (const j of hidden) if (j >= 0 && j < keys) hide[j] = 1;
  for (let i = 0; i < queries; i++) {
    const row = i * keys;
    let rest = 0;
    for (let j = 0; j < keys; j++) if (!hide[j]) rest += probs[row + j];
    if (rest <= 0) continue;
    for (let j = 0; j < keys; j++) out[row + j] = hide[j] ? 0 : probs[row + j] / rest;
  }
  return out;
}
