// The attention-sink display transform in the page: the first key and separator keys are hidden
// and each row renormalised (same function the host's CSV/JSON export uses), with one label text
// every view shows while it is on, so nobody mistakes the picture for the model's own numbers.
import { hideSinkColumns, sinkColumns } from '../../common/aggregates';
import type { RunMeta } from '../../common/webview';
import { displayToken, el } from '../shared/dom';

export const SINK_LABEL =
  'Display transform: attention to the first token and [SEP]/end tokens hidden, rows renormalised — not the model’s own numbers.';

/**
 * Architectures whose keys are image locations, not tokens: show-attend-tell's keys are grid cells of
 * the CNN features, the image transformer's are pixels in raster order. Their key 0 is the picture's
 * top-left corner, not a first token a model parks attention on, so the toggle is not offered and is
 * off for their runs. ViT/DeiT keep it: their key 0 is [CLS], a real token, and patches do send it
 * attention the way text tokens send it to [CLS]/BOS.
 */
const IMAGE_KEYS = new Set(['show-attend-tell', 'image-transformer']);

/** Whether "hide attention sink" means something for this run (no run yet: offered). */
export function sinkOffered(meta: RunMeta | undefined): boolean {
  return !meta || !IMAGE_KEYS.has(meta.model.architecture);
}

export interface SinkApplied {
  probs: Float32Array;
  hidden: Set<number>;
}

/** `probs` [queries, keys] with the sink columns of `keyTokens` hidden, or unchanged when `on` is false. */
export function applySink(on: boolean, probs: Float32Array, queries: number, keys: number, keyTokens: readonly string[]): SinkApplied {
  if (!on) return { probs, hidden: new Set() };
  const cols = sinkColumns(keyTokens.slice(0, keys));
  return { probs: hideSinkColumns(probs, queries, keys, cols), hidden: new Set(cols) };
}

/** The visible badge views put above a transformed picture. */
export function sinkBadge(hidden: ReadonlySet<number>, keyTokens: readonly string[]): HTMLElement {
  const names = [...hidden].map((j) => `${displayToken(keyTokens[j] ?? `#${j}`)} (#${j})`).join(', ');
  return el('div', { className: 'transform-badge', attrs: { role: 'note' }, text: `${SINK_LABEL} Hidden keys: ${names || 'none'}.` });
}
