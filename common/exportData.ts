// CSV and JSON of one head for Export View…, written by the host from its own copy of the run
// (the page only says which head is on screen). Both carry a title naming model, part, layer,
// head and input, and — when the page had the attention-sink display transform on — the
// transformed matrix next to the model's own numbers, labelled as such.
import type { RunResult } from '../src/engine/types';
import { hideSinkColumns, sinkColumns } from './aggregates';
import { axisTokens, findLayer, sliceHead } from './headData';
import type { Part } from '../src/engine/types';

export interface ExportHead {
  part: Part;
  layer: number;
  head: number;
}

/** "model · encoder layer 2 head 5 · input: the cat sat" */
export function exportTitle(result: RunResult, head: ExportHead | undefined, view: string): string {
  const input = result.tokens.source.join(' ');
  const where = head ? `${head.part} layer ${head.layer} head ${head.head}` : view;
  return `${result.model.name} · ${where} · input: ${input.length > 200 ? `${input.slice(0, 200)}…` : input}`;
}

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The head's matrix as text; undefined when the run has no such head. */
export function exportHeadText(result: RunResult, head: ExportHead, format: 'csv' | 'json', sink: boolean): string | undefined {
  const layer = findLayer(result, head.part, head.layer);
  if (!layer || head.head >= layer.heads) return undefined;
  const s = sliceHead(layer, head.head); // [queries, keys]
  const { queryTokens, keyTokens } = axisTokens(result, head.part, s.queries, s.keys);
  const hidden = sink ? sinkColumns(keyTokens) : [];
  const shown = sink ? hideSinkColumns(s.probs, s.queries, s.keys, hidden) : undefined;
  const title = exportTitle(result, head, '');
  const rows = (m: Float32Array) => Array.from({ length: s.queries }, (_, i) => Array.from(m.subarray(i * s.keys, (i + 1) * s.keys)));
  if (format === 'json') {
    return JSON.stringify(
      {
        title,
        model: result.model.name,
        file: result.model.file,
        part: head.part,
        layer: head.layer,
        head: head.head,
        input: result.tokens.source.join(' '),
        axes: { rows: 'query = token attending', columns: 'key = token attended to' },
        queryTokens,
        keyTokens,
        probabilities: rows(s.probs),
        scores: rows(s.scores),
        ...(s.mask
          ? { mask: Array.from({ length: s.queries }, (_, i) => Array.from(s.mask!.subarray(i * s.keys, (i + 1) * s.keys))) }
          : {}),
        ...(shown ? { displayTransform: { name: 'attention sink hidden', hiddenKeys: hidden, probabilities: rows(shown) } } : {}),
      },
      null,
      1,
    );
  }
  const lines = [`# ${title}`, '# rows: query = token attending; columns: key = token attended to; values: attention probability'];
  const table = (m: Float32Array) => {
    lines.push(['query \\ key', ...keyTokens].map(csvCell).join(','));
    for (let i = 0; i < s.queries; i++)
      lines.push([csvCell(queryTokens[i]), ...Array.from(m.subarray(i * s.keys, (i + 1) * s.keys), (v) => String(v))].join(','));
  };
  table(s.probs);
  if (shown) {
    lines.push('', `# display transform: key columns ${hidden.join(', ')} hidden (attention sink), rows renormalised`);
    table(shown);
  }
  return lines.join('\n') + '\n';
}
