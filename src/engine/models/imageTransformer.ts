// Image Transformer (Parmar et al. 2018): a decoder over the pixels of a small image with local
// self-attention (localAttention.ts: local-1d or local-2d query/memory blocks), as
// docs/model-format.md "Architecture image-transformer" writes it:
//   x_s = E[id_s] + R[row(s)] + C[col(s)]   (learned row and column embeddings)
//   N × (masked local self-attention, Add & Norm, feed-forward, Add & Norm)   (post- or pre-LN)
//   logits_s = W·x_s + b: the distribution of the pixel at sequence position s + 1.
// Attention is recorded as [heads, n, n] over the whole sequence with every key outside the
// query's memory block masked (probability 0): the inspector's grid then indexes keys by pixel.
import type { ImageTransformerConfig, LoadedModel } from '../format/loaded';
import { InputError, ModelFormatError } from '../format/errors';
import { referenceKernels, type Kernels } from '../kernels/reference';
import { scaledDotProductAttention } from '../attention';
import { checkpoint } from '../control';
import { linearTensors, normTensors, TensorReader, type TensorSpec } from './tensorReader';
import { LayerRunner, layerTensors, readLayer, readNorm, type AttentionWeights, type Recorder } from './transformerLayer';
import { generationOrder, localMask, type LocalSpec } from '../../../common/localAttention';
import type { RunnableModel } from './runnable';
import { IMAGE_TRANSFORMER, type ImageTransformerData } from '../../../common/archViews/image-transformer';

type Model = LoadedModel & { architecture: 'image-transformer' };

function checkConfig(model: Model): void {
  const c = model.config;
  const bad = (field: string, expected: string): never => {
    throw new ModelFormatError(model.file, `config.${field}`, expected);
  };
  if (c.d_model % c.heads !== 0) bad('heads', `a divisor of config.d_model ${c.d_model}; found ${c.heads}`);
  if (c.attention === 'local-2d') {
    if (c.height % (c.query_height ?? 1) !== 0)
      bad('query_height', `a divisor of config.height ${c.height} (blocks tile the image); found ${c.query_height}`);
    if (c.width % (c.query_width ?? 1) !== 0)
      bad('query_width', `a divisor of config.width ${c.width} (blocks tile the image); found ${c.query_width}`);
  }
  if (c.palette && c.palette.length !== c.vocab_size)
    bad('palette', `one colour per pixel id (${c.vocab_size}); found ${c.palette.length}`);
}

/** The tensors an Image Transformer reads: pixel-id, row and column embeddings, decoder layers, head. */
export function* imageTransformerTensors(c: ImageTransformerConfig): Generator<TensorSpec> {
  const d = c.d_model;
  yield { name: 'embed.tokens', shape: [c.vocab_size, d] };
  yield { name: 'embed.rows', shape: [c.height, d] };
  yield { name: 'embed.cols', shape: [c.width, d] };
  for (let i = 0; i < c.layers; i++) yield* layerTensors(c, 'decoder', i, false);
  if (c.final_norm) yield* normTensors('decoder.final_norm', d);
  yield* linearTensors('lm_head', c.vocab_size, d);
}

export function buildImageTransformer(model: Model, kernels: Kernels = referenceKernels): RunnableModel {
  checkConfig(model);
  const c: ImageTransformerConfig = model.config;
  const d = c.d_model;
  const N = c.height * c.width;
  const r = new TensorReader(model, imageTransformerTensors(c));
  const tokens = r.get('embed.tokens', [c.vocab_size, d]);
  const rowEmb = r.get('embed.rows', [c.height, d]);
  const colEmb = r.get('embed.cols', [c.width, d]);
  const layers = Array.from({ length: c.layers }, (_, i) => readLayer(r, c, 'decoder', i, false));
  const finalNorm = c.final_norm ? readNorm(r, 'decoder.final_norm', d) : undefined;
  const head = { w: r.get('lm_head.weight', [c.vocab_size, d]), b: r.get('lm_head.bias', [c.vocab_size]) };
  r.finish();
  const runner = new LayerRunner(kernels, c);
  const spec: LocalSpec = {
    height: c.height,
    width: c.width,
    attention: c.attention,
    query_length: c.query_length,
    memory_length: c.memory_length,
    query_height: c.query_height,
    query_width: c.query_width,
    memory_above: c.memory_above,
    memory_left: c.memory_left,
    memory_right: c.memory_right,
  };
  const order = generationOrder(spec);
  const palette = paletteBytes(c);
  const dHead = d / c.heads;

  /** Masked local self-attention of all n positions at once. */
  const localAttention = (x: Float32Array, n: number, w: AttentionWeights, mask: Uint8Array, layer: number, rec: Recorder) => {
    const q = runner.linear(x, n, w.q); // [n, d]
    const k = runner.linear(x, n, w.k); // [n, d]
    const v = runner.linear(x, n, w.v); // [n, d]
    const att = (kernels.attention ?? scaledDotProductAttention)(q, k, v, n, n, c.heads, dHead, mask); // probs [heads, n, n]
    rec.attentions.push({ part: 'decoder', layer, heads: c.heads, queries: n, keys: n, probs: att.probs, scores: att.scores, mask });
    return runner.linear(att.context, n, w.o); // [n, d]
  };

  return {
    kind: `Image Transformer (${c.attention})`,
    parameters: r.parameterCount(),
    hasTarget: false,
    details: {
      image: `${c.height}×${c.width}`,
      attention: c.attention,
      ...(c.attention === 'local-1d'
        ? { query_length: c.query_length ?? 1, memory_length: c.memory_length ?? 0 }
        : {
            query_block: `${c.query_height}×${c.query_width}`,
            memory: `${c.memory_above} above, ${c.memory_left} left, ${c.memory_right} right`,
          }),
      d_model: d,
      heads: c.heads,
      d_ff: c.d_ff,
      layers: c.layers,
      norm: `${c.norm}-LN`,
      vocab_size: c.vocab_size,
    },
    run(ids, opts, ctl) {
      if (opts.targetIds) throw new InputError('target_ids', 'an Image Transformer takes its pixels as ids (no target side)');
      if (ids.length === 0 || ids.length > N)
        throw new InputError('ids', `1 to ${N} pixel ids (a ${c.height}×${c.width} image in generation order); found ${ids.length}`);
      ids.forEach((id, i) => {
        if (!Number.isInteger(id) || id < 0 || id >= c.vocab_size)
          throw new InputError(`ids[${i}]`, `${String(id)} is not a pixel id; expected an integer in [0, ${c.vocab_size - 1}]`);
      });
      const n = ids.length;
      const x = new Float32Array(n * d); // [n, d]
      for (let s = 0; s < n; s++) {
        const row = Math.floor(order[s] / c.width);
        const col = order[s] % c.width;
        for (let k = 0; k < d; k++) x[s * d + k] = tokens[ids[s] * d + k] + rowEmb[row * d + k] + colEmb[col * d + k];
      }
      const mask = localMask(spec, n); // [n, n]
      const rec: Recorder = { attentions: [], addNorm: [] };
      let h: Float32Array = x;
      layers.forEach((l, i) => {
        checkpoint(ctl, i, c.layers, `layer ${i + 1} of ${c.layers}`, rec.attentions);
        h = runner.addNorm(
          h,
          n,
          l.selfNorm,
          (inp) => localAttention(inp, n, l.selfAttn, mask, i, rec),
          { part: 'decoder', layer: i, sublayer: 'self_attn' },
          rec,
        );
        h = runner.addNorm(
          h,
          n,
          l.ffnNorm,
          (inp) => runner.feedForward(inp, n, l, c.activation),
          { part: 'decoder', layer: i, sublayer: 'ffn' },
          rec,
        );
      });
      if (finalNorm) h = runner.layerNorm(h, n, finalNorm);
      const logits = kernels.linear(h, n, d, head.w, c.vocab_size, head.b); // [n, vocab]
      const predicted = Array.from({ length: n }, (_, s) => argmax(logits.subarray(s * c.vocab_size, (s + 1) * c.vocab_size)));
      const probs = new Float32Array(c.layers * c.heads * n * n); // [layers, heads, n, n]
      rec.attentions.forEach((a, i) => probs.set(a.probs, i * c.heads * n * n));
      const data: ImageTransformerData = {
        spec,
        order: [...order],
        ids: [...ids],
        predicted,
        palette,
        layers: c.layers,
        heads: c.heads,
        probs,
      };
      return {
        targetIds: [],
        attentions: rec.attentions,
        addNorm: rec.addNorm,
        predicted,
        app: {
          kind: IMAGE_TRANSFORMER,
          title: 'Local attention over the image',
          explain:
            'Click a pixel: the pixels it attends to are painted over the image (brighter = more weight), inside its memory block (dashed outline); its query block is outlined solid. Pixels after it in generation order are never attended; this attention is what predicts the next pixel in generation order.',
          data,
        },
      };
    },
  };
}

/** [vocab, 3] display colours: the file's palette, or a black-to-white ramp. */
function paletteBytes(c: ImageTransformerConfig): Uint8Array {
  const p = new Uint8Array(c.vocab_size * 3);
  for (let i = 0; i < c.vocab_size; i++) {
    const rgb = c.palette?.[i] ?? Array(3).fill(c.vocab_size === 1 ? 0 : Math.round((255 * i) / (c.vocab_size - 1)));
    p.set(
      rgb.map((v) => Math.max(0, Math.min(255, Math.round(v)))),
      i * 3,
    );
  }
  return p;
}

function argmax(x: Float32Array): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}
