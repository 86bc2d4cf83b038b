// App view data of the Image Transformer models (architecture "image-transformer"): the pixels in
// generation order, where each sits in the image, and every layer's local self-attention.
import type { LocalSpec } from '../localAttention';

import { isId, isRecord } from '../guards';

export const IMAGE_TRANSFORMER = 'image-transformer';

export interface ImageTransformerData {
  /** Query/memory block geometry (engine/models/localAttention.ts) incl. height and width. */
  spec: LocalSpec;
  /** [height · width] order[s] = row-major pixel index of sequence position s (a plain array: only
   * Float32Array / Uint8Array are carried as typed arrays to the webview). */
  order: number[];
  /** The given pixel ids, in sequence order (may stop before the image is full). */
  ids: number[];
  /** Argmax prediction for the *next* sequence position after each given pixel. */
  predicted: number[];
  /** [vocab, 3] display colour of each pixel id. */
  palette: Uint8Array;
  layers: number;
  heads: number;
  /** [layers, heads, n, n] with n = ids.length, sequence order; 0 outside the memory block. */
  probs: Float32Array;
}

export function isImageTransformerData(x: unknown): x is ImageTransformerData {
  if (!isRecord(x)) return false;
  const d = x as Partial<ImageTransformerData>;
  const s = d.spec;
  if (
    typeof s !== 'object' ||
    s === null ||
    !isId(s.height) ||
    !isId(s.width) ||
    (s.attention !== 'local-1d' && s.attention !== 'local-2d')
  )
    return false;
  const px = s.height * s.width;
  if (!Array.isArray(d.order) || d.order.length !== px || !d.order.every((p) => isId(p) && p < px)) return false;
  if (!(d.palette instanceof Uint8Array) || d.palette.length % 3 !== 0 || d.palette.length === 0) return false;
  const colours = d.palette.length / 3;
  const ok = (a: unknown) => Array.isArray(a) && a.every((v) => isId(v) && v < colours);
  if (!ok(d.ids) || !ok(d.predicted) || d.ids!.length === 0 || d.ids!.length > px || d.predicted!.length !== d.ids!.length) return false;
  if (!isId(d.layers) || !isId(d.heads) || d.layers < 1 || d.heads < 1) return false;
  const n = d.ids!.length;
  return d.probs instanceof Float32Array && d.probs.length === d.layers * d.heads * n * n;
}
