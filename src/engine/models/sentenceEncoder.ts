// Sentence encoder in the Universal Sentence Encoder Lite form (tensor2tensor "KonaTransformer"):
//   x = embedding_scale · embedding + t2t timing signal     [n, embed_dim]
//   each layer, pre-LN without a final norm:
//     x = P(x) + Attention(LN(x))   P = residual projection when the layer's width ≠ d_model
//     x = x + FFN(LN(x))
//   sentence = l2normalize(tanh(W · mean_t x_t + b))        [d_model]
// Layer 0 attends in embed_dim (256) and its output projection widens to d_model (512).
// Attention, LayerNorm, FFN and Add come from transformerLayer.ts (LayerRunner), one LayerSpec and runner per width.
import type { LoadedModel, SentenceEncoderConfig } from '../format/loaded';
import type { Kernels } from '../kernels/reference';
import { referenceKernels } from '../kernels/reference';
import { InputError } from '../format/errors';
import { t2tTimingSignal } from '../positional';
import { checkpoint, noControl, type RunControl } from '../control';
import { SENTENCE_EMBEDDING, type SentenceEmbeddingData } from '../../../common/archViews/sentence-embedding';
import { linearTensors, normTensors, TensorReader, type TensorSpec } from './tensorReader';
import { LayerRunner, readLinear, readNorm, recorder, rowNorms, type LayerWeights, type Linear, type Recorder } from './transformerLayer';
import type { ModelOutput, RunnableModel } from './runnable';

type Model = LoadedModel & { architecture: 'sentence-encoder' };

interface EncoderLayer {
  width: number; // input and attention width of this layer
  weights: LayerWeights;
  residual?: Linear; // [d_model, width] when width ≠ d_model
}

export interface SentenceEncoding {
  /** [n, d_model] last layer's output. */
  hidden: Float32Array;
  /** [d_model] mean over the tokens. */
  pooled: Float32Array;
  /** [d_model] tanh(W · pooled + b), before normalisation. */
  tanh: Float32Array;
  /** [d_model] the sentence embedding (unit L2 norm). */
  embedding: Float32Array;
}

/** The tensors a sentence encoder reads; layer 0 is embed_dim wide, with a projection when that is not d_model. */
export function* sentenceEncoderTensors(c: SentenceEncoderConfig): Generator<TensorSpec> {
  const layer = (i: number): TensorSpec[] => {
    const w = i === 0 ? c.embed_dim : c.d_model;
    const p = `encoder.layers.${i}`;
    return [
      ...['q', 'k', 'v'].flatMap((s) => linearTensors(`${p}.self_attn.${s}`, w, w)),
      ...linearTensors(`${p}.self_attn.o`, c.d_model, w),
      ...normTensors(`${p}.self_attn_norm`, w),
      ...linearTensors(`${p}.ffn.fc1`, c.d_ff, c.d_model),
      ...linearTensors(`${p}.ffn.fc2`, c.d_model, c.d_ff),
      ...normTensors(`${p}.ffn_norm`, c.d_model),
      ...(w !== c.d_model ? linearTensors(`${p}.residual_proj`, c.d_model, w) : []),
    ];
  };
  yield { name: 'embed.tokens', shape: [c.vocab_size, c.embed_dim] };
  for (let i = 0; i < c.layers; i++) yield* layer(i);
  yield* linearTensors('pooler.dense', c.d_model, c.d_model);
}

export class SentenceEncoderModel {
  readonly cfg: SentenceEncoderConfig;
  readonly parameters: number;
  private readonly tokens: Float32Array; // [vocab, embed_dim]
  private readonly layers: EncoderLayer[];
  private readonly pooler: Linear; // [d_model, d_model]
  private readonly runners = new Map<number, LayerRunner>(); // width → runner
  private readonly timing: Float32Array; // [max_positions, embed_dim]

  constructor(model: Model, kernels: Kernels = referenceKernels) {
    const c = (this.cfg = model.config);
    const r = new TensorReader(model, sentenceEncoderTensors(c));
    this.tokens = r.get('embed.tokens', [c.vocab_size, c.embed_dim]);
    this.layers = [];
    for (let i = 0; i < c.layers; i++) {
      const w = i === 0 ? c.embed_dim : c.d_model;
      const p = `encoder.layers.${i}`;
      const lin = (s: string) => readLinear(r, `${p}.self_attn.${s}`, w, w);
      this.layers.push({
        width: w,
        weights: {
          selfAttn: { q: lin('q'), k: lin('k'), v: lin('v'), o: readLinear(r, `${p}.self_attn.o`, c.d_model, w) },
          selfNorm: readNorm(r, `${p}.self_attn_norm`, w),
          fc1: readLinear(r, `${p}.ffn.fc1`, c.d_ff, c.d_model),
          fc2: readLinear(r, `${p}.ffn.fc2`, c.d_model, c.d_ff),
          ffnNorm: readNorm(r, `${p}.ffn_norm`, c.d_model),
        },
        residual: w !== c.d_model ? readLinear(r, `${p}.residual_proj`, c.d_model, w) : undefined,
      });
    }
    this.pooler = readLinear(r, 'pooler.dense', c.d_model, c.d_model);
    r.finish();
    this.parameters = r.parameterCount();
    for (const w of new Set([c.embed_dim, c.d_model])) {
      this.runners.set(
        w,
        new LayerRunner(kernels, { d_model: w, heads: c.heads, d_ff: c.d_ff, norm: 'pre', layer_norm_eps: c.layer_norm_eps }),
      );
    }
    this.timing = t2tTimingSignal(c.max_positions, c.embed_dim);
  }

  positionalEncoding(): Float32Array {
    return this.timing;
  }

  encode(ids: number[], rec?: Recorder, ctl: RunControl = noControl): SentenceEncoding {
    const c = this.cfg;
    const n = ids.length;
    if (n === 0) throw new InputError('ids', 'at least one token is needed');
    if (n > c.max_positions) throw new InputError('ids', `at most ${c.max_positions} tokens (the encoder's max_positions); found ${n}`);
    const e = c.embed_dim;
    const s = c.embedding_scale;
    let x: Float32Array = new Float32Array(n * e); // [n, embed_dim]
    ids.forEach((id, t) => {
      if (!Number.isInteger(id) || id < 0 || id >= c.vocab_size)
        throw new InputError(`ids[${t}]`, `a token id from 0 to ${c.vocab_size - 1}; found ${id}`);
      for (let j = 0; j < e; j++) x[t * e + j] = s * this.tokens[id * e + j] + this.timing[t * e + j];
    });
    const D = this.runners.get(c.d_model)!;
    this.layers.forEach((l, i) => {
      checkpoint(ctl, i, c.layers, `layer ${i + 1} of ${c.layers}`, rec?.attentions);
      const W = this.runners.get(l.width)!;
      const where = { part: 'encoder' as const, layer: i };
      const attend = (h: Float32Array) => W.attention(h, n, l.weights.selfAttn, 'self', where, rec); // [n, d_model]
      x = l.residual
        ? projectedResidual(W, x, n, l, attend, i, rec)
        : D.addNorm(x, n, l.weights.selfNorm, attend, { ...where, sublayer: 'self_attn' }, rec);
      x = D.addNorm(x, n, l.weights.ffnNorm, (h) => D.feedForward(h, n, l.weights, c.activation), { ...where, sublayer: 'ffn' }, rec);
    });
    const d = c.d_model;
    const pooled = new Float32Array(d); // mean over the n tokens
    for (let t = 0; t < n; t++) for (let j = 0; j < d; j++) pooled[j] += x[t * d + j] / n;
    const tanh = D.linear(pooled, 1, this.pooler);
    for (let j = 0; j < d; j++) tanh[j] = Math.tanh(tanh[j]);
    // tf.math.l2_normalize: x / sqrt(max(Σx², 1e-12)).
    const inv = 1 / Math.sqrt(Math.max(rowNorms(tanh, 1)[0] ** 2, 1e-12));
    const embedding = tanh.map((v) => v * inv);
    return { hidden: x, pooled, tanh, embedding };
  }
}

/**
 * Self-attention sub-layer of a layer narrower than d_model (t2t AdjustResidualInput): the
 * attention output is already d_model wide, so the residual is projected: P(x) + Attention(LN(x)).
 */
function projectedResidual(
  W: LayerRunner,
  x: Float32Array,
  n: number,
  l: EncoderLayer,
  attend: (h: Float32Array) => Float32Array,
  layer: number,
  rec?: Recorder,
): Float32Array {
  const y = attend(W.layerNorm(x, n, l.weights.selfNorm)); // [n, d_model]
  const res = W.linear(x, n, l.residual!); // [n, d_model]
  const out = new Float32Array(y.length);
  for (let i = 0; i < out.length; i++) out[i] = res[i] + y[i];
  rec?.addNorm.push({
    part: 'encoder',
    layer,
    sublayer: 'self_attn',
    residualNorm: rowNorms(res, n),
    sublayerNorm: rowNorms(y, n),
    outputNorm: rowNorms(out, n),
  });
  return out;
}

export function buildSentenceEncoder(model: Model, kernels?: Kernels): RunnableModel & { model: SentenceEncoderModel } {
  const m = new SentenceEncoderModel(model, kernels);
  const c = m.cfg;
  return {
    model: m,
    kind: 'encoder',
    parameters: m.parameters,
    hasTarget: false,
    details: {
      kind: 'sentence encoder',
      embed_dim: c.embed_dim,
      d_model: c.d_model,
      heads: c.heads,
      d_ff: c.d_ff,
      encoder_layers: c.layers, // encoder_layers + heads: the side panel's tree lists the heads from these
      activation: c.activation,
      norm: 'pre-LN',
      positions: c.positions,
      pooling: 'mean → tanh dense → L2',
      vocab_size: c.vocab_size,
    },
    run(ids, opts, ctl): ModelOutput {
      if (opts.targetIds) throw new InputError('target_ids', 'a sentence encoder has no target side');
      const rec = recorder(opts.withQKV);
      const enc = m.encode(ids, rec, ctl);
      const n = ids.length;
      const data: SentenceEmbeddingData = {
        embedding: Array.from(enc.embedding),
        pooledNorm: rowNorms(enc.pooled, 1)[0],
        tanhNorm: rowNorms(enc.tanh, 1)[0],
        norm: rowNorms(enc.embedding, 1)[0],
        tokens: n,
      };
      return {
        targetIds: [],
        ...rec,
        positional: { positions: n, dims: c.embed_dim, scheme: c.positions, data: m.positionalEncoding().slice(0, n * c.embed_dim) },
        app: {
          kind: SENTENCE_EMBEDDING,
          title: `Sentence embedding (${c.d_model} dimensions)`,
          explain: `Mean of the last layer over the ${n} tokens, a tanh dense layer, then L2 normalisation: this vector is what the model says the sentence means. Similar sentences give strips with a high dot product.`,
          data,
        },
      };
    },
  };
}
