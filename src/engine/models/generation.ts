// Greedy continuation of a decoder-only model over its KV cache, recorded for the inspector: the
// prompt is one forward pass, then each generated token one step whose attention row is that
// token's row of the final [queries, keys] matrix. For a causal model the stitched matrix equals
// a full forward pass over prompt + generated tokens (test/unit/engine/generation.test.ts).
import type { AddNormStep, AttentionLayer, QKV } from '../types';
import type { RunControl } from '../control';
import { recorder, type Recorder } from './transformerLayer';

/** Most tokens a run may generate (the run's memory check bounds it further). */
export const MAX_GENERATE = 4096;

/** One forward call after the cached past: records into `rec`, returns the argmax of each of its rows. */
export type DecoderStep = (ids: number[], rec: Recorder, ctl: RunControl) => number[];

export interface Continuation {
  /** Prompt + generated ids: the sequence every recorded array covers. */
  ids: number[];
  /** The generated ids (an eos id ends them and is kept, as transformers' generate keeps it). */
  generated: number[];
  /** Greedy prediction after each position of `ids`. */
  predicted: number[];
  attentions: AttentionLayer[];
  addNorm: AddNormStep[];
  qkv?: QKV[];
}

/**
 * Up to `steps` greedy tokens after `prompt`, stopping after an id in `eos`. The last generated
 * token is fed too, so it has its own attention row (and a prediction). Only the prompt's pass
 * streams partial layers: a step's one-row layers are not a picture of the run.
 */
export function greedyContinuation(
  prompt: number[],
  steps: number,
  eos: readonly number[],
  step: DecoderStep,
  withQKV: boolean,
  ctl: RunControl,
): Continuation {
  const generated: number[] = [];
  const predicted: number[] = [];
  const recs: Recorder[] = [];
  const quiet: RunControl = { isCancelled: () => ctl.isCancelled(), progress: (p) => ctl.progress(p) };
  let input = prompt;
  for (;;) {
    const rec = recorder(withQKV);
    predicted.push(...step(input, rec, recs.length === 0 ? ctl : quiet));
    recs.push(rec);
    const last = generated[generated.length - 1];
    if (generated.length === steps || (last !== undefined && eos.includes(last))) break;
    const next = predicted[predicted.length - 1];
    generated.push(next);
    ctl.progress({ done: generated.length, total: steps, message: `generated token ${generated.length}/${steps}` });
    input = [next];
  }
  const ids = [...prompt, ...generated];
  return { ids, generated, predicted, ...mergeSteps(recs, ids.length) };
}

/**
 * The steps' records as one run over `n` positions: attention rows placed at their query
 * positions (keys not yet generated are masked: probability 0, score 0), Add & Norm norms and
 * queries concatenated, keys and values from the last step (which holds them all).
 */
export function mergeSteps(recs: Recorder[], n: number): Pick<Continuation, 'attentions' | 'addNorm' | 'qkv'> {
  const first = recs[0];
  const attentions = first.attentions.map((a, i) =>
    mergeAttention(
      recs.map((r) => r.attentions[i]),
      n,
    ),
  );
  const addNorm = first.addNorm.map((s, i) => {
    const parts = recs.map((r) => r.addNorm[i]);
    return {
      ...s,
      residualNorm: concat(parts.map((p) => p.residualNorm)),
      sublayerNorm: concat(parts.map((p) => p.sublayerNorm)),
      outputNorm: concat(parts.map((p) => p.outputNorm)),
    };
  });
  const qkv = first.qkv?.map((x, i) =>
    mergeQkv(
      recs.map((r) => r.qkv![i]),
      n,
    ),
  );
  return { attentions, addNorm, ...(qkv ? { qkv } : {}) };
}

function mergeAttention(steps: AttentionLayer[], n: number): AttentionLayer {
  const { part, layer, heads: H } = steps[0];
  const probs = new Float32Array(H * n * n);
  const scores = new Float32Array(H * n * n);
  const mask = new Uint8Array(n * n).fill(1);
  const entropy = steps.every((s) => s.rowEntropy) ? new Float32Array(H * n) : undefined;
  for (const s of steps) {
    const offset = s.keys - s.queries; // positions cached before this step's first query
    for (let i = 0; i < s.queries; i++) {
      const row = offset + i;
      for (let j = 0; j < s.keys; j++) mask[row * n + j] = s.mask ? s.mask[i * s.keys + j] : j > row ? 1 : 0;
      for (let h = 0; h < H; h++) {
        const from = (h * s.queries + i) * s.keys;
        probs.set(s.probs.subarray(from, from + s.keys), (h * n + row) * n);
        scores.set(s.scores.subarray(from, from + s.keys), (h * n + row) * n);
        if (entropy) entropy[h * n + row] = s.rowEntropy![h * s.queries + i];
      }
    }
  }
  return { part, layer, heads: H, queries: n, keys: n, probs, scores, mask, ...(entropy ? { rowEntropy: entropy } : {}) };
}

function mergeQkv(steps: QKV[], n: number): QKV {
  const last = steps[steps.length - 1];
  const { heads: H, headDim: hd } = last;
  const q = new Float32Array(H * n * hd); // [H, n, hd]
  let row = 0;
  for (const s of steps) {
    for (let h = 0; h < H; h++) q.set(s.q.subarray(h * s.queries * hd, (h + 1) * s.queries * hd), (h * n + row) * hd);
    row += s.queries;
  }
  return { ...last, queries: n, keys: n, q };
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
