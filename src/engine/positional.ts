// Fixed positional encodings. Neither is stored in a checkpoint; both are computed here.
import type { PositionScheme } from './format/loaded';

/**
 * [positions, dims].
 * sinusoidal (Vaswani): PE[p, 2i] = sin(p/10000^(2i/d)), PE[p, 2i+1] = cos(p/10000^(2i/d)).
 * sinusoidal-marian: sin in the first half of the dimensions, cos in the second (HF Marian).
 */
export function sinusoidalEncoding(positions: number, dims: number, scheme: 'sinusoidal' | 'sinusoidal-marian'): Float32Array {
  const pe = new Float32Array(positions * dims);
  const half = Math.ceil(dims / 2); // Marian's "sentinel" for odd dims
  for (let p = 0; p < positions; p++) {
    for (let j = 0; j < dims; j++) {
      let value: number;
      if (scheme === 'sinusoidal') {
        const i = Math.floor(j / 2);
        const angle = p / Math.pow(10000, (2 * i) / dims);
        value = j % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
      } else if (j < half) {
        value = Math.sin(p / Math.pow(10000, (2 * j) / dims));
      } else {
        value = Math.cos(p / Math.pow(10000, (2 * (j - half)) / dims));
      }
      pe[p * dims + j] = value;
    }
  }
  return pe;
}

export function isFixedScheme(s: PositionScheme): s is 'sinusoidal' | 'sinusoidal-marian' {
  return s === 'sinusoidal' || s === 'sinusoidal-marian';
}

/**
 * [positions, dims] tensor2tensor's add_timing_signal_1d (USE-lite): with n = ⌊dims/2⌋ timescales,
 * inv_i = exp(−i·ln(10⁴)/(n−1)), PE[p] = [sin(p·inv_0…n−1) | cos(p·inv_0…n−1)] (zero-padded if dims
 * is odd). The angle is rounded to float32 as TF computes it, so the table matches the graph's.
 */
export function t2tTimingSignal(positions: number, dims: number): Float32Array {
  const n = Math.floor(dims / 2);
  const logInc = Math.log(1e4) / Math.max(n - 1, 1);
  const pe = new Float32Array(positions * dims);
  for (let p = 0; p < positions; p++) {
    for (let i = 0; i < n; i++) {
      const angle = Math.fround(p * Math.fround(Math.exp(-i * logInc)));
      pe[p * dims + i] = Math.sin(angle);
      pe[p * dims + n + i] = Math.cos(angle);
    }
  }
  return pe;
}
