// A toy-attention model file for the tests, and its attention computed independently (float64,
// straight from the formula, no engine code).
import * as fs from 'fs';
import * as path from 'path';

export const TOY_TOKENS = ['the', 'cat', 'sat', 'on', 'mat'];
export const TOY_D = 4;
export const TOY_HEADS = 2;

/** Embeddings [vocab, d]: distinct, not symmetric, so every head's rows differ. */
export function toyEmbeddings(): number[][] {
  return TOY_TOKENS.map((_, t) => Array.from({ length: TOY_D }, (_, j) => Math.sin(1 + 3 * t + 1.7 * j) * (1 + (t % 2))));
}

/** Writes `<dir>/toy.model.json` with inline float32 weights; `config` overrides the defaults. */
export function writeToyModel(dir: string, config: Record<string, unknown> = {}, name = 'toy.model.json'): string {
  const E = toyEmbeddings().flat();
  const bytes = Buffer.alloc(E.length * 4);
  E.forEach((v, i) => bytes.writeFloatLE(v, i * 4));
  const doc = {
    format: 'attention-inspector/model',
    version: 1,
    name: 'toy',
    architecture: 'toy-attention',
    config: { vocab_size: TOY_TOKENS.length, d_model: TOY_D, heads: TOY_HEADS, ...config },
    vocab: { tokens: TOY_TOKENS },
    examples: [{ text: 'the cat sat' }],
    weights: { inline: { 'embed.tokens': { shape: [TOY_TOKENS.length, TOY_D], data: bytes.toString('base64') } } },
  };
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify(doc));
  return file;
}

/** [head][query][key] softmax(E_h[i]·E_h[j] / √d_head), with keys after the query hidden when causal. */
export function toyReference(ids: number[], heads = TOY_HEADS, causal = false): number[][][] {
  const E = toyEmbeddings().map((row) => row.map((v) => Math.fround(v))); // the file stores float32
  const dh = TOY_D / heads;
  return Array.from({ length: heads }, (_, h) =>
    ids.map((a, i) => {
      const s = ids.map((b, j) => {
        if (causal && j > i) return -Infinity;
        let dot = 0;
        for (let c = h * dh; c < (h + 1) * dh; c++) dot += E[a][c] * E[b][c];
        return dot / Math.sqrt(dh);
      });
      const max = Math.max(...s);
      const e = s.map((v) => Math.exp(v - max));
      const sum = e.reduce((x, y) => x + y, 0);
      return e.map((v) => v / sum);
    }),
  );
}
