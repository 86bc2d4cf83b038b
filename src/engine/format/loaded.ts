// The in-memory form every reader produces (project JSON, Hugging Face folder): configuration in
// the project format's terms and tensors under the canonical names of docs/model-format.md.
import type { WeightTensor } from '../weights';
import type { RnnScore } from '../types';
import type { ChatInput } from '../../../common/tokenizer';

export type Activation = 'relu' | 'gelu' | 'gelu_new' | 'swish';
export type PositionScheme = 'sinusoidal' | 'sinusoidal-marian' | 'learned' | 'none';

export interface TransformerConfig {
  kind: 'encoder' | 'decoder' | 'encoder-decoder';
  vocab_size: number;
  d_model: number;
  heads: number;
  d_ff: number;
  encoder_layers: number; // 0 when kind = decoder
  decoder_layers: number; // 0 when kind = encoder
  activation: Activation;
  norm: 'post' | 'pre';
  layer_norm_eps: number;
  positions: PositionScheme;
  max_positions: number;
  scale_embedding: boolean;
  embedding_norm: boolean;
  final_norm: boolean;
  token_types: number;
  bos_id?: number;
  eos_id?: number;
  decoder_start_id?: number;
  max_target_length?: number;
  // Options some Hugging Face families need (docs/model-format.md); absent = off.
  /** Token, position and type embeddings (and their norm) are this wide; `embed.project` maps them to d_model. */
  embedding_size?: number;
  /** Row of the position table that position 0 reads: the table has max_positions + offset rows. */
  position_offset?: number;
  /** fairseq make_positions: a token with this id reads row position_pad_id and does not advance the position. */
  position_pad_id?: number;
  /** Encoder and decoder each have their own position table and embedding norm (`{encoder,decoder}.embed.*`). */
  per_stack_embeddings?: boolean;
  /** Stored encoder layers; layer i runs stored layer ⌊i / (encoder_layers / shared_layer_groups)⌋. */
  shared_layer_groups?: number;
  /**
   * Layers per shared group, run in order at each step (ALBERT inner_group_num): encoder_layers counts every
   * layer run, encoder_layers / shared_layer_inner steps; stored layer g·inner + j is group g's j-th.
   */
  shared_layer_inner?: number;
  /** Width of one head when not d_model / heads (T5's d_kv): q, k, v are [heads·head_dim, d_model], o its transpose. */
  head_dim?: number;
  /** RMSNorm instead of LayerNorm: x·w / √(mean(x²) + eps), no mean, no bias tensors (T5LayerNorm). */
  rms_norm?: boolean;
  /** false: the attention and feed-forward linears have no bias tensors (T5). */
  linear_bias?: boolean;
  /** Gated feed-forward fc2(act(ffn.gate(x)) ⊙ ffn.fc1(x)) (T5 v1.1's gated-gelu). */
  gated_ffn?: boolean;
  /** Scores are q·k, not q·k/√d_head (T5). */
  unscaled_attention?: boolean;
  /** T5 relative position buckets: `{S}.relative_bias` [buckets, heads] added to every self-attention score. */
  relative_attention?: { buckets: number; max_distance: number };
  /** The decoder output is multiplied by this before the LM head (T5 with tied embeddings: d_model^-0.5). */
  lm_head_input_scale?: number;
}

export interface RnnSeq2seqConfig {
  cell: 'gru' | 'lstm';
  src_vocab_size: number;
  tgt_vocab_size: number;
  embed_dim: number;
  hidden_size: number;
  bidirectional: boolean;
  score: RnnScore;
  attention_dim?: number;
  bos_id: number;
  eos_id: number;
  max_target_length: number;
}

/** Show, Attend and Tell: scene words → image → CNN → LSTM with soft attention over locations. */
export interface SceneConfig {
  /** colour word → [r, g, b] in 0…1 */
  colours: Record<string, [number, number, number]>;
  shapes: ('circle' | 'square' | 'triangle')[];
  /** position word → centre [row, col] in pixels */
  positions: Record<string, [number, number]>;
  radius: number;
}

export interface ShowAttendTellConfig {
  image_size: number;
  scene: SceneConfig;
  /** Conv (same padding) + ReLU + max-pool stages, in order. */
  conv: { channels: number; kernel: number; pool: number }[];
  src_vocab_size: number;
  tgt_vocab_size: number;
  embed_dim: number;
  hidden_size: number;
  attention_dim: number;
  gate: boolean;
  bos_id: number;
  eos_id: number;
  max_caption_length: number;
}

/** Image Transformer: a decoder over pixels with local 1D or 2D self-attention. */
export interface ImageTransformerConfig {
  vocab_size: number;
  height: number;
  width: number;
  d_model: number;
  heads: number;
  d_ff: number;
  layers: number;
  activation: Activation;
  norm: 'post' | 'pre';
  layer_norm_eps: number;
  final_norm: boolean;
  attention: 'local-1d' | 'local-2d';
  query_length?: number;
  memory_length?: number;
  query_height?: number;
  query_width?: number;
  memory_above?: number;
  memory_left?: number;
  memory_right?: number;
  /** Display colour of each id, [r, g, b] 0…255; default a grey ramp. */
  palette?: [number, number, number][];
}

/** NARM session recommender: item embeddings → GRU; global + local (attention) encoders; bilinear decoder. */
export interface NarmConfig {
  vocab_size: number; // items
  embed_dim: number;
  hidden_size: number;
  /** How many recommended items the app view lists. */
  top_k: number;
}

/** Attention RNN for melodies: an LSTM attending over its last attn_length outputs. */
export interface AttentionRnnConfig {
  vocab_size: number; // notes, rests and specials
  embed_dim: number;
  hidden_size: number;
  attention_dim: number;
  attn_length: number;
  /** Notes generated greedily after the primer. */
  generate_steps: number;
}

/** Universal Transformer encoder: one shared layer applied recurrently, ACT halting per token. */
export interface UniversalConfig {
  vocab_size: number;
  d_model: number;
  heads: number;
  d_ff: number;
  activation: Activation;
  norm: 'post' | 'pre';
  layer_norm_eps: number;
  max_positions: number;
  max_steps: number;
  halting_threshold: number;
  final_norm: boolean;
}

/** T-DMCA decoder: local (block-causal) and memory-compressed (strided conv over K, V) layers. */
export interface TdmcaConfig {
  vocab_size: number;
  d_model: number;
  heads: number;
  d_ff: number;
  activation: Activation;
  norm: 'post' | 'pre';
  layer_norm_eps: number;
  positions: 'sinusoidal' | 'learned' | 'none';
  max_positions: number;
  layers: ('local' | 'compressed')[];
  block_size: number;
  compression: number;
  final_norm: boolean;
}

/**
 * Sentence encoder (Universal Sentence Encoder Lite, tensor2tensor style): pre-LN layers without a
 * final norm, layer 0 works in embed_dim and projects its residual to d_model, t2t timing signal;
 * mean pooling, tanh dense and L2 normalisation give the sentence embedding.
 */
export interface SentenceEncoderConfig {
  vocab_size: number;
  embed_dim: number;
  d_model: number;
  heads: number;
  d_ff: number;
  layers: number;
  activation: Activation;
  layer_norm_eps: number;
  max_positions: number;
  positions: 't2t-timing';
  /** Layer 0's input is embedding_scale · embedding + timing (USE-lite adds the embedding twice: 2). */
  embedding_scale: number;
}

/** RoPE of one layer, as Hugging Face's rope_parameters describe it (see models/rope.ts). */
export interface RopeParams {
  type: 'default' | 'linear' | 'dynamic' | 'llama3';
  theta: number;
  /** Rotated dimensions of each head (head_dim · partial_rotary_factor), even. */
  rotaryDim: number;
  /** linear, dynamic, llama3 */
  factor?: number;
  /** llama3 */
  lowFreqFactor?: number;
  highFreqFactor?: number;
  originalMaxPositions?: number;
  /** dynamic: max_position_embeddings, beyond which the base grows. */
  maxPositions?: number;
}

/**
 * Modern Hugging Face decoder-only families (llama, mistral, qwen2/3, gemma 1–3, phi3, gpt_neox,
 * olmo2) as one pre-norm rotary decoder with switches; format/hfDecoders.ts maps each config.json.
 */
export interface HfDecoderConfig {
  model_type: string;
  vocab_size: number;
  d_model: number;
  layers: number;
  heads: number;
  /** K/V heads (GQA / MQA): query head h uses K/V head ⌊h / (heads / kv_heads)⌋. */
  kv_heads: number;
  head_dim: number;
  d_ff: number;
  norm: 'rms' | 'rms-gemma' | 'layernorm';
  norm_eps: number;
  activation: Activation;
  /** gated: down(act(gate(x)) · up(x)); plain: fc2(act(fc1(x))). */
  mlp: 'gated' | 'plain';
  qkv_bias: boolean;
  o_bias: boolean;
  mlp_bias: boolean;
  /** RMSNorm of q and k before RoPE: over each head (qwen3, gemma3) or the whole projection (olmo2). */
  qk_norm: 'none' | 'per-head' | 'whole';
  /** parallel (GPT-NeoX): x + attn(ln1(x)) + mlp(ln2(x)). */
  residual: 'sequential' | 'parallel';
  embed_scale: number;
  query_scale: number;
  attn_softcap?: number;
  final_softcap?: number;
  /** Per layer: the sliding window (keys q−w < k ≤ q visible), or null for full causal attention. */
  sliding_window: (number | null)[];
  /** Per layer. */
  rope: RopeParams[];
  max_positions: number;
  bos_id?: number;
  eos_ids: number[];
}

/** Text → ids for one side (source or target) of a model. */
export interface Tokenizer {
  encode(text: string): { ids: number[]; tokens: string[] };
  /** Display string of one id (never throws: unknown ids render as `[id]`). */
  token(id: number): string;
  readonly size: number;
  /** The token unknown words become, where the vocabulary has one (the token strips mark it). */
  readonly unkToken?: string;
  /** A Hugging Face tokenizer with a chat template: encodeChat renders and encodes it. */
  readonly chatTemplate?: boolean;
  encodeChat?(chat: ChatInput): { ids: number[]; tokens: string[] };
}

/**
 * Architecture name (the model file's "architecture") → its config type. An architecture declared
 * in its own file adds its entry there (`declare module '…/format/loaded' { interface
 * ArchitectureConfigs { toy: ToyConfig } }`, see docs/adding-an-architecture.md).
 */
export interface ArchitectureConfigs {
  transformer: TransformerConfig;
  universal: UniversalConfig;
  tdmca: TdmcaConfig;
  'rnn-seq2seq': RnnSeq2seqConfig;
  narm: NarmConfig;
  'attention-rnn': AttentionRnnConfig;
  'show-attend-tell': ShowAttendTellConfig;
  'image-transformer': ImageTransformerConfig;
  'sentence-encoder': SentenceEncoderConfig;
  'hf-decoder': HfDecoderConfig;
}

export type ArchitectureName = keyof ArchitectureConfigs & string;

export type ArchitectureConfig = { [K in ArchitectureName]: { architecture: K; config: ArchitectureConfigs[K] } }[ArchitectureName];

export type LoadedModel = ArchitectureConfig & {
  /** Path of the model JSON, or of the HF folder's config.json. Used in every error message. */
  file: string;
  name: string;
  description?: string;
  /** The head the inspector opens first (the model file's open_first). */
  openFirst?: { part: 'encoder' | 'decoder' | 'cross'; layer: number; head: number };
  weights: Map<string, WeightTensor>;
  sourceTokenizer?: Tokenizer;
  targetTokenizer?: Tokenizer;
  examples: { text?: string; targetText?: string; ids?: number[]; targetIds?: number[] }[];
};

/** A loaded model of one architecture. */
export type ModelOf<K extends ArchitectureName> = LoadedModel & { architecture: K };
