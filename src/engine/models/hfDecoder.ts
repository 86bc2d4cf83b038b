// The modern Hugging Face decoder-only families (format/hfDecoders.ts maps their checkpoints) as
// one rotary pre-norm decoder with switches, computed as transformers' eager attention does:
// RMSNorm (Gemma: 1 + w), RoPE in float32, GQA/MQA by repeat_kv, sliding windows, Gemma2's
// query_pre_attn_scalar and tanh soft-capping, q/k norms, Gemma2/OLMo2 post-norms, GPT-NeoX's
// parallel residual. Attention is recorded per query head, as for GPT-2; greedy generation keeps
// each layer's rotated keys and values in a KV cache.
import { referenceKernels, type Kernels } from '../kernels/reference';
import type { HfDecoderConfig, LoadedModel } from '../format/loaded';
import { InputError } from '../format/errors';
import { scaledDotProductAttention } from '../attention';
import { checkpoint, midLayer, noControl, type RunControl } from '../control';
import { linearTensors, TensorReader, type TensorSpec } from './tensorReader';
import { recorder, type Linear, type Recorder } from './transformerLayer';
import { argmaxRows } from './transformer';
import { rmsNorm } from './norms';
import { applyRope, ropeInvFreq, ropeSummary, ropeTables } from './rope';
import { greedyContinuation } from './generation';
import type { ModelOutput, RunnableModel } from './runnable';
import { convertInto, type WeightData } from '../weights';
import { LayerCache, add, byHead, record, repeatKv, softcappedAttention } from './hfDecoderOps';

type Model = LoadedModel & { architecture: 'hf-decoder' };
type NormW = { w: Float32Array; b?: Float32Array };

interface Layer {
  q: Linear;
  k: Linear;
  v: Linear;
  o: Linear;
  qNorm?: Float32Array;
  kNorm?: Float32Array;
  attnNorm?: NormW;
  postAttnNorm?: NormW;
  ffnNorm?: NormW;
  postFfnNorm?: NormW;
  gate?: Linear;
  up?: Linear;
  down?: Linear;
  fc1?: Linear;
  fc2?: Linear;
}

/**
 * The tensors a decoder of the Hugging Face families reads. Which of the four per-layer norms
 * exist is the family's layout (OLMo2: post-norms only; Gemma2/3: all four), so each is optional.
 */
export function* hfDecoderTensors(c: HfDecoderConfig): Generator<TensorSpec> {
  const d = c.d_model;
  const qRows = c.heads * c.head_dim;
  const kvRows = c.kv_heads * c.head_dim;
  const norm = (name: string, size = d, optional = false): TensorSpec[] => [
    { name: `${name}.weight`, shape: [size], optional },
    ...(c.norm === 'layernorm' ? [{ name: `${name}.bias`, shape: [size], optional }] : []),
  ];
  const layer = (i: number): TensorSpec[] => {
    const p = `decoder.layers.${i}`;
    const a = `${p}.self_attn`;
    const qkSize = c.qk_norm === 'whole' ? [qRows, kvRows] : [c.head_dim, c.head_dim];
    return [
      ...linearTensors(`${a}.q`, qRows, d, c.qkv_bias),
      ...linearTensors(`${a}.k`, kvRows, d, c.qkv_bias),
      ...linearTensors(`${a}.v`, kvRows, d, c.qkv_bias),
      ...linearTensors(`${a}.o`, d, qRows, c.o_bias),
      ...(c.qk_norm === 'none'
        ? []
        : [
            { name: `${a}.q_norm.weight`, shape: [qkSize[0]] },
            { name: `${a}.k_norm.weight`, shape: [qkSize[1]] },
          ]),
      ...['attn_norm', 'post_attn_norm', 'ffn_norm', 'post_ffn_norm'].flatMap((n) => norm(`${p}.${n}`, d, true)),
      ...(c.mlp === 'gated'
        ? [
            ...linearTensors(`${p}.ffn.gate`, c.d_ff, d, c.mlp_bias),
            ...linearTensors(`${p}.ffn.up`, c.d_ff, d, c.mlp_bias),
            ...linearTensors(`${p}.ffn.down`, d, c.d_ff, c.mlp_bias),
          ]
        : [...linearTensors(`${p}.ffn.fc1`, c.d_ff, d, c.mlp_bias), ...linearTensors(`${p}.ffn.fc2`, d, c.d_ff, c.mlp_bias)]),
    ];
  };
  yield { name: 'embed.tokens', shape: [c.vocab_size, d] };
  for (let i = 0; i < c.layers; i++) yield* layer(i);
  yield* norm('decoder.final_norm');
  yield { name: 'lm_head.weight', shape: [c.vocab_size, d], optional: true }; // absent: tied to embed.tokens
}

export class HfDecoderModel {
  readonly cfg: HfDecoderConfig;
  readonly parameters: number;
  private readonly tokens: WeightData; // [vocab, d] in the file's dtype: rows are converted as they are gathered
  private readonly layers: Layer[] = [];
  private readonly finalNorm: NormW;
  private readonly lmHead: WeightData;

  constructor(
    model: Model,
    private readonly kernels: Kernels = referenceKernels,
  ) {
    const c = (this.cfg = model.config);
    const r = new TensorReader(model, hfDecoderTensors(c));
    const d = c.d_model;
    const lin = (name: string, out: number, inp: number, bias: boolean): Linear => ({
      w: r.weight(`${name}.weight`, [out, inp]),
      b: bias ? r.get(`${name}.bias`, [out]) : undefined,
      out,
      in: inp,
    });
    const norm = (name: string, size = d): NormW => ({
      w: r.get(`${name}.weight`, [size]),
      b: c.norm === 'layernorm' ? r.get(`${name}.bias`, [size]) : undefined,
    });
    const optional = (name: string) => (r.has(`${name}.weight`) ? norm(name) : undefined);
    this.tokens = r.weight('embed.tokens', [c.vocab_size, d]);
    const qRows = c.heads * c.head_dim,
      kvRows = c.kv_heads * c.head_dim;
    for (let i = 0; i < c.layers; i++) {
      const p = `decoder.layers.${i}`;
      const a = `${p}.self_attn`;
      const qkSize = c.qk_norm === 'whole' ? [qRows, kvRows] : [c.head_dim, c.head_dim];
      const l: Layer = {
        q: lin(`${a}.q`, qRows, d, c.qkv_bias),
        k: lin(`${a}.k`, kvRows, d, c.qkv_bias),
        v: lin(`${a}.v`, kvRows, d, c.qkv_bias),
        o: lin(`${a}.o`, d, qRows, c.o_bias),
        qNorm: c.qk_norm === 'none' ? undefined : r.get(`${a}.q_norm.weight`, [qkSize[0]]),
        kNorm: c.qk_norm === 'none' ? undefined : r.get(`${a}.k_norm.weight`, [qkSize[1]]),
        // Which norms a layer has is the family's layout (OLMo2: only post-norms; Gemma2/3: all four).
        attnNorm: optional(`${p}.attn_norm`),
        postAttnNorm: optional(`${p}.post_attn_norm`),
        ffnNorm: optional(`${p}.ffn_norm`),
        postFfnNorm: optional(`${p}.post_ffn_norm`),
      };
      if (c.mlp === 'gated') {
        l.gate = lin(`${p}.ffn.gate`, c.d_ff, d, c.mlp_bias);
        l.up = lin(`${p}.ffn.up`, c.d_ff, d, c.mlp_bias);
        l.down = lin(`${p}.ffn.down`, d, c.d_ff, c.mlp_bias);
      } else {
        l.fc1 = lin(`${p}.ffn.fc1`, c.d_ff, d, c.mlp_bias);
        l.fc2 = lin(`${p}.ffn.fc2`, d, c.d_ff, c.mlp_bias);
      }
      this.layers.push(l);
    }
    this.finalNorm = norm('decoder.final_norm');
    this.lmHead = r.has('lm_head.weight') ? r.weight('lm_head.weight', [c.vocab_size, d]) : this.tokens;
    r.finish();
    this.parameters = r.parameterCount();
  }

  private norm(x: Float32Array, rows: number, n: NormW, cols = this.cfg.d_model): Float32Array {
    const c = this.cfg;
    if (c.norm === 'layernorm') return this.kernels.layerNorm(x, rows, cols, n.w, n.b!, c.norm_eps);
    return rmsNorm(x, rows, cols, n.w, c.norm_eps, c.norm === 'rms-gemma');
  }

  private linear(x: Float32Array, rows: number, l: Linear): Float32Array {
    return this.kernels.linear(x, rows, l.in, l.w, l.out, l.b);
  }

  /** Token embeddings × embed_scale (Gemma: √d_model as float32). */
  private embed(ids: number[], field: string): Float32Array {
    const { d_model: d, vocab_size: V, embed_scale: s } = this.cfg;
    const x = new Float32Array(ids.length * d);
    ids.forEach((id, i) => {
      if (!Number.isInteger(id) || id < 0 || id >= V) {
        throw new InputError(`${field}[${i}]`, `token id ${id} is outside the vocabulary 0…${V - 1}`);
      }
      convertInto(this.tokens, id * d, (id + 1) * d, x, i * d);
      for (let j = i * d; j < (i + 1) * d; j++) x[j] *= s;
    });
    return x;
  }

  /**
   * The decoder layers over `ids` at positions first…first+n−1 → final-normed hidden [n, d].
   * With `caches`, each layer's rotated keys and values are appended and attended over.
   */
  forward(ids: number[], first: number, caches: LayerCache[] | undefined, rec: Recorder | undefined, ctl: RunControl): Float32Array {
    const c = this.cfg;
    const n = ids.length;
    const d = c.d_model;
    let x = this.embed(ids, 'ids');
    const positions = Array.from({ length: n }, (_, i) => first + i);
    this.layers.forEach((l, layer) => {
      checkpoint(ctl, layer, c.layers, `decoder layer ${layer + 1}/${c.layers}`, rec?.attentions);
      const where = { part: 'decoder' as const, layer };
      const h = l.attnNorm ? this.norm(x, n, l.attnNorm) : x;
      let a = this.attention(h, n, l, layer, positions, caches?.[layer], rec);
      if (l.postAttnNorm) a = this.norm(a, n, l.postAttnNorm);
      midLayer(ctl);
      if (c.residual === 'parallel') {
        // GPTNeoXLayer.forward (use_parallel_residual): mlp(ln2(x)) + attn(ln1(x)) + x
        const f = this.mlp(this.norm(x, n, l.ffnNorm!), n, l);
        const out = new Float32Array(n * d);
        for (let i = 0; i < out.length; i++) out[i] = Math.fround(f[i] + a[i]) + x[i];
        record(rec, { ...where, sublayer: 'self_attn' }, x, a, out, n);
        record(rec, { ...where, sublayer: 'ffn' }, x, f, out, n);
        x = out;
        return;
      }
      const mid = add(x, a);
      record(rec, { ...where, sublayer: 'self_attn' }, x, a, mid, n);
      let f = this.mlp(l.ffnNorm ? this.norm(mid, n, l.ffnNorm) : mid, n, l);
      if (l.postFfnNorm) f = this.norm(f, n, l.postFfnNorm);
      x = add(mid, f);
      record(rec, { ...where, sublayer: 'ffn' }, mid, f, x, n);
    });
    return this.norm(x, n, this.finalNorm);
  }

  /** LlamaMLP: down(act(gate(x)) · up(x)); GPTNeoXMLP: fc2(act(fc1(x))). */
  private mlp(x: Float32Array, n: number, l: Layer): Float32Array {
    if (!l.gate) {
      if (this.kernels.feedForward) return this.kernels.feedForward(x, n, l.fc1!, l.fc2!, this.cfg.activation);
      const hidden = this.linear(x, n, l.fc1!);
      this.kernels.activate(hidden, this.cfg.activation);
      return this.linear(hidden, n, l.fc2!);
    }
    const gate = this.linear(x, n, l.gate);
    this.kernels.activate(gate, this.cfg.activation);
    const up = this.linear(x, n, l.up!);
    for (let i = 0; i < gate.length; i++) gate[i] *= up[i];
    return this.linear(gate, n, l.down!);
  }

  private attention(
    x: Float32Array, // [n, d], normed
    n: number,
    l: Layer,
    layer: number,
    positions: number[],
    cache: LayerCache | undefined,
    rec?: Recorder,
  ): Float32Array {
    const c = this.cfg;
    const { heads: H, kv_heads: KV, head_dim: hd } = c;
    let q = this.linear(x, n, l.q); // [n, H·hd]
    let k = this.linear(x, n, l.k); // [n, KV·hd]
    const v = this.linear(x, n, l.v);
    const plusOne = c.norm === 'rms-gemma';
    if (c.qk_norm === 'whole') {
      // Olmo2Attention: q_norm / k_norm over the whole projection, before the heads are split.
      q = rmsNorm(q, n, H * hd, l.qNorm!, c.norm_eps);
      k = rmsNorm(k, n, KV * hd, l.kNorm!, c.norm_eps);
    } else if (c.qk_norm === 'per-head') {
      // Qwen3Attention / Gemma3Attention: RMSNorm of each head's vector, before RoPE.
      q = rmsNorm(q, n * H, hd, l.qNorm!, c.norm_eps, plusOne);
      k = rmsNorm(k, n * KV, hd, l.kNorm!, c.norm_eps, plusOne);
    }
    const rope = c.rope[layer];
    // dynamic_rope_update: the frequencies follow the longest position of this forward call.
    const tables = ropeTables(ropeInvFreq(rope, positions[positions.length - 1] + 1), positions);
    applyRope(q, n, H, hd, tables);
    applyRope(k, n, KV, hd, tables);
    let keys = k,
      values = v,
      nk = n;
    if (cache) {
      cache.append(k, v, n);
      ({ k: keys, v: values, length: nk } = cache);
    }
    const window = c.sliding_window[layer];
    // create_causal_mask / sliding_window_overlay: key j is visible from query i iff j ≤ i and,
    // in a sliding layer, j > i − window (1 = hidden, as attention.ts's masks).
    const offset = nk - n; // cached keys before this call's first query
    const mask = new Uint8Array(n * nk);
    for (let i = 0; i < n; i++) {
      const qi = offset + i;
      for (let j = 0; j < nk; j++) mask[i * nk + j] = j > qi || (window !== null && j <= qi - window) ? 1 : 0;
    }
    // repeat_kv: query head h reads K/V head ⌊h / (H / KV)⌋.
    const kx = repeatKv(keys, nk, KV, H, hd),
      vx = repeatKv(values, nk, KV, H, hd);
    // The kernels scale by 1/√hd: fold the family's own scaling (Gemma2: query_pre_attn_scalar) into q.
    const fold = c.query_scale * Math.sqrt(hd);
    if (fold !== 1) for (let i = 0; i < q.length; i++) q[i] *= fold;
    const att = c.attn_softcap
      ? softcappedAttention(q, kx, vx, n, nk, H, hd, mask, c.attn_softcap)
      : (this.kernels.attention ?? scaledDotProductAttention)(q, kx, vx, n, nk, H, hd, mask);
    const { probs, scores } = att; // [H, n, nk]
    const shared = { ...(KV < H && { kvHeads: KV }), ...(window !== null && { window }) };
    rec?.attentions.push({ part: 'decoder', layer, heads: H, queries: n, keys: nk, probs, scores, mask, ...shared });
    if (rec?.qkv && (!rec.qkvOnly || (rec.qkvOnly.part === 'decoder' && rec.qkvOnly.layer === layer))) {
      const vectors = { q: byHead(q, n, H, hd), k: byHead(kx, nk, H, hd), v: byHead(vx, nk, H, hd) };
      const recorded = { part: 'decoder' as const, layer, heads: H, headDim: hd, queries: n, keys: nk, ...vectors };
      rec.qkv.push(recorded);
      rec.qkvOnly?.found?.(recorded);
    }
    return this.linear(att.context, n, l.o);
  }

  /** [rows, vocab] logits; Gemma2's final_logit_softcapping: tanh(logits / cap) · cap. */
  logits(hidden: Float32Array, rows: number): Float32Array {
    const c = this.cfg;
    const out = this.kernels.linear(hidden, rows, c.d_model, this.lmHead, c.vocab_size);
    const cap = c.final_softcap;
    if (cap) for (let i = 0; i < out.length; i++) out[i] = Math.tanh(Math.fround(out[i] / cap)) * cap;
    return out;
  }

  /**
   * Greedy continuation as generate(do_sample=False) makes it: the prompt once, then one token per
   * step over the KV cache, up to `steps` tokens or an eos id (kept, as HF keeps it). `onLogits`
   * hears each step's [vocab] logits.
   */
  generate(ids: number[], steps: number, ctl: RunControl = noControl, onLogits?: (logits: Float32Array) => void): number[] {
    const caches = this.caches();
    const out: number[] = [];
    let input = ids;
    for (let s = 0; s < steps; s++) {
      const first = caches[0]?.length ?? 0;
      const h = this.forward(input, first, caches, undefined, ctl);
      const logits = this.logits(h.subarray((input.length - 1) * this.cfg.d_model), 1);
      onLogits?.(logits);
      const next = argmaxRows(logits, 1)[0];
      out.push(next);
      if (this.cfg.eos_ids.includes(next)) break;
      input = [next];
    }
    return out;
  }

  /** One empty KV cache per layer. */
  caches(): LayerCache[] {
    return this.layers.map(() => new LayerCache());
  }
}

export function buildHfDecoder(model: Model, kernels?: Kernels): RunnableModel & { model: HfDecoderModel } {
  const t = new HfDecoderModel(model, kernels);
  const c = t.cfg;
  const windows = [...new Set(c.sliding_window.map((w) => (w === null ? 'full' : `window ${w}`)))].join(' / ');
  return {
    model: t,
    kind: 'decoder',
    parameters: t.parameters,
    hasTarget: false,
    details: {
      kind: 'decoder',
      model_type: c.model_type,
      d_model: c.d_model,
      heads: c.heads,
      kv_heads: c.kv_heads,
      head_dim: c.head_dim,
      d_ff: c.d_ff,
      decoder_layers: c.layers,
      activation: c.activation,
      norm: c.norm,
      positions: `rope ${c.rope[0]?.type ?? ''}`,
      attention: windows,
      // Gemma2: attn_logit_softcapping squashes every score before the softmax (the scores shown are capped).
      ...(c.attn_softcap ? { score_softcap: `tanh(s/${c.attn_softcap})·${c.attn_softcap}` } : {}),
      vocab_size: c.vocab_size,
    },
    run: (ids, opts, ctl): ModelOutput => {
      if (opts.targetIds) throw new InputError('target_ids', 'a decoder-only model takes its whole sequence as ids');
      if (ids.length === 0) throw new InputError('ids', 'at least one token is needed');
      if (opts.generate) {
        // Greedy continuation over the KV cache; each generated token's row is its step's attention.
        const caches = t.caches();
        const g = greedyContinuation(
          ids,
          opts.generate,
          c.eos_ids,
          (input, rec, stepCtl) => {
            const h = t.forward(input, caches[0]?.length ?? 0, caches, rec, stepCtl);
            return argmaxRows(t.logits(h, input.length), input.length);
          },
          opts.withQKV === true,
          ctl,
        );
        return { targetIds: [], attentions: g.attentions, addNorm: g.addNorm, qkv: g.qkv, predicted: g.predicted, generated: g.generated };
      }
      const rec = recorder(opts.withQKV);
      const h = t.forward(ids, 0, undefined, rec, ctl);
      const predicted = argmaxRows(t.logits(h, ids.length), ids.length);
      return { targetIds: [], ...rec, predicted, rope: ropeSummary(c.rope, c.head_dim, ids.length) };
    },
  };
}
