// The in-memory form every reader produces (project JSON, Hugging Face folder): configuration in
// the project format's terms and tensors under the canonical names of docs/model-format.md.
import type { Tensor } from '../tensor';
import type { RnnScore } from '../types';

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

/** Text → ids for one side (source or target) of a model. */
export interface Tokenizer {
  encode(text: string): { ids: number[]; tokens: string[] };
  /** Display string of one id (never throws: unknown ids render as `[id]`). */
  token(id: number): string;
  readonly size: number;
  /** The token unknown words become, where the vocabulary has one (the token strips mark it). */
  readonly unkToken?: string;
}

export type ArchitectureConfig =
  | { architecture: 'transformer'; config: TransformerConfig }
  | { architecture: 'universal'; config: UniversalConfig }
  | { architecture: 'tdmca'; config: TdmcaConfig }
  | { architecture: 'rnn-seq2seq'; config: RnnSeq2seqConfig }
  | { architecture: 'narm'; config: NarmConfig }
  | { architecture: 'attention-rnn'; config: AttentionRnnConfig }
  | { architecture: 'show-attend-tell'; config: ShowAttendTellConfig }
  | { architecture: 'image-transformer'; config: ImageTransformerConfig }
  | { architecture: 'sentence-encoder'; config: SentenceEncoderConfig };

export type LoadedModel = ArchitectureConfig & {
  /** Path of the model JSON, or of the HF folder's config.json. Used in every error message. */
  file: string;
  name: string;
  description?: string;
  weights: Map<string, Tensor>;
  sourceTokenizer?: Tokenizer;
  targetTokenizer?: Tokenizer;
  examples: { text?: string; targetText?: string; ids?: number[]; targetIds?: number[] }[];
};
