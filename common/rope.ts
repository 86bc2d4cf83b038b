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
