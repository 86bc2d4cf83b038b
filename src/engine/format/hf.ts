// Reader for Hugging Face folders (config.json + model.safetensors [+ tokenizer.json]) of
// model_type bert, gpt2 and marian. Each checkpoint's own parameter names and layouts are mapped
// onto the canonical tensors of docs/model-format.md, so the model builders never see HF names.
// Names this reader does not recognise are errors (on the HF name), except known task heads
// and buffers, which are dropped.
import * as fs from 'fs';
import * as path from 'path';
import { ModelFormatError, showValue } from './errors';
import type { Activation, LoadedModel, TransformerConfig } from './loaded';
import { checkComputedTable, loadHfTokenizer, readJsonObject } from './modelJson';
import { parseSafetensors } from './safetensors';
import { modelFolderName, readRegularFile } from './files';
import { checkWeightsMemory, type LoadLimits } from './weightsMemory';
import { readShards } from './hfShards';
import { HF_DECODER_TYPES, isHfDecoderType, readHfDecoder } from './hfDecoders';
import { sameShape, shapeString } from '../tensor';
import { relayout, sameWeights, weightSubarray, type WeightTensor as Tensor } from '../weights'; // weights keep their file dtype
import { isHfEncoderType, readHfEncoder } from './hfEncoders';
import { isHfSeq2seqType, readHfSeq2seq } from './hfSeq2seq';
import { isHfVisionType, readHfVision } from './hfVision';

// The encoder/seq2seq names are literal (not spread from hfEncoders): that module imports this one, so
// its constants may not be set yet here; hfDecoders imports nothing from here.
export const HF_MODEL_TYPES = [
  'bert',
  'gpt2',
  'marian',
  'roberta',
  'xlm-roberta',
  'distilbert',
  'electra',
  'albert',
  'bart',
  'mbart',
  't5',
  ...HF_DECODER_TYPES,
  'vit',
  'deit',
] as const;

export function readHfFolder(dir: string, limits?: LoadLimits): LoadedModel {
  const configFile = path.join(dir, 'config.json');
  if (!fs.existsSync(configFile)) throw new ModelFormatError(dir, 'config.json', 'a Hugging Face folder with config.json (not found)');
  const c = new HfConfig(configFile, readJsonObject(configFile));
  const type = c.raw.model_type;
  const weights = readHfWeights(dir, configFile, limits);
  if (isHfDecoderType(type)) return readHfDecoder(dir, configFile, c.raw, weights); // llama, qwen, gemma… (hfDecoders.ts)
  if (isHfVisionType(type)) return readHfVision(dir, configFile, c, weights); // vit, deit (hfVision.ts)
  let mapped: { config: TransformerConfig; weights: Map<string, Tensor> };
  if (type === 'bert') mapped = bert(c, weights);
  else if (type === 'gpt2') mapped = gpt2(c, weights);
  else if (type === 'marian') mapped = marian(c, weights);
  else if (isHfEncoderType(type)) mapped = readHfEncoder(type, c, weights);
  else if (isHfSeq2seqType(type)) mapped = readHfSeq2seq(type, c, weights);
  else {
    const found = type === undefined ? 'it is missing' : `found ${showValue(type)}`;
    throw new ModelFormatError(configFile, 'model_type', `one of ${HF_MODEL_TYPES.map((t) => `"${t}"`).join(', ')}; ${found}`);
  }
  const tokenizerFile = path.join(dir, 'tokenizer.json');
  const tokenizer = fs.existsSync(tokenizerFile) ? loadHfTokenizer(tokenizerFile, configFile, 'tokenizer.json') : undefined;
  const archs = Array.isArray(c.raw.architectures) ? ` (${c.raw.architectures.filter((a) => typeof a === 'string').join(', ')})` : '';
  return {
    file: configFile,
    name: modelFolderName(dir),
    description: `Hugging Face ${String(type)} checkpoint${archs}`,
    architecture: 'transformer',
    config: mapped.config,
    weights: mapped.weights,
    sourceTokenizer: tokenizer,
    targetTokenizer: tokenizer,
    examples: [],
  };
}

const MAX_HF_INT = 2 ** 24;

/** config.json accessors: a missing or mistyped key is a ModelFormatError naming the key. */
export class HfConfig {
  constructor(
    readonly file: string,
    readonly raw: Record<string, unknown>,
  ) {}

  private get(key: string, fallback: unknown, what: string, ok: (v: unknown) => boolean): unknown {
    const v = this.raw[key] ?? fallback;
    if (v === undefined) throw new ModelFormatError(this.file, key, `${what}; the key is missing`);
    if (!ok(v)) throw new ModelFormatError(this.file, key, `${what}; found ${showValue(v)}`);
    return v;
  }
  int(key: string, fallback?: number): number {
    const v = this.get(key, fallback, 'a positive integer', (v) => Number.isInteger(v) && (v as number) > 0) as number;
    // Sizes and counts index arrays: past 2²⁴ (16,777,216), a typo (or a hostile file) would only fail later, inside a builder.
    if (v > MAX_HF_INT) throw new ModelFormatError(this.file, key, `a positive integer up to 16,777,216; found ${showValue(v)}`);
    return v;
  }
  optionalId(key: string): number | undefined {
    return this.raw[key] == null
      ? undefined
      : (this.get(key, undefined, 'a token id', (v) => Number.isInteger(v) && (v as number) >= 0) as number);
  }
  num(key: string, fallback?: number): number {
    return this.get(key, fallback, 'a positive number', (v) => typeof v === 'number' && v > 0) as number;
  }
  activation(key: string, fallback: Activation): Activation {
    const names: Record<string, Activation> = { relu: 'relu', gelu: 'gelu', gelu_new: 'gelu_new', swish: 'swish', silu: 'swish' };
    const v = this.get(key, fallback, `one of ${Object.keys(names).join(', ')}`, (x) => typeof x === 'string' && Object.hasOwn(names, x)); // not `in`: "constructor" is in every object
    return names[v as string];
  }
  /** A key whose other values this engine does not implement. */
  require(key: string, value: unknown, why: string): void {
    const v = this.raw[key];
    if (v !== undefined && v !== null && v !== value)
      throw new ModelFormatError(this.file, key, `${JSON.stringify(value)} (${why}); found ${showValue(v)}`);
  }
  heads(dModelKey: string, headsKey: string): void {
    const d = this.int(dModelKey);
    const h = this.int(headsKey);
    if (d % h !== 0) throw new ModelFormatError(this.file, headsKey, `a divisor of ${dModelKey} ${d}; found ${h}`);
  }
}

export interface HfWeights {
  tensors: Map<string, Tensor>;
  /** Which safetensors file each HF name came from, for error messages. */
  fileOf: Map<string, string>;
}

/** model.safetensors, or the shards listed by model.safetensors.index.json (hfShards.ts). */
function readHfWeights(dir: string, configFile: string, limits: LoadLimits | undefined): HfWeights {
  const single = path.join(dir, 'model.safetensors');
  const index = path.join(dir, 'model.safetensors.index.json');
  if (fs.existsSync(single)) {
    checkWeightsMemory(single, [single], limits);
    const w: HfWeights = { tensors: new Map(), fileOf: new Map() };
    for (const [name, t] of parseSafetensors(single, readRegularFile(single))) {
      w.tensors.set(name, t);
      w.fileOf.set(name, single);
    }
    return w;
  }
  if (fs.existsSync(index)) return readShards(index, limits);
  const bin = fs.existsSync(path.join(dir, 'pytorch_model.bin'))
    ? ' (pytorch_model.bin is not read: save the model with safe_serialization=True)'
    : '';
  throw new ModelFormatError(configFile, 'model.safetensors', `a model.safetensors file beside config.json; not found${bin}`);
}

export type Rule = [RegExp, string];

/**
 * The layer and head names Marian, BART and mBART share (encoder|decoder.layers.N.self_attn.q_proj…,
 * encoder_attn for cross-attention, fc1/fc2, three layer norms, lm_head + final_logits_bias).
 */
export function marianLayerRules(): Rule[] {
  const S = '(encoder|decoder)';
  const attn = (hf: string, ours: string): Rule[] => [
    ...(['q', 'k', 'v'] as const).map((p): Rule => [
      new RegExp(`^${S}\\.layers\\.(\\d+)\\.${hf}\\.${p}_proj\\.${P}$`),
      `$1.layers.$2.${ours}.${p}.$3`,
    ]),
    [new RegExp(`^${S}\\.layers\\.(\\d+)\\.${hf}\\.out_proj\\.${P}$`), `$1.layers.$2.${ours}.o.$3`],
  ];
  const layer = (hf: string, ours: string): Rule => [new RegExp(`^${S}\\.layers\\.(\\d+)\\.${hf}\\.${P}$`), `$1.layers.$2.${ours}.$3`];
  return [
    ...attn('self_attn', 'self_attn'),
    ...attn('encoder_attn', 'cross_attn'),
    layer('self_attn_layer_norm', 'self_attn_norm'),
    layer('encoder_attn_layer_norm', 'cross_attn_norm'),
    layer('fc1', 'ffn.fc1'),
    layer('fc2', 'ffn.fc2'),
    layer('final_layer_norm', 'ffn_norm'),
    [/^lm_head\.weight$/, 'lm_head.weight'],
    [/^final_logits_bias$/, 'lm_head.bias'],
  ];
}
export const P = '(weight|bias|gamma|beta)'; // old BERT checkpoints name LayerNorm parameters gamma/beta

interface Renamed {
  tensors: Map<string, Tensor>;
  /** canonical name → the safetensors file and HF name it came from, for error messages. */
  source: Map<string, { file: string; hfName: string }>;
}

/** Renames every HF tensor by the first matching rule; unmatched, non-ignored names are errors. */
export function rename(w: HfWeights, type: string, strip: RegExp, rules: Rule[], ignore: RegExp[]): Renamed {
  const out: Renamed = { tensors: new Map(), source: new Map() };
  for (const [hfName, t] of w.tensors) {
    const file = w.fileOf.get(hfName) ?? '';
    const name = hfName.replace(strip, '');
    if (ignore.some((r) => r.test(name))) continue;
    const rule = rules.find(([re]) => re.test(name));
    if (!rule) throw new ModelFormatError(file, hfName, `a parameter of a ${type} checkpoint this reader maps; this name is not one`);
    const canonical = name
      .replace(rule[0], rule[1])
      .replace(/\.gamma$/, '.weight')
      .replace(/\.beta$/, '.bias');
    const other = out.source.get(canonical);
    if (other) throw new ModelFormatError(file, hfName, `one tensor for ${canonical}; ${other.hfName} maps there too`);
    out.tensors.set(canonical, t);
    out.source.set(canonical, { file, hfName });
  }
  return out;
}

function bert(c: HfConfig, w: HfWeights) {
  c.heads('hidden_size', 'num_attention_heads');
  c.require('position_embedding_type', 'absolute', 'only absolute learned positions are implemented');
  const config: TransformerConfig = {
    kind: 'encoder',
    vocab_size: c.int('vocab_size'),
    d_model: c.int('hidden_size'),
    heads: c.int('num_attention_heads'),
    d_ff: c.int('intermediate_size'),
    encoder_layers: c.int('num_hidden_layers'),
    decoder_layers: 0,
    activation: c.activation('hidden_act', 'gelu'),
    norm: 'post',
    layer_norm_eps: c.num('layer_norm_eps', 1e-12),
    positions: 'learned',
    max_positions: c.int('max_position_embeddings'),
    scale_embedding: false,
    embedding_norm: true,
    final_norm: false,
    token_types: c.int('type_vocab_size'),
  };
  const L = 'encoder\\.layer\\.(\\d+)';
  const rules: Rule[] = [
    [/^embeddings\.word_embeddings\.weight$/, 'embed.tokens'],
    [/^embeddings\.position_embeddings\.weight$/, 'embed.positions'],
    [/^embeddings\.token_type_embeddings\.weight$/, 'embed.token_types'],
    [new RegExp(`^embeddings\\.LayerNorm\\.${P}$`), 'embed.norm.$1'],
    [new RegExp(`^${L}\\.attention\\.self\\.query\\.${P}$`), 'encoder.layers.$1.self_attn.q.$2'],
    [new RegExp(`^${L}\\.attention\\.self\\.key\\.${P}$`), 'encoder.layers.$1.self_attn.k.$2'],
    [new RegExp(`^${L}\\.attention\\.self\\.value\\.${P}$`), 'encoder.layers.$1.self_attn.v.$2'],
    [new RegExp(`^${L}\\.attention\\.output\\.dense\\.${P}$`), 'encoder.layers.$1.self_attn.o.$2'],
    [new RegExp(`^${L}\\.attention\\.output\\.LayerNorm\\.${P}$`), 'encoder.layers.$1.self_attn_norm.$2'],
    [new RegExp(`^${L}\\.intermediate\\.dense\\.${P}$`), 'encoder.layers.$1.ffn.fc1.$2'],
    [new RegExp(`^${L}\\.output\\.dense\\.${P}$`), 'encoder.layers.$1.ffn.fc2.$2'],
    [new RegExp(`^${L}\\.output\\.LayerNorm\\.${P}$`), 'encoder.layers.$1.ffn_norm.$2'],
  ];
  // Task heads are not part of the encoder whose attention we show. The MLM head (cls.*) has a
  // dense + LayerNorm transform before its decoder, which lm_head = one linear cannot express.
  const ignore = [/^(pooler|cls|classifier|qa_outputs)\./, /^embeddings\.position_ids$/];
  return { config, weights: rename(w, 'bert', /^bert\./, rules, ignore).tensors };
}

function gpt2(c: HfConfig, w: HfWeights) {
  c.heads('n_embd', 'n_head');
  c.require('scale_attn_by_inverse_layer_idx', false, 'layer-index attention scaling is not implemented');
  c.require('scale_attn_weights', true, 'attention is always scaled by 1/√d_head');
  const d = c.int('n_embd');
  const config: TransformerConfig = {
    kind: 'decoder',
    vocab_size: c.int('vocab_size'),
    d_model: d,
    heads: c.int('n_head'),
    d_ff: c.raw.n_inner == null ? 4 * d : c.int('n_inner'),
    encoder_layers: 0,
    decoder_layers: c.int('n_layer'),
    activation: c.activation('activation_function', 'gelu_new'),
    norm: 'pre',
    layer_norm_eps: c.num('layer_norm_epsilon', 1e-5),
    positions: 'learned',
    max_positions: c.int('n_positions', c.raw.n_ctx as number | undefined),
    scale_embedding: false,
    embedding_norm: false,
    final_norm: true,
    token_types: 0,
    bos_id: c.optionalId('bos_token_id'),
    eos_id: c.optionalId('eos_token_id'),
  };
  const L = 'h\\.(\\d+)';
  const D = 'decoder.layers.$1';
  const rules: Rule[] = [
    [/^wte\.weight$/, 'embed.tokens'],
    [/^wpe\.weight$/, 'embed.positions'],
    [new RegExp(`^${L}\\.ln_1\\.${P}$`), `${D}.self_attn_norm.$2`],
    [new RegExp(`^${L}\\.ln_2\\.${P}$`), `${D}.ffn_norm.$2`],
    [new RegExp(`^${L}\\.attn\\.c_attn\\.${P}$`), `${D}.self_attn.qkv.$2`], // split below
    [new RegExp(`^${L}\\.attn\\.c_proj\\.${P}$`), `${D}.self_attn.o.$2`],
    [new RegExp(`^${L}\\.mlp\\.c_fc\\.${P}$`), `${D}.ffn.fc1.$2`],
    [new RegExp(`^${L}\\.mlp\\.c_proj\\.${P}$`), `${D}.ffn.fc2.$2`],
    [new RegExp(`^ln_f\\.${P}$`), 'decoder.final_norm.$1'],
    [/^lm_head\.weight$/, 'lm_head.weight'],
  ];
  // attn.bias / attn.masked_bias are the causal-mask buffers older checkpoints saved.
  const ignore = [/^h\.\d+\.attn\.(bias|masked_bias)$/];
  const renamed = rename(w, 'gpt2', /^transformer\./, rules, ignore);
  const out = new Map<string, Tensor>();
  for (const [name, t] of renamed.tensors) {
    const { file, hfName } = renamed.source.get(name) ?? { file: c.file, hfName: name };
    // Conv1D stores [in, out]; the canonical Linear layout is [out, in].
    const conv = /\.(self_attn\.(qkv|o)|ffn\.fc[12])\.weight$/.test(name);
    const fixed = conv ? transpose(file, hfName, t) : t;
    if (name.includes('.qkv.')) splitQkv(file, hfName, name, fixed, d, out);
    else out.set(name, fixed);
  }
  return { config, weights: dropTiedHead(out) };
}

/** A saved lm_head.weight equal to the token embedding is the tied head: keep one copy. */
export function dropTiedHead(out: Map<string, Tensor>): Map<string, Tensor> {
  const head = out.get('lm_head.weight');
  const tokens = out.get('embed.tokens');
  if (head && tokens && sameShape(head.shape, tokens.shape) && sameWeights(head.data, tokens.data)) out.delete('lm_head.weight');
  return out;
}

/** c_attn (already [3d, d] / [3d]) → q, k, v, each [d, d] / [d]: rows 0…d-1 are q, then k, then v. */
function splitQkv(file: string, hfName: string, name: string, t: Tensor, d: number, out: Map<string, Tensor>): void {
  const isWeight = name.endsWith('.weight');
  const shape = isWeight ? [3 * d, d] : [3 * d];
  if (!sameShape(t.shape, shape)) {
    const want = isWeight ? `[${d}, ${3 * d}] (Conv1D [in, out])` : shapeString(shape);
    throw new ModelFormatError(
      file,
      hfName,
      `shape ${want} for a fused q, k, v projection; found ${shapeString(isWeight ? [...t.shape].reverse() : t.shape)}`,
    );
  }
  const per = t.data.length / 3;
  ['q', 'k', 'v'].forEach((p, i) => {
    out.set(name.replace('.qkv.', `.${p}.`), { shape: isWeight ? [d, d] : [d], data: weightSubarray(t.data, i * per, (i + 1) * per) });
  });
}

function transpose(file: string, hfName: string, t: Tensor): Tensor {
  if (t.shape.length !== 2) throw new ModelFormatError(file, hfName, `a 2-D Conv1D weight [in, out]; found ${shapeString(t.shape)}`);
  const [r, k] = t.shape;
  const data = relayout(t.data, r * k, (src, dst) => {
    for (let i = 0; i < r; i++) for (let j = 0; j < k; j++) dst[j * r + i] = src[i * k + j];
  });
  return { shape: [k, r], data };
}

/** Encoder–decoder configs give some sizes per stack; this engine runs one size for both (Marian, BART, mBART). */
export function sameForBothStacks(c: HfConfig, pairs: [string, string][]): void {
  for (const [a, b] of pairs) {
    if (c.raw[a] != null && c.raw[a] !== c.raw[b]) {
      const want = `the same as ${b} ${showValue(c.raw[b])} (one size for both stacks)`;
      throw new ModelFormatError(c.file, a, `${want}; found ${showValue(c.raw[a])}`);
    }
  }
}

function marian(c: HfConfig, w: HfWeights) {
  c.heads('d_model', 'encoder_attention_heads');
  sameForBothStacks(c, [
    ['decoder_attention_heads', 'encoder_attention_heads'],
    ['decoder_ffn_dim', 'encoder_ffn_dim'],
    ['decoder_vocab_size', 'vocab_size'],
  ]);
  c.require('normalize_before', false, 'Marian is post-LN');
  c.require('share_encoder_decoder_embeddings', true, 'one token embedding is shared by encoder and decoder');
  const config: TransformerConfig = {
    kind: 'encoder-decoder',
    vocab_size: c.int('vocab_size'),
    d_model: c.int('d_model'),
    heads: c.int('encoder_attention_heads'),
    d_ff: c.int('encoder_ffn_dim'),
    encoder_layers: c.int('encoder_layers'),
    decoder_layers: c.int('decoder_layers'),
    activation: c.activation('activation_function', 'gelu'), // MarianConfig's default; checkpoints say swish
    norm: 'post',
    layer_norm_eps: 1e-5, // HF Marian builds nn.LayerNorm with PyTorch's default eps
    positions: 'sinusoidal-marian',
    max_positions: c.int('max_position_embeddings'),
    scale_embedding: c.raw.scale_embedding === true,
    embedding_norm: false,
    final_norm: false,
    token_types: 0,
    bos_id: c.optionalId('bos_token_id'),
    eos_id: c.optionalId('eos_token_id'),
    decoder_start_id: c.optionalId('decoder_start_token_id'),
  };
  checkComputedTable(c.file, 'max_position_embeddings', config.max_positions, config.d_model); // sinusoidal, computed
  const rules: Rule[] = [
    // The same table is stored up to three times; all must agree (checked below).
    [/^(shared|encoder\.embed_tokens|decoder\.embed_tokens)\.weight$/, 'embed.tokens.$1'],
    ...marianLayerRules(),
  ];
  // Sinusoidal position tables are recomputed, never read.
  const ignore = [/^(encoder|decoder)\.embed_positions\.weight$/];
  const renamed = rename(w, 'marian', /^model\./, rules, ignore);
  const out = renamed.tensors;
  let first: { hfName: string; t: Tensor } | undefined;
  for (const src of ['shared', 'encoder.embed_tokens', 'decoder.embed_tokens']) {
    const key = `embed.tokens.${src}`;
    const t = out.get(key);
    out.delete(key);
    if (!t) continue;
    const { file, hfName } = renamed.source.get(key) ?? { file: c.file, hfName: key };
    if (!first) first = { hfName, t };
    else if (!sameShape(t.shape, first.t.shape) || !sameWeights(t.data, first.t.data)) {
      throw new ModelFormatError(file, hfName, `the same values as ${first.hfName} (encoder and decoder share one embedding)`);
    }
  }
  if (first) out.set('embed.tokens', first.t);
  dropTiedHead(out);
  const bias = out.get('lm_head.bias');
  if (bias)
    out.set('lm_head.bias', { shape: bias.shape.length === 2 && bias.shape[0] === 1 ? [bias.shape[1]] : bias.shape, data: bias.data });
  return { config, weights: out };
}
