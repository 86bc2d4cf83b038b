// What the Positional tab draws for a RoPE model, as pure functions (the webview and the tests share them).
// RoPE rotates each dimension pair (i, i + r/2) of q at position m by m·θ_i and of k at n by n·θ_i,
// so q·k depends on the positions only through Δ = n − m: q·R(Δ)k = Σ_i |pair_i|² cos(Δ·θ_i) for k = q.

/** Mean over the rotated pairs of cos(Δ·θ_i), Δ = 0…maxDelta: the q·k of a vector with equal pair norms against itself Δ apart, over |q|². */
export function ropeCosCurve(invFreq: readonly number[], maxDelta: number): Float64Array {
  const out = new Float64Array(maxDelta + 1);
  for (let d = 0; d <= maxDelta; d++) {
    let s = 0;
    for (const t of invFreq) s += Math.cos(d * t);
    out[d] = invFreq.length ? s / invFreq.length : 1;
  }
  return out;
}

/** The wavelength 2π/θ_i in positions: how far apart two tokens are before pair i turns a full circle. */
export function ropeWavelength(theta: number): number {
  return (2 * Math.PI) / theta;
}

/**
 * Undoes the rotation of rows recorded after RoPE: row r (at position firstPosition + r) of x [rows, dims] turned back
 * by −position·θ_i on each pair (i, i + half), half = invFreq.length; dims past 2·half pass through. → [rows, dims].
 * Rotations keep dot products, so this recovers the q or k the projection (and any q/k norm) produced.
 */
export function ropeUnrotate(
  x: ArrayLike<number>,
  rows: number,
  dims: number,
  invFreq: readonly number[],
  firstPosition = 0,
): Float64Array {
  const half = invFreq.length;
  const out = Float64Array.from(x as ArrayLike<number>);
  for (let r = 0; r < rows; r++) {
    const p = firstPosition + r;
    for (let i = 0; i < half; i++) {
      const angle = Math.fround(invFreq[i] * p); // the engine's float32 angle (models/rope.ts ropeTables)
      const c = Math.cos(angle),
        s = Math.sin(angle);
      const a = x[r * dims + i],
        b = x[r * dims + i + half];
      out[r * dims + i] = a * c + b * s; // R(−angle) of (a, b)
      out[r * dims + i + half] = b * c - a * s;
    }
  }
  return out;
}

export interface RopeHeadCurve {
  /** d = 0…maxD: the head's mean q and mean k (before rotation) scored d positions apart, key before query. */
  expected: Float64Array;
  /** d = 0…maxD: the run's own scores q_m·k_n averaged over the pairs with m − n = d (NaN where the run has none). */
  actual: Float64Array;
  /** Pairs averaged into actual[d]. */
  pairs: Uint32Array;
  /** The constant the dims RoPE leaves unrotated (partial rotary) add to every expected score. */
  passThrough: number;
}

/**
 * How one head's score depends on distance, from its recorded (rotated) q [nq, dims] and k [nk, dims], queries at
 * positions nk − nq…nk − 1 and keys at 0…nk − 1. Averaging q_m·R(−d)k_n over every (m, n) is, by linearity,
 * q̄·R(−d)k̄ with q̄, k̄ the means of the unrotated vectors: for each pair i, with Δ = −d,
 * (q̄_a k̄_a + q̄_b k̄_b) cos(Δθ_i) + (q̄_b k̄_a − q̄_a k̄_b) sin(Δθ_i). Both curves are × scale (the score's 1/√d).
 */
export function ropeHeadCurve(
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  nq: number,
  nk: number,
  dims: number,
  invFreq: readonly number[],
  scale: number,
  maxD: number,
): RopeHeadCurve {
  const half = invFreq.length;
  const mean = (x: Float64Array, rows: number) => {
    const m = new Float64Array(dims);
    for (let r = 0; r < rows; r++) for (let j = 0; j < dims; j++) m[j] += x[r * dims + j] / rows;
    return m;
  };
  const qm = mean(ropeUnrotate(q, nq, dims, invFreq, nk - nq), nq);
  const km = mean(ropeUnrotate(k, nk, dims, invFreq, 0), nk);
  let passThrough = 0;
  for (let j = 2 * half; j < dims; j++) passThrough += qm[j] * km[j];
  const expected = new Float64Array(maxD + 1);
  for (let d = 0; d <= maxD; d++) {
    let s = passThrough;
    for (let i = 0; i < half; i++) {
      const phi = -d * invFreq[i];
      const [qa, qb, ka, kb] = [qm[i], qm[i + half], km[i], km[i + half]];
      s += (qa * ka + qb * kb) * Math.cos(phi) + (qb * ka - qa * kb) * Math.sin(phi);
    }
    expected[d] = s * scale;
  }
  const actual = new Float64Array(maxD + 1);
  const pairs = new Uint32Array(maxD + 1);
  for (let r = 0; r < nq; r++) {
    const m = nk - nq + r;
    for (let n = 0; n <= m && m - n <= maxD; n++) {
      let s = 0;
      for (let j = 0; j < dims; j++) s += q[r * dims + j] * k[n * dims + j];
      actual[m - n] += s * scale;
      pairs[m - n]++;
    }
  }
  for (let d = 0; d <= maxD; d++) actual[d] = pairs[d] ? actual[d] / pairs[d] : NaN;
  return { expected, actual, pairs, passThrough: passThrough * scale };
}
