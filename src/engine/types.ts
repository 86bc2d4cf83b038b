// Types shared by the engine, the worker protocol, the CLI and the webviews. No Node or vscode
// imports here: the webview bundle imports this file too.

import type { ChatInput } from '../../common/tokenizer';
import type { HeadStats } from '../../common/headData';

export type Part = 'encoder' | 'decoder' | 'cross';

/** One layer of one attention part, all heads. Typed arrays cross threads as transferables. */
export interface AttentionLayer {
  part: Part;
  layer: number;
  heads: number;
  queries: number;
  keys: number;
  /** [heads, queries, keys]; each row sums to 1. */
  probs: Float32Array;
  /** [heads, queries, keys]; q·k/√d_head (or the RNN score e_tj), before masking. */
  scores: Float32Array;
  /** [queries, keys]; 1 where the key is hidden from the query (causal mask), else absent. */
  mask?: Uint8Array;
  /** [heads, queries] each row's entropy −Σ p ln p, when the kernels computed it with the softmax. */
  rowEntropy?: Float32Array;
  /** GQA/MQA: the K/V heads the query heads share (kvHeadOf in common/headData.ts); absent when each head has its own. */
  kvHeads?: number;
  /** Sliding-window layer: each query sees only its last `window` keys (the band of the mask). */
  window?: number;
  /** Per-head summaries the engine worker computed before handing the layer over (common/layerSummary.ts). */
  summary?: LayerSummary;
}

/** Per-head numbers of one layer, so the host need not read its probabilities to show the grid. */
export interface LayerSummary {
  /** [heads] largest probability. */
  max: Float32Array;
  /** [heads] mean row entropy in nats (HeadStats.entropy). */
  entropy: Float64Array;
  /** Thumbnail size: min(queries, 32) × min(keys, 32). */
  rows: number;
  cols: number;
  /** [heads, rows, cols] average-pooled probabilities (averagePool's bins). */
  thumbs: Float32Array;
  /** Every statistic of each head (headStats), when the worker keeps the probabilities (run `keep`). */
  stats?: HeadStats[];
}

/** Add & Norm trace of one sub-layer: what went in, what the sub-layer added, what came out. */
export interface AddNormStep {
  part: Part;
  layer: number;
  sublayer: 'self_attn' | 'cross_attn' | 'ffn';
  /** [tokens] L2 norm of the residual input, the sub-layer output, and the normalised result. */
  residualNorm: Float32Array;
  sublayerNorm: Float32Array;
  outputNorm: Float32Array;
}

export interface QKV {
  part: Part;
  layer: number;
  heads: number;
  headDim: number;
  queries: number;
  keys: number;
  q: Float32Array; // [heads, queries, headDim]
  k: Float32Array; // [heads, keys, headDim]
  v: Float32Array; // [heads, keys, headDim]
  /** How the score is made of q and k; absent: 'scaled-dot' (score = q·k/√headDim). */
  form?: QkForm;
}

/**
 * How an attention score is made of q and k: `scale`·Σ_c q_c·k_c for the dot forms (scaled-dot:
 * scale 1/√d; general: q is the decoder state through W, sᵀW). Additive scores vᵀtanh(W₁h + W₂s)
 * are no dot product: no vectors are given for them.
 */
export type QkForm = 'scaled-dot' | 'dot' | 'general' | 'additive';

/** Which head's q and k vectors to compute, on the ids a run resolved (RunResult.ids). */
/** Preprocessed pixel_values of one image: [channels, height, width]. */
export interface Pixels {
  data: Float32Array;
  channels: number;
  height: number;
  width: number;
}

export interface QkRequest {
  /** The run's ids; empty for vision models, which read `pixels` instead. */
  ids: number[];
  /** Vision models: the run's own preprocessed image (RunResult.pixels), so q·k is the run's. */
  pixels?: Pixels;
  /** The decoder inputs of the run (seq2seq); absent for encoder- and decoder-only models. */
  targetIds?: number[];
  score?: RnnScore;
  part: Part;
  layer: number;
  head: number;
}

/** One head's q and k vectors as they enter its scores (after the projections). */
export interface HeadQK {
  part: Part;
  layer: number;
  head: number;
  queries: number;
  keys: number;
  /** Length of each vector; 0 for the additive form. */
  dims: number;
  q: Float32Array; // [queries, dims]
  k: Float32Array; // [keys, dims]
  form: QkForm;
  /** score = scale · q·k (1/√d for scaled-dot, 1 otherwise). */
  scale: number;
}

export interface RunInput {
  /** Source text (tokenized by the model's tokenizer) or ids used as given. */
  text?: string;
  ids?: number[];
  /** Instead of text: the tokenizer's chat template rendered for [system?, user] (Hugging Face chat models). */
  chat?: ChatInput;
  targetText?: string;
  targetIds?: number[];
  /** RNN seq2seq: run with another score function than the file's default. */
  score?: RnnScore;
  /** Return Q, K, V per head (large); off by default. */
  withQKV?: boolean;
  /** Refuse inputs longer than this many tokens (per side) before any compute. */
  maxTokens?: number;
  /**
   * Decoder-only models: continue the prompt greedily for up to this many tokens (KV cache, stops
   * at EOS); the result covers prompt + generated tokens (RunResult.generated). 0 or absent: none.
   */
  generate?: number;
  /** Refuse runs whose estimated memory (limits.ts) is over this many MB, before any compute. */
  maxRunMemoryMB?: number;
  /** Vision models: a PNG/JPEG file, preprocessed as the folder's preprocessor_config.json says. */
  image?: string;
  /** Vision models: pixels already preprocessed, [channels][height][width] (instead of `image`). */
  pixelValues?: number[][][];
}

export type RnnScore = 'dot' | 'general' | 'additive' | 'scaled-dot';

export interface ModelSummary {
  name: string;
  file: string;
  architecture: string;
  kind: string;
  parameters: number;
  /** Human-readable hyper-parameters, e.g. { d_model: 768, heads: 12 }. */
  details: Record<string, string | number | boolean>;
  /** Score functions the trained model is defined for (RNN seq2seq only): its own, and dot ↔ scaled-dot. */
  scores?: RnnScore[];
  /** Attention parts with layers × heads, known from the config (layers is an upper bound for recurrent models); the side panel's tree lists these. */
  parts: { part: Part; layers: number; heads: number; kvHeads?: number }[];
  examples: { text?: string; targetText?: string; ids?: number[]; targetIds?: number[] }[];
  /** The token unknown words of the input become ([UNK], <unk>…), where the tokenizer has one. */
  unkToken?: string;
  /** The tokenizer has a chat template: the input prompt offers "Apply chat template". */
  chatTemplate?: boolean;
  /** The head the inspector opens first, named by the model file (its description points at it). */
  openFirst?: { part: Part; layer: number; head: number };
  /** What the source side reads: text (through its tokenizer) or only ids, each below `size`. */
  vocab?: { tokenizer: boolean; size: number };
  /** Vision models read an image (RunInput.image / pixelValues), never text: its size in pixels. */
  image?: { height: number; width: number; channels: number };
}

/** Rotary position embedding of a group of layers with equal RoPE parameters, as the run used it. */
export interface RopeInfo {
  layers: number[];
  type: string;
  /** rope_theta (the base). */
  theta: number;
  /** linear, dynamic, llama3: the scaling factor. */
  factor?: number;
  headDim: number;
  /** Rotated dims per head (< headDim: partial rotary, GPT-NeoX); pairs are (i, i + rotaryDim/2). */
  rotaryDim: number;
  /** [rotaryDim/2] θ_i in radians per position, after scaling (dynamic: at this run's length). */
  invFreq: number[];
}

export interface RunResult {
  model: ModelSummary;
  tokens: { source: string[]; target: string[] };
  ids: { source: number[]; target: number[] };
  attentions: AttentionLayer[];
  /** [positions, d_model] when the model uses fixed positional encodings. */
  positional?: { positions: number; dims: number; scheme: string; data: Float32Array };
  /** RoPE models: the rotary frequencies per group of layers (the Positional tab). */
  rope?: RopeInfo[];
  addNorm: AddNormStep[];
  qkv?: QKV[];
  /**
   * How many of the last source tokens the run generated (RunInput.generate); absent: none. Their
   * attention rows are those of their generation steps over the KV cache.
   */
  generated?: number;
  /** Greedy prediction after each decoder input (seq2seq / decoder models). */
  predicted?: { ids: number[]; tokens: string[] };
  /**
   * What only this architecture has to show (an image with per-word attention maps, halting
   * steps, a piano roll…). Each kind's data is declared and guarded in common/archViews/<kind>.ts
   * and drawn by webview/inspector/archViews/<kind>.ts; both are registered in one index file each.
   */
  app?: AppData;
  /**
   * Axis labels a part needs when its keys or queries are not the tokens (e.g. image locations
   * "r2c3" in Show, Attend and Tell). Absent: the source/target tokens label the axes.
   */
  axisLabels?: { part: Part; queries?: string[]; keys?: string[] }[];
  /** Per-head norms of the attention projections, where the model has them (see engine/headNorms.ts). */
  headNorms?: HeadWeightNorms[];
  /** Vision models given an image file: its name (the panel title shows it; the tokens are only [CLS] and patches). */
  imageName?: string;
  /** Vision models: the pixels the run read, so a request about it (the Q·K view's) runs on the same image. */
  pixels?: Pixels;
  /**
   * Set on a partial result shown while the run goes on: only the attention layers finished so
   * far are in `attentions` (no Add & Norm, positional or predictions yet). The final result has none.
   */
  running?: Progress & { stopped?: 'cancelled' | 'failed' };
  /** How the engine worker ran it: which kernels, on how many threads, in how long (set by worker.ts). */
  engine?: EngineInfo;
  /**
   * Set by the host (engineHost.ts) when the worker keeps this run's probabilities and scores: the
   * layers here have none (empty arrays), only their summaries; `run` names it to the worker.
   */
  kept?: { run: number };
}

export interface EngineInfo {
  kernels: string; // 'native AVX-512', 'native AVX2', 'WASM relaxed SIMD', 'WASM SIMD' or 'reference'
  threads: number;
  ms: number; // runModel's wall time, streaming included
}

/** ‖slice‖ of W_Q, W_K, W_V (the head's rows) and W_O (its columns), one number per head. */
export interface HeadWeightNorms {
  part: Part;
  layer: number;
  q?: number[];
  k?: number[];
  v?: number[];
  o?: number[];
}

/** Application view payload; `data` holds plain JSON and typed arrays only (it is cloned across threads). */
export interface AppData {
  kind: string;
  /** Heading of the view, e.g. "Caption attention over the image". */
  title: string;
  /** One or two sentences: what to look for. */
  explain: string;
  data: unknown;
}

/**
 * The first part of a run, before it ends: every attention layer finished so far (the engine's
 * own arrays, still being added to; copy before handing them to another thread).
 */
export interface PartialRun {
  model: ModelSummary;
  tokens: { source: string[]; target: string[] };
  ids: { source: number[]; target: number[] };
  attentions: readonly AttentionLayer[];
  progress: Progress;
}

/** Progress reported while a run is under way. */
export interface Progress {
  done: number;
  total: number;
  message: string;
}
