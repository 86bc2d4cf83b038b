// T-DMCA (Liu et al. 2018): a decoder-only transformer whose layers alternate local attention
// (causal inside blocks of block_size tokens) and memory-compressed attention (keys and values
// shortened 3× by a strided convolution). Otherwise the transformer's layer: Add & Norm, FFN.
import type { LoadedModel, TdmcaConfig } from '../format/loaded';
import type { Kernels } from '../kernels/reference';
import { referenceKernels } from '../kernels/reference';
import { InputError } from '../format/errors';
import { sinusoidalEncoding } from '../positional';
import { checkpoint, noControl, type RunControl } from '../control';
import type { TdmcaData } from '../../../common/archViews/tdmca';
import { normTensors, TensorReader, type TensorSpec } from './tensorReader';
import { LayerRunner, layerTensors, readLayer, readNorm, type LayerWeights, type Norm, type Recorder } from './transformerLayer';
import { argmaxRows } from './transformer';
import { compressedSpans, maskedSelfAttention, type Compression } from './tdmcaAttention';
import type { ModelOutput, RunnableModel, RunOptions } from './runnable';

type Model = LoadedModel & { architecture: 'tdmca' };

/** The tensors a T-DMCA decoder reads; compressed layers add their K and V convolutions [d, d, stride]. */
export function tdmcaTensors(c: TdmcaConfig): TensorSpec[] {
  const d = c.d_model;
  const conv = (i: number, name: string): TensorSpec[] => {
    const p = `decoder.layers.${i}.self_attn.${name}`;
    return [
      { name: `${p}.weight`, shape: [d, d, c.compression] },
      { name: `${p}.bias`, shape: [d] },
    ];
  };
  return [
    { name: 'embed.tokens', shape: [c.vocab_size, d] },
    ...(c.positions === 'learned' ? [{ name: 'embed.positions', shape: [c.max_positions, d] }] : []),
    ...c.layers.flatMap((type, i) => [
      ...layerTensors(c, 'decoder', i, false),
      ...(type === 'compressed' ? [...conv(i, 'compress_k'), ...conv(i, 'compress_v')] : []),
    ]),
    ...(c.final_norm ? normTensors('decoder.final_norm', d) : []),
    { name: 'lm_head.weight', shape: [c.vocab_size, d], optional: true }, // absent: tied to embed.tokens
    { name: 'lm_head.bias', shape: [c.vocab_size], optional: true },
  ];
}

export class TdmcaModel {
  readonly cfg: TdmcaConfig;
  readonly parameters: number;
  private readonly run: LayerRunner;
  private readonly tokens: Float32Array; // [vocab, d]
  private readonly positions?: Float32Array; // [max_positions, d]
  private readonly layers: (LayerWeights & { compress?: Compression })[] = [];
  private readonly finalNorm?: Norm;
  private readonly head: { w: Float32Array; b?: Float32Array };

  constructor(model: Model, kernels: Kernels = referenceKernels) {
    const c = (this.cfg = model.config);
    const d = c.d_model;
    const r = new TensorReader(model, tdmcaTensors(c));
    this.run = new LayerRunner(kernels, c);
    this.tokens = r.get('embed.tokens', [c.vocab_size, d]);
    if (c.positions === 'learned') this.positions = r.get('embed.positions', [c.max_positions, d]);
    else if (c.positions === 'sinusoidal') this.positions = sinusoidalEncoding(c.max_positions, d, 'sinusoidal');
    c.layers.forEach((type, i) => {
      const l: LayerWeights & { compress?: Compression } = readLayer(r, c, 'decoder', i, false);
      if (type === 'compressed') {
        const conv = (name: string) => {
          const p = `decoder.layers.${i}.self_attn.${name}`;
          return { w: r.get(`${p}.weight`, [d, d, c.compression]), b: r.get(`${p}.bias`, [d]) };
        };
        l.compress = { k: conv('compress_k'), v: conv('compress_v'), stride: c.compression };
      }
      this.layers.push(l);
    });
    if (c.final_norm) this.finalNorm = readNorm(r, 'decoder.final_norm', d);
    this.head = {
      w: r.has('lm_head.weight') ? r.get('lm_head.weight', [c.vocab_size, d]) : this.tokens,
      b: r.has('lm_head.bias') ? r.get('lm_head.bias', [c.vocab_size]) : undefined,
    };
    r.finish();
    this.parameters = r.parameterCount();
  }

  /** Token embedding + position → hidden states [n, d] after every layer (and the final norm). */
  forward(ids: number[], rec?: Recorder, ctl: RunControl = noControl): Float32Array {
    const c = this.cfg;
    const d = c.d_model;
    const n = ids.length;
    if (n === 0) throw new InputError('ids', 'at least one token is needed');
    if (this.positions && n > c.max_positions)
      throw new InputError('ids', `at most ${c.max_positions} tokens fit this model's positions, got ${n}`);
    let x: Float32Array = new Float32Array(n * d); // [n, d]
    ids.forEach((id, i) => {
      if (!Number.isInteger(id) || id < 0 || id >= c.vocab_size)
        throw new InputError(`ids[${i}]`, `token id ${id} is outside the vocabulary 0…${c.vocab_size - 1}`);
      for (let j = 0; j < d; j++) x[i * d + j] = this.tokens[id * d + j] + (this.positions ? this.positions[i * d + j] : 0);
    });
    this.layers.forEach((l, layer) => {
      checkpoint(ctl, layer, this.layers.length, `${c.layers[layer]} layer ${layer + 1}/${this.layers.length}`, rec?.attentions);
      const where = { part: 'decoder' as const, layer };
      const how = l.compress ? { compress: l.compress } : { block: c.block_size };
      x = this.run.addNorm(
        x,
        n,
        l.selfNorm,
        (h) => maskedSelfAttention(this.run, h, n, l.selfAttn, c.heads, how, where, rec),
        { ...where, sublayer: 'self_attn' },
        rec,
      );
      x = this.run.addNorm(x, n, l.ffnNorm, (h) => this.run.feedForward(h, n, l, c.activation), { ...where, sublayer: 'ffn' }, rec);
    });
    return this.finalNorm ? this.run.layerNorm(x, n, this.finalNorm) : x;
  }

  /** [n, vocab] next-token logits (lm_head, or tied to the token embedding). */
  logits(h: Float32Array, n: number): Float32Array {
    return this.run.linear(h, n, { w: this.head.w, b: this.head.b, out: this.cfg.vocab_size, in: this.cfg.d_model });
  }
}

export function buildTdmca(model: Model, kernels?: Kernels): RunnableModel & { model: TdmcaModel } {
  const t = new TdmcaModel(model, kernels);
  const c = t.cfg;
  return {
    model: t,
    kind: 'decoder (T-DMCA)',
    parameters: t.parameters,
    hasTarget: false,
    details: {
      d_model: c.d_model,
      heads: c.heads,
      d_ff: c.d_ff,
      layers: c.layers.map((l) => (l === 'local' ? 'L' : 'M')).join(''),
      block_size: c.block_size,
      compression: c.compression,
      norm: `${c.norm}-LN`,
      positions: c.positions,
      vocab_size: c.vocab_size,
    },
    run: (ids: number[], opts: RunOptions, ctl: RunControl): ModelOutput => {
      if (opts.targetIds) throw new InputError('target_ids', 'a decoder-only model takes its whole sequence as ids');
      const rec: Recorder = { attentions: [], addNorm: [] };
      const h = t.forward(ids, rec, ctl);
      const n = ids.length;
      const data: TdmcaData = {
        blockSize: c.block_size,
        compression: c.compression,
        spans: compressedSpans(n, c.compression),
        layers: c.layers.map((type, layer) => ({ layer, type })),
        compressed: rec.attentions
          .filter((a) => c.layers[a.layer] === 'compressed')
          .map((a) => ({ layer: a.layer, heads: a.heads, keys: a.keys, probs: Array.from(a.probs) })),
      };
      return {
        targetIds: [],
        ...rec,
        predicted: argmaxRows(t.logits(h, n), n),
        app: {
          kind: 'tdmca',
          title: 'Memory-compressed attention over the original tokens',
          explain:
            `Pick a query token: each bar is one compressed key, drawn under the ${c.compression} tokens its strided convolution summarises, shaded by the query's attention to it. ` +
            `A key is visible only once all its tokens are at or before the query. Brackets mark the local-attention blocks of ${c.block_size} tokens.`,
          data,
        },
      };
    },
  };
}
