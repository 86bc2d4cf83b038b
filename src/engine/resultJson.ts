// The CLI's JSON form of a run: {model, tokens, ids, generated?, predicted?, attentions: {part: P}} with P
// nested as [layer][head][query][key]. Only this output nests arrays; the engine never does.
// writeResultJson streams the same text, since a real-size run's is longer than any JS string.
import type { AttentionLayer, Part, RunResult } from './types';

/** [layer][head][query][key] nested arrays for the JSON output (the engine itself never nests). */
export function nestAttentions(layers: AttentionLayer[], part: Part): number[][][][] | undefined {
  const mine = layers.filter((l) => l.part === part).sort((a, b) => a.layer - b.layer);
  if (mine.length === 0) return undefined;
  return mine.map((l) =>
    Array.from({ length: l.heads }, (_, h) =>
      Array.from({ length: l.queries }, (_, i) =>
        Array.from(l.probs.subarray((h * l.queries + i) * l.keys, (h * l.queries + i + 1) * l.keys)),
      ),
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
    ...(r.generated ? { generated: r.generated } : {}),
    ...(r.predicted ? { predicted: r.predicted } : {}),
    attentions,
  };
}

/**
 * Writes the text of JSON.stringify(resultToJson(r)) in pieces of about `chunk` characters: a
 * BERT-base run at 512 tokens is ~700 MB of JSON, over the longest string V8 makes ("Invalid
 * string length"), so the attention rows are written as they are formatted, never joined.
 */
export function writeResultJson(r: RunResult, write: (text: string) => void, chunk = 1 << 20): void {
  let buf: string[] = [];
  let size = 0;
  const put = (t: string) => {
    buf.push(t);
    size += t.length;
    if (size >= chunk) flush();
  };
  const flush = () => {
    if (size) write(buf.join(''));
    buf = [];
    size = 0;
  };
  const head = {
    model: r.model,
    tokens: r.tokens,
    ids: r.ids,
    ...(r.generated ? { generated: r.generated } : {}),
    ...(r.predicted ? { predicted: r.predicted } : {}),
  };
  put(JSON.stringify(head).slice(0, -1) + ',"attentions":{');
  let firstPart = true;
  for (const part of ['encoder', 'decoder', 'cross'] as const) {
    const mine = r.attentions.filter((l) => l.part === part).sort((a, b) => a.layer - b.layer);
    if (mine.length === 0) continue;
    put(`${firstPart ? '' : ','}"${part}":[`);
    firstPart = false;
    mine.forEach((l, li) => {
      put(li ? ',[' : '[');
      for (let h = 0; h < l.heads; h++) {
        put(h ? ',[' : '[');
        for (let i = 0; i < l.queries; i++) {
          const row = l.probs.subarray((h * l.queries + i) * l.keys, (h * l.queries + i + 1) * l.keys);
          put((i ? ',' : '') + JSON.stringify(Array.from(row)));
        }
        put(']');
      }
      put(']');
    });
    put(']');
  }
  put('}}');
  flush();
}
