// NARM (Li et al. 2017, Neural Attentive Session-based Recommendation), exactly as
// docs/model-format.md "Architecture narm" writes it: item embeddings → GRU over the session;
// global encoder c_g = h_t; local encoder c_l = Σ_j α_tj h_j with α_t = softmax_j(vᵀσ(A₁h_t + A₂h_j));
// c = [c_g ; c_l]; bilinear decoder score_i = emb_iᵀ B c, softmax over all items.
import type { LoadedModel, NarmConfig } from '../format/loaded';
import { InputError, ModelFormatError } from '../format/errors';
import { referenceKernels, type Kernels } from '../kernels/reference';
import { cellTensors, TensorReader, type TensorSpec } from './tensorReader';
import { tensor } from '../tensor';
import type { AttentionLayer } from '../types';
import { causalMask, sigmoidAdditiveScore, softmaxRow, weightedSumInto } from '../attention';
import { makeCell, runRnn } from '../rnnCells';
import { CancelledError, noControl, type RunControl } from '../control';
import type { NarmData } from '../../../common/archViews/narm';
import type { RunnableModel } from './runnable';

export type NarmModel = LoadedModel & { architecture: 'narm' };

export interface NarmRun {
  /** [n, n] row t = α over items 0…t when the session ends at t (row n−1 is the model's α). */
  probs: Float32Array;
  scores: Float32Array; // [n, n] e_tj before the softmax; 0 where masked (j > t)
  mask: Uint8Array; // [n, n] 1 where j > t
  /** [n, items] P(next item) after each prefix; row n−1 is the recommendation. */
  itemProbs: Float32Array;
  predicted: number[]; // argmax of each row of itemProbs
}

export interface Narm {
  readonly config: NarmConfig;
  readonly parameters: number;
  run(ids: number[], ctl?: RunControl): NarmRun;
}

/** The tensors NARM reads: item embeddings, the GRU, the two attention maps and v, the bilinear B. */
export function narmTensors(c: NarmConfig): TensorSpec[] {
  const { vocab_size: V, embed_dim: E, hidden_size: H } = c;
  return [
    { name: 'embed', shape: [V, E] },
    ...cellTensors('gru', 3 * H, E, H),
    { name: 'attention.A1', shape: [H, H] },
    { name: 'attention.A2', shape: [H, H] },
    { name: 'attention.v', shape: [H] },
    { name: 'decoder.B', shape: [E, 2 * H] },
  ];
}

export function buildNarm(model: NarmModel, kernels: Kernels = referenceKernels): Narm {
  const cfg = model.config;
  for (const k of ['vocab_size', 'embed_dim', 'hidden_size', 'top_k'] as const) {
    if (!Number.isInteger(cfg[k]) || cfg[k] < 1) throw new ModelFormatError(model.file, `config.${k}`, `a positive integer, got ${cfg[k]}`);
  }
  const V = cfg.vocab_size;
  const E = cfg.embed_dim;
  const H = cfg.hidden_size;
  const reader = new TensorReader(model, narmTensors(cfg));
  const embed = reader.get('embed', [V, E]); // [V, E]
  const gru = makeCell(
    'gru',
    {
      weight_ih: reader.get('gru.weight_ih', [3 * H, E]),
      weight_hh: reader.get('gru.weight_hh', [3 * H, H]),
      bias_ih: reader.get('gru.bias_ih', [3 * H]),
      bias_hh: reader.get('gru.bias_hh', [3 * H]),
    },
    E,
    H,
    kernels,
  );
  const A1 = reader.get('attention.A1', [H, H]); // applied to the query h_t
  const A2 = reader.get('attention.A2', [H, H]); // applied to each item state h_j
  const v = reader.get('attention.v', [H]);
  const B = reader.get('decoder.B', [E, 2 * H]);
  reader.finish();
  // B is fixed, so the decoder's item side emb_iᵀB is one [V, 2H] table computed once.
  const itemKeys = kernels.linear(embed, V, E, transpose(B, E, 2 * H), 2 * H); // [V, 2H]  row i = emb_iᵀB

  return {
    config: cfg,
    parameters: reader.parameterCount(),
    run(ids, ctl = noControl) {
      if (!Array.isArray(ids) || ids.length === 0) throw new InputError('ids', 'a session of at least one clicked item is needed');
      ids.forEach((id, i) => {
        if (!Number.isInteger(id) || id < 0 || id >= V)
          throw new InputError(`ids[${i}]`, `${String(id)} is not a valid item id; expected an integer in [0, ${V - 1}]`);
      });
      const n = ids.length;
      const xs = new Float32Array(n * E); // [n, E]
      ids.forEach((id, i) => xs.set(embed.subarray(id * E, (id + 1) * E), i * E));
      const h = runRnn(gru, tensor([n, E], xs), false).data; // [n, H]
      const a2h = kernels.linear(h, n, H, A2, H); // [n, H]  A₂h_j, shared by every query
      const a1h = kernels.linear(h, n, H, A1, H); // [n, H]  A₁h_t, one per prefix end t
      const probs = new Float32Array(n * n);
      const scores = new Float32Array(n * n);
      const itemProbs = new Float32Array(n * V);
      const predicted: number[] = [];
      const c = new Float32Array(2 * H); // [2H]  [c_g ; c_l]
      for (let t = 0; t < n; t++) {
        if (ctl.isCancelled()) throw new CancelledError();
        const e = sigmoidAdditiveScore(a1h.subarray(t * H, (t + 1) * H), a2h, t + 1, v); // [t+1]  keys 0…t
        scores.set(e, t * n);
        softmaxRow(e); // α_tj
        probs.set(e, t * n);
        c.set(h.subarray(t * H, (t + 1) * H), 0); // c_g = h_t
        weightedSumInto(e, h, t + 1, H, 0, H, c, H); // c_l = Σ_j α_tj h_j
        const logits = kernels.linear(c, 1, 2 * H, itemKeys, V); // [V]  emb_iᵀ B c
        softmaxRow(logits);
        itemProbs.set(logits, t * V);
        predicted.push(argmax(logits));
      }
      return { probs, scores, mask: causalMask(n, n), itemProbs, predicted };
    },
  };
}

/** The attention layer and the app view of one run (tokens label the items). */
export function narmOutput(narm: Narm, ids: number[], r: NarmRun, token: (id: number) => string): { layer: AttentionLayer; app: NarmData } {
  const n = ids.length;
  const V = narm.config.vocab_size;
  const layer: AttentionLayer = {
    part: 'encoder',
    layer: 0,
    heads: 1,
    queries: n,
    keys: n,
    probs: r.probs,
    scores: r.scores,
    mask: r.mask,
  };
  const last = r.itemProbs.subarray((n - 1) * V, n * V);
  const order = Array.from({ length: V }, (_, i) => i).sort((a, b) => last[b] - last[a] || a - b);
  return {
    layer,
    app: {
      clicked: ids.map((id, j) => ({ id, token: token(id), alpha: r.probs[(n - 1) * n + j] })),
      recommended: order.slice(0, Math.min(narm.config.top_k, V)).map((id) => ({ id, token: token(id), probability: last[id] })),
    },
  };
}

/** NARM as the engine runs it: the session is the source text, there is no target side. */
export function buildNarmRunnable(model: NarmModel, kernels?: Kernels): RunnableModel {
  const narm = buildNarm(model, kernels);
  const c = narm.config;
  const token = (id: number): string => model.sourceTokenizer?.token(id) ?? String(id);
  return {
    kind: 'NARM session recommender',
    parameters: narm.parameters,
    hasTarget: false,
    details: { items: c.vocab_size, embed_dim: c.embed_dim, hidden_size: c.hidden_size, top_k: c.top_k },
    run: (ids, opts, ctl) => {
      if (opts.targetIds) throw new InputError('target_ids', 'a NARM model reads one session; give no target');
      const r = narm.run(ids, ctl);
      const { layer, app } = narmOutput(narm, ids, r, token);
      return {
        targetIds: [],
        attentions: [layer],
        addNorm: [],
        predicted: r.predicted,
        app: {
          kind: 'narm',
          title: 'Session attention and recommendations',
          explain:
            'Bars on the left: how much the local encoder attends to each clicked item (α for the last click; the head grid shows α after every click). Right: the items the bilinear decoder ranks highest for the next click.',
          data: app,
        },
      };
    },
  };
}

function transpose(m: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols); // [cols, rows]
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = m[r * cols + c];
  return out;
}

/** First index of the largest value, as torch.argmax. */
function argmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}
