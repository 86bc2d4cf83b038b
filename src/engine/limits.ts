// Run limits: the memory a run will need, estimated from the model's config and the token counts
// *before* any compute, and refused with the number when it is over the limit (setting
// attentionInspector.maxRunMemoryMB). Typed arrays live outside the V8 heap, so the worker's
// heap limit cannot stop a run that asks for 10 GB of attention probabilities: this check does.
// The heap limit (workerResourceLimits) bounds the rest — parsed JSON, strings, runaway loops.
import type {
  AttentionRnnConfig, HfDecoderConfig, ImageTransformerConfig, LoadedModel, NarmConfig, RnnSeq2seqConfig, SentenceEncoderConfig, ShowAttendTellConfig,
  TdmcaConfig, TransformerConfig, UniversalConfig,
} from './format/loaded';
import { InputError } from './format/errors';
import { isFixedScheme } from './positional';
import { compressedLength } from './models/tdmcaAttention';

export const DEFAULT_MAX_RUN_MEMORY_MB = 2048;
/** Default of attentionInspector.maxSequenceLength (and the CLI's --max-tokens). */
export const DEFAULT_MAX_TOKENS = 1024;
const MB = 1024 * 1024;
const F32 = 4;

/** Bytes a run needs, by what they hold. */
export interface RunMemory {
  /** Attention probabilities and scores (and causal masks) returned for every layer and head. */
  attention: number;
  /** Everything else returned: Add & Norm traces, Q/K/V when asked for, the positional table. */
  traces: number;
  /** Working memory at the peak: the largest layer's activations, KV caches, output logits. */
  working: number;
  total: number;
}

export interface RunShape {
  /** Source tokens. */
  source: number;
  /** Target tokens given (teacher forcing); absent: greedy decoding up to the model's limit. */
  target?: number;
  withQKV?: boolean;
}

type Estimator<M extends LoadedModel = LoadedModel> = (model: M, shape: RunShape) => RunMemory;

const sum = (m: Omit<RunMemory, 'total'>): RunMemory => ({ ...m, total: m.attention + m.traces + m.working });

/** Transformer encoder, decoder-only and encoder–decoder, as transformer.ts runs them. */
function transformerMemory(model: LoadedModel & { architecture: 'transformer' }, s: RunShape): RunMemory {
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
  return sum({ attention, traces: addNorm + qkv + positional, working: layer + kv + logits });
}

/** RNN encoder–decoder (rnnSeq2seq.ts): one attention "layer" of T decoder steps over n states. */
function rnnMemory(model: LoadedModel & { architecture: 'rnn-seq2seq' }, s: RunShape): RunMemory {
  const c: RnnSeq2seqConfig = model.config;
  const n = s.source;
  const T = s.target ?? c.max_target_length;
  const Henc = c.hidden_size * (c.bidirectional ? 2 : 1);
  const attention = T * n * 2 * F32; // [T, n] probs + scores
  const working =
    attention + // per-step rows before they are concatenated
    n * Henc * F32 * 2 + // encoder states (and one direction's pass)
    n * (c.attention_dim ?? 0) * F32 + // W1·h_j for the additive score
    T * c.hidden_size * F32 * 2 + // decoder states, rows + concatenated
    (c.tgt_vocab_size + c.embed_dim + Henc * 2) * F32; // one step's logits and inputs
  return sum({ attention, traces: 0, working });
}

/**
 * Universal Transformer (universal.ts): the shared layer runs up to max_steps times, recorded as
 * one encoder layer per step. ACT may halt earlier, so this is the most the run can need.
 */
function universalMemory(model: LoadedModel & { architecture: 'universal' }, s: RunShape): RunMemory {
  const c: UniversalConfig = model.config;
  const n = s.source;
  const T = c.max_steps;
  const attention = T * c.heads * n * n * 2 * F32;
  const traces = T * 2 * 3 * n * F32; // Add & Norm of attention and FFN per step
  const act = 2 * T * n * 8 + 3 * n * 8; // halting and weight rows (JS numbers) and per-token results
  const working = n * (c.d_ff + 9 * c.d_model) * F32 + n * c.vocab_size * F32; // one step + state, input, output; logits
  return sum({ attention, traces: traces + act, working });
}

/**
 * T-DMCA (tdmca.ts): local layers attend over all n keys under a block mask; memory-compressed
 * layers over ⌈n / compression⌉ strided-convolution keys. The app view repeats the compressed
 * layers' probabilities as JS numbers.
 */
function tdmcaMemory(model: LoadedModel & { architecture: 'tdmca' }, s: RunShape): RunMemory {
  const c: TdmcaConfig = model.config;
  const n = s.source;
  const m = compressedLength(n, c.compression);
  let attention = 0;
  let app = 0;
  for (const type of c.layers) {
    const keys = type === 'local' ? n : m;
    attention += c.heads * n * keys * 2 * F32 + n * keys; // probs + scores, and the mask
    if (type === 'compressed') app += c.heads * n * keys * 8;
  }
  const traces = c.layers.length * 2 * 3 * n * F32 + app;
  const working = n * (c.d_ff + 6 * c.d_model) * F32 + n * c.vocab_size * F32;
  return sum({ attention, traces, working });
}

/**
 * Melody attention RNN (attentionRnn.ts): the primer plus generate_steps notes, T in all; it keeps
 * a [T, T] probability, score and mask matrix (the window is stored inside the full square), so
 * memory grows with T² — a file's generate_steps of 10⁶ asks for terabytes.
 */
function attentionRnnMemory(model: LoadedModel & { architecture: 'attention-rnn' }, s: RunShape): RunMemory {
  const c: AttentionRnnConfig = model.config;
  const T = s.source + c.generate_steps;
  const attention = T * T * (2 * F32 + 1);
  const traces = T * F32 + T * 128; // per-step probability, and the app view's note objects (JS heap)
  const working = T * (c.hidden_size + c.attention_dim) * F32 + (2 * c.vocab_size + c.embed_dim + 6 * c.hidden_size) * F32;
  return sum({ attention, traces, working });
}

/**
 * Architecture → estimate. An architecture without one is not checked against the memory limit
 * (only against maxSequenceLength): add one line here with its own estimate.
 */
/** NARM (narm.ts): α at every prefix [n, n] (+ mask), GRU states, item scores for the last prefix. */
function narmMemory(model: LoadedModel & { architecture: 'narm' }, s: RunShape): RunMemory {
  const c: NarmConfig = model.config;
  const n = s.source;
  const attention = n * n * (2 * F32 + 1);
  const working = n * (c.embed_dim + 4 * c.hidden_size) * F32 + 2 * c.vocab_size * F32 + n * n * 8;
  return sum({ attention, traces: 0, working });
}

/** Show, Attend and Tell (showAttendTell.ts): the drawn image, the CNN's largest feature map, [T, L] α. */
function showAttendTellMemory(model: LoadedModel & { architecture: 'show-attend-tell' }, s: RunShape): RunMemory {
  const c: ShowAttendTellConfig = model.config;
  const T = s.target ?? c.max_caption_length;
  const pool = c.conv.reduce((p, st) => p * st.pool, 1);
  const L = Math.max(1, Math.floor(c.image_size / pool)) ** 2;
  const attention = T * L * 2 * F32 * 2; // probs + scores, and the copies the app view keeps
  const pixels = c.image_size * c.image_size;
  const maxChannels = Math.max(3, ...c.conv.map((st) => st.channels));
  const working = pixels * maxChannels * F32 * 2 + pixels * 3 * (F32 + 1) + L * c.attention_dim * F32 + T * L * 8 * 2 + c.tgt_vocab_size * F32;
  return sum({ attention, traces: 0, working });
}

/** Image Transformer (imageTransformer.ts): [heads, n, n] per layer over the pixels (keys outside the memory block masked). */
function imageTransformerMemory(model: LoadedModel & { architecture: 'image-transformer' }, s: RunShape): RunMemory {
  const c: ImageTransformerConfig = model.config;
  const n = Math.max(s.source, 1);
  const attention = c.layers * (c.heads * n * n * 2 * F32 + n * n);
  const traces = c.layers * 2 * 3 * n * F32;
  const working = n * (c.d_ff + 6 * c.d_model) * F32 + n * c.vocab_size * F32;
  return sum({ attention, traces, working });
}

/** Sentence encoder (sentenceEncoder.ts): a pre-LN encoder plus the pooled embedding. */
function sentenceEncoderMemory(model: LoadedModel & { architecture: 'sentence-encoder' }, s: RunShape): RunMemory {
  const c: SentenceEncoderConfig = model.config;
  const n = s.source;
  const attention = c.layers * c.heads * n * n * 2 * F32;
  const traces = c.layers * 2 * 3 * n * F32 + n * c.d_model * F32; // Add & Norm norms, timing signal
  const working = n * (c.d_ff + 7 * c.d_model + c.embed_dim) * F32;
  return sum({ attention, traces, working });
}

/** Hugging Face decoders (hfDecoder.ts): [H, n, n] per layer (+ mask), q/k/v and K/V repeated per query head, logits. */
function hfDecoderMemory(model: LoadedModel & { architecture: 'hf-decoder' }, s: RunShape): RunMemory {
  const c: HfDecoderConfig = model.config;
  const n = Math.max(s.source, 1);
  const attention = c.layers * (c.heads * n * n * 2 * F32 + n * n);
  const traces = c.layers * 2 * 3 * n * F32 + (s.withQKV ? c.layers * 3 * n * c.heads * c.head_dim * F32 : 0);
  const working = n * (3 * c.d_ff + 6 * c.d_model + 5 * c.heads * c.head_dim) * F32 + n * c.vocab_size * F32;
  return sum({ attention, traces, working });
}

/** Every architecture has one: a new architecture without an estimate fails the typecheck. */
const ESTIMATORS: Record<LoadedModel['architecture'], Estimator> = {
  transformer: transformerMemory as Estimator,
  'rnn-seq2seq': rnnMemory as Estimator,
  universal: universalMemory as Estimator,
  tdmca: tdmcaMemory as Estimator,
  'attention-rnn': attentionRnnMemory as Estimator,
  narm: narmMemory as Estimator,
  'show-attend-tell': showAttendTellMemory as Estimator,
  'image-transformer': imageTransformerMemory as Estimator,
  'sentence-encoder': sentenceEncoderMemory as Estimator,
  'hf-decoder': hfDecoderMemory as Estimator,
};

export function estimateRunMemory(model: LoadedModel, shape: RunShape): RunMemory | undefined {
  return ESTIMATORS[model.architecture](model, shape);
}

const mb = (bytes: number) => `${Math.ceil(bytes / MB).toLocaleString('en-US')} MB`;

/** Refuses (InputError on `ids`) a run whose estimate is over `limitMB`, before any compute. */
export function checkRunMemory(model: LoadedModel, shape: RunShape, limitMB: number): void {
  const need = estimateRunMemory(model, shape);
  if (!need || need.total <= limitMB * MB) return;
  // How many source tokens would fit with the same target: the estimate grows with n.
  let lo = 0;
  let hi = shape.source;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (estimateRunMemory(model, { ...shape, source: mid })!.total <= limitMB * MB) lo = mid;
    else hi = mid - 1;
  }
  const fit =
    lo > 0
      ? `at most about ${lo.toLocaleString('en-US')} source tokens fit`
      : shape.target === undefined
        ? 'even one source token does not fit, because greedy decoding runs up to the model\'s max_target_length: give target ids'
        : 'even one source token does not fit with this target';
  throw new InputError(
    'ids',
    `this run needs ~${mb(need.total)} (attention probabilities and scores ${mb(need.attention)}, other results ${mb(need.traces)}, ` +
      `working memory ${mb(need.working)}); the limit is ${limitMB.toLocaleString('en-US')} MB (setting attentionInspector.maxRunMemoryMB): ${fit}`,
  );
}

/**
 * The worker's V8 heap limit for a given run-memory setting. Tensors are not on the heap (the
 * estimate bounds them); the heap holds parsed model files, token strings and result objects.
 * The same setting bounds both, so the worker can use at most about twice the setting.
 */
export function workerResourceLimits(maxRunMemoryMB: number): { maxOldGenerationSizeMb: number } {
  return { maxOldGenerationSizeMb: Math.max(256, Math.round(maxRunMemoryMB)) };
}
