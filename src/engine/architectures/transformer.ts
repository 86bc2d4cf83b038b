// Transformer encoder, decoder-only and encoder–decoder (Vaswani et al.; BERT, GPT-2, Marian).
import { transformerTensors } from '../models/transformer';
import type { ModelOf, TransformerConfig } from '../format/loaded';
import { checkComputedTable, checkHeads, checkId } from '../format/configChecks';
import { ModelFormatError } from '../format/errors';
import { isFixedScheme } from '../positional';
import { MLM_KIND } from '../../../common/archViews/mlm';
import { buildTransformer } from '../models/transformerRunnable';
import { count, id, F32, runMemory, type Architecture, type RunMemory, type RunShape } from '../models/architecture';

type Json = Omit<TransformerConfig, 'encoder_layers' | 'decoder_layers'> & {
  encoder_layers?: number;
  decoder_layers?: number;
};

export const transformer: Architecture<'transformer'> = {
  name: 'transformer',
  configSchema: {
    type: 'object',
    required: ['kind', 'vocab_size', 'd_model', 'heads', 'd_ff', 'activation', 'norm', 'positions'],
    additionalProperties: false,
    properties: {
      kind: { enum: ['encoder', 'decoder', 'encoder-decoder'] },
      vocab_size: count,
      d_model: count,
      heads: count,
      d_ff: count,
      encoder_layers: { type: 'integer', minimum: 0 },
      decoder_layers: { type: 'integer', minimum: 0 },
      activation: { enum: ['relu', 'gelu', 'gelu_new', 'swish'] },
      norm: { enum: ['post', 'pre'] },
      layer_norm_eps: { type: 'number', exclusiveMinimum: 0, default: 1e-5 },
      positions: { enum: ['sinusoidal', 'sinusoidal-marian', 'learned', 'none'] },
      max_positions: { ...count, default: 512 },
      scale_embedding: { type: 'boolean', default: false },
      embedding_norm: { type: 'boolean', default: false },
      final_norm: { type: 'boolean', default: false },
      token_types: { type: 'integer', minimum: 0, default: 0 },
      bos_id: id,
      eos_id: id,
      decoder_start_id: id,
      max_target_length: count,
      embedding_size: { ...count, description: 'embeddings this wide, then embed.project to d_model (ELECTRA, ALBERT)' },
      position_offset: { type: 'integer', minimum: 0, description: 'position table row of position 0 (BART 2, RoBERTa pad + 1)' },
      position_pad_id: { ...id, description: 'fairseq make_positions: this id reads its own row and does not advance positions (RoBERTa)' },
      per_stack_embeddings: { type: 'boolean', description: 'encoder.embed.* and decoder.embed.* positions and norm (BART)' },
      shared_layer_groups: { ...count, description: 'stored encoder layers shared in groups (ALBERT)' },
      shared_layer_inner: { ...count, description: 'layers per shared group, run in order each step (ALBERT inner_group_num)' },
      head_dim: { ...count, description: 'width of one head when not d_model / heads (T5 d_kv)' },
      rms_norm: { type: 'boolean', description: 'RMSNorm (weight only) instead of LayerNorm (T5)' },
      linear_bias: { type: 'boolean', description: 'false: attention and feed-forward linears have no bias tensors (T5)' },
      gated_ffn: { type: 'boolean', description: 'fc2(act(ffn.gate(x)) * ffn.fc1(x)) (T5 v1.1)' },
      unscaled_attention: { type: 'boolean', description: 'scores q·k without 1/sqrt(d_head) (T5)' },
      relative_attention: {
        type: 'object',
        required: ['buckets', 'max_distance'],
        additionalProperties: false,
        properties: { buckets: count, max_distance: count },
        description: 'T5 relative position buckets; {S}.relative_bias [buckets, heads]',
      },
      lm_head_input_scale: { type: 'number', exclusiveMinimum: 0, description: 'decoder output x this before lm_head (T5: d_model^-0.5)' },
    },
    allOf: [
      {
        if: { required: ['kind'], properties: { kind: { const: 'decoder' } } },
        then: { properties: { encoder_layers: { const: 0, description: 'a decoder-only model has no encoder' } } },
        else: {
          required: ['encoder_layers'],
          properties: { encoder_layers: { type: 'integer', minimum: 1 } },
          description: 'required unless kind is "decoder"',
        },
      },
      {
        if: { required: ['kind'], properties: { kind: { const: 'encoder' } } },
        then: { properties: { decoder_layers: { const: 0, description: 'an encoder model has no decoder' } } },
        else: {
          required: ['decoder_layers'],
          properties: { decoder_layers: { type: 'integer', minimum: 1 } },
          description: 'required unless kind is "encoder"',
        },
      },
    ],
  },
  readConfig(file, json) {
    const c = json as Json; // the schema leaves out the layer count of a side the kind does not have
    const cfg: TransformerConfig = {
      ...c,
      encoder_layers: c.kind === 'decoder' ? 0 : (c.encoder_layers ?? 0),
      decoder_layers: c.kind === 'encoder' ? 0 : (c.decoder_layers ?? 0),
    };
    if (cfg.head_dim === undefined) checkHeads(file, cfg.d_model, cfg.heads);
    const inner = cfg.shared_layer_inner ?? 1;
    if (cfg.encoder_layers % inner !== 0) {
      const want = `a multiple of config.shared_layer_inner ${inner} (every step runs the whole group)`;
      throw new ModelFormatError(file, 'config.encoder_layers', `${want}; found ${cfg.encoder_layers}`);
    }
    for (const key of ['bos_id', 'eos_id', 'decoder_start_id'] as const) checkId(file, key, cfg[key], cfg.vocab_size, 'vocab_size');
    if (cfg.positions === 'sinusoidal' || cfg.positions === 'sinusoidal-marian')
      checkComputedTable(file, 'config.max_positions', cfg.max_positions, cfg.d_model);
    return cfg;
  },
  vocabSizes: (c) => ({ source: c.vocab_size, target: c.vocab_size }),
  partShapes(c) {
    const out = [];
    if (c.encoder_layers) out.push({ part: 'encoder' as const, layers: c.encoder_layers, heads: c.heads });
    if (c.decoder_layers) out.push({ part: 'decoder' as const, layers: c.decoder_layers, heads: c.heads });
    if (c.kind === 'encoder-decoder') out.push({ part: 'cross' as const, layers: c.decoder_layers, heads: c.heads });
    return out;
  },
  estimateMemory: transformerMemory,
  tensors: transformerTensors,
  build: buildTransformer,
  viewKinds: [MLM_KIND], // masked-LM encoders (own lm_head and a mask token)
};

/** Transformer encoder, decoder-only and encoder–decoder, as transformer.ts runs them. */
function transformerMemory(model: ModelOf<'transformer'>, s: RunShape): RunMemory {
  const c: TransformerConfig = model.config;
  const { heads: H, d_model: d, d_ff: f, vocab_size: V } = c;
  const Le = c.kind === 'decoder' ? 0 : c.encoder_layers;
  const Ld = c.kind === 'encoder' ? 0 : c.decoder_layers;
  // Decoder-only models take the whole sequence as source ids; seq2seq decodes T targets.
  const n = s.source;
  const T = c.kind === 'encoder' ? 0 : c.kind === 'decoder' ? n : (s.target ?? Math.min(c.max_target_length ?? 64, c.max_positions));
  const m = c.kind === 'encoder-decoder' ? n : 0; // cross-attention keys
  const encN = c.kind === 'decoder' ? 0 : n;
  const attention =
    Le * H * encN * encN * 2 * F32 + // encoder self: probs + scores [H, n, n]
    Ld * (H * T * T * 2 * F32 + T * T) + // decoder self + causal mask (1 byte per cell)
    Ld * H * T * m * 2 * F32; // cross: [H, T, m]
  const addNorm = (Le * 2 * encN + Ld * (m ? 3 : 2) * T) * 3 * F32; // three [rows] norms per sub-layer
  const qkv = s.withQKV ? (Le * 3 * encN + Ld * (3 * T + (m ? T + 2 * m : 0))) * d * F32 : 0;
  const positional = isFixedScheme(c.positions) ? Math.min(c.max_positions, Math.max(n, T, 1)) * d * F32 : 0;
  const rows = Math.max(encN, T);
  const layer = rows * (f + 6 * d) * F32; // FFN hidden [rows, d_ff] + x, q, k, v, context, residual [rows, d]
  const kv = Ld * 2 * (T + m) * d * F32 * 2; // K, V per decoder layer (self + cross); ×2 while a cache grows by copying
  const predicts = c.kind !== 'encoder' || model.weights.has('lm_head.weight');
  const logits = predicts ? Math.max(rows, 1) * V * F32 : 0;
  return runMemory({ attention, traces: addNorm + qkv + positional, working: layer + kv + logits });
}
