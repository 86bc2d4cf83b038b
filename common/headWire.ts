// One head on its way to the page with half the bytes. A head switch at n = 512 was mostly the
// transfer of its 2.25 MB from the extension host to the webview (docs/performance.md, "head switch
// breakdown"). Where the probabilities are the masked softmax of the scores (checked for each head
// by the engine worker, which holds both), only the scores and the mask travel and the page
// computes the probabilities with softmaxHead; any other head travels in full. No engine imports
// (the page bundles this file): the worker checks this softmax against the engine's numbers.
import type { HeadSlice as Head } from './headData';

/** Largest difference between the engine's probabilities and softmaxHead's that still counts as the same. */
export const SAME_PROBS = 1e-6;

/** Row-wise masked softmax of [queries, keys] scores, as the engine's softmaxRow (a fully masked row is zeros). */
export function softmaxHead(scores: Float32Array, queries: number, keys: number, mask?: Uint8Array): Float32Array {
  return softmaxRowsInto(scores, queries, keys, mask, new Float32Array(queries * keys), 0);
}

/**
 * softmaxHead of `rows` rows of scores ([rows, keys], and their mask) written into `out` from index
 * `at`, whose fully masked rows must be zeros already. Rows are independent: a head's rows done a
 * piece at a time (common/headPieces.ts) give softmaxHead's bits.
 */
export function softmaxRowsInto(
  scores: Float32Array,
  rows: number,
  keys: number,
  mask: Uint8Array | undefined,
  out: Float32Array,
  at: number,
): Float32Array {
  for (let i = 0; i < rows; i++) {
    const row = i * keys;
    let max = -Infinity;
    for (let j = row; j < row + keys; j++) if (!mask?.[j] && scores[j] > max) max = scores[j];
    if (max === -Infinity) continue;
    let sum = 0;
    for (let j = row; j < row + keys; j++) {
      const e = mask?.[j] ? 0 : Math.exp(scores[j] - max);
      out[at + j] = e;
      sum += e;
    }
    for (let j = row; j < row + keys; j++) out[at + j] /= sum;
  }
  return out;
}

/** The head without its probabilities when the scores give them back (within SAME_PROBS), else as it is. */
export function compactHead<H extends Head>(h: H): H {
  return wireHead(h).head;
}

/**
 * The head as it crosses (compactHead) and the probabilities the page will hold once it arrives:
 * the page's own softmax of the scores when they travel alone, else the ones sent.
 */
export function wireHead<H extends Head>(h: H): { head: H; pageProbs: Float32Array } {
  const { queries, keys, probs, scores, mask } = h;
  if (h.probsFromScores || probs.length !== queries * keys) return { head: h, pageProbs: probs };
  const again = softmaxHead(scores, queries, keys, mask);
  for (let i = 0; i < again.length; i++) if (!(Math.abs(again[i] - probs[i]) <= SAME_PROBS)) return { head: h, pageProbs: probs };
  return { head: { ...h, probs: new Float32Array(0), probsFromScores: true }, pageProbs: again };
}

/** Heads smaller than this cross whole without a preview: their bytes are few, and their cells big enough to print numbers. */
export const PREVIEW_MIN_CELLS = 96 * 96;

/** A kept head as the engine worker answers it: compact, with the colour levels the page paints first when asked. */
export function answerHead<H extends Head>(h: H, preview: boolean): H & Pick<Head, 'preview'> {
  const { head, pageProbs } = wireHead(h);
  return preview ? { ...head, preview: headLevels(pageProbs) } : head;
}

/** The largest probability (NaN is skipped): the top of a head's own colour scale. */
export function headMax(probs: Float32Array): number {
  let max = 0;
  for (let i = 0; i < probs.length; i++) if (probs[i] > max) max = probs[i];
  return max;
}

/** Multiplier from a probability to its ramp step on a 0…max scale (0 when the head is all zero). */
export const levelScale = (max: number): number => (max > 0 ? 255 / max : 0);

/** The ramp step (0…255) the heatmap paints a probability in; `scale` from levelScale. */
export const rampLevel = (p: number, scale: number): number => Math.max(0, Math.min(255, Math.round(p * scale)));

/**
 * A head's heatmap before its numbers: the ramp step of every cell on the head's own scale. A head
 * switch at n = 512 was mostly the trip of its 1 MB of scores to the page; these 256 KB paint the
 * same pixels, and the numbers follow (HeadPreviewMessage).
 */
export function headLevels(probs: Float32Array): { levels: Uint8Array; max: number } {
  const max = headMax(probs);
  const scale = levelScale(max);
  const levels = new Uint8Array(probs.length);
  for (let i = 0; i < probs.length; i++) levels[i] = rampLevel(probs[i], scale);
  return { levels, max };
}

/** The head with its probabilities (computed from the scores when it came compact). */
export function fullHead<H extends Head>(h: H): H {
  if (!h.probsFromScores) return h;
  const { probsFromScores: _, ...rest } = h;
  return { ...rest, probs: softmaxHead(h.scores, h.queries, h.keys, h.mask) } as H;
}

/** Whether a preview's levels and scale top fit a head of `n` cells (for the message guards). */
export function levelsFit(levels: unknown, max: unknown, n: number): boolean {
  return levels instanceof Uint8Array && levels.length === n && typeof max === 'number' && Number.isFinite(max) && max >= 0;
}

/** Whether a head's optional mask covers its `n` cells (for the message guards). */
export const maskFits = (mask: unknown, n: number): boolean => mask === undefined || (mask instanceof Uint8Array && mask.length === n);

/** Whether a head's numbers (or some rows of them) fill `n` cells: scores, probabilities as the flag says, the mask if any. */
export function numbersFit(h: { [k: string]: unknown }, n: number): boolean {
  return probsFit(h, n) && h.scores instanceof Float32Array && h.scores.length === n && maskFits(h.mask, n);
}

/** Whether `probs` has the length the head's encoding says (for the message guards). */
export function probsFit(h: { [k: string]: unknown }, n: number): boolean {
  if (h.probsFromScores !== undefined && h.probsFromScores !== true) return false;
  return h.probs instanceof Float32Array && h.probs.length === (h.probsFromScores ? 0 : n);
}
