// Hugging Face config.json + safetensors of the modern decoder-only families → HfDecoderConfig and
// the canonical tensor names of docs/model-format.md ("hf-decoder"). Each family's switches come
// from its transformers modeling file (5.18), named beside each one. Options this engine does not
// implement are errors naming the file and the key, never silently other numbers.
import * as fs from 'fs';
import * as path from 'path';
import { ModelFormatError, showValue } from './errors';
import type { Activation, HfDecoderConfig, LoadedModel, RopeParams } from './loaded';
import { loadHfTokenizer, readJsonObject } from './modelJson';
import { modelFolderName } from './files';
import { sameShape, shapeString } from '../tensor';
import { relayout, rawValues, weightSubarray, type WeightTensor as Tensor } from '../weights';

export const HF_DECODER_TYPES = [
  'llama',
  'mistral',
  'qwen2',
  'qwen3',
  'gemma',
  'gemma2',
  'gemma3_text',
  'phi3',
  'gpt_neox',
  'olmo2',
] as const;
type Family = (typeof HF_DECODER_TYPES)[number];

export function isHfDecoderType(t: unknown): t is Family {
  return typeof t === 'string' && (HF_DECODER_TYPES as readonly string[]).includes(t);
}

type Raw = Record<string, unknown>;

/** config.json accessors: a missing or mistyped key is a ModelFormatError naming it. */
class Keys {
  constructor(
    readonly file: string,
    readonly raw: Raw,
  ) {}
  private bad(key: string, what: string): never {
    const v = this.raw[key];
    const found = v === undefined ? 'the key is missing' : `found ${showValue(v)}`;
    throw new ModelFormatError(this.file, key, `${what}; ${found}`);
  }
  int(key: string, fallback?: number): number {
    const v = this.raw[key] ?? fallback;
    if (!Number.isInteger(v) || (v as number) <= 0 || (v as number) > 2 ** 24) this.bad(key, 'a positive integer up to 16,777,216');
    return v as number;
  }
  num(key: string, fallback?: number): number {
    const v = this.raw[key] ?? fallback;
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) this.bad(key, 'a positive number');
    return v;
  }
  optionalNum(key: string): number | undefined {
    return this.raw[key] == null ? undefined : this.num(key);
  }
  bool(key: string, fallback: boolean): boolean {
    const v = this.raw[key] ?? fallback;
    if (typeof v !== 'boolean') this.bad(key, 'true or false');
    return v;
  }
  /** A key whose other values this engine does not implement. */
  require(key: string, ok: (v: unknown) => boolean, what: string): void {
    const v = this.raw[key];
    if (v != null && !ok(v)) this.bad(key, what);
  }
  ids(key: string): number[] {
    const v = this.raw[key];
    if (v == null) return [];
    const list = Array.isArray(v) ? v : [v];
    if (!list.every((x) => Number.isInteger(x) && x >= 0)) this.bad(key, 'a token id or a list of them');
    return list as number[];
  }
}

const ACTIVATIONS: Record<string, Activation> = {
  silu: 'swish',
  swish: 'swish',
  gelu: 'gelu',
  gelu_new: 'gelu_new',
  gelu_pytorch_tanh: 'gelu_new',
};

/** readHfWeights' result (hf.ts): every tensor and the safetensors file it came from. */
type HfTensors = { tensors: Map<string, Tensor>; fileOf: Map<string, string> };

export function readHfDecoder(dir: string, configFile: string, raw: Raw, w: HfTensors): LoadedModel {
  const type = raw.model_type as Family;
  const c = new Keys(configFile, raw);
  const config = decoderConfig(c, type);
  const weights = mapWeights(c, type, config, w);
  const tokenizerFile = path.join(dir, 'tokenizer.json');
  const tokenizer = fs.existsSync(tokenizerFile) ? loadHfTokenizer(tokenizerFile, configFile, 'tokenizer.json') : undefined;
  // generate() stops on generation_config.json's eos_token_id where the folder has one.
  const genFile = path.join(dir, 'generation_config.json');
  if (fs.existsSync(genFile)) {
    const eos = new Keys(genFile, readJsonObject(genFile)).ids('eos_token_id');
    if (eos.length) config.eos_ids = eos;
  }
  const names = Array.isArray(raw.architectures) ? raw.architectures.filter((a) => typeof a === 'string') : [];
  const archs = names.length ? ` (${names.join(', ')})` : '';
  return {
    file: configFile,
    name: modelFolderName(dir),
    description: `Hugging Face ${type} checkpoint${archs}`,
    architecture: 'hf-decoder',
    config,
    weights,
    sourceTokenizer: tokenizer,
    targetTokenizer: tokenizer,
    examples: [],
  };
}

function decoderConfig(c: Keys, type: Family): HfDecoderConfig {
  const gemma = type === 'gemma' || type === 'gemma2' || type === 'gemma3_text';
  const neox = type === 'gpt_neox';
  const d = c.int('hidden_size');
  const heads = c.int('num_attention_heads');
  const kvHeads = neox ? heads : c.int('num_key_value_heads', heads);
  if (heads % kvHeads !== 0) {
    throw new ModelFormatError(c.file, 'num_key_value_heads', `a divisor of num_attention_heads ${heads}; found ${kvHeads}`);
  }
  // LlamaAttention: getattr(config, "head_dim", hidden_size // num_attention_heads); GPTNeoX has none.
  const headDim = neox ? d / heads : c.int('head_dim', d / heads);
  if (!Number.isInteger(headDim)) {
    throw new ModelFormatError(c.file, 'num_attention_heads', `a divisor of hidden_size ${d}; found ${heads}`);
  }
  const layers = c.int('num_hidden_layers');
  const actKey = type === 'gemma2' || type === 'gemma3_text' ? 'hidden_activation' : 'hidden_act';
  let act = c.raw[actKey] ?? (gemma ? 'gelu_pytorch_tanh' : neox ? 'gelu' : 'silu');
  // GemmaConfig.__post_init__: the official configs' legacy "gelu" means the tanh approximation.
  if (type === 'gemma' && act === 'gelu') act = 'gelu_pytorch_tanh';
  if (typeof act !== 'string' || !Object.hasOwn(ACTIVATIONS, act)) {
    throw new ModelFormatError(c.file, actKey, `one of ${Object.keys(ACTIVATIONS).join(', ')}; found ${showValue(act)}`);
  }
  c.require('use_bidirectional_attention', (v) => v === false, 'false or null (only causal decoding is implemented)');
  c.require('pretraining_tp', (v) => v === 1, '1 (the tensor-parallel split of older Llama configs is not implemented)');
  const attnBias = c.bool('attention_bias', neox);
  const softcap = (key: string) => (type === 'gemma2' || type === 'gemma3_text' ? c.optionalNum(key) : undefined);
  const cfg: HfDecoderConfig = {
    model_type: type,
    vocab_size: c.int('vocab_size'),
    d_model: d,
    layers,
    heads,
    kv_heads: kvHeads,
    head_dim: headDim,
    d_ff: c.int('intermediate_size'),
    // GemmaRMSNorm scales by (1 + w); GPTNeoX uses nn.LayerNorm; the rest LlamaRMSNorm.
    norm: neox ? 'layernorm' : gemma ? 'rms-gemma' : 'rms',
    norm_eps: neox ? c.num('layer_norm_eps', 1e-5) : c.num('rms_norm_eps', 1e-6),
    activation: ACTIVATIONS[act],
    mlp: neox ? 'plain' : 'gated',
    // Qwen2Attention: q/k/v with bias, o_proj without; Phi3's fused qkv_proj has none.
    qkv_bias: type === 'qwen2' ? true : type === 'phi3' ? false : attnBias,
    o_bias: type === 'qwen2' || type === 'phi3' ? false : attnBias,
    mlp_bias: neox ? true : type === 'llama' ? c.bool('mlp_bias', false) : false,
    qk_norm: type === 'qwen3' || type === 'gemma3_text' ? 'per-head' : type === 'olmo2' ? 'whole' : 'none',
    residual: neox && c.bool('use_parallel_residual', true) ? 'parallel' : 'sequential',
    // GemmaTextScaledWordEmbedding: embeddings × sqrt(hidden_size), the scale cast to float32.
    embed_scale: gemma ? Math.fround(Math.sqrt(d)) : 1,
    // Gemma2Attention: scaling = query_pre_attn_scalar ** -0.5; the others head_dim ** -0.5.
    query_scale: (type === 'gemma2' || type === 'gemma3_text' ? c.num('query_pre_attn_scalar', headDim) : headDim) ** -0.5,
    attn_softcap: softcap('attn_logit_softcapping'),
    final_softcap: softcap('final_logit_softcapping'),
    sliding_window: slidingWindows(c, type, layers),
    rope: [],
    max_positions: c.int('max_position_embeddings'),
    bos_id: c.ids('bos_token_id')[0],
    eos_ids: c.ids('eos_token_id'),
  };
  cfg.rope = ropePerLayer(c, type, cfg);
  return cfg;
}

/** Per layer: sliding window or null, from layer_types (transformers 5) or each family's older keys. */
function slidingWindows(c: Keys, type: Family, layers: number): (number | null)[] {
  const window = () => c.int('sliding_window');
  const types = c.raw.layer_types;
  if (types != null) {
    const known = (t: unknown) => t === 'full_attention' || t === 'sliding_attention';
    if (!Array.isArray(types) || types.length !== layers || !types.every(known)) {
      const want = `a list of ${layers} "full_attention" / "sliding_attention"`;
      throw new ModelFormatError(c.file, 'layer_types', `${want}; found ${showValue(types)}`);
    }
    // Qwen2Attention: the window applies only when use_sliding_window (create_sliding_window_causal_mask).
    const off = (type === 'qwen2' || type === 'qwen3') && c.raw.use_sliding_window !== true;
    return types.map((t) => (t === 'sliding_attention' && !off ? window() : null));
  }
  switch (type) {
    case 'mistral':
    case 'phi3': // MistralAttention / Phi3Attention: one sliding_window for every layer, when set
      return Array.from({ length: layers }, () => (c.raw.sliding_window == null ? null : window()));
    case 'qwen2':
    case 'qwen3': // Qwen2Config: layers ≥ max_window_layers slide when use_sliding_window
      if (c.raw.use_sliding_window !== true) return Array.from({ length: layers }, () => null);
      return Array.from({ length: layers }, (_, i) => (i >= c.int('max_window_layers', 28) ? window() : null));
    case 'gemma2': // Gemma2Config: even layers slide
      return Array.from({ length: layers }, (_, i) => ((i + 1) % 2 ? window() : null));
    case 'gemma3_text': {
      const pattern = c.int('sliding_window_pattern', (c.raw._sliding_window_pattern as number | undefined) ?? 6);
      return Array.from({ length: layers }, (_, i) => ((i + 1) % pattern ? window() : null));
    }
    default:
      return Array.from({ length: layers }, () => null);
  }
}

/** The RoPE of each layer, from rope_parameters (transformers 5) or rope_theta + rope_scaling. */
function ropePerLayer(c: Keys, type: Family, cfg: HfDecoderConfig): RopeParams[] {
  const params = c.raw.rope_parameters;
  const isObj = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (type === 'gemma3_text') {
    // Gemma3RotaryEmbedding: one table per layer type; sliding layers use rope_local_base_freq.
    const nested = isObj(params) && (isObj(params.full_attention) || isObj(params.sliding_attention));
    const scaling = isObj(c.raw.rope_scaling) ? c.raw.rope_scaling : {};
    const full = nested ? (params.full_attention as Raw) : { rope_theta: c.raw.rope_theta ?? 1e6, ...scaling };
    const local = nested ? (params.sliding_attention as Raw) : { rope_theta: c.raw.rope_local_base_freq ?? 1e4 };
    const field = nested ? 'rope_parameters' : 'rope_scaling';
    const f = ropeParams(c, field, full, cfg, 1e6);
    const l = ropeParams(c, nested ? field : 'rope_local_base_freq', local, cfg, 1e4);
    return cfg.sliding_window.map((w) => (w === null ? f : l));
  }
  let p: Raw;
  let field = 'rope_parameters';
  if (isObj(params)) p = params;
  else {
    field = 'rope_scaling';
    const scaling = c.raw.rope_scaling;
    if (scaling != null && !isObj(scaling)) {
      throw new ModelFormatError(c.file, field, `an object {rope_type, factor, …} or null; found ${showValue(scaling)}`);
    }
    p = { rope_theta: c.raw.rope_theta, ...(scaling ?? {}) };
  }
  // GPT-NeoX's older key for the rotated fraction of each head is rotary_pct.
  const neoxPct = type === 'gpt_neox' ? c.raw.rotary_pct : undefined;
  const partial = p.partial_rotary_factor ?? c.raw.partial_rotary_factor ?? neoxPct;
  const one = ropeParams(c, field, { ...p, partial_rotary_factor: partial }, cfg, 10000);
  return cfg.sliding_window.map(() => one);
}

const ROPE_TYPES = ['default', 'linear', 'dynamic', 'llama3'];

function ropeParams(c: Keys, field: string, p: Raw, cfg: HfDecoderConfig, defaultTheta: number): RopeParams {
  const type = p.rope_type ?? p.type ?? 'default';
  if (typeof type !== 'string' || !ROPE_TYPES.includes(type)) {
    const known = ROPE_TYPES.map((t) => `"${t}"`).join(', ');
    throw new ModelFormatError(c.file, `${field}.rope_type`, `one of ${known} (the RoPE scalings implemented); found ${showValue(type)}`);
  }
  const num = (key: string, fallback?: number): number => {
    const v = p[key] ?? fallback;
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) {
      throw new ModelFormatError(c.file, `${field}.${key}`, `a positive number for rope_type "${type}"; found ${showValue(v)}`);
    }
    return v;
  };
  const fraction = p.partial_rotary_factor == null ? 1 : num('partial_rotary_factor');
  // int(head_dim * partial_rotary_factor), as every rope init function computes dim.
  const rotaryDim = Math.floor(cfg.head_dim * fraction);
  if (rotaryDim % 2 !== 0 || rotaryDim > cfg.head_dim || rotaryDim === 0) {
    const want = `a fraction of head_dim ${cfg.head_dim} giving an even number of dims`;
    throw new ModelFormatError(c.file, `${field}.partial_rotary_factor`, `${want}; found ${fraction}`);
  }
  const out: RopeParams = { type: type as RopeParams['type'], theta: num('rope_theta', defaultTheta), rotaryDim };
  if (type !== 'default') out.factor = num('factor');
  if (type === 'dynamic') out.maxPositions = cfg.max_positions;
  if (type === 'llama3') {
    out.lowFreqFactor = num('low_freq_factor');
    out.highFreqFactor = num('high_freq_factor');
    out.originalMaxPositions = num('original_max_position_embeddings', cfg.max_positions);
  }
  return out;
}

type Rule = [RegExp, string];

/** HF names → canonical names; fused projections split; the tied head resolved. */
function mapWeights(c: Keys, type: Family, cfg: HfDecoderConfig, w: HfTensors): Map<string, Tensor> {
  const L = '^layers\\.(\\d+)\\.';
  const D = 'decoder.layers.$1';
  // post_attention_layernorm is the FFN's pre-norm in Llama, but a norm of the attention output in
  // Gemma2/3 (Gemma2DecoderLayer) and OLMo2 (Olmo2DecoderLayer).
  const postAttn = type === 'gemma2' || type === 'gemma3_text' || type === 'olmo2' ? 'post_attn_norm' : 'ffn_norm';
  const rules: Rule[] =
    type === 'gpt_neox'
      ? [
          [/^embed_in\.weight$/, 'embed.tokens'],
          [new RegExp(`${L}attention\\.query_key_value\\.(weight|bias)$`), `${D}.self_attn.qkv.$2`],
          [new RegExp(`${L}attention\\.dense\\.(weight|bias)$`), `${D}.self_attn.o.$2`],
          [new RegExp(`${L}input_layernorm\\.(weight|bias)$`), `${D}.attn_norm.$2`],
          [new RegExp(`${L}post_attention_layernorm\\.(weight|bias)$`), `${D}.ffn_norm.$2`],
          [new RegExp(`${L}mlp\\.dense_h_to_4h\\.(weight|bias)$`), `${D}.ffn.fc1.$2`],
          [new RegExp(`${L}mlp\\.dense_4h_to_h\\.(weight|bias)$`), `${D}.ffn.fc2.$2`],
          [/^final_layer_norm\.(weight|bias)$/, 'decoder.final_norm.$1'],
          [/^embed_out\.weight$/, 'lm_head.weight'],
        ]
      : [
          [/^embed_tokens\.weight$/, 'embed.tokens'],
          [new RegExp(`${L}self_attn\\.(q|k|v|o|qkv)_proj\\.(weight|bias)$`), `${D}.self_attn.$2.$3`],
          [new RegExp(`${L}self_attn\\.(q|k)_norm\\.weight$`), `${D}.self_attn.$2_norm.weight`],
          [new RegExp(`${L}mlp\\.(gate|up|down|gate_up)_proj\\.(weight|bias)$`), `${D}.ffn.$2.$3`],
          [new RegExp(`${L}input_layernorm\\.weight$`), `${D}.attn_norm.weight`],
          [new RegExp(`${L}post_attention_layernorm\\.weight$`), `${D}.${postAttn}.weight`],
          [new RegExp(`${L}pre_feedforward_layernorm\\.weight$`), `${D}.ffn_norm.weight`],
          [new RegExp(`${L}post_feedforward_layernorm\\.weight$`), `${D}.post_ffn_norm.weight`],
          [/^norm\.weight$/, 'decoder.final_norm.weight'],
          [/^lm_head\.weight$/, 'lm_head.weight'],
        ];
  // Buffers older checkpoints saved: rotary tables (recomputed) and causal-mask buffers.
  const ignore = [/\.rotary_emb\.inv_freq$/, /^layers\.\d+\.attention\.(bias|masked_bias)$/];
  const strip = type === 'gpt_neox' ? /^gpt_neox\./ : /^model\./;
  const out = new Map<string, Tensor>();
  for (const [hfName, t] of w.tensors) {
    const file = w.fileOf.get(hfName) ?? c.file;
    const name = hfName.replace(strip, '');
    if (ignore.some((r) => r.test(name))) continue;
    const rule = rules.find(([re]) => re.test(name));
    if (!rule) {
      throw new ModelFormatError(file, hfName, `a parameter of a ${type} checkpoint this reader maps; this name is not one`);
    }
    const canonical = name.replace(rule[0], rule[1]);
    if (canonical.includes('.qkv.')) splitQkv(file, hfName, canonical, t, cfg, type === 'gpt_neox', out);
    else if (canonical.includes('.gate_up.')) {
      // Phi3MLP.forward: gate_up_proj(x).chunk(2) → gate, then up.
      const names = ['gate', 'up'].map((p) => canonical.replace('.gate_up.', `.${p}.`));
      splitRows(file, hfName, t, [cfg.d_ff, cfg.d_ff], names, out);
    } else out.set(canonical, t);
  }
  // tie_word_embeddings: the head is the token embedding (HF ties even over a stored lm_head).
  const tied = c.bool('tie_word_embeddings', type === 'gemma' || type === 'gemma2' || type === 'gemma3_text');
  if (tied) out.delete('lm_head.weight');
  else if (!out.has('lm_head.weight')) {
    const want = 'true, or an lm_head.weight tensor in the checkpoint; found false and no lm_head.weight';
    throw new ModelFormatError(c.file, 'tie_word_embeddings', want);
  }
  return out;
}

/**
 * Fused q, k, v rows → three tensors. Phi3's qkv_proj stacks all q rows, then k, then v
 * (Phi3Attention.forward: qkv[..., :query_pos] …). GPT-NeoX's query_key_value is viewed as
 * [heads, 3·head_size] (GPTNeoXAttention.forward), so the q, k, v rows interleave per head.
 */
function splitQkv(
  file: string,
  hfName: string,
  name: string,
  t: Tensor,
  cfg: HfDecoderConfig,
  perHead: boolean,
  out: Map<string, Tensor>,
): void {
  const { heads, kv_heads: kv, head_dim: hd } = cfg;
  const names = ['q', 'k', 'v'].map((p) => name.replace('.qkv.', `.${p}.`));
  if (!perHead) return splitRows(file, hfName, t, [heads * hd, kv * hd, kv * hd], names, out);
  const cols = t.shape.length === 2 ? t.shape[1] : 1;
  const want = t.shape.length === 2 ? [3 * heads * hd, cols] : [3 * heads * hd];
  if (!sameShape(t.shape, want)) {
    const found = shapeString(t.shape);
    throw new ModelFormatError(file, hfName, `shape ${shapeString(want)} for a fused q, k, v projection; found ${found}`);
  }
  const src = rawValues(t.data);
  const parts = names.map((_, p) =>
    relayout(t.data, heads * hd * cols, (_src, dst) => {
      for (let h = 0; h < heads; h++) {
        const from = (h * 3 + p) * hd * cols;
        dst.set(src.subarray(from, from + hd * cols), h * hd * cols);
      }
    }),
  );
  names.forEach((n, p) => out.set(n, { shape: t.shape.length === 2 ? [heads * hd, cols] : [heads * hd], data: parts[p] }));
}

/** Consecutive row blocks of sizes `rows` → one tensor each. */
function splitRows(file: string, hfName: string, t: Tensor, rows: number[], names: string[], out: Map<string, Tensor>): void {
  const total = rows.reduce((a, b) => a + b, 0);
  const cols = t.shape.length === 2 ? t.shape[1] : 1;
  if (t.shape[0] !== total || t.shape.length > 2) {
    const want = `${total} rows (${rows.join(' + ')}) for a fused projection`;
    throw new ModelFormatError(file, hfName, `${want}; found shape ${shapeString(t.shape)}`);
  }
  let at = 0;
  rows.forEach((r, i) => {
    out.set(names[i], { shape: t.shape.length === 2 ? [r, cols] : [r], data: weightSubarray(t.data, at * cols, (at + r) * cols) });
    at += r;
  });
}
