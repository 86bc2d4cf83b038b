// Transformer encoder, decoder-only and encoder–decoder models over the canonical tensors of
// docs/model-format.md. Full (teacher-forced) passes record every layer's attention; a decoder
// session steps one token at a time with a KV cache.
import type { Kernels } from '../kernels/reference';
import { referenceKernels } from '../kernels/reference';
import type { LoadedModel, TransformerConfig } from '../format/loaded';
import { InputError } from '../format/errors';
import { linearTensors, normTensors, TensorReader, type TensorSpec } from './tensorReader';
import { isFixedScheme, sinusoidalEncoding } from '../positional';
import { checkpoint, midLayer, noControl, type RunControl } from '../control';
import { attentionWidth, KVCache, LayerRunner, layerTensors, readLayer, readLinear, readNorm } from './transformerLayer';
import type { LayerWeights, Linear, Norm, Recorder } from './transformerLayer';

type Model = LoadedModel & { architecture: 'transformer' };
type CrossKV = { k: Float32Array; v: Float32Array; length: number }; // [m, d] each
type Stack = 'encoder' | 'decoder';
/** A stack's position table and embedding norm: shared by both stacks, or each its own (per_stack_embeddings). */
type StackEmbedding = { positions?: Float32Array; norm?: Norm };

export interface StepResult {
  /** Per decoder layer: [heads, t+1] self-attention of the new token over itself and the past. */
  self: Float32Array[];
  /** Per decoder layer: [heads, source length]; absent for decoder-only models. */
  cross?: Float32Array[];
  /** [vocab_size] next-token logits. */
  logits: Float32Array;
}

export interface DecoderSession {
  readonly length: number;
  step(tokenId: number, ctl?: RunControl): StepResult;
  /** Gives a step's arrays (its attention, its logits) back for reuse: greedy decoding keeps only the argmax. */
  recycle(step: StepResult): void;
  /** Gives back the session's own buffers (cross-attention K and V, the KV caches); it cannot step after. */
  close(): void;
}

/** The tensors a transformer with this config reads, in the order the constructor reads them. */
export function* transformerTensors(c: TransformerConfig): Generator<TensorSpec> {
  const d = c.d_model;
  const e = c.embedding_size ?? d;
  const rows = c.max_positions + (c.position_offset ?? 0);
  const stackEmbedding = (prefix: string): TensorSpec[] => [
    ...(c.positions === 'learned' ? [{ name: `${prefix}.positions`, shape: [rows, e] }] : []),
    ...(c.embedding_norm ? normTensors(`${prefix}.norm`, e) : []),
  ];
  const stacks: Stack[] = [...(c.encoder_layers ? ['encoder' as const] : []), ...(c.decoder_layers ? ['decoder' as const] : [])];
  // Shared layers (ALBERT) store each group's inner layers once; see the builder below.
  const stored = c.shared_layer_groups !== undefined ? c.shared_layer_groups * (c.shared_layer_inner ?? 1) : c.encoder_layers;
  const ra = c.relative_attention;
  yield { name: 'embed.tokens', shape: [c.vocab_size, e] };
  yield* c.per_stack_embeddings ? stacks.flatMap((s) => stackEmbedding(`${s}.embed`)) : stackEmbedding('embed');
  if (c.token_types > 0) yield { name: 'embed.token_types', shape: [c.token_types, e] };
  if (c.embedding_size !== undefined) yield* linearTensors('embed.project', d, e);
  for (let g = 0; g < stored; g++) yield* layerTensors(c, 'encoder', g, false);
  for (let i = 0; i < c.decoder_layers; i++) yield* layerTensors(c, 'decoder', i, c.kind === 'encoder-decoder');
  if (ra) for (const s of stacks) yield { name: `${s}.relative_bias`, shape: [ra.buckets, c.heads] };
  if (c.final_norm) for (const s of stacks) yield* normTensors(`${s}.final_norm`, d, c.rms_norm);
  // Without lm_head the output is tied to the token embeddings, which needs e = d (an encoder may do without).
  yield { name: 'lm_head.weight', shape: [c.vocab_size, d], optional: e === d || c.kind === 'encoder' };
  yield { name: 'lm_head.bias', shape: [c.vocab_size], optional: true };
}

export class TransformerModel {
  readonly cfg: TransformerConfig;
  private readonly tokens: Float32Array; // [vocab, d]
  private readonly positions?: Float32Array; // [max_positions, d] fixed (sinusoidal) table
  private readonly tokenType?: Float32Array; // [e] row 0 of the type table
  private readonly stackEmbed: Partial<Record<Stack, StackEmbedding>>;
  private readonly project?: Linear; // embedding_size e → d_model
  private readonly encoderLayers: LayerWeights[] = [];
  private readonly decoderLayers: LayerWeights[] = [];
  private readonly encoderFinal?: Norm;
  private readonly decoderFinal?: Norm;
  private readonly lmHead: { w: Float32Array; b?: Float32Array };
  /** True when the file has its own lm_head (an encoder then predicts masked tokens). */
  readonly hasOwnHead: boolean;
  private readonly run: LayerRunner;
  readonly parameters: number;

  constructor(model: Model, kernels: Kernels = referenceKernels) {
    const c = (this.cfg = model.config);
    const d = c.d_model;
    const r = new TensorReader(model, transformerTensors(c));
    this.run = new LayerRunner(kernels, c);
    const e = c.embedding_size ?? d;
    this.tokens = r.get('embed.tokens', [c.vocab_size, e]);
    if (isFixedScheme(c.positions)) this.positions = sinusoidalEncoding(c.max_positions, d, c.positions);
    const rows = c.max_positions + (c.position_offset ?? 0);
    const stackEmbedding = (prefix: string): StackEmbedding => ({
      positions: c.positions === 'learned' ? r.get(`${prefix}.positions`, [rows, e]) : this.positions,
      norm: c.embedding_norm ? readNorm(r, `${prefix}.norm`, e) : undefined,
    });
    if (!c.per_stack_embeddings) {
      const both = stackEmbedding('embed');
      this.stackEmbed = { encoder: both, decoder: both };
    } else {
      this.stackEmbed = {};
      if (c.encoder_layers) this.stackEmbed.encoder = stackEmbedding('encoder.embed');
      if (c.decoder_layers) this.stackEmbed.decoder = stackEmbedding('decoder.embed');
    }
    if (c.token_types > 0) this.tokenType = r.get('embed.token_types', [c.token_types, e]).subarray(0, e);
    if (c.embedding_size !== undefined) this.project = readLinear(r, 'embed.project', d, e);
    const cross = c.kind === 'encoder-decoder';
    // Shared layers (ALBERT): only the stored groups are read; AlbertTransformer.forward picks
    // group int(i / (num_hidden_layers / num_hidden_groups)) for step i, and AlbertLayerGroup.forward
    // runs that group's inner_group_num layers in order (each one's attention recorded).
    const inner = c.shared_layer_inner ?? 1;
    const steps = c.encoder_layers / inner;
    const groupCount = c.shared_layer_groups ?? steps;
    const stored = Array.from({ length: groupCount * inner }, (_, s) => readLayer(r, c, 'encoder', s, false));
    for (let i = 0; i < steps; i++) {
      const g = Math.floor(i / (steps / groupCount));
      for (let j = 0; j < inner; j++) this.encoderLayers.push(stored[g * inner + j]);
    }
    for (let i = 0; i < c.decoder_layers; i++) this.decoderLayers.push(readLayer(r, c, 'decoder', i, cross));
    if (c.relative_attention) {
      // T5Stack: only block 0 has relative_attention_bias; its bias is passed on to every block.
      const { buckets, max_distance: maxDistance } = c.relative_attention;
      const stacks: [Stack, LayerWeights[]][] = [
        ['encoder', this.encoderLayers],
        ['decoder', this.decoderLayers],
      ];
      for (const [stack, layers] of stacks) {
        if (!layers.length) continue;
        const table = r.get(`${stack}.relative_bias`, [buckets, c.heads]);
        const bidirectional = stack === 'encoder';
        for (const l of layers) l.selfAttn.relativeBias = { table, buckets, maxDistance, bidirectional };
      }
    }
    if (c.final_norm) {
      if (c.encoder_layers) this.encoderFinal = readNorm(r, 'encoder.final_norm', d, c.rms_norm);
      if (c.decoder_layers) this.decoderFinal = readNorm(r, 'decoder.final_norm', d, c.rms_norm);
    }
    // Without its own lm_head the output projection is tied to the token embeddings.
    this.hasOwnHead = r.has('lm_head.weight');
    this.lmHead = {
      // Tying needs e = d; an encoder with narrower embeddings and no lm_head has no logits.
      w: r.has('lm_head.weight') || (e !== d && c.kind !== 'encoder') ? r.get('lm_head.weight', [c.vocab_size, d]) : this.tokens,
      b: r.has('lm_head.bias') ? r.get('lm_head.bias', [c.vocab_size]) : undefined,
    };
    r.finish();
    this.parameters = r.parameterCount();
  }

  /** The fixed positional encoding the model adds, or undefined for learned / none. */
  positionalEncoding(): Float32Array | undefined {
    return isFixedScheme(this.cfg.positions) ? this.positions : undefined;
  }

  /**
   * Token embedding (× √d_model when scale_embedding) + position + token type, then optional
   * LayerNorm, then the optional projection embedding_size → d_model (ElectraModel.forward's
   * embeddings_project, AlbertTransformer's embedding_hidden_mapping_in).
   */
  embed(ids: number[], firstPosition: number, field: string, stack: Stack = 'encoder'): Float32Array {
    const c = this.cfg;
    const e = c.embedding_size ?? c.d_model;
    const { positions, norm } = this.stackEmbed[stack] ?? {};
    const scale = c.scale_embedding ? Math.sqrt(c.d_model) : 1;
    const offset = c.position_offset ?? 0;
    const pad = c.position_pad_id;
    let position = firstPosition; // the next non-padding token's position
    const x = this.run.take(ids.length * e); // [n, e], every element written below
    ids.forEach((id, i) => {
      if (!Number.isInteger(id) || id < 0 || id >= c.vocab_size) {
        throw new InputError(`${field}[${i}]`, `token id ${id} is outside the vocabulary 0…${c.vocab_size - 1}`);
      }
      // RobertaEmbeddings.create_position_ids_from_input_ids: padding reads row padding_idx and
      // is not counted; BartLearnedPositionalEmbedding.forward: row = position + offset 2.
      const row = id === pad ? pad : offset + position++;
      if (positions && position > c.max_positions) {
        throw new InputError(field, `at most ${c.max_positions} tokens fit this model's positions, got ${firstPosition + ids.length}`);
      }
      for (let j = 0; j < e; j++) {
        let v = this.tokens[id * e + j] * scale;
        if (positions) v += positions[row * e + j];
        if (this.tokenType) v += this.tokenType[j];
        x[i * e + j] = v;
      }
    });
    const normed = norm ? this.normAndRelease(x, ids.length, norm, e) : x;
    if (!this.project) return normed;
    const out = this.run.linear(normed, ids.length, this.project); // [n, d]
    this.run.release(normed);
    return out;
  }

  /** Encoder stack over the source ids → hidden states [n, d]. */
  encode(ids: number[], rec?: Recorder, ctl: RunControl = noControl): Float32Array {
    const n = ids.length;
    let x = this.embed(ids, 0, 'ids');
    this.encoderLayers.forEach((l, layer) => {
      checkpoint(ctl, layer, this.encoderLayers.length, `encoder layer ${layer + 1}/${this.encoderLayers.length}`, rec?.attentions);
      const where = { part: 'encoder' as const, layer };
      const mid = this.run.addNorm(
        x,
        n,
        l.selfNorm,
        (h) => this.run.attention(h, n, l.selfAttn, 'self', where, rec),
        { ...where, sublayer: 'self_attn' },
        rec,
      );
      this.run.release(x); // the embedding or the layer before's output: made here, held nowhere else
      midLayer(ctl);
      x = this.run.addNorm(
        mid,
        n,
        l.ffnNorm,
        (h) => this.run.feedForward(h, n, l, this.cfg.activation),
        { ...where, sublayer: 'ffn' },
        rec,
      );
      this.run.release(mid);
    });
    return this.encoderFinal ? this.normAndRelease(x, n, this.encoderFinal) : x;
  }

  /** LayerNorm (a stack's final one, the embedding's) into a new array; x is dead after. */
  private normAndRelease(x: Float32Array, n: number, norm: Norm, width?: number): Float32Array {
    const out = this.run.layerNorm(x, n, norm, width);
    this.run.release(x);
    return out;
  }

  /** Gives arrays this model handed out (hidden states, logits) back for reuse once the caller is done with them. */
  release(...arrays: Float32Array[]): void {
    this.run.release(...arrays);
  }

  /**
   * Decoder stack over all target ids at once (teacher forcing) with the causal mask; with
   * `memory` (encoder output [m, d]) each layer also attends across to it. → hidden [n, d].
   * Keys and values are the rows' own, kept in no cache: this is the reference the cached
   * stepping of session() is checked against (kvCacheCheck.ts).
   */
  decodeFull(ids: number[], memory: Float32Array | undefined, rec?: Recorder, ctl: RunControl = noControl): Float32Array {
    const cross = this.crossKV(memory);
    try {
      return this.decoderStack(ids, 0, () => 'causal', cross, rec, ctl, 'target_ids', true);
    } finally {
      this.releaseCross(cross);
    }
  }

  /** Incremental decoding: one token per step, keys and values of the past kept in a KV cache. */
  session(memory?: Float32Array): DecoderSession {
    const cross = this.crossKV(memory);
    const caches = this.decoderLayers.map(() => new KVCache(attentionWidth(this.cfg)));
    const self = (layer: number) => ({ cache: caches[layer], causal: true });
    const stepArrays = new WeakMap<StepResult, Float32Array[]>(); // what recycle() may give back
    return {
      get length() {
        return caches[0]?.length ?? 0;
      },
      step: (tokenId, ctl = noControl) => {
        const rec: Recorder = { attentions: [], addNorm: [] };
        const h = this.decoderStack([tokenId], caches[0]?.length ?? 0, self, cross, rec, ctl, 'target_ids', false);
        const rows = (part: string) => rec.attentions.filter((a) => a.part === part).map((a) => a.probs); // [heads, 1, keys]
        const logits = this.logits(h, 1);
        this.run.release(h);
        const r: StepResult = { self: rows('decoder'), cross: memory ? rows('cross') : undefined, logits };
        stepArrays.set(r, [logits, ...rec.attentions.flatMap((a) => [a.probs, a.scores, ...(a.rowEntropy ? [a.rowEntropy] : [])])]);
        return r;
      },
      recycle: (r) => {
        this.run.release(...(stepArrays.get(r) ?? []));
        stepArrays.delete(r);
      },
      close: () => {
        this.releaseCross(cross);
        for (const cache of caches) cache.clear();
      },
    };
  }

  /** Cross-attention K, V per decoder layer: they depend only on the encoder output, so are projected once. */
  private crossKV(memory: Float32Array | undefined): CrossKV[] {
    const c = this.cfg;
    if (c.kind === 'encoder') throw new InputError('target_ids', 'this model has no decoder');
    if (c.kind === 'encoder-decoder' && !memory) throw new Error("an encoder–decoder's decoder needs the encoder output");
    if (!memory) return [];
    const m = memory.length / c.d_model;
    return this.decoderLayers.map((l) => ({
      k: this.run.linear(memory, m, l.cross!.k),
      v: this.run.linear(memory, m, l.cross!.v),
      length: m,
    }));
  }

  private releaseCross(cross: CrossKV[]): void {
    for (const kv of cross) this.run.release(kv.k, kv.v);
    cross.length = 0;
  }

  /**
   * The decoder layers over `ids` at positions firstPosition… → hidden [n, d]. Self-attention's
   * keys and values come from `selfKV(layer)`: the rows' own under the causal mask, or a layer's
   * KV cache. `stream`: hand the finished layers to the checkpoint (whole-sequence passes only;
   * one-token steps are merged into the run's layers after decoding).
   */
  private decoderStack(
    ids: number[],
    firstPosition: number,
    selfKV: (layer: number) => 'causal' | { cache: KVCache; causal: boolean },
    cross: CrossKV[],
    rec: Recorder | undefined,
    ctl: RunControl,
    field: string,
    stream: boolean,
  ): Float32Array {
    const n = ids.length;
    let x = this.embed(ids, firstPosition, field, 'decoder');
    this.decoderLayers.forEach((l, layer) => {
      const layers = this.decoderLayers.length;
      checkpoint(ctl, layer, layers, `decoder layer ${layer + 1}/${layers}`, stream ? rec?.attentions : undefined);
      const where = { part: 'decoder' as const, layer };
      // Each Add & Norm's input (the embedding or an earlier output, all made here) is dead once it has run.
      const next = (y: Float32Array) => {
        this.run.release(x);
        x = y;
      };
      const selfAttention = (h: Float32Array) => this.run.attention(h, n, l.selfAttn, selfKV(layer), where, rec);
      next(this.run.addNorm(x, n, l.selfNorm, selfAttention, { ...where, sublayer: 'self_attn' }, rec));
      if (cross.length) {
        const cw = { part: 'cross' as const, layer };
        const crossAttention = (h: Float32Array) => this.run.attention(h, n, l.cross!, cross[layer], cw, rec);
        next(this.run.addNorm(x, n, l.crossNorm!, crossAttention, { ...cw, sublayer: 'cross_attn' }, rec));
      }
      midLayer(ctl);
      const ffn = (h: Float32Array) => this.run.feedForward(h, n, l, this.cfg.activation);
      next(this.run.addNorm(x, n, l.ffnNorm, ffn, { ...where, sublayer: 'ffn' }, rec));
    });
    return this.decoderFinal ? this.normAndRelease(x, n, this.decoderFinal) : x;
  }

  /** [rows, vocab] next-token logits from decoder hidden states (lm_head, or tied embeddings). */
  logits(hidden: Float32Array, rows: number): Float32Array {
    const head = { w: this.lmHead.w, b: this.lmHead.b, out: this.cfg.vocab_size, in: this.cfg.d_model };
    const s = this.cfg.lm_head_input_scale;
    if (s === undefined) return this.run.linear(hidden, rows, head);
    // T5ForConditionalGeneration.forward: sequence_output * model_dim**-0.5 (in float32) before lm_head.
    const scaled = Float32Array.from(hidden, (v) => v * s);
    const out = this.run.linear(scaled, rows, head);
    this.run.release(scaled);
    return out;
  }
}

export function argmaxRows(x: Float32Array, rows: number): number[] {
  const cols = x.length / rows;
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let j = 1; j < cols; j++) if (x[r * cols + j] > x[r * cols + best]) best = j;
    out.push(best);
  }
  return out;
}
