// A RunResult of BERT-base shape (12 layers × 12 heads over n tokens) for the render bench, built
// fast without a model: each row a seeded random distribution (peaked, sums to 1). Only the shape
// and that rows are distributions matter to the page; (c) uses the real engine.
import type { AttentionLayer, RunResult } from '../../src/engine/types';
import { syntheticResult } from '../../test/webview/synthetic';

export function bertShapedResult(n: number, layers = 12, heads = 12): RunResult {
  const base = syntheticResult();
  const tokens = Array.from({ length: n }, (_, i) => (i === 0 ? '[CLS]' : i === n - 1 ? '[SEP]' : `w${i}`));
  let seed = 12345;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
  const attentions: AttentionLayer[] = [];
  for (let l = 0; l < layers; l++) {
    const probs = new Float32Array(heads * n * n); // [heads, n, n]
    const scores = new Float32Array(heads * n * n); // [heads, n, n]: log of probs, up to a constant
    const rowEntropy = new Float32Array(heads * n); // [heads, n]: as the engine's softmax gives them
    for (let r = 0; r < heads * n; r++) {
      const row = probs.subarray(r * n, (r + 1) * n);
      let sum = 0;
      for (let j = 0; j < n; j++) sum += row[j] = rnd() ** 8 + 1e-9;
      for (let j = 0; j < n; j++) {
        row[j] /= sum;
        scores[r * n + j] = Math.log(row[j]);
        rowEntropy[r] -= row[j] * scores[r * n + j];
      }
    }
    attentions.push({ part: 'encoder', layer: l, heads, queries: n, keys: n, probs, scores, rowEntropy });
  }
  return {
    ...base,
    model: {
      ...base.model,
      name: `BERT-base shape (${layers}×${heads} heads, n=${n})`,
      kind: 'encoder',
      details: { d_model: 768, heads, encoder_layers: layers },
      parts: [{ part: 'encoder', layers, heads }],
    },
    tokens: { source: tokens, target: [] },
    ids: { source: tokens.map((_, i) => i), target: [] },
    attentions,
    addNorm: [],
  };
}
