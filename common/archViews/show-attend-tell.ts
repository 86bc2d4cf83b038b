// App view data of the Show, Attend and Tell models (architecture "show-attend-tell"): the input
// image, the CNN's location grid, and per generated word the soft attention α over the locations.

import { isCount, isRecord } from '../guards';

export const SHOW_ATTEND_TELL = 'show-attend-tell';

export interface ShowAttendTellData {
  /** Image size in pixels. */
  height: number;
  width: number;
  /** [height, width, 3] RGB bytes, row-major. */
  image: Uint8Array;
  /** The CNN's feature grid: location i = row · cols + col covers an equal share of the image. */
  rows: number;
  cols: number;
  /** The word the decoder outputs at each step (one per attention row). */
  words: string[];
  /** [words, rows · cols] α_ti; each row sums to 1. */
  alpha: Float32Array;
  /** [words] the gating scalar β_t = σ(f_β(h_t−1)) that scales the context, when the model has it. */
  beta?: Float32Array;
}

export function isShowAttendTellData(x: unknown): x is ShowAttendTellData {
  if (!isRecord(x)) return false;
  const d = x as Partial<ShowAttendTellData>;
  if (!isCount(d.height) || !isCount(d.width) || !isCount(d.rows) || !isCount(d.cols)) return false;
  if (!(d.image instanceof Uint8Array) || d.image.length !== d.height * d.width * 3) return false;
  if (!Array.isArray(d.words) || !d.words.every((w) => typeof w === 'string')) return false;
  if (!(d.alpha instanceof Float32Array) || d.alpha.length !== d.words.length * d.rows * d.cols) return false;
  if (d.beta !== undefined && (!(d.beta instanceof Float32Array) || d.beta.length !== d.words.length)) return false;
  return true;
}
