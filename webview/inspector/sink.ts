// The attention-sink display transform in the page: the first key and separator keys are hidden
// and each row renormalised (same function the host's CSV/JSON export uses), with one label text
// every view shows while it is on, so nobody mistakes the picture for the model's own numbers.
import { hideSinkColumns, sinkColumns } from '../../common/aggregates';
import { displayToken, el } from '../shared/dom';

export const SINK_LABEL =
  'Display transform: attention to the first token and [SEP]/end tokens hidden, rows renormalised — not the model’s own numbers.';

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
