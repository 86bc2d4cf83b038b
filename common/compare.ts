// Attention diff (issue 9.1): two runs — one model on two inputs, or two models on one input —
// compared head by head. Heads are matched by (part, layer, head). JSD compares row i of one run
// with row i of the other, which only means something when the rows line up: heads are ranked and
// B − A is drawn only where both runs have the same [queries, keys]. Where the token counts differ
// the heads are listed unranked and each run's head is shown on its own axes, never padded or cut.
import type { RunResult } from '../src/engine/types';
import { headJsd } from './aggregates';
import { axisTokens, findLayer, layersOf, PART_ORDER } from './headData';
import type { CompareAxis, CompareHeadMessage, CompareHeadRef, ComparePart, CompareRank } from './views';

export interface CompareInput {
  result: RunResult;
  label: string;
}

export interface CompareData {
  parts: ComparePart[];
  ranking: CompareRank[];
  unranked: CompareHeadRef[];
  message?: string;
}

const axis = (r: RunResult, part: CompareHeadRef['part'], queries: number, keys: number): CompareAxis => ({
  queries,
  keys,
  ...axisTokens(r, part, queries, keys),
});
const shape = (x: { queries: number; keys: number }) => `${x.queries} × ${x.keys}`;

/**
 * Matched parts; heads of same-shape parts ranked by JSD (largest first), the others unranked;
 * and a message saying in words what is not ranked or not compared, and why.
 */
export function compareRuns(a: CompareInput, b: CompareInput): CompareData {
  const parts: ComparePart[] = [];
  const ranking: CompareRank[] = [];
  const unranked: CompareHeadRef[] = [];
  const missing: string[] = [];
  const differ: string[] = [];
  for (const part of PART_ORDER) {
    const la = layersOf(a.result, part);
    const lb = layersOf(b.result, part);
    if (la.length === 0 || lb.length === 0) {
      if (la.length + lb.length > 0) missing.push(`only ${la.length ? a.label : b.label} has ${part} attention`);
      continue;
    }
    const x0 = la[0],
      y0 = lb[0];
    const sameShape = x0.queries === y0.queries && x0.keys === y0.keys;
    const heads: CompareHeadRef[] = [];
    for (const x of la) {
      const y = findLayer(b.result, part, x.layer);
      if (!y || (sameShape && (y.queries !== x.queries || y.keys !== x.keys))) continue;
      for (let h = 0; h < Math.min(x.heads, y.heads); h++) {
        if (sameShape) ranking.push({ part, layer: x.layer, head: h, jsd: headJsd(x, y, h) });
        else heads.push({ part, layer: x.layer, head: h });
      }
    }
    if (!sameShape && heads.length === 0 && !ranking.some((r) => r.part === part)) continue;
    if (!sameShape) {
      unranked.push(...heads);
      differ.push(`${part} attention is ${shape(x0)} tokens (queries × keys) in ${a.label} ` + `but ${shape(y0)} in ${b.label}`);
    }
    const [ax, bx] = [axis(a.result, part, x0.queries, x0.keys), axis(b.result, part, y0.queries, y0.keys)];
    parts.push({ part, a: ax, b: bx, sameShape });
  }
  ranking.sort((x, y) => y.jsd - x.jsd || x.layer - y.layer || x.head - y.head);
  return { parts, ranking, unranked, ...message(missing, differ, ranking.length > 0 || unranked.length > 0) };
}

function message(missing: string[], differ: string[], anything: boolean): { message?: string } {
  if (!anything) {
    return { message: `Nothing to compare: ${missing.join('; ') || 'the two runs have no attention head in common'}.` };
  }
  const out: string[] = [];
  if (differ.length > 0) {
    out.push(
      `The token counts differ: ${differ.join('; ')}. Query i of one run is not query i of the other, so these heads ` +
        'have no JSD ranking and no B − A difference; A and B are shown side by side, each on its own tokens.',
    );
  }
  if (missing.length > 0) out.push(`Not compared: ${missing.join('; ')}.`);
  return out.length ? { message: out.join(' ') } : {};
}

/** Both runs' probabilities of one head, each [queries, keys] of its own run, or a sentence saying why not. */
export function compareHead(
  a: RunResult,
  b: RunResult,
  req: { requestId: number; compareId: number; part: CompareRank['part']; layer: number; head: number },
): CompareHeadMessage | string {
  const x = findLayer(a, req.part, req.layer);
  const y = findLayer(b, req.part, req.layer);
  if (!x || !y) return `One of the runs has no ${req.part} layer ${req.layer}.`;
  if (req.head >= x.heads || req.head >= y.heads) return `${req.part} layer ${req.layer} has no head ${req.head} in both runs.`;
  const side = (l: typeof x) => {
    const n = l.queries * l.keys;
    const from = req.head * n;
    const mask = l.mask && { mask: l.mask.slice(0, n) };
    return { queries: l.queries, keys: l.keys, probs: l.probs.slice(from, from + n), ...mask };
  };
  const { requestId, compareId, part, layer, head } = req;
  return { type: 'compareHead', requestId, compareId, part, layer, head, a: side(x), b: side(y) };
}
