// Attention RNN for melodies (Magenta's attention_rnn, the AttentionCellWrapper idea), exactly as
// docs/model-format.md "Architecture attention-rnn" writes it. At step t the LSTM reads
// x_t = [embed(note_t) ; a_t−1]; its new state s_t = [c_t ; h_t] attends over the previous n
// outputs h_i, i ∈ [t−n, t), with the additive score vᵀ tanh(W₁h_i + W₂s_t); the attended vector
// a_t = Σ α_ti h_i joins h_t before the softmax over the next note and is fed to the next step.
// A run reads the primer and then continues it greedily for generate_steps notes.
import type { AttentionRnnConfig, LoadedModel } from '../format/loaded';
import { InputError, ModelFormatError } from '../format/errors';
import { referenceKernels, type Kernels } from '../kernels/reference';
import { cellTensors, TensorReader, type TensorSpec } from './tensorReader';
import { additiveScore, softmaxRow, weightedSumInto } from '../attention';
import { makeCell } from '../rnnCells';
import { CancelledError, noControl, type RunControl } from '../control';
import type { RunnableModel } from './runnable';
import { pitchOf, type MusicData } from '../../../common/archViews/music';

export type AttentionRnnModel = LoadedModel & { architecture: 'attention-rnn' };

export interface AttentionRnnRun {
  /** Every note read: the primer, then the generated notes. T = primer + generate_steps. */
  ids: number[];
  probs: Float32Array; // [T, T] row t = α_t over keys i ∈ [t−n, t), 0 elsewhere
  scores: Float32Array; // [T, T] e_ti in the window, 0 elsewhere
  mask: Uint8Array; // [T, T] 1 outside the window (i < t−n or i ≥ t)
  predicted: number[]; // [T] argmax after reading note t: the guess for note t+1
  /** [T] P(note t | notes before) from step t−1's softmax; 0 at t = 0. */
  probability: Float32Array;
}

export interface AttentionRnn {
  readonly config: AttentionRnnConfig;
  readonly parameters: number;
  run(primer: number[], ctl?: RunControl): AttentionRnnRun;
}

/** The tensors the attention RNN reads: embeddings, the LSTM over [embed ; h], additive attention, output. */
export function attentionRnnTensors(c: AttentionRnnConfig): TensorSpec[] {
  const { vocab_size: V, embed_dim: E, hidden_size: H, attention_dim: A } = c;
  return [
    { name: 'embed', shape: [V, E] },
    ...cellTensors('rnn', 4 * H, E + H, H),
    { name: 'attention.W1', shape: [A, H] },
    { name: 'attention.W2', shape: [A, 2 * H] },
    { name: 'attention.v', shape: [A] },
    { name: 'out.weight', shape: [V, 2 * H] },
    { name: 'out.bias', shape: [V] },
  ];
}

export function buildAttentionRnn(model: AttentionRnnModel, kernels: Kernels = referenceKernels): AttentionRnn {
  const cfg = model.config;
  for (const k of ['vocab_size', 'embed_dim', 'hidden_size', 'attention_dim', 'attn_length'] as const) {
    if (!Number.isInteger(cfg[k]) || cfg[k] < 1) throw new ModelFormatError(model.file, `config.${k}`, `a positive integer, got ${cfg[k]}`);
  }
  if (!Number.isInteger(cfg.generate_steps) || cfg.generate_steps < 0) {
    throw new ModelFormatError(model.file, 'config.generate_steps', `an integer ≥ 0, got ${cfg.generate_steps}`);
  }
  const { vocab_size: V, embed_dim: E, hidden_size: H, attention_dim: A, attn_length: n } = cfg;
  const reader = new TensorReader(model, attentionRnnTensors(cfg));
  const embed = reader.get('embed', [V, E]); // [V, E]
  const cell = makeCell(
    'lstm',
    {
      weight_ih: reader.get('rnn.weight_ih', [4 * H, E + H]),
      weight_hh: reader.get('rnn.weight_hh', [4 * H, H]),
      bias_ih: reader.get('rnn.bias_ih', [4 * H]),
      bias_hh: reader.get('rnn.bias_hh', [4 * H]),
    },
    E + H,
    H,
    kernels,
  );
  const W1 = reader.get('attention.W1', [A, H]); // keys: previous outputs h_i
  const W2 = reader.get('attention.W2', [A, 2 * H]); // query: the new state [c_t ; h_t]
  const v = reader.get('attention.v', [A]);
  const outW = reader.get('out.weight', [V, 2 * H]); // [V, 2H]  reads [h_t ; a_t]
  const outB = reader.get('out.bias', [V]);
  reader.finish();

  return {
    config: cfg,
    parameters: reader.parameterCount(),
    run(primer, ctl = noControl) {
      if (!Array.isArray(primer) || primer.length === 0) throw new InputError('ids', 'a primer of at least one note is needed');
      primer.forEach((id, i) => {
        if (!Number.isInteger(id) || id < 0 || id >= V)
          throw new InputError(`ids[${i}]`, `${String(id)} is not a valid note id; expected an integer in [0, ${V - 1}]`);
      });
      const T = primer.length + cfg.generate_steps;
      const ids = [...primer];
      const hs = new Float32Array(T * H); // [T, H]  outputs h_t
      const w1h = new Float32Array(T * A); // [T, A]  W₁h_t, computed once per output
      const probs = new Float32Array(T * T);
      const scores = new Float32Array(T * T);
      const mask = new Uint8Array(T * T).fill(1);
      const probability = new Float32Array(T);
      const predicted: number[] = [];
      const x = new Float32Array(E + H); // [E + H]  [embed(note_t) ; a_t−1], a_−1 = 0
      const query = new Float32Array(2 * H); // [2H]  s_t = [c_t ; h_t]
      const ha = new Float32Array(2 * H); // [2H]  [h_t ; a_t]
      let state = cell.zeroState();
      for (let t = 0; t < T; t++) {
        if (ctl.isCancelled()) throw new CancelledError();
        x.set(embed.subarray(ids[t] * E, (ids[t] + 1) * E), 0);
        state = cell.step(x, state);
        const h = state.h;
        hs.set(h, t * H);
        query.set(state.c ?? new Float32Array(H), 0);
        query.set(h, H);
        const lo = Math.max(0, t - n);
        const a = ha.subarray(H); // a_t, written in place
        a.fill(0); // no previous step (t = 0): nothing to attend, a_0 = 0
        if (t > lo) {
          const e = additiveScore(query, W2, 2 * H, w1h.subarray(lo * A, t * A), t - lo, v); // [t−lo]
          scores.set(e, t * T + lo);
          softmaxRow(e);
          probs.set(e, t * T + lo);
          mask.fill(0, t * T + lo, t * T + t);
          weightedSumInto(e, hs.subarray(lo * H, t * H), t - lo, H, 0, H, ha, H); // a_t = Σ α_ti h_i
        }
        w1h.set(kernels.linear(h, 1, H, W1, A), t * A); // h_t becomes a key from step t+1 on
        ha.set(h, 0);
        const logits = kernels.linear(ha, 1, 2 * H, outW, V, outB); // [V]
        softmaxRow(logits);
        const next = argmax(logits);
        predicted.push(next);
        if (t === ids.length - 1 && ids.length < T) ids.push(next); // greedy continuation once the primer is read
        if (t + 1 < T) probability[t + 1] = logits[ids[t + 1]];
        x.set(a, E); // a_t is part of the next step's input
      }
      return { ids, probs, scores, mask, predicted, probability };
    },
  };
}

/** The attention RNN as the engine runs it: the primer is the source, the whole melody the target. */
export function buildAttentionRnnRunnable(model: AttentionRnnModel, kernels?: Kernels): RunnableModel {
  const rnn = buildAttentionRnn(model, kernels);
  const c = rnn.config;
  const token = (id: number): string => model.sourceTokenizer?.token(id) ?? String(id);
  return {
    kind: 'Attention RNN (melody)',
    parameters: rnn.parameters,
    hasTarget: false,
    details: {
      notes: c.vocab_size,
      embed_dim: c.embed_dim,
      hidden_size: c.hidden_size,
      attention_dim: c.attention_dim,
      attn_length: c.attn_length,
      generate_steps: c.generate_steps,
    },
    run: (ids, opts, ctl) => {
      if (opts.targetIds) throw new InputError('target_ids', 'the attention RNN continues the primer itself; give only the primer');
      const r = rnn.run(ids, ctl);
      const T = r.ids.length;
      const layer = { part: 'decoder' as const, layer: 0, heads: 1, queries: T, keys: T, probs: r.probs, scores: r.scores, mask: r.mask };
      const data: MusicData = {
        steps: r.ids.map((id) => ({ id, token: token(id), pitch: pitchOf(token(id)) })),
        primerLength: ids.length,
        window: c.attn_length,
        attention: r.probs,
        probability: r.probability,
      };
      return {
        targetIds: r.ids,
        attentions: [layer],
        addNorm: [],
        predicted: r.predicted,
        app: {
          kind: 'music',
          title: 'Piano roll: attention over the previous steps',
          explain: `Primer notes are outlined, generated notes filled. Select a generated note (click, or ← →): the shading shows how the step that chose it attended over the ${c.attn_length} steps before it.`,
          data,
        },
      };
    },
  };
}

/** First index of the largest value, as torch.argmax. */
function argmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}
