// Attention diff (issue 9.1): two runs — one model on two inputs, or two models on one input —
// compared head by head. Heads are matched by (part, layer, head) and compared only when both runs
// have that head with the same [queries, keys] shape: JSD compares row i of one run with row i of
// the other, which only means something when the rows line up. Unequal token counts are refused
// with a message instead of being padded or truncated.
import type { RunResult } from '../engine/types';
import { headJsd } from './aggregates';
import { axisTokens, findLayer, layersOf, PART_ORDER } from './headData';
import type { CompareHeadMessage, ComparePart, CompareRank } from './views';

export interface CompareInput {
  result: RunResult;
  label: string;
}

export interface CompareData {
  parts: ComparePart[];
  ranking: CompareRank[];
  message?: string;
}

/** Matched parts and heads ranked by JSD (largest first), or a message saying why none match. */
export function compareRuns(a: CompareInput, b: CompareInput): CompareData {
  const parts: ComparePart[] = [];
  const ranking: CompareRank[] = [];
  const mismatches: string[] = [];
  for (const part of PART_ORDER) {
    const la = layersOf(a.result, part);
    const lb = layersOf(b.result, part);
    if (la.length === 0 || lb.length === 0) {
      if (la.length + lb.length > 0) mismatches.push(`only ${la.length ? a.label : b.label} has ${part} attention`);
      continue;
    }
    const { queries, keys } = la[0];
    if (lb[0].queries !== queries || lb[0].keys !== keys) {
      mismatches.push(`${part} attention is ${queries}×${keys} tokens in ${a.label} but ${lb[0].queries}×${lb[0].keys} in ${b.label}`);
      continue;
    }
    let any = false;
    for (const x of la) {
      const y = findLayer(b.result, part, x.layer);
      if (!y || y.queries !== queries || y.keys !== keys) continue;
      for (let h = 0; h < Math.min(x.heads, y.heads); h++) {
        ranking.push({ part, layer: x.layer, head: h, jsd: headJsd(x, y, h) });
        any = true;
      }
    }
    if (!any) continue;
    parts.push({
      part,
      queries,
      keys,
      a: axisTokens(a.result, part, queries, keys),
      b: axisTokens(b.result, part, queries, keys),
    });
  }
  ranking.sort((x, y) => y.jsd - x.jsd || x.layer - y.layer || x.head - y.head);
  if (ranking.length > 0) return { parts, ranking };
  const why = mismatches.length > 0 ? mismatches.join('; ') : 'the two runs have no attention head in common';
  return {
    parts: [],
    ranking: [],
    message:
      `Cannot compare: ${why}. Heads are compared row by row (query i with query i), so both runs need the same number of tokens; ` +
      'choose inputs that tokenize to the same length.',
  };
}

/** Both runs' [queries, keys] probabilities of one head, or a sentence saying why not. */
export function compareHead(
  a: RunResult,
  b: RunResult,
  req: { requestId: number; compareId: number; part: CompareRank['part']; layer: number; head: number },
): CompareHeadMessage | string {
  const x = findLayer(a, req.part, req.layer);
  const y = findLayer(b, req.part, req.layer);
  if (!x || !y) return `One of the runs has no ${req.part} layer ${req.layer}.`;
  if (req.head >= x.heads || req.head >= y.heads) return `${req.part} layer ${req.layer} has no head ${req.head} in both runs.`;
  if (x.queries !== y.queries || x.keys !== y.keys) return `${req.part} layer ${req.layer} differs in shape between the runs.`;
  const n = x.queries * x.keys;
  const from = req.head * n;
  const mask = x.mask ?? y.mask;
  return {
    type: 'compareHead',
    requestId: req.requestId,
    compareId: req.compareId,
    part: req.part,
    layer: req.layer,
    head: req.head,
    queries: x.queries,
    keys: x.keys,
    a: x.probs.slice(from, from + n),
    b: y.probs.slice(from, from + n),
    ...(mask ? { mask: mask.slice(0, n) } : {}),
  };
}
