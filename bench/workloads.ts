// The three workloads of issue 7, built from seeded random weights so that our engine and the
// ONNX graph (bench/onnxGraph.ts) see exactly the same numbers.
//   W1: one multi-head self-attention sub-layer (Q, K, V, O projections), n tokens, d = 768, 12 heads
//   W2: BERT-base encoder stack: 12 post-LN layers, d = 768, 12 heads, d_ff = 3072, exact GELU
//   W3: 6-layer decoder (d = 512, 8 heads, d_ff = 2048) with cross-attention over a 64×512
//       memory, 64 greedy steps with the KV cache
// Inputs are random hidden states (no embedding lookup) for W1/W2; W3 embeds its own tokens.
import type { Kernels } from '../src/engine/kernels/reference';
import type { TransformerConfig } from '../src/engine/format/loaded';
import type { LoadedModel } from '../src/engine/format/loaded';
import type { Tensor } from '../src/engine/tensor';
import { toFloat32 } from '../src/engine/weights';
import {
  LayerRunner,
  type AttentionWeights,
  type LayerWeights,
  type Linear,
  type Norm,
  type Recorder,
} from '../src/engine/models/transformerLayer';
import { argmaxRows, TransformerModel } from '../src/engine/models/transformer';
import { rng } from '../test/helpers/randomModel';

export interface EncoderShape {
  d: number;
  heads: number;
  dFf: number;
  layers: number;
}
export const BERT_BASE: EncoderShape = { d: 768, heads: 12, dFf: 3072, layers: 12 };
export const W3_SHAPE = { d: 512, heads: 8, dFf: 2048, layers: 6, memory: 64, steps: 64, vocab: 1000 };

/** Uniform(-1/√fan_in, 1/√fan_in) like torch.nn.Linear, from one seeded stream. */
export function randomArray(rand: () => number, n: number, fanIn: number): Float32Array {
  const a = new Float32Array(n);
  const s = 1 / Math.sqrt(fanIn);
  for (let i = 0; i < n; i++) a[i] = (rand() * 2 - 1) * s;
  return a;
}

function lin(rand: () => number, out: number, inp: number): Linear {
  return { w: randomArray(rand, out * inp, inp), b: randomArray(rand, out, inp), out, in: inp };
}
function norm(rand: () => number, d: number): Norm {
  const gamma = new Float32Array(d);
  const beta = new Float32Array(d);
  for (let i = 0; i < d; i++) {
    gamma[i] = 1 + 0.1 * (rand() * 2 - 1);
    beta[i] = 0.1 * (rand() * 2 - 1);
  }
  return { gamma, beta };
}
function attn(rand: () => number, d: number): AttentionWeights {
  return { q: lin(rand, d, d), k: lin(rand, d, d), v: lin(rand, d, d), o: lin(rand, d, d) };
}

export function randomEncoderLayers(s: EncoderShape, seed: number, cross = false): LayerWeights[] {
  const rand = rng(seed);
  return Array.from({ length: s.layers }, () => ({
    selfAttn: attn(rand, s.d),
    selfNorm: norm(rand, s.d),
    cross: cross ? attn(rand, s.d) : undefined,
    crossNorm: cross ? norm(rand, s.d) : undefined,
    fc1: lin(rand, s.dFf, s.d),
    fc2: lin(rand, s.d, s.dFf),
    ffnNorm: norm(rand, s.d),
  }));
}

export function encoderConfig(s: EncoderShape): TransformerConfig {
  return {
    kind: 'encoder',
    vocab_size: 1,
    d_model: s.d,
    heads: s.heads,
    d_ff: s.dFf,
    encoder_layers: s.layers,
    decoder_layers: 0,
    activation: 'gelu',
    norm: 'post',
    layer_norm_eps: 1e-12,
    positions: 'none',
    max_positions: 4096,
    scale_embedding: false,
    embedding_norm: false,
    final_norm: false,
    token_types: 0,
  };
}

export function randomHidden(n: number, d: number, seed: number): Float32Array {
  const rand = rng(seed);
  const x = new Float32Array(n * d);
  for (let i = 0; i < x.length; i++) x[i] = rand() * 2 - 1;
  return x;
}

export interface W1Result {
  out: Float32Array;
  probs: Float32Array;
  scores: Float32Array;
}

/** W1 through the engine's LayerRunner.attention (the code path every model uses). */
export function runW1(kernels: Kernels, s: EncoderShape, layer: LayerWeights, x: Float32Array, n: number): W1Result {
  const run = new LayerRunner(kernels, encoderConfig(s));
  const rec: Recorder = { attentions: [], addNorm: [] };
  const out = run.attention(x, n, layer.selfAttn, 'self', { part: 'encoder', layer: 0 }, rec);
  return { out, probs: rec.attentions[0].probs, scores: rec.attentions[0].scores };
}

/** W2: the encoder loop of TransformerModel.encode, starting from a hidden state. */
export function runW2(
  kernels: Kernels,
  s: EncoderShape,
  layers: LayerWeights[],
  x0: Float32Array,
  n: number,
): { out: Float32Array; rec: Recorder } {
  const cfg = encoderConfig(s);
  const run = new LayerRunner(kernels, cfg);
  const rec: Recorder = { attentions: [], addNorm: [] };
  let x = x0;
  layers.forEach((l, layer) => {
    const where = { part: 'encoder' as const, layer };
    const mid = run.addNorm(
      x,
      n,
      l.selfNorm,
      (h) => run.attention(h, n, l.selfAttn, 'self', where, rec),
      { ...where, sublayer: 'self_attn' },
      rec,
    );
    if (x !== x0) run.release(x);
    x = run.addNorm(mid, n, l.ffnNorm, (h) => run.feedForward(h, n, l, cfg.activation), { ...where, sublayer: 'ffn' }, rec);
    run.release(mid);
  });
  return { out: x, rec };
}

export interface W3Model {
  config: TransformerConfig;
  layers: LayerWeights[];
  tokens: Float32Array; // [vocab, d]
  memory: Float32Array; // [m, d]
}

export function randomW3(seed: number): W3Model {
  const s = W3_SHAPE;
  const rand = rng(seed);
  const layers = randomEncoderLayers({ d: s.d, heads: s.heads, dFf: s.dFf, layers: s.layers }, seed + 1, true);
  const tokens = randomArray(rand, s.vocab * s.d, s.d);
  const memory = randomHidden(s.memory, s.d, seed + 2);
  const config: TransformerConfig = {
    kind: 'encoder-decoder',
    vocab_size: s.vocab,
    d_model: s.d,
    heads: s.heads,
    d_ff: s.dFf,
    encoder_layers: 0,
    decoder_layers: s.layers,
    activation: 'relu',
    norm: 'post',
    layer_norm_eps: 1e-5,
    positions: 'sinusoidal',
    max_positions: 128,
    scale_embedding: true,
    embedding_norm: false,
    final_norm: false,
    token_types: 0,
    bos_id: 1,
    decoder_start_id: 1,
  };
  return { config, layers, tokens, memory };
}

/** The W3 weights as a LoadedModel, so the real TransformerModel (embedding, session, logits) runs it. */
export function w3LoadedModel(m: W3Model): LoadedModel {
  const weights = new Map<string, Tensor>();
  const put = (name: string, shape: number[], data: Float32Array) => weights.set(name, { shape, data } as Tensor);
  const d = m.config.d_model;
  put('embed.tokens', [m.config.vocab_size, d], m.tokens);
  m.layers.forEach((l, i) => {
    const p = `decoder.layers.${i}`;
    const putLin = (name: string, x: Linear) => {
      put(`${name}.weight`, [x.out, x.in], toFloat32(x.w));
      put(`${name}.bias`, [x.out], x.b!);
    };
    const putNorm = (name: string, x: Norm) => {
      put(`${name}.weight`, [d], x.gamma);
      put(`${name}.bias`, [d], x.beta);
    };
    for (const [att, w] of [
      ['self_attn', l.selfAttn],
      ['cross_attn', l.cross!],
    ] as const) {
      for (const k of ['q', 'k', 'v', 'o'] as const) putLin(`${p}.${att}.${k}`, w[k]);
    }
    putNorm(`${p}.self_attn_norm`, l.selfNorm);
    putNorm(`${p}.cross_attn_norm`, l.crossNorm!);
    putLin(`${p}.ffn.fc1`, l.fc1);
    putLin(`${p}.ffn.fc2`, l.fc2);
    putNorm(`${p}.ffn_norm`, l.ffnNorm);
  });
  return { architecture: 'transformer', config: m.config, file: '<bench W3>', name: 'W3', weights, examples: [] };
}

/** W3: start token, then 64 greedy steps through the KV-cache session (no EOS stop). */
export function runW3(
  kernels: Kernels,
  m: W3Model,
  model = new TransformerModel(w3LoadedModel(m) as LoadedModel & { architecture: 'transformer' }, kernels),
): number[] {
  const session = model.session(m.memory);
  const out = [m.config.decoder_start_id!];
  for (let step = 0; step < W3_SHAPE.steps; step++) {
    const r = session.step(out[out.length - 1]);
    out.push(argmaxRows(r.logits, 1)[0]);
    session.recycle(r); // as greedyDecode does
  }
  session.close();
  return out;
}
