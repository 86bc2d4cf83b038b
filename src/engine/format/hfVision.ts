// Hugging Face vision transformers: vit and deit folders (config.json + model.safetensors
// [+ preprocessor_config.json]) → the 'hf-vit' architecture (models/vit.ts). Semantics follow
// transformers' modeling_vit.py / modeling_deit.py and the PIL image processor
// (image_processing_pil_vit.py, PilBackend); each quirk names the function it comes from.
import * as fs from 'fs';
import * as path from 'path';
import { ModelFormatError, showValue } from './errors';
import type { Activation, LoadedModel } from './loaded';
import { readJsonObject } from './modelJson';
import { modelFolderName } from './files';
import { HfConfig, P, rename, type HfWeights, type Rule } from './hf';
import type { ImagePreprocess } from './image';
import { sameShape, shapeString } from '../tensor';
import type { WeightTensor } from '../weights';

export const HF_VISION_TYPES = ['vit', 'deit'] as const;
type VisionType = (typeof HF_VISION_TYPES)[number];

export function isHfVisionType(t: unknown): t is VisionType {
  return (HF_VISION_TYPES as readonly unknown[]).includes(t);
}

/** A ViT/DeiT encoder: pre-LN layers (ViTLayer.forward) over [CLS] ([DIST]) + patch tokens. */
export interface VitConfig {
  model_type: VisionType;
  /** Square input side and patch side, in pixels; patches = (image_size // patch_size)². */
  image_size: number;
  patch_size: number;
  num_channels: number;
  d_model: number;
  heads: number;
  d_ff: number;
  layers: number;
  activation: Activation;
  norm: 'pre';
  layer_norm_eps: number;
  qkv_bias: boolean;
  /** DeiTEmbeddings: a distillation token after [CLS]. */
  distillation: boolean;
  /** preprocessor_config.json, when the folder has one (needed for image files, not for pixel_values). */
  preprocess?: ImagePreprocess;
}

declare module './loaded' {
  interface ArchitectureConfigs {
    'hf-vit': VitConfig;
  }
}

export function readHfVision(dir: string, configFile: string, c: HfConfig, w: HfWeights): LoadedModel {
  const type = c.raw.model_type as VisionType;
  const config = visionConfig(c, type);
  const prep = path.join(dir, 'preprocessor_config.json');
  if (fs.existsSync(prep)) config.preprocess = readPreprocessor(prep, config.image_size);
  const names = Array.isArray(c.raw.architectures) ? c.raw.architectures.filter((a) => typeof a === 'string') : [];
  return {
    file: configFile,
    name: modelFolderName(dir),
    description: `Hugging Face ${type} checkpoint${names.length ? ` (${names.join(', ')})` : ''}`,
    architecture: 'hf-vit',
    config,
    weights: visionWeights(c, type, config, w),
    examples: [],
  };
}

/** ViTPatchEmbeddings.__init__ takes an int or an (h, w) pair; this engine implements square ones. */
function squareSide(c: HfConfig, key: string): number {
  const v = c.raw[key];
  if (Array.isArray(v) && v.length === 2 && v[0] === v[1] && Number.isInteger(v[0]) && v[0] > 0) return v[0] as number;
  if (Array.isArray(v)) throw new ModelFormatError(c.file, key, `a square size (one integer, or [n, n]); found ${showValue(v)}`);
  return c.int(key);
}

function visionConfig(c: HfConfig, type: VisionType): VitConfig {
  c.heads('hidden_size', 'num_attention_heads');
  const d = c.int('hidden_size');
  const heads = c.int('num_attention_heads');
  // ViTAttention.__init__: head_dim = getattr(config, "head_dim", hidden_size // num_attention_heads).
  if (c.raw.head_dim != null && c.raw.head_dim !== d / heads) {
    throw new ModelFormatError(c.file, 'head_dim', `hidden_size / num_attention_heads = ${d / heads}; found ${showValue(c.raw.head_dim)}`);
  }
  const image = squareSide(c, 'image_size');
  const patch = squareSide(c, 'patch_size');
  if (patch > image) throw new ModelFormatError(c.file, 'patch_size', `at most image_size ${image}; found ${patch}`);
  const bias = c.raw.qkv_bias ?? true;
  if (typeof bias !== 'boolean') throw new ModelFormatError(c.file, 'qkv_bias', `true or false; found ${showValue(bias)}`);
  return {
    model_type: type,
    image_size: image,
    patch_size: patch,
    num_channels: c.int('num_channels', 3),
    d_model: d,
    heads,
    d_ff: c.int('intermediate_size'),
    layers: c.int('num_hidden_layers'),
    activation: c.activation('hidden_act', 'gelu'),
    norm: 'pre',
    layer_norm_eps: c.num('layer_norm_eps', 1e-12),
    qkv_bias: bias,
    distillation: type === 'deit', // DeiTEmbeddings.forward: cat(cls, distillation, patches)
  };
}

/** ViTModel / DeiTModel parameter names (ViTForImageClassification prefixes them with vit. / deit.). */
function visionRules(): Rule[] {
  const L = 'encoder\\.layer\\.(\\d+)';
  const E = 'encoder.layers.$1';
  return [
    [/^embeddings\.cls_token$/, 'embed.cls'],
    [/^embeddings\.distillation_token$/, 'embed.dist'],
    [/^embeddings\.position_embeddings$/, 'embed.positions'],
    [new RegExp(`^embeddings\\.patch_embeddings\\.projection\\.${P}$`), 'embed.patch.$1'],
    ...(['query', 'key', 'value'] as const).map((p): Rule => [
      new RegExp(`^${L}\\.attention\\.attention\\.${p}\\.${P}$`),
      `${E}.self_attn.${p[0]}.$2`,
    ]),
    [new RegExp(`^${L}\\.attention\\.output\\.dense\\.${P}$`), `${E}.self_attn.o.$2`],
    [new RegExp(`^${L}\\.layernorm_before\\.${P}$`), `${E}.self_attn_norm.$2`],
    [new RegExp(`^${L}\\.intermediate\\.dense\\.${P}$`), `${E}.ffn.fc1.$2`],
    [new RegExp(`^${L}\\.output\\.dense\\.${P}$`), `${E}.ffn.fc2.$2`],
    [new RegExp(`^${L}\\.layernorm_after\\.${P}$`), `${E}.ffn_norm.$2`],
  ];
}

function visionWeights(c: HfConfig, type: VisionType, config: VitConfig, w: HfWeights): Map<string, WeightTensor> {
  // Not shown, and no input to any attention: the final layernorm (ViTModel.forward applies it after
  // the encoder), the pooler, classifier heads, the masked-image-modeling decoder, and mask_token
  // (ViTEmbeddings.forward reads it only with bool_masked_pos, which a run never passes).
  const ignore = [/^(layernorm|pooler|classifier|cls_classifier|distillation_classifier|decoder)\./, /^embeddings\.mask_token$/];
  const renamed = rename(w, type, new RegExp(`^${type}\\.`), visionRules(), ignore);
  const out = renamed.tensors;
  const source = (name: string) => renamed.source.get(name) ?? { file: c.file, hfName: name };
  const d = config.d_model;
  // cls_token / distillation_token are [1, 1, d]; position_embeddings [1, tokens, d]: drop the batch axes.
  const squeeze = (name: string, rows: number) => {
    const t = out.get(name);
    if (!t) return;
    const { file, hfName } = source(name);
    const want = [1, rows, d];
    if (!sameShape(t.shape, want)) {
      const why =
        name === 'embed.positions'
          ? ` (${rows} = patches + special tokens at image_size ${config.image_size}, patch_size ${config.patch_size}; ` +
            'checkpoints needing interpolate_pos_encoding for this size are not supported)'
          : '';
      throw new ModelFormatError(file, hfName, `shape ${shapeString(want)}${why}; found ${shapeString(t.shape)}`);
    }
    out.set(name, { shape: [rows, d], data: t.data });
  };
  const grid = Math.floor(config.image_size / config.patch_size);
  squeeze('embed.cls', 1);
  squeeze('embed.dist', 1);
  squeeze('embed.positions', grid * grid + (config.distillation ? 2 : 1));
  return out;
}

const RESAMPLE: Record<number, 'bilinear' | 'bicubic'> = { 2: 'bilinear', 3: 'bicubic' }; // PILImageResampling values

/** preprocessor_config.json → the steps of PilBackend._preprocess; the result must be image_size square. */
function readPreprocessor(file: string, imageSize: number): ImagePreprocess {
  const c = new HfConfig(file, readJsonObject(file));
  const raw = c.raw;
  const flag = (key: string, fallback: boolean) => {
    const v = raw[key] ?? fallback;
    if (typeof v !== 'boolean') throw new ModelFormatError(file, key, `true or false; found ${showValue(v)}`);
    return v;
  };
  const size = (key: string) => {
    const s = raw[key] ?? { height: 224, width: 224 }; // ViTImageProcessor.size
    if (typeof s === 'number' && Number.isInteger(s) && s > 0) return { height: s, width: s };
    const o = s as Record<string, unknown> | undefined;
    if (o && typeof o === 'object' && Number.isInteger(o.height) && Number.isInteger(o.width)) {
      return { height: o.height as number, width: o.width as number };
    }
    const what = 'a size {"height": h, "width": w} (shortest_edge resizing is not implemented)';
    throw new ModelFormatError(file, key, `${what}; found ${showValue(s)}`);
  };
  const out: ImagePreprocess = {};
  let side = { height: NaN, width: NaN };
  if (flag('do_resize', true)) {
    const resample = RESAMPLE[(raw.resample ?? 2) as number];
    if (!resample) throw new ModelFormatError(file, 'resample', `2 (bilinear) or 3 (bicubic); found ${showValue(raw.resample)}`);
    out.resize = { ...size('size'), resample };
    side = out.resize;
  }
  if (flag('do_center_crop', false)) {
    out.crop = size('crop_size');
    side = out.crop;
  }
  if (side.height !== imageSize || side.width !== imageSize) {
    const key = out.crop ? 'crop_size' : out.resize ? 'size' : 'do_resize';
    const found = Number.isNaN(side.height) ? 'no resize' : `${side.height}×${side.width}`;
    throw new ModelFormatError(file, key, `images made ${imageSize}×${imageSize}, config.json's image_size; found ${found}`);
  }
  if (flag('do_rescale', true)) out.rescale = c.num('rescale_factor', 1 / 255);
  if (flag('do_normalize', true)) {
    const triple = (key: string) => {
      const v = raw[key] ?? [0.5, 0.5, 0.5]; // ViTImageProcessor: IMAGENET_STANDARD_MEAN / _STD
      if (Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number')) return v as number[];
      if (typeof v === 'number') return [v, v, v];
      throw new ModelFormatError(file, key, `three numbers (one per RGB channel); found ${showValue(v)}`);
    };
    out.normalize = { mean: triple('image_mean'), std: triple('image_std') };
  }
  return out;
}
