// One transformer layer, written the way the paper draws it: multi-head attention, Add & Norm,
// position-wise feed-forward, Add & Norm — with pre-LN as the one switch (GPT-2).
import type { WeightData } from '../weights';
import type { Kernels } from '../kernels/reference';
import type { Activation } from '../format/loaded';
import type { AttentionLayer, AddNormStep, Part, QKV } from '../types';
import { linearTensors, normTensors, type TensorReader, type TensorSpec } from './tensorReader';
import { causalMask, scaledDotProductAttention } from '../attention';
import { relativePositionBias, type RelativeBias } from '../relativePosition';
import { engineBuffers } from '../buffers';

export interface Linear {
  w: WeightData; // [out, in], in the file's dtype
  b?: Float32Array; // [out]
  out: number;
  in: number;
}
export interface Norm {
  gamma: Float32Array; // [d]
  beta: Float32Array; // [d]
}
export interface AttentionWeights {
  q: Linear;
  k: Linear;
  v: Linear;
  o: Linear;
  /** T5: the stack's relative position bias, added to this attention's scores. */
  relativeBias?: RelativeBias;
}
export interface LayerWeights {
  selfAttn: AttentionWeights;
  selfNorm: Norm;
  cross?: AttentionWeights;
  crossNorm?: Norm;
  fc1: Linear;
  fc2: Linear;
  /** gated_ffn: the activated branch; fc1 is then the linear one. */
  gate?: Linear;
  ffnNorm: Norm;
}

export function readLinear(r: TensorReader, name: string, out: number, inp: number, withBias = true): Linear {
  return {
    w: r.weight(`${name}.weight`, [out, inp]),
    b: withBias ? r.get(`${name}.bias`, [out]) : undefined,
    out,
    in: inp,
  };
}

/** `rms`: RMSNorm has a weight only; beta is zeros, never read from the file. */
export function readNorm(r: TensorReader, name: string, d: number, rms = false): Norm {
  return { gamma: r.get(`${name}.weight`, [d]), beta: rms ? new Float32Array(d) : r.get(`${name}.bias`, [d]) };
}

/** `inner`: heads × head width (T5Attention.inner_dim = n_heads · key_value_proj_dim; d_model elsewhere). */
function readAttention(r: TensorReader, prefix: string, d: number, inner: number, bias: boolean): AttentionWeights {
  const lin = (p: string) => readLinear(r, `${prefix}.${p}`, inner, d, bias);
  return { q: lin('q'), k: lin('k'), v: lin('v'), o: readLinear(r, `${prefix}.o`, d, inner, bias) };
}

/** Width of q, k, v and the attention context: heads × head_dim, or d_model when head_dim is not set. */
export function attentionWidth(cfg: LayerSpec): number {
  return cfg.head_dim === undefined ? cfg.d_model : cfg.heads * cfg.head_dim;
}

/**
 * What the shared layer code reads: widths, head count, where the LayerNorm sits and its ε. Every
 * transformer-like config (transformer, universal, tdmca, image-transformer…) has these fields and
 * is passed as it is; an architecture with several widths (the sentence encoder) makes one per width.
 */
export interface LayerSpec {
  d_model: number;
  heads: number;
  d_ff: number;
  norm: 'post' | 'pre';
  layer_norm_eps: number;
  /** T5's quirks (absent: BERT-style layers): no bias tensors, RMSNorm, a gated FFN, q·k unscaled. */
  linear_bias?: boolean;
  rms_norm?: boolean;
  gated_ffn?: boolean;
  unscaled_attention?: boolean;
  /** T5's d_kv when heads · d_kv ≠ d_model; absent: d_model / heads. */
  head_dim?: number;
}

/** The tensors readLayer reads, in its order (the architecture's tensor list). */
export function layerTensors(cfg: LayerSpec, stack: 'encoder' | 'decoder', i: number, withCross: boolean): TensorSpec[] {
  const { d_model: d, d_ff } = cfg;
  const p = `${stack}.layers.${i}`;
  const bias = cfg.linear_bias !== false;
  const rms = cfg.rms_norm === true;
  const inner = attentionWidth(cfg);
  const attention = (a: string) => [
    ...['q', 'k', 'v'].flatMap((x) => linearTensors(`${a}.${x}`, inner, d, bias)),
    ...linearTensors(`${a}.o`, d, inner, bias),
  ];
  return [
    ...attention(`${p}.self_attn`),
    ...normTensors(`${p}.self_attn_norm`, d, rms),
    ...(withCross ? [...attention(`${p}.cross_attn`), ...normTensors(`${p}.cross_attn_norm`, d, rms)] : []),
    ...linearTensors(`${p}.ffn.fc1`, d_ff, d, bias),
    ...linearTensors(`${p}.ffn.fc2`, d, d_ff, bias),
    ...(cfg.gated_ffn ? linearTensors(`${p}.ffn.gate`, d_ff, d, bias) : []),
    ...normTensors(`${p}.ffn_norm`, d, rms),
  ];
}

export function readLayer(r: TensorReader, cfg: LayerSpec, stack: 'encoder' | 'decoder', i: number, withCross: boolean): LayerWeights {
  const { d_model: d, d_ff } = cfg;
  const p = `${stack}.layers.${i}`;
  const bias = cfg.linear_bias !== false;
  const rms = cfg.rms_norm === true;
  const inner = attentionWidth(cfg);
  return {
    selfAttn: readAttention(r, `${p}.self_attn`, d, inner, bias),
    selfNorm: readNorm(r, `${p}.self_attn_norm`, d, rms),
    cross: withCross ? readAttention(r, `${p}.cross_attn`, d, inner, bias) : undefined,
    crossNorm: withCross ? readNorm(r, `${p}.cross_attn_norm`, d, rms) : undefined,
    fc1: readLinear(r, `${p}.ffn.fc1`, d_ff, d, bias),
    fc2: readLinear(r, `${p}.ffn.fc2`, d, d_ff, bias),
    gate: cfg.gated_ffn ? readLinear(r, `${p}.ffn.gate`, d_ff, d, bias) : undefined,
    ffnNorm: readNorm(r, `${p}.ffn_norm`, d, rms),
  };
}

/**
 * Growing K/V projections of the positions seen so far: k, v are [length, d] views of buffers
 * that double when full, so a decoding step appends one row instead of copying the whole cache
 * (and views handed out earlier keep showing the rows they had: rows are only ever added).
 */
export class KVCache {
  k = new Float32Array(0);
  v = new Float32Array(0);
  length = 0;
  private kBuf = new Float32Array(0);
  private vBuf = new Float32Array(0);
  constructor(private readonly d: number) {}
  append(k: Float32Array, v: Float32Array, rows: number): void {
    const d = this.d;
    const need = (this.length + rows) * d;
    if (need > this.kBuf.length) {
      const cap = Math.max(need, 2 * this.kBuf.length, 16 * d);
      const grow = (a: Float32Array) => {
        const out = engineBuffers.take(cap);
        out.set(a.subarray(0, this.length * d));
        return out;
      };
      this.kBuf = grow(this.kBuf);
      this.vBuf = grow(this.vBuf);
    }
    this.kBuf.set(k.subarray(0, rows * d), this.length * d);
    this.vBuf.set(v.subarray(0, rows * d), this.length * d);
    this.length += rows;
    this.k = this.kBuf.subarray(0, need);
    this.v = this.vBuf.subarray(0, need);
  }
  /** Empties the cache and gives its buffers back to the engine's pool (nothing may read k, v after). */
  clear(): void {
    engineBuffers.give(this.kBuf, this.vBuf);
    this.kBuf = this.vBuf = this.k = this.v = new Float32Array(0);
    this.length = 0;
  }
}

/** Where a layer writes what the inspector shows; absent parts are not recorded. */
export interface Recorder {
  attentions: AttentionLayer[];
  addNorm: AddNormStep[];
  qkv?: QKV[];
  /** Record Q, K, V of this layer only (one head's vectors are asked for, not the whole run's). */
  qkvOnly?: QkvOnly;
}

/** One layer's Q, K, V; `found` hears of them as soon as they are recorded (the caller may stop the run). */
export interface QkvOnly {
  part: Part;
  layer: number;
  found?: (qkv: QKV) => void;
}

/** An empty recorder; `withQKV` as in RunOptions. */
export function recorder(withQKV: boolean | QkvOnly | undefined): Recorder {
  const only = typeof withQKV === 'object' ? { qkvOnly: withQKV } : {};
  return { attentions: [], addNorm: [], qkv: withQKV ? [] : undefined, ...only };
}

export class LayerRunner {
  constructor(
    private readonly kernels: Kernels,
    private readonly cfg: LayerSpec,
  ) {}

  linear(x: Float32Array, rows: number, l: Linear): Float32Array {
    return this.kernels.linear(x, rows, l.in, l.w, l.out, l.b);
  }

  /** `width`: the rows' length when not d_model (an embedding_size-wide embedding norm). */
  layerNorm(x: Float32Array, rows: number, n: Norm, width = this.cfg.d_model): Float32Array {
    if (this.cfg.rms_norm) return rmsNorm(x, rows, width, n.gamma, this.cfg.layer_norm_eps);
    return this.kernels.layerNorm(x, rows, width, n.gamma, n.beta, this.cfg.layer_norm_eps);
  }

  /**
   * Multi-head attention of `rows` query rows. Keys/values come from `kv`: 'self' for the rows
   * themselves, all visible and kept nowhere (encoders); 'causal', the same with the causal mask
   * (a decoder's whole-sequence pass, no cache); the rows appended to a cache (decoder stepping;
   * causal when `causal`); or fixed precomputed projections (cross-attention over the encoder
   * output: Q from the decoder, K, V from the encoder). → a new [rows, d] array.
   */
  attention(
    x: Float32Array,
    rows: number,
    w: AttentionWeights,
    kv: 'self' | 'causal' | { cache: KVCache; causal: boolean } | { k: Float32Array; v: Float32Array; length: number },
    where: { part: Part; layer: number },
    rec?: Recorder,
  ): Float32Array {
    const heads = this.cfg.heads;
    const dHead = attentionWidth(this.cfg) / heads;
    const q = this.linear(x, rows, w.q); // [rows, heads·dHead]
    let k: Float32Array, v: Float32Array, nk: number, mask: Uint8Array | undefined;
    const dead: Float32Array[] = [q]; // temporaries given back to the pool once the heads are done
    if (kv === 'self' || kv === 'causal') {
      k = this.linear(x, rows, w.k); // [rows, d]
      v = this.linear(x, rows, w.v);
      nk = rows;
      dead.push(k, v);
      if (kv === 'causal') mask = causalMask(rows, rows); // key j > query i → hidden
    } else if ('cache' in kv) {
      const offset = kv.cache.length;
      const kNew = this.linear(x, rows, w.k),
        vNew = this.linear(x, rows, w.v); // [rows, d], copied into the cache
      kv.cache.append(kNew, vNew, rows);
      dead.push(kNew, vNew);
      ({ k, v, length: nk } = kv.cache); // [nk, d]
      mask = kv.causal ? causalMask(rows, nk, offset) : undefined; // key j > query i → hidden
    } else {
      ({ k, v, length: nk } = kv);
    }
    // T5's unscaled, position-biased scores go through the reference function, which takes both.
    const bias = w.relativeBias && relativePositionBias(w.relativeBias, heads, rows, nk, nk - rows); // queries: last rows
    const unscaled = this.cfg.unscaled_attention;
    const opts = unscaled || bias ? { scale: unscaled ? 1 : undefined, bias } : undefined;
    const att = opts
      ? scaledDotProductAttention(q, k, v, rows, nk, heads, dHead, mask, opts)
      : (this.kernels.attention ?? scaledDotProductAttention)(q, k, v, rows, nk, heads, dHead, mask); // probs [heads, rows, nk]
    rec?.attentions.push({
      ...where,
      heads,
      queries: rows,
      keys: nk,
      probs: att.probs,
      scores: att.scores,
      mask,
      ...(att.rowEntropy && { rowEntropy: att.rowEntropy }),
    });
    const only = rec?.qkvOnly;
    if (rec?.qkv && (!only || (only.part === where.part && only.layer === where.layer))) {
      const split = splitHeads(q, k, v, rows, nk, heads, dHead);
      // T5: the Q·K view's score is q·k, unscaled (its position bias is no q·k term, so not in it).
      const form = unscaled ? { form: 'dot' as const } : {};
      const recorded: QKV = { ...where, heads, headDim: dHead, queries: rows, keys: nk, ...split, ...form };
      rec.qkv.push(recorded);
      only?.found?.(recorded);
    }
    const out = this.linear(att.context, rows, w.o); // [rows, d]
    engineBuffers.give(att.context, ...dead);
    return out;
  }

  /** A [length] array from the engine's pool, not zeroed: for outputs the caller writes in full. */
  take(length: number): Float32Array {
    return engineBuffers.take(length);
  }

  /** Gives dead temporaries (hidden states the caller made with this runner and no longer holds) back for reuse. */
  release(...arrays: Float32Array[]): void {
    engineBuffers.give(...arrays);
  }

  /** Position-wise feed-forward: fc2(act(fc1(x))). */
  feedForward(x: Float32Array, rows: number, l: LayerWeights, act: Activation): Float32Array {
    if (l.gate) return this.gatedFeedForward(x, rows, l, act);
    if (this.kernels.feedForward) return this.kernels.feedForward(x, rows, l.fc1, l.fc2, act); // hidden layer kept inside the kernels
    const h = this.linear(x, rows, l.fc1); // [rows, d_ff]
    this.kernels.activate(h, act);
    return this.linear(h, rows, l.fc2); // [rows, d]
  }

  /** T5DenseGatedActDense.forward: wo(act(wi_0(x)) ⊙ wi_1(x)); here fc2(act(gate(x)) ⊙ fc1(x)). */
  private gatedFeedForward(x: Float32Array, rows: number, l: LayerWeights, act: Activation): Float32Array {
    const g = this.linear(x, rows, l.gate!); // [rows, d_ff]
    this.kernels.activate(g, act);
    const up = this.linear(x, rows, l.fc1);
    for (let i = 0; i < g.length; i++) g[i] *= up[i];
    const out = this.linear(g, rows, l.fc2); // [rows, d]
    engineBuffers.give(g, up);
    return out;
  }

  /**
   * Add & Norm around one sub-layer f. post-LN (Vaswani, BERT, Marian): LN(x + f(x));
   * pre-LN (GPT-2): x + f(LN(x)). Records the norms of residual, sub-layer output and result.
   * f must return a new array nothing else holds (a sub-layer's output): it is reused once added.
   * x stays the caller's.
   */
  addNorm(
    x: Float32Array,
    rows: number,
    norm: Norm,
    f: (input: Float32Array) => Float32Array,
    step: Omit<AddNormStep, 'residualNorm' | 'sublayerNorm' | 'outputNorm'>,
    rec?: Recorder,
  ): Float32Array {
    const pre = this.cfg.norm === 'pre';
    const normed = pre ? this.layerNorm(x, rows, norm) : undefined;
    const y = f(normed ?? x);
    if (normed) engineBuffers.give(normed);
    if (this.kernels.addNorm) {
      const r = this.kernels.addNorm(x, y, rows, this.cfg.d_model, pre ? undefined : { ...norm, eps: this.cfg.layer_norm_eps }, !!rec);
      if (rec && r.norms)
        rec.addNorm.push({ ...step, residualNorm: r.norms.residual, sublayerNorm: r.norms.sublayer, outputNorm: r.norms.output });
      engineBuffers.give(y);
      return r.out;
    }
    const sum = new Float32Array(x.length);
    for (let i = 0; i < sum.length; i++) sum[i] = x[i] + y[i];
    const out = pre ? sum : this.layerNorm(sum, rows, norm);
    rec?.addNorm.push({ ...step, residualNorm: rowNorms(x, rows), sublayerNorm: rowNorms(y, rows), outputNorm: rowNorms(out, rows) });
    return out;
  }
}

/** T5LayerNorm.forward: x / √(mean(x²) + eps) · w, without subtracting the mean and without a bias. */
export function rmsNorm(x: Float32Array, rows: number, cols: number, w: Float32Array, eps: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let ms = 0;
    for (let c = 0; c < cols; c++) ms += x[o + c] * x[o + c];
    const inv = 1 / Math.sqrt(ms / cols + eps);
    for (let c = 0; c < cols; c++) out[o + c] = w[c] * (x[o + c] * inv);
  }
  return out;
}

export function rowNorms(x: Float32Array, rows: number): Float32Array {
  const cols = x.length / rows;
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < cols; c++) s += x[r * cols + c] ** 2;
    out[r] = Math.sqrt(s);
  }
  return out;
}

/** [rows, heads·dHead] → [heads, rows, dHead] for q, k and v. */
function splitHeads(q: Float32Array, k: Float32Array, v: Float32Array, nq: number, nk: number, heads: number, dHead: number) {
  const split = (x: Float32Array, n: number) => {
    const out = new Float32Array(heads * n * dHead);
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < n; i++)
        out.set(x.subarray(i * heads * dHead + h * dHead, i * heads * dHead + (h + 1) * dHead), (h * n + i) * dHead);
    }
    return out;
  };
  return { q: split(q, nq), k: split(k, nk), v: split(v, nk) };
}
