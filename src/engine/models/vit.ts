// ViT / DeiT encoders (transformers' modeling_vit.py, modeling_deit.py): the image cut into
// patches, each patch a linear map of its pixels (Conv2d with stride = kernel = patch_size), [CLS]
// (and DeiT's distillation token) in front, learned positions added, then pre-LN layers.
import type { ModelOf } from '../format/loaded';
import type { VitConfig } from '../format/hfVision';
import { InputError } from '../format/errors';
import type { Kernels } from '../kernels/reference';
import { referenceKernels } from '../kernels/reference';
import { checkpoint } from '../control';
import { linearTensors, normTensors, TensorReader } from './tensorReader';
import type { TensorSpec } from '../format/tensors';
import { LayerRunner, readLinear, readNorm, recorder, type LayerWeights, type Linear } from './transformerLayer';
import type { Pixels, RunnableModel } from './runnable';
import { VIT_IMAGE, type VitImageData } from '../../../common/archViews/vit-image';

/** Sequence labels: the special tokens, then the patches in row-major order (ViTPatchEmbeddings: flatten(2)). */
export function vitTokens(c: VitConfig): string[] {
  const g = Math.floor(c.image_size / c.patch_size);
  const patches = Array.from({ length: g * g }, (_, i) => `patch (${Math.floor(i / g)},${i % g})`);
  return [...specialTokens(c), ...patches];
}

const specialTokens = (c: VitConfig) => (c.distillation ? ['[CLS]', '[DIST]'] : ['[CLS]']);

/** What buildVit reads, in its order: the patch embedding, the specials and positions, then each pre-LN layer. */
export function* vitTensors(c: VitConfig): Generator<TensorSpec> {
  const d = c.d_model;
  const p = c.patch_size;
  const n = Math.floor(c.image_size / p) ** 2 + specialTokens(c).length;
  yield { name: 'embed.patch.weight', shape: [d, c.num_channels, p, p] };
  yield { name: 'embed.patch.bias', shape: [d] };
  yield { name: 'embed.cls', shape: [1, d] };
  if (c.distillation) yield { name: 'embed.dist', shape: [1, d] };
  yield { name: 'embed.positions', shape: [n, d] };
  for (let i = 0; i < c.layers; i++) {
    const e = `encoder.layers.${i}`;
    for (const x of ['q', 'k', 'v']) yield* linearTensors(`${e}.self_attn.${x}`, d, d, c.qkv_bias);
    yield* linearTensors(`${e}.self_attn.o`, d, d);
    yield* normTensors(`${e}.self_attn_norm`, d);
    yield* linearTensors(`${e}.ffn.fc1`, c.d_ff, d);
    yield* linearTensors(`${e}.ffn.fc2`, d, c.d_ff);
    yield* normTensors(`${e}.ffn_norm`, d);
  }
}

export function buildVit(model: ModelOf<'hf-vit'>, kernels: Kernels = referenceKernels): RunnableModel {
  const c = model.config;
  const r = new TensorReader(model, vitTensors(c));
  const d = c.d_model;
  const p = c.patch_size;
  const C = c.num_channels;
  const grid = Math.floor(c.image_size / p);
  const nPatches = grid * grid;
  const specials = specialTokens(c);
  const n = specials.length + nPatches;
  // Conv2d weight [d, C, p, p] is a linear map [d, C·p·p] of a patch's pixels in (channel, row, column) order.
  const patch: Linear = { w: r.get('embed.patch.weight', [d, C, p, p]), b: r.get('embed.patch.bias', [d]), out: d, in: C * p * p };
  const cls = r.get('embed.cls', [1, d]);
  const dist = c.distillation ? r.get('embed.dist', [1, d]) : undefined;
  const positions = r.get('embed.positions', [n, d]);
  const spec = { ...c, linear_bias: true };
  const layers = Array.from({ length: c.layers }, (_, i): LayerWeights => {
    const e = `encoder.layers.${i}`;
    // ViTAttention.__init__: q/k/v are nn.Linear(bias=config.qkv_bias); the output projection always has one.
    const qkv = (x: string) => readLinear(r, `${e}.self_attn.${x}`, d, d, c.qkv_bias);
    return {
      selfAttn: { q: qkv('q'), k: qkv('k'), v: qkv('v'), o: readLinear(r, `${e}.self_attn.o`, d, d) },
      selfNorm: readNorm(r, `${e}.self_attn_norm`, d), // layernorm_before
      fc1: readLinear(r, `${e}.ffn.fc1`, c.d_ff, d),
      fc2: readLinear(r, `${e}.ffn.fc2`, d, c.d_ff),
      ffnNorm: readNorm(r, `${e}.ffn_norm`, d), // layernorm_after
    };
  });
  r.finish();
  const run = new LayerRunner(kernels, spec);
  const tokens = vitTokens(c);

  /** ViTEmbeddings.forward (DeiTEmbeddings.forward): cat([CLS], ([DIST]), patches) + position_embeddings. */
  const embed = (px: Pixels): Float32Array => {
    const cols = new Float32Array(nPatches * C * p * p); // [patches, C·p·p]
    for (let gy = 0; gy < grid; gy++)
      for (let gx = 0; gx < grid; gx++)
        for (let ch = 0; ch < C; ch++)
          for (let y = 0; y < p; y++) {
            const src = (ch * px.height + gy * p + y) * px.width + gx * p;
            cols.set(px.data.subarray(src, src + p), (((gy * grid + gx) * C + ch) * p + y) * p);
          }
    const emb = run.linear(cols, nPatches, patch); // [patches, d]
    const x = new Float32Array(n * d);
    x.set(cls, 0);
    if (dist) x.set(dist, d);
    x.set(emb, specials.length * d);
    for (let i = 0; i < x.length; i++) x[i] += positions[i];
    return x;
  };

  return {
    kind: 'encoder',
    parameters: r.parameterCount(),
    hasTarget: false,
    image: { channels: C, height: c.image_size, width: c.image_size, tokens, preprocess: c.preprocess },
    details: {
      model_type: c.model_type,
      image_size: c.image_size,
      patch_size: c.patch_size,
      patches: nPatches,
      d_model: d,
      heads: c.heads,
      layers: c.layers,
    },
    run(_ids, opts, ctl) {
      const px = opts.pixels;
      if (!px)
        throw new InputError('image', `a ${c.model_type} model reads an image (give an image file or pixel_values), not text or ids`);
      // ViTEmbeddings.forward without interpolate_pos_encoding: the input must be image_size square.
      if (px.channels !== C || px.height !== c.image_size || px.width !== c.image_size) {
        const want = `[${C}][${c.image_size}][${c.image_size}]`;
        throw new InputError('pixel_values', `shape ${want} (channels, height, width); found [${px.channels}][${px.height}][${px.width}]`);
      }
      const rec = recorder(opts.withQKV);
      let x = embed(px);
      layers.forEach((l, layer) => {
        checkpoint(ctl, layer, layers.length, `encoder layer ${layer + 1}/${layers.length}`, rec.attentions);
        const where = { part: 'encoder' as const, layer };
        // ViTLayer.forward: h = x + attention(layernorm_before(x)); out = h + mlp(layernorm_after(h)).
        const mid = run.addNorm(
          x,
          n,
          l.selfNorm,
          (h) => run.attention(h, n, l.selfAttn, 'self', where, rec),
          { ...where, sublayer: 'self_attn' },
          rec,
        );
        run.release(x);
        x = run.addNorm(mid, n, l.ffnNorm, (h) => run.feedForward(h, n, l, c.activation), { ...where, sublayer: 'ffn' }, rec);
        run.release(mid);
      });
      run.release(x);
      return {
        targetIds: [],
        attentions: rec.attentions,
        addNorm: rec.addNorm,
        qkv: rec.qkv,
        app: { kind: VIT_IMAGE, title: 'Attention of [CLS] over the image', explain: explain(c), data: viewData(c, px, rec.attentions) },
      };
    },
  };
}

function explain(c: VitConfig): string {
  const dist = c.distillation ? ' DeiT also has a distillation token [DIST]: switch between the two.' : '';
  return (
    `The image as the model sees it, cut into ${c.patch_size}×${c.patch_size}-pixel patches; each patch is tinted by how much ` +
    `[CLS] attends to it in the chosen layer and head.${dist} Attention to the special tokens themselves is not drawn.`
  );
}

/** The [CLS] ([DIST]) rows over the patches for every layer and head, and the image to draw them on. */
function viewData(c: VitConfig, px: Pixels, attentions: { probs: Float32Array; heads: number }[]): VitImageData {
  const specials = specialTokens(c);
  const grid = Math.floor(c.image_size / c.patch_size);
  const np = grid * grid;
  const n = specials.length + np;
  const rows = new Float32Array(specials.length * attentions.length * c.heads * np);
  specials.forEach((_, q) =>
    attentions.forEach((a, l) => {
      for (let h = 0; h < c.heads; h++) {
        const src = (h * n + q) * n + specials.length;
        rows.set(a.probs.subarray(src, src + np), ((q * attentions.length + l) * c.heads + h) * np);
      }
    }),
  );
  return {
    height: px.height,
    width: px.width,
    image: displayImage(c, px),
    patch: c.patch_size,
    grid,
    layers: attentions.length,
    heads: c.heads,
    queries: specials,
    attention: rows,
  };
}

/** pixel_values back to bytes: the processor's normalize and rescale undone, else the value range stretched. */
function displayImage(c: VitConfig, px: Pixels): Uint8Array {
  const { height: H, width: W, data } = px;
  const out = new Uint8Array(H * W * 3);
  const norm = c.preprocess?.normalize;
  const scale = c.preprocess?.rescale ?? 1 / 255;
  let lo = Infinity,
    hi = -Infinity;
  for (const v of data) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  for (let ch = 0; ch < 3; ch++) {
    const from = Math.min(ch, px.channels - 1) * H * W; // one channel: grey
    for (let i = 0; i < H * W; i++) {
      const v = data[from + i];
      const byte = norm ? (v * norm.std[ch] + norm.mean[ch]) / scale : hi > lo ? ((v - lo) / (hi - lo)) * 255 : 128;
      out[i * 3 + ch] = Math.max(0, Math.min(255, Math.round(byte)));
    }
  }
  return out;
}
