// T5's relative position bias: the distance key − query falls into one of `buckets` buckets
// (exact for small distances, logarithmic up to max_distance), and each head adds its learned
// value for that bucket to the score. One table per stack, in the stack's first layer, shared by
// all its layers (T5Stack.forward passes layer 0's position_bias on).

export interface RelativeBias {
  /** [buckets, heads], as nn.Embedding(relative_attention_num_buckets, num_heads) stores it. */
  table: Float32Array;
  buckets: number;
  maxDistance: number;
  /** Encoder: keys on both sides; decoder self-attention: only the past (later keys share bucket 0). */
  bidirectional: boolean;
}

const f = Math.fround;

/**
 * T5Attention._relative_position_bucket for one relative position (memory − context). The
 * logarithmic branch is computed in float32 step by step as torch does on a float tensor, then
 * truncated, so bucket edges that fall on whole numbers land where PyTorch puts them.
 */
export function relativePositionBucket(relative: number, bidirectional: boolean, numBuckets: number, maxDistance: number): number {
  let bucket = 0;
  let n = numBuckets;
  let rel = relative;
  if (bidirectional) {
    n = Math.floor(n / 2);
    if (rel > 0) bucket += n;
    rel = Math.abs(rel);
  } else {
    rel = -Math.min(rel, 0);
  }
  const maxExact = Math.floor(n / 2);
  if (rel < maxExact) return bucket + rel;
  const ratio = f(Math.log(f(f(rel) / maxExact)));
  const scaled = f(f(ratio / f(Math.log(maxDistance / maxExact))) * (n - maxExact));
  return bucket + Math.min(maxExact + Math.trunc(scaled), n - 1);
}

/** T5Attention.compute_bias: [heads, nq, nk] bias for queries at positions offset… and keys 0…nk−1. */
export function relativePositionBias(b: RelativeBias, heads: number, nq: number, nk: number, offset: number): Float32Array {
  const out = new Float32Array(heads * nq * nk);
  for (let i = 0; i < nq; i++) {
    for (let j = 0; j < nk; j++) {
      const bucket = relativePositionBucket(j - (i + offset), b.bidirectional, b.buckets, b.maxDistance);
      for (let h = 0; h < heads; h++) out[(h * nq + i) * nk + j] = b.table[bucket * heads + h];
    }
  }
  return out;
}
