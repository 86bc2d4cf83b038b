// Attention, one named function per idea of the article: the score functions (dot, scaled dot,
// general, additive), the causal mask, the numerically stable softmax, and the weighted sum of
// values. Transformer heads and the RNN decoder both use these.

/**
 * Numerically stable softmax of one row, in place: subtract the row max before exp.
 * Masked entries (mask[j] = 1) get probability 0. A fully masked row has no distribution;
 * we return all zeros for it rather than NaN, so a view shows "nothing attended".
 */
export function softmaxRow(x: Float32Array | Float64Array, mask?: Uint8Array): void {
  let max = -Infinity;
  for (let j = 0; j < x.length; j++) if (!mask?.[j] && x[j] > max) max = x[j];
  if (max === -Infinity) {
    x.fill(0);
    return;
  }
  let sum = 0;
  for (let j = 0; j < x.length; j++) {
    const e = mask?.[j] ? 0 : Math.exp(x[j] - max);
    x[j] = e;
    sum += e;
  }
  for (let j = 0; j < x.length; j++) x[j] /= sum;
}

/** [queries, keys] with 1 where key j > query position: the decoder may not look ahead. */
export function causalMask(queries: number, keys: number, queryOffset = 0): Uint8Array {
  const mask = new Uint8Array(queries * keys);
  for (let i = 0; i < queries; i++) {
    for (let j = i + queryOffset + 1; j < keys; j++) mask[i * keys + j] = 1;
  }
  return mask;
}

export interface HeadsAttention {
  probs: Float32Array; // [heads, q, k]
  scores: Float32Array; // [heads, q, k]  q·k/√d_head, before masking
  context: Float32Array; // [q, heads·d_head]  heads concatenated, ready for the output projection
  /** [heads, q] each row's entropy −Σ p ln p, where the kernel gets it for free (native softmax). */
  rowEntropy?: Float32Array;
}

/**
 * Multi-head scaled dot-product attention softmax(QKᵀ/√d_k)V on already projected Q, K, V.
 * q: [nq, heads·dHead], k and v: [nk, heads·dHead]; head h owns columns h·dHead … (h+1)·dHead.
 */
export function scaledDotProductAttention(
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  nq: number,
  nk: number,
  heads: number,
  dHead: number,
  mask?: Uint8Array, // [nq, nk]
  /** `scale` instead of 1/√d_head (T5: 1); `bias` [heads, nq, nk] added to the scaled scores (T5's positions). */
  opts?: { scale?: number; bias?: Float32Array },
): HeadsAttention {
  const width = heads * dHead;
  const scale = opts?.scale ?? 1 / Math.sqrt(dHead);
  const bias = opts?.bias;
  const scores = new Float32Array(heads * nq * nk);
  const probs = new Float32Array(heads * nq * nk);
  const context = new Float32Array(nq * width);
  const rowBuf = new Float64Array(nk);
  for (let h = 0; h < heads; h++) {
    const ho = h * dHead;
    for (let i = 0; i < nq; i++) {
      const qo = i * width + ho;
      const so = (h * nq + i) * nk;
      for (let j = 0; j < nk; j++) {
        const ko = j * width + ho;
        let s = 0;
        for (let c = 0; c < dHead; c++) s += q[qo + c] * k[ko + c];
        rowBuf[j] = bias ? s * scale + bias[so + j] : s * scale;
        scores[so + j] = rowBuf[j];
      }
      softmaxRow(rowBuf, mask?.subarray(i * nk, (i + 1) * nk));
      probs.set(rowBuf, so);
      weightedSumInto(rowBuf, v, nk, width, ho, dHead, context, i * width + ho);
    }
  }
  return { probs, scores, context };
}

/** out[outOffset + c] = Σ_j α_j · values[j·stride + offset + c], c < dim — the context vector. */
export function weightedSumInto(
  alpha: ArrayLike<number>,
  values: Float32Array,
  n: number,
  stride: number,
  offset: number,
  dim: number,
  out: Float32Array,
  outOffset: number,
): void {
  const acc = new Float64Array(dim);
  for (let j = 0; j < n; j++) {
    const a = alpha[j];
    if (a === 0) continue;
    const vo = j * stride + offset;
    for (let c = 0; c < dim; c++) acc[c] += a * values[vo + c];
  }
  for (let c = 0; c < dim; c++) out[outOffset + c] = acc[c];
}

// RNN attention scores e_j = a(s, h_j) for one decoder state s against all encoder states
// h: [n, dh]. Each returns the n raw scores.

/** Luong dot: e_j = s·h_j (needs |s| = |h|). */
export function dotScore(s: Float32Array, h: Float32Array, n: number, dh: number): Float64Array {
  const e = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let acc = 0;
    for (let c = 0; c < dh; c++) acc += s[c] * h[j * dh + c];
    e[j] = acc;
  }
  return e;
}

/** Scaled dot: e_j = s·h_j / √d, the transformer's scaling applied to the RNN decoder. */
export function scaledDotScore(s: Float32Array, h: Float32Array, n: number, dh: number): Float64Array {
  const e = dotScore(s, h, n, dh);
  const scale = 1 / Math.sqrt(dh);
  for (let j = 0; j < n; j++) e[j] *= scale;
  return e;
}

/** Luong general: e_j = sᵀ W h_j with W: [ds, dh]. Computed as (sᵀW)·h_j. */
export function generalScore(s: Float32Array, w: Float32Array, ds: number, h: Float32Array, n: number, dh: number): Float64Array {
  return dotScore(generalQuery(s, w, ds, dh), h, n, dh);
}

/** sᵀW: [dh], the general score's query (the Q·K view shows it against each h_j). */
export function generalQuery(s: Float32Array, w: Float32Array, ds: number, dh: number): Float32Array {
  const sw = new Float32Array(dh); // [dh]
  for (let r = 0; r < ds; r++) {
    const sv = s[r];
    for (let c = 0; c < dh; c++) sw[c] += sv * w[r * dh + c];
  }
  return sw;
}

/**
 * Bahdanau additive (concat): e_j = vᵀ tanh(W₁h_j + W₂s).
 * w1h: [n, A] is W₁h_j precomputed once per source sentence (it does not depend on s);
 * w2: [A, ds], v: [A].
 */
export function additiveScore(s: Float32Array, w2: Float32Array, ds: number, w1h: Float32Array, n: number, v: Float32Array): Float64Array {
  const a = v.length;
  const w2s = new Float64Array(a);
  for (let r = 0; r < a; r++) {
    let acc = 0;
    for (let c = 0; c < ds; c++) acc += w2[r * ds + c] * s[c];
    w2s[r] = acc;
  }
  const e = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let acc = 0;
    for (let r = 0; r < a; r++) acc += v[r] * Math.tanh(w1h[j * a + r] + w2s[r]);
    e[j] = acc;
  }
  return e;
}

/**
 * NARM's additive score with a sigmoid: e_j = vᵀσ(A₁s + A₂h_j), given both projections.
 * a1s: [A] (A₁s, the query), a2h: [n, A] (A₂h_j, row j per key), v: [A].
 */
export function sigmoidAdditiveScore(a1s: Float32Array, a2h: Float32Array, n: number, v: Float32Array): Float64Array {
  const a = v.length;
  const e = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let acc = 0;
    for (let r = 0; r < a; r++) acc += v[r] / (1 + Math.exp(-(a1s[r] + a2h[j * a + r])));
    e[j] = acc;
  }
  return e;
}
