// App view data of Hugging Face vision transformers (ViT, DeiT; architecture "hf-vit"): the image
// as the model saw it, its patch grid, and the attention of [CLS] (and DeiT's [DIST]) over the
// patches for every layer and head.

import { isCount, isRecord } from '../guards';

export const VIT_IMAGE = 'vit-image';

export interface VitImageData {
  /** Image size in pixels (the model's input). */
  height: number;
  width: number;
  /** [height, width, 3] RGB bytes, row-major. */
  image: Uint8Array;
  /** Patch side in pixels; the patches form a grid × grid square from the top left. */
  patch: number;
  grid: number;
  layers: number;
  heads: number;
  /** The special tokens whose rows are given: ["[CLS]"] or ["[CLS]", "[DIST]"]. */
  queries: string[];
  /** [queries, layers, heads, grid²] attention of each query over the patches (its row without the special keys). */
  attention: Float32Array;
}

export function isVitImageData(x: unknown): x is VitImageData {
  if (!isRecord(x)) return false;
  const d = x as Partial<VitImageData>;
  if (!isCount(d.height) || !isCount(d.width) || !isCount(d.patch) || !isCount(d.grid) || !isCount(d.layers) || !isCount(d.heads)) {
    return false;
  }
  if (d.grid * d.patch > Math.min(d.height, d.width)) return false;
  if (!(d.image instanceof Uint8Array) || d.image.length !== d.height * d.width * 3) return false;
  if (!Array.isArray(d.queries) || d.queries.length === 0 || !d.queries.every((q) => typeof q === 'string')) return false;
  const size = d.queries.length * d.layers * d.heads * d.grid * d.grid;
  return d.attention instanceof Float32Array && d.attention.length === size;
}
