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
