// One head on its way to the page with half the bytes. A head switch at n = 512 was mostly the
// transfer of its 2.25 MB from the extension host to the webview (docs/performance.md, "head switch
// breakdown"). Where the probabilities are the masked softmax of the scores (checked for each head
// by the engine worker, which holds both), only the scores and the mask travel and the page
// computes the probabilities with the same function; any other head travels in full.
import { softmaxRow } from '../src/engine/attention';

/** Largest difference between the engine's probabilities and softmaxHead's that still counts as the same. */
export const SAME_PROBS = 1e-6;

interface Head {
  queries: number;
  keys: number;
  probs: Float32Array;
  scores: Float32Array;
  mask?: Uint8Array;
  /** Set when `probs` is empty: they are softmaxHead(scores, mask). */
  probsFromScores?: true;
}

/** Row-wise masked softmax of [queries, keys] scores (the engine's softmaxRow on each row). */
export function softmaxHead(scores: Float32Array, queries: number, keys: number, mask?: Uint8Array): Float32Array {
  const out = scores.slice();
  for (let i = 0; i < queries; i++) softmaxRow(out.subarray(i * keys, (i + 1) * keys), mask?.subarray(i * keys, (i + 1) * keys));
  return out;
}

/** The head without its probabilities when the scores give them back (within SAME_PROBS), else as it is. */
export function compactHead<H extends Head>(h: H): H {
  const { queries, keys, probs, scores, mask } = h;
  if (h.probsFromScores || probs.length !== queries * keys) return h;
  const again = softmaxHead(scores, queries, keys, mask);
  for (let i = 0; i < again.length; i++) if (!(Math.abs(again[i] - probs[i]) <= SAME_PROBS)) return h;
  return { ...h, probs: new Float32Array(0), probsFromScores: true };
}

/** The head with its probabilities (computed from the scores when it came compact). */
export function fullHead<H extends Head>(h: H): H {
  if (!h.probsFromScores) return h;
  const { probsFromScores: _, ...rest } = h;
  return { ...rest, probs: softmaxHead(h.scores, h.queries, h.keys, h.mask) } as H;
}

/** Whether `probs` has the length the head's encoding says (for the message guards). */
export function probsFit(h: { [k: string]: unknown }, n: number): boolean {
  if (h.probsFromScores !== undefined && h.probsFromScores !== true) return false;
  return h.probs instanceof Float32Array && h.probs.length === (h.probsFromScores ? 0 : n);
}
