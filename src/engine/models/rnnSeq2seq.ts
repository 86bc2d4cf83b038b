// RNN encoder–decoder with attention (Bahdanau additive, Luong dot / general, scaled dot), exactly
// as docs/model-format.md "Architecture rnn-seq2seq" writes it. Every tensor is resolved and
// shape-checked when the model is built, so a run can only fail on its input.
import type { LoadedModel, RnnSeq2seqConfig } from '../format/loaded';
import { InputError, ModelFormatError } from '../format/errors';
import { referenceKernels, type Kernels } from '../kernels/reference';
import { cellTensors, linearTensors, TensorReader, type TensorSpec } from './tensorReader';
import { tensor } from '../tensor';
import type { AddNormStep, AttentionLayer, QKV, RnnScore } from '../types';
import { additiveScore, dotScore, generalQuery, generalScore, scaledDotScore, softmaxRow, weightedSumInto } from '../attention';
import { gateCount, makeCell, runRnn, type RnnCell, type RnnWeights } from '../rnnCells';
import { CancelledError, noControl, type RunControl } from '../control';

export type RnnSeq2seqModel = LoadedModel & { architecture: 'rnn-seq2seq' };

/** The encoder's output for one source sentence; everything the decoder reads from it. */
export interface RnnEncoding {
  ids: number[];
  n: number;
  states: Float32Array; // [n, H_enc]  h_j = [→h_j ; ←h_j]
  /** [n, A]  W₁h_j, when the model has the additive tensors (it does not depend on s_t). */
  w1h: Float32Array | null;
}

export interface RnnDecodeOptions {
  /** Teacher forcing: the decoder inputs, starting with BOS. Absent: greedy from bos_id. */
  targetIds?: number[];
  /** Score function; default config.score. */
  score?: RnnScore;
}

export interface RnnDecoding {
  score: RnnScore;
  /** The decoder inputs y_0 … y_T−1 actually used (given, or produced greedily). */
  targetIds: number[];
  probs: Float32Array; // [T, n]  α_tj
  scores: Float32Array; // [T, n]  e_tj, before the softmax
  /** argmax logits_t after each decoder input: predicted[t] is the model's guess for y_t+1. */
  predicted: number[];
  states: Float32Array; // [T, H]  s_t+1, the decoder state after reading y_t
  queries: Float32Array; // [T, H]  s_t, the decoder state score row e_t was computed from
}

/** The part of a run result an RNN seq2seq produces (shaped like the engine's ModelOutput). */
export interface RnnRunOutput {
  targetIds: number[];
  attentions: AttentionLayer[];
  /** Always empty: there is no Add & Norm in an RNN. */
  addNorm: AddNormStep[];
  predicted: number[];
  /** With `withQK`: the score's query and key vectors (see qkOf). */
  qkv?: QKV[];
}

export interface RnnSeq2seq {
  readonly config: RnnSeq2seqConfig;
  readonly hiddenSize: number; // H, the decoder state size
  readonly encoderSize: number; // H_enc = H × directions
  readonly parameters: number;
  /** Every score whose weights the file has (a run may pick any with `score`). */
  availableScores(): RnnScore[];
  /** The scores the trained model is defined for: its own, plus dot ↔ scaled-dot (the same weights at
   * another temperature). General and additive need weights trained with that score, so they are no switch. */
  switchableScores(): RnnScore[];
  encode(srcIds: number[]): RnnEncoding;
  /** `ctl` is polled before every decoder step (CancelledError) and hears progress after each. */
  decode(enc: RnnEncoding, opts?: RnnDecodeOptions, ctl?: RunControl): RnnDecoding;
  run(input: { ids: number[]; targetIds?: number[]; score?: RnnScore; withQK?: boolean }, ctl?: RunControl): RnnRunOutput;
}

const SCORE_ORDER: readonly RnnScore[] = ['dot', 'general', 'additive', 'scaled-dot'];
const isDotKind = (s: RnnScore): boolean => s === 'dot' || s === 'scaled-dot';

interface Weights {
  srcEmbed: Float32Array; // [src_vocab_size, E]
  tgtEmbed: Float32Array; // [tgt_vocab_size, E]
  initW: Float32Array; // [H, H_enc]
  initB: Float32Array; // [H]
  outW: Float32Array; // [tgt_vocab_size, H + H_enc]
  outB: Float32Array; // [tgt_vocab_size]
  general: Float32Array | null; // W [H, H_enc]
  additive: { w1: Float32Array; w2: Float32Array; v: Float32Array; a: number } | null; // [A, H_enc], [A, H], [A]
}

function checkConfig(model: RnnSeq2seqModel): void {
  const c = model.config;
  const fail = (field: string, expected: string): never => {
    throw new ModelFormatError(model.file, `config.${field}`, expected);
  };
  for (const k of ['src_vocab_size', 'tgt_vocab_size', 'embed_dim', 'hidden_size', 'max_target_length'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 1) fail(k, `a positive integer, got ${c[k]}`);
  }
  for (const k of ['bos_id', 'eos_id'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 0 || c[k] >= c.tgt_vocab_size) {
      fail(k, `a target id in [0, ${c.tgt_vocab_size - 1}], got ${c[k]}`);
    }
  }
  if (c.cell !== 'gru' && c.cell !== 'lstm') fail('cell', `"gru" or "lstm", got ${String(c.cell)}`);
  if (!SCORE_ORDER.includes(c.score)) fail('score', `one of ${SCORE_ORDER.join(', ')}, got ${String(c.score)}`);
  if (c.attention_dim !== undefined && (!Number.isInteger(c.attention_dim) || c.attention_dim < 1)) {
    fail('attention_dim', `a positive integer, got ${c.attention_dim}`);
  }
}

/**
 * The tensors an RNN seq2seq model reads. A file may carry the weights of several scores (those
 * present are checked even if unselected); without attention_dim the additive size is W1's rows.
 */
export function rnnSeq2seqTensors(c: RnnSeq2seqConfig): TensorSpec[] {
  const { hidden_size: H, embed_dim: E } = c;
  const Henc = H * (c.bidirectional ? 2 : 1);
  const G = gateCount(c.cell) * H;
  const a = c.attention_dim ?? null;
  const additiveOptional = c.score !== 'additive';
  return [
    ...cellTensors('encoder.rnn', G, E, H),
    ...(c.bidirectional ? cellTensors('encoder.rnn_reverse', G, E, H) : []),
    ...cellTensors('decoder.rnn', G, E + Henc, H), // reads [embed(y_t) ; c_t]
    { name: 'attention.W', shape: [H, Henc], optional: c.score !== 'general' },
    { name: 'attention.W1', shape: [a, Henc], optional: additiveOptional },
    { name: 'attention.W2', shape: [a, H], optional: additiveOptional },
    { name: 'attention.v', shape: [a], optional: additiveOptional },
    { name: 'encoder.embed', shape: [c.src_vocab_size, E] },
    { name: 'decoder.embed', shape: [c.tgt_vocab_size, E] },
    ...linearTensors('decoder.init', H, Henc),
    ...linearTensors('decoder.out', c.tgt_vocab_size, H + Henc),
  ];
}

export function buildRnnSeq2seq(model: RnnSeq2seqModel, kernels: Kernels = referenceKernels): RnnSeq2seq {
  checkConfig(model);
  const cfg = model.config;
  const H = cfg.hidden_size;
  const Henc = H * (cfg.bidirectional ? 2 : 1);
  const E = cfg.embed_dim;
  const G = gateCount(cfg.cell) * H;
  if ((cfg.score === 'dot' || cfg.score === 'scaled-dot') && H !== Henc) {
    const why = `the decoder state as wide as the encoder state, but H = ${H} and H_enc = ${Henc} (bidirectional)`;
    throw new ModelFormatError(model.file, 'config.score', `"${cfg.score}" needs ${why}; use "general" or "additive"`);
  }
  if (cfg.score === 'additive' && cfg.attention_dim === undefined && !model.weights.has('attention.W1'))
    throw new ModelFormatError(model.file, 'config.attention_dim', 'a positive integer (the additive score needs it)');
  const reader = new TensorReader(model, rnnSeq2seqTensors(cfg));
  const get = (name: string, shape: number[]): Float32Array => reader.get(name, shape);
  const rnnWeights = (prefix: string, inputSize: number): RnnWeights => ({
    weight_ih: get(`${prefix}.weight_ih`, [G, inputSize]),
    weight_hh: get(`${prefix}.weight_hh`, [G, H]),
    bias_ih: get(`${prefix}.bias_ih`, [G]),
    bias_hh: get(`${prefix}.bias_hh`, [G]),
  });

  const encFwd = makeCell(cfg.cell, rnnWeights('encoder.rnn', E), E, H, kernels);
  const encBwd = cfg.bidirectional ? makeCell(cfg.cell, rnnWeights('encoder.rnn_reverse', E), E, H, kernels) : null;
  const decCell: RnnCell = makeCell(cfg.cell, rnnWeights('decoder.rnn', E + Henc), E + Henc, H, kernels);

  const has = (name: string): boolean => reader.has(name);
  const general = cfg.score === 'general' || has('attention.W') ? get('attention.W', [H, Henc]) : null;
  let additive: Weights['additive'] = null;
  if (cfg.score === 'additive' || has('attention.W1') || has('attention.W2') || has('attention.v')) {
    const a = cfg.attention_dim ?? model.weights.get('attention.W1')?.shape[0];
    if (a === undefined) throw new ModelFormatError(model.file, 'config.attention_dim', 'a positive integer (the additive score needs it)');
    additive = { w1: get('attention.W1', [a, Henc]), w2: get('attention.W2', [a, H]), v: get('attention.v', [a]), a };
  }
  const w: Weights = {
    srcEmbed: get('encoder.embed', [cfg.src_vocab_size, E]),
    tgtEmbed: get('decoder.embed', [cfg.tgt_vocab_size, E]),
    initW: get('decoder.init.weight', [H, Henc]),
    initB: get('decoder.init.bias', [H]),
    outW: get('decoder.out.weight', [cfg.tgt_vocab_size, H + Henc]),
    outB: get('decoder.out.bias', [cfg.tgt_vocab_size]),
    general,
    additive,
  };
  reader.finish();

  const available = SCORE_ORDER.filter((s) => (s === 'general' ? w.general !== null : s === 'additive' ? w.additive !== null : H === Henc));
  const parameters = reader.parameterCount();

  const resolveScore = (score: RnnScore | undefined): RnnScore => {
    const s = score ?? cfg.score;
    if (available.includes(s)) return s;
    const why =
      (s === 'dot' || s === 'scaled-dot') && H !== Henc
        ? ` (dot scores need H = H_enc; here ${H} ≠ ${Henc})`
        : s === 'general' || s === 'additive'
          ? ` (the file has no ${s === 'general' ? 'attention.W' : 'attention.W1/W2/v'})`
          : '';
    throw new InputError('score', `"${String(s)}" is not available for this model${why}; available: ${available.join(', ')}`);
  };

  const encode = (srcIds: number[]): RnnEncoding => {
    checkIds(srcIds, 'ids', cfg.src_vocab_size, 'at least one source token is needed');
    const n = srcIds.length;
    const xs = tensor([n, E], gatherRows(w.srcEmbed, E, srcIds)); // [n, E]
    const fwd = runRnn(encFwd, xs, false).data; // [n, H]
    const bwd = encBwd ? runRnn(encBwd, xs, true).data : null; // [n, H]
    const states = new Float32Array(n * Henc); // [n, H_enc]
    for (let j = 0; j < n; j++) {
      states.set(fwd.subarray(j * H, (j + 1) * H), j * Henc);
      if (bwd) states.set(bwd.subarray(j * H, (j + 1) * H), j * Henc + H);
    }
    const w1h = w.additive ? kernels.linear(states, n, Henc, w.additive.w1, w.additive.a) : null; // [n, A]
    return { ids: [...srcIds], n, states, w1h };
  };

  const decode = (enc: RnnEncoding, opts: RnnDecodeOptions = {}, ctl: RunControl = noControl): RnnDecoding => {
    const score = resolveScore(opts.score);
    const { n, states } = enc;
    const teacher = opts.targetIds;
    if (teacher) checkIds(teacher, 'target_ids', cfg.tgt_vocab_size, 'at least one decoder input (starting with BOS) is needed');
    const scoreRow = scoreFunction(score, enc, w, H, Henc);
    const maxT = teacher ? teacher.length : cfg.max_target_length;

    // s_0 = tanh(W_init · mean_j h_j + b_init)
    const mean = new Float32Array(Henc); // [H_enc]
    const acc = new Float64Array(Henc);
    for (let j = 0; j < n; j++) for (let c = 0; c < Henc; c++) acc[c] += states[j * Henc + c];
    for (let c = 0; c < Henc; c++) mean[c] = acc[c] / n;
    const s0 = kernels.linear(mean, 1, Henc, w.initW, H, w.initB); // [H]
    for (let c = 0; c < H; c++) s0[c] = Math.tanh(s0[c]);
    let state = decCell.stateFrom(s0); // an LSTM's cell state starts at 0

    const inputs: number[] = [teacher ? teacher[0] : cfg.bos_id];
    const predicted: number[] = [];
    const probRows: Float32Array[] = [];
    const scoreRows: Float32Array[] = [];
    const stateRows: Float32Array[] = [];
    const queryRows: Float32Array[] = [];
    const x = new Float32Array(E + Henc); // [E + H_enc]  [embed(y_t) ; c_t]
    const sc = new Float32Array(H + Henc); // [H + H_enc]  [s_t+1 ; c_t]
    for (let t = 0; t < inputs.length; t++) {
      if (ctl.isCancelled()) throw new CancelledError();
      const e = scoreRow(state.h); // [n]  e_tj
      queryRows.push(state.h);
      scoreRows.push(Float32Array.from(e));
      softmaxRow(e); // [n]  α_tj, in place
      probRows.push(Float32Array.from(e));
      x.set(w.tgtEmbed.subarray(inputs[t] * E, (inputs[t] + 1) * E), 0);
      weightedSumInto(e, states, n, Henc, 0, Henc, x, E); // c_t = Σ_j α_tj h_j, written after the embedding
      state = decCell.step(x, state); // s_t+1
      stateRows.push(state.h); // each step returns a fresh array
      sc.set(state.h, 0);
      sc.set(x.subarray(E), H);
      const logits = kernels.linear(sc, 1, H + Henc, w.outW, cfg.tgt_vocab_size, w.outB); // [tgt_vocab_size]
      const next = argmax(logits);
      predicted.push(next);
      ctl.progress({ done: t + 1, total: maxT, message: `decoder step ${t + 1} of ${teacher ? maxT : `at most ${maxT}`}` });
      // Greedy: feed the prediction back unless it is EOS or the decoder inputs reach the limit.
      if (teacher) {
        if (t + 1 < teacher.length) inputs.push(teacher[t + 1]);
      } else if (next !== cfg.eos_id && inputs.length < maxT) {
        inputs.push(next);
      }
    }
    const decoded = {
      probs: concat(probRows, n),
      scores: concat(scoreRows, n),
      states: concat(stateRows, H),
      queries: concat(queryRows, H),
    };
    return { score, targetIds: inputs, predicted, ...decoded };
  };

  return {
    config: cfg,
    hiddenSize: H,
    encoderSize: Henc,
    parameters,
    availableScores: () => [...available],
    switchableScores: () => (isDotKind(cfg.score) ? available.filter(isDotKind) : [cfg.score]),
    encode,
    decode,
    run(input, ctl = noControl) {
      resolveScore(input.score); // an unavailable score is reported before any work is done
      if (ctl.isCancelled()) throw new CancelledError();
      const enc = encode(input.ids);
      const d = decode(enc, { targetIds: input.targetIds, score: input.score }, ctl);
      const T = d.targetIds.length;
      const layer: AttentionLayer = { part: 'cross', layer: 0, heads: 1, queries: T, keys: enc.n, probs: d.probs, scores: d.scores };
      const qkv = input.withQK ? [qkOf(d, enc, w, H, Henc)] : undefined;
      return { targetIds: d.targetIds, attentions: [layer], addNorm: [], predicted: d.predicted, ...(qkv ? { qkv } : {}) };
    },
  };
}

/**
 * The vectors behind e_tj for the Q·K view: the query is the decoder state s_t (sᵀW for the general
 * score), the keys and values the encoder states h_j. Additive scores are no dot product: no vectors.
 */
function qkOf(d: RnnDecoding, enc: RnnEncoding, w: Weights, H: number, Henc: number): QKV {
  const T = d.targetIds.length;
  const base = { part: 'cross' as const, layer: 0, heads: 1, queries: T, keys: enc.n, form: d.score };
  const none = new Float32Array(0);
  if (d.score === 'additive') return { ...base, headDim: 0, q: none, k: none, v: none };
  let q = d.queries; // [T, H], H = H_enc for the dot scores
  if (d.score === 'general') {
    if (!w.general) throw new Error('unreachable: general score without attention.W');
    q = new Float32Array(T * Henc); // [T, H_enc]  s_tᵀW
    for (let t = 0; t < T; t++) {
      q.set(generalQuery(d.queries.subarray(t * H, (t + 1) * H), w.general, H, Henc), t * Henc);
    }
  }
  return { ...base, headDim: Henc, q, k: enc.states, v: enc.states };
}

/** e_j = score(s, h_j) for all j, as one closure per run so the step loop does not branch. */
function scoreFunction(score: RnnScore, enc: RnnEncoding, w: Weights, H: number, Henc: number): (s: Float32Array) => Float64Array {
  const { n, states } = enc;
  switch (score) {
    case 'dot':
      return (s) => dotScore(s, states, n, Henc);
    case 'scaled-dot':
      return (s) => scaledDotScore(s, states, n, Henc);
    case 'general': {
      const W = w.general;
      if (!W) throw new Error('unreachable: general score without attention.W');
      return (s) => generalScore(s, W, H, states, n, Henc);
    }
    case 'additive': {
      const a = w.additive;
      const w1h = enc.w1h;
      if (!a || !w1h) throw new Error('unreachable: additive score without attention.W1/W2/v');
      return (s) => additiveScore(s, a.w2, H, w1h, n, a.v);
    }
  }
}

/** Ids must be integers in [0, vocab); the error names the first bad position, e.g. ids[3]. */
function checkIds(ids: number[], field: string, vocab: number, emptyMessage: string): void {
  if (!Array.isArray(ids) || ids.length === 0) throw new InputError(field, emptyMessage);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!Number.isInteger(id) || id < 0 || id >= vocab) {
      throw new InputError(`${field}[${i}]`, `${String(id)} is not a valid id; expected an integer in [0, ${vocab - 1}]`);
    }
  }
}

function gatherRows(table: Float32Array, width: number, ids: number[]): Float32Array {
  const out = new Float32Array(ids.length * width); // [ids.length, width]
  ids.forEach((id, i) => out.set(table.subarray(id * width, (id + 1) * width), i * width));
  return out;
}

/** First index of the largest value, as torch.argmax. */
function argmax(x: Float32Array): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}

function concat(rows: Float32Array[], width: number): Float32Array {
  const out = new Float32Array(rows.length * width); // [rows, width]
  rows.forEach((r, i) => out.set(r, i * width));
  return out;
}
