// Words the inspector uses for parts and statistics, in one place.
import type { Part } from '../../src/engine/types';
import type { HeadStats, RunMeta } from '../../common/webview';
import type { LayerMeta } from '../../common/headData';
import { fmt } from '../shared/dom';

export function partLabel(part: Part, meta: RunMeta): string {
  const rnn = meta.model.architecture === 'rnn-seq2seq';
  const decoderOnly = meta.model.kind === 'decoder';
  // Architectures whose one attention is not a transformer part: say what the rows are.
  if (meta.model.architecture === 'narm') return 'Local attention over the clicked items (row t: session cut after click t)';
  if (meta.model.architecture === 'attention-rnn') return 'Attention over the previous steps (window, masked outside)';
  switch (part) {
    case 'encoder':
      return 'Encoder self-attention';
    case 'decoder':
      return decoderOnly ? 'Self-attention (causal)' : 'Decoder self-attention (causal)';
    case 'cross':
      return rnn ? 'Attention (decoder → encoder)' : 'Cross-attention (decoder → encoder)';
  }
}

export type SortKey = 'grid' | keyof HeadStats;

export const SORT_OPTIONS: { value: SortKey; label: string }[] = [
  { value: 'grid', label: 'Layer × head (grid)' },
  { value: 'entropy', label: 'Entropy, low → high (focused first)' },
  { value: 'max', label: 'Max probability, high → low' },
  { value: 'toFirst', label: 'Attention to first token, high → low' },
  { value: 'toSep', label: 'Attention to [SEP]/end, high → low' },
  { value: 'toSelf', label: 'Attention to self, high → low' },
];

export const STAT_LABELS: Record<keyof HeadStats, string> = {
  entropy: 'entropy (nats)',
  max: 'max probability',
  toFirst: '→ first token',
  toSep: '→ [SEP] / end',
  toSelf: '→ self',
};

/** Sort value where larger = earlier; null stats go last. */
export function sortValue(stats: HeadStats, key: keyof HeadStats): number {
  const v = stats[key];
  if (v === null) return -Infinity;
  return key === 'entropy' ? -v : v;
}

/** ‖W_Q‖ … ‖W_O‖ of one head, when the run carries the weight norms. */
export function normRows(norms: LayerMeta['norms'], head: number): { label: string; value: string }[] {
  if (!norms) return [];
  return (['q', 'k', 'v', 'o'] as const)
    .filter((k) => norms[k] !== undefined)
    .map((k) => ({ label: `‖W_${k.toUpperCase()}‖ head slice`, value: fmt(norms[k]![head]) }));
}
