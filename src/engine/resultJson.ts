// The CLI's JSON form of a run: {model, tokens, ids, predicted?, attentions: {part: P}} with P
// nested as [layer][head][query][key]. Only this output nests arrays; the engine never does.
import type { AttentionLayer, Part, RunResult } from './types';

/** [layer][head][query][key] nested arrays for the JSON output (the engine itself never nests). */
export function nestAttentions(layers: AttentionLayer[], part: Part): number[][][][] | undefined {
  const mine = layers.filter((l) => l.part === part).sort((a, b) => a.layer - b.layer);
  if (mine.length === 0) return undefined;
  return mine.map((l) =>
    Array.from({ length: l.heads }, (_, h) =>
      Array.from({ length: l.queries }, (_, i) => Array.from(l.probs.subarray((h * l.queries + i) * l.keys, (h * l.queries + i + 1) * l.keys))),
    ),
  );
}

export function resultToJson(r: RunResult): object {
  const attentions: Record<string, number[][][][]> = {};
  for (const part of ['encoder', 'decoder', 'cross'] as const) {
    const p = nestAttentions(r.attentions, part);
    if (p) attentions[part] = p;
  }
  return {
    model: r.model,
    tokens: r.tokens,
    ids: r.ids,
    ...(r.predicted ? { predicted: r.predicted } : {}),
    attentions,
  };
}

