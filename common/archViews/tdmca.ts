// App view of a T-DMCA decoder (RunResult.app.kind = 'tdmca'): which original tokens each
// compressed key summarises, the layer pattern and local block size, and the attention of every
// memory-compressed layer (so the view can draw any query's row over the token strip).

import { isCount, isRecord } from '../guards';

export interface TdmcaData {
  /** Local attention: tokens [b·blockSize, (b+1)·blockSize) form block b. */
  blockSize: number;
  /** Kernel = stride of the convolution over K and V. */
  compression: number;
  /** [m] half-open [start, end) of the original positions behind compressed key j. */
  spans: [number, number][];
  layers: { layer: number; type: 'local' | 'compressed' }[];
  /** Per memory-compressed layer: probs [heads, n, keys] flattened; keys = spans.length. */
  compressed: { layer: number; heads: number; keys: number; probs: number[] }[];
}

export function isTdmcaData(x: unknown): x is TdmcaData {
  if (
    !isRecord(x) ||
    !isCount(x.blockSize) ||
    !isCount(x.compression) ||
    !Array.isArray(x.spans) ||
    !Array.isArray(x.layers) ||
    !Array.isArray(x.compressed)
  )
    return false;
  const m = x.spans.length;
  let prevEnd = 0;
  for (const s of x.spans) {
    if (!Array.isArray(s) || s.length !== 2 || s[0] !== prevEnd || !Number.isInteger(s[1]) || s[1] <= s[0]) return false;
    prevEnd = s[1] as number;
  }
  const n = prevEnd; // spans tile the sequence 0 … n
  if (m === 0) return false;
  if (!x.layers.every((l) => isRecord(l) && Number.isInteger(l.layer) && (l.type === 'local' || l.type === 'compressed'))) return false;
  return x.compressed.every(
    (c) =>
      isRecord(c) &&
      Number.isInteger(c.layer) &&
      isCount(c.heads) &&
      c.keys === m &&
      Array.isArray(c.probs) &&
      c.probs.length === (c.heads as number) * n * m &&
      c.probs.every((p) => typeof p === 'number' && p >= 0 && p <= 1),
  );
}
