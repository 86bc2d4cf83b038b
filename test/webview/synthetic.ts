// A RunResult built in the test itself: real softmax(QKᵀ/√d) attention from small seeded random
// Q and K, computed in float64, plus closed-form heads whose answer is known without a computer:
//  - encoder L0 H0 has Q = 0, so every score is 0 and every row is exactly uniform (1/keys);
//  - encoder L1 H2 has a strong diagonal (score 4 on i = j, 0 elsewhere), so p(i,i) = e⁴/(e⁴+k−1).
// The decoder self-attention is causal (key j > query i masked); cross-attention is not.
import type { AttentionLayer, Part, RunResult } from '../../src/engine/types';

export const HOSTILE_TOKEN = '<img src=x onerror="window.__pwned=1">';
export const SOURCE = ['[CLS]', 'the', 'cat', HOSTILE_TOKEN, 'sat', '[SEP]'];
export const TARGET = ['<s>', 'le', 'chat', "s'assit", '</s>'];
export const LAYERS = 2;
export const HEADS = 3;
export const HEAD_DIM = 4;
export const DIAGONAL_SCORE = 4;

/** Mulberry32: a tiny seeded PRNG so the fixture is the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Softmax of one row in float64 with masked entries → 0 (reference, independent of the engine). */
export function softmax64(scores: number[], masked: boolean[] = []): number[] {
  const live = scores.map((s, j) => (masked[j] ? -Infinity : s));
  const m = Math.max(...live);
  const e = live.map((s) => (s === -Infinity ? 0 : Math.exp(s - m)));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / sum);
}

type HeadScores = (queries: number, keys: number, i: number, j: number) => number;

function layer(
  part: Part,
  index: number,
  queries: number,
  keys: number,
  causal: boolean,
  headScore: (h: number) => HeadScores,
): AttentionLayer {
  const n = queries * keys;
  const probs = new Float32Array(HEADS * n);
  const scores = new Float32Array(HEADS * n);
  const mask = causal ? new Uint8Array(n) : undefined;
  if (mask) for (let i = 0; i < queries; i++) for (let j = i + 1; j < keys; j++) mask[i * keys + j] = 1;
  for (let h = 0; h < HEADS; h++) {
    const f = headScore(h);
    for (let i = 0; i < queries; i++) {
      const row = Array.from({ length: keys }, (_, j) => f(queries, keys, i, j));
      const p = softmax64(
        row,
        row.map((_, j) => !!mask?.[i * keys + j]),
      );
      for (let j = 0; j < keys; j++) {
        scores[h * n + i * keys + j] = row[j];
        probs[h * n + i * keys + j] = p[j];
      }
    }
  }
  return { part, layer: index, heads: HEADS, queries, keys, probs, scores, mask };
}

/** q·k/√d from random Q [queries, d] and K [keys, d], as a score function. */
function randomQK(seed: number, queries: number, keys: number): HeadScores {
  const r = rng(seed);
  const q = Array.from({ length: queries }, () => Array.from({ length: HEAD_DIM }, () => (r() * 2 - 1) * 2));
  const k = Array.from({ length: keys }, () => Array.from({ length: HEAD_DIM }, () => (r() * 2 - 1) * 2));
  return (_q, _k, i, j) => q[i].reduce((s, x, d) => s + x * k[j][d], 0) / Math.sqrt(HEAD_DIM);
}

/** The encoder–decoder run; other `source` / `target` tokens give runs of other lengths (Compare). */
export function syntheticResult(source: readonly string[] = SOURCE, target: readonly string[] = TARGET): RunResult {
  const S = source.length;
  const T = target.length;
  const attentions: AttentionLayer[] = [];
  for (let l = 0; l < LAYERS; l++) {
    attentions.push(
      layer('encoder', l, S, S, false, (h) => {
        if (l === 0 && h === 0) return () => 0; // Q = 0: uniform rows
        if (l === 1 && h === 2) return (_q, _k, i, j) => (i === j ? DIAGONAL_SCORE : 0);
        return randomQK(100 + l * 10 + h, S, S);
      }),
    );
    attentions.push(layer('decoder', l, T, T, true, (h) => randomQK(200 + l * 10 + h, T, T)));
    attentions.push(layer('cross', l, T, S, false, (h) => randomQK(300 + l * 10 + h, T, S)));
  }
  return {
    model: {
      name: 'synthetic-enc-dec',
      file: '/fixtures/synthetic.model.json',
      architecture: 'transformer',
      kind: 'encoder-decoder',
      parameters: 12345,
      details: { d_model: HEADS * HEAD_DIM, heads: HEADS, encoder_layers: LAYERS, decoder_layers: LAYERS },
      parts: (['encoder', 'decoder', 'cross'] as const).map((part) => ({ part, layers: LAYERS, heads: HEADS })),
      examples: [],
    },
    tokens: { source: [...source], target: [...target] },
    ids: { source: source.map((_, i) => i), target: target.map((_, i) => i) },
    attentions,
    addNorm: [],
  };
}

/** A BERT-base-sized grid (12 × 12 heads) over `n` tokens, random Q/K: for layout and speed. */
export function largeResult(n = 64, layers = 12, heads = 12): RunResult {
  const tokens = Array.from({ length: n }, (_, i) => (i === 0 ? '[CLS]' : i === n - 1 ? '[SEP]' : `tok${i}`));
  const attentions: AttentionLayer[] = [];
  for (let l = 0; l < layers; l++) {
    const probs = new Float32Array(heads * n * n);
    const scores = new Float32Array(heads * n * n);
    for (let h = 0; h < heads; h++) {
      const f = randomQK(1000 + l * 100 + h, n, n);
      for (let i = 0; i < n; i++) {
        const row = Array.from({ length: n }, (_, j) => f(n, n, i, j));
        const p = softmax64(row);
        for (let j = 0; j < n; j++) {
          scores[(h * n + i) * n + j] = row[j];
          probs[(h * n + i) * n + j] = p[j];
        }
      }
    }
    attentions.push({ part: 'encoder', layer: l, heads, queries: n, keys: n, probs, scores });
  }
  const base = syntheticResult();
  return {
    ...base,
    model: { ...base.model, name: 'synthetic-large', kind: 'encoder', details: { layers, heads, tokens: n } },
    tokens: { source: tokens, target: [] },
    ids: { source: tokens.map((_, i) => i), target: [] },
    attentions,
  };
}

/** Probability of one cell, straight from the result (the webview must show this number). */
export function prob(result: RunResult, part: Part, l: number, h: number, i: number, j: number): number {
  const a = result.attentions.find((x) => x.part === part && x.layer === l);
  if (!a) throw new Error(`no ${part} layer ${l}`);
  return a.probs[(h * a.queries + i) * a.keys + j];
}
