// Universal Transformer (Dehghani et al. 2019), encoder form: ONE shared transformer layer applied
// recurrently. Before every step each token gets a coordinate signal (sinusoidal in its position
// plus sinusoidal in the step number), and Adaptive Computation Time (Graves 2016) decides per
// token how many steps it takes: a sigmoid unit gives a halting probability per step, and the
// token halts once the running sum would pass the threshold 1 − ε.
import type { LoadedModel, UniversalConfig } from '../format/loaded';
import type { Kernels } from '../kernels/reference';
import { referenceKernels } from '../kernels/reference';
import { InputError } from '../format/errors';
import { sinusoidalEncoding } from '../positional';
import { checkpoint, noControl, type RunControl } from '../control';
import type { UniversalData } from '../../../common/archViews/universal';
import { linearTensors, normTensors, TensorReader, type TensorSpec } from './tensorReader';
import { LayerRunner, layerTensors, readLayer, readNorm, recorder, type LayerWeights, type Norm, type Recorder } from './transformerLayer';
import { argmaxRows } from './transformer';
import type { ModelOutput, RunnableModel, RunOptions } from './runnable';

type Model = LoadedModel & { architecture: 'universal' };

/** What ACT decided, per token. */
export interface ActTrace {
  /** Recurrence steps run (the most any token took). */
  steps: number;
  /** [n] N(t): steps token t took, 1 … max_steps. */
  haltingStep: number[];
  /** [n] R(t) = 1 − Σ p over the steps before the halting one. */
  remainder: number[];
  /** [n] Graves' ponder cost ρ = N + R. */
  ponder: number[];
  /** [steps][n] the sigmoid's halting probability p; 0 once the token has halted. */
  halting: number[][];
  /** [steps][n] weight of that step's state in the token's output (p, or R at the halting step). */
  weights: number[][];
}

/** The tensors a Universal Transformer reads: the one shared layer, stored as encoder layer 0. */
export function universalTensors(c: UniversalConfig): TensorSpec[] {
  const d = c.d_model;
  return [
    { name: 'embed.tokens', shape: [c.vocab_size, d] },
    ...layerTensors(c, 'encoder', 0, false),
    ...linearTensors('halting', 1, d),
    ...(c.final_norm ? normTensors('encoder.final_norm', d) : []),
    ...linearTensors('lm_head', c.vocab_size, d),
  ];
}

export class UniversalModel {
  readonly cfg: UniversalConfig;
  readonly parameters: number;
  private readonly run: LayerRunner;
  private readonly tokens: Float32Array; // [vocab, d]
  private readonly layer: LayerWeights;
  private readonly haltW: Float32Array; // [d]
  private readonly haltB: number;
  private readonly finalNorm?: Norm;
  private readonly head: { w: Float32Array; b: Float32Array };
  private readonly positionSignal: Float32Array; // [max_positions, d]
  private readonly stepSignal: Float32Array; // [max_steps, d]

  constructor(model: Model, kernels: Kernels = referenceKernels) {
    const c = (this.cfg = model.config);
    const d = c.d_model;
    const r = new TensorReader(model, universalTensors(c));
    this.run = new LayerRunner(kernels, c);
    this.tokens = r.get('embed.tokens', [c.vocab_size, d]);
    // The shared layer is stored under the transformer's name for encoder layer 0.
    this.layer = readLayer(r, c, 'encoder', 0, false);
    this.haltW = r.get('halting.weight', [1, d]);
    this.haltB = r.get('halting.bias', [1])[0];
    if (c.final_norm) this.finalNorm = readNorm(r, 'encoder.final_norm', d);
    this.head = { w: r.get('lm_head.weight', [c.vocab_size, d]), b: r.get('lm_head.bias', [c.vocab_size]) };
    r.finish();
    this.parameters = r.parameterCount();
    this.positionSignal = sinusoidalEncoding(c.max_positions, d, 'sinusoidal');
    this.stepSignal = sinusoidalEncoding(c.max_steps, d, 'sinusoidal');
  }

  /** → ACT-weighted output states [n, d] (before the final norm) and the halting trace. */
  encode(ids: number[], rec?: Recorder, ctl: RunControl = noControl): { out: Float32Array; act: ActTrace } {
    const c = this.cfg;
    const d = c.d_model;
    const n = ids.length;
    if (n === 0) throw new InputError('ids', 'at least one token is needed');
    if (n > c.max_positions) throw new InputError('ids', `at most ${c.max_positions} tokens fit this model's positions, got ${n}`);
    const x = new Float32Array(n * d); // [n, d] the recurrent state
    ids.forEach((id, i) => {
      if (!Number.isInteger(id) || id < 0 || id >= c.vocab_size)
        throw new InputError(`ids[${i}]`, `token id ${id} is outside the vocabulary 0…${c.vocab_size - 1}`);
      x.set(this.tokens.subarray(id * d, (id + 1) * d), i * d);
    });
    const out = new Float32Array(n * d); // [n, d] Σ_t w_t · y_t
    const cum = new Float64Array(n); // Σ p of the steps taken so far
    const act: ActTrace = {
      steps: 0,
      haltingStep: new Array(n).fill(0),
      remainder: new Array(n).fill(0),
      ponder: new Array(n).fill(0),
      halting: [],
      weights: [],
    };
    const running = (i: number) => act.haltingStep[i] === 0;
    for (let t = 0; t < c.max_steps && act.haltingStep.some((s) => s === 0); t++) {
      checkpoint(ctl, t, c.max_steps, `recurrence step ${t + 1}/${c.max_steps}`, rec?.attentions);
      // Coordinates: position signal + step signal, added to the state before every step.
      const xin = new Float32Array(n * d);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < d; j++) xin[i * d + j] = x[i * d + j] + this.positionSignal[i * d + j] + this.stepSignal[t * d + j];
      const p = this.haltingProbabilities(xin, n); // [n]
      const y = this.step(xin, n, t, rec); // [n, d]; every token is transformed, halted rows are not used
      const pRow = new Array<number>(n).fill(0);
      const wRow = new Array<number>(n).fill(0);
      for (let i = 0; i < n; i++) {
        if (!running(i)) continue; // a halted token's state is copied unchanged to the next step
        let w: number;
        if (t === c.max_steps - 1 || cum[i] + p[i] > c.halting_threshold) {
          w = act.remainder[i] = 1 - cum[i]; // halts now: the remainder makes its weights sum to 1
          act.haltingStep[i] = t + 1;
          act.ponder[i] = t + 1 + w;
        } else {
          w = p[i];
          cum[i] += p[i];
        }
        pRow[i] = p[i];
        wRow[i] = w;
        for (let j = 0; j < d; j++) out[i * d + j] += w * y[i * d + j];
        x.set(y.subarray(i * d, (i + 1) * d), i * d);
      }
      act.halting.push(pRow);
      act.weights.push(wRow);
      act.steps = t + 1;
    }
    return { out, act };
  }

  /** p = σ(w·x + b) per token: [n]. */
  private haltingProbabilities(x: Float32Array, n: number): Float64Array {
    const d = this.cfg.d_model;
    const p = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = this.haltB;
      for (let j = 0; j < d; j++) s += this.haltW[j] * x[i * d + j];
      p[i] = 1 / (1 + Math.exp(-s));
    }
    return p;
  }

  /** The shared layer once: self-attention (all tokens, no mask) and FFN, each with Add & Norm. */
  private step(x: Float32Array, n: number, t: number, rec?: Recorder): Float32Array {
    const l = this.layer;
    const where = { part: 'encoder' as const, layer: t }; // layer index = recurrence step
    const h = this.run.addNorm(
      x,
      n,
      l.selfNorm,
      (v) => this.run.attention(v, n, l.selfAttn, 'self', where, rec),
      { ...where, sublayer: 'self_attn' },
      rec,
    );
    const out = this.run.addNorm(
      h,
      n,
      l.ffnNorm,
      (v) => this.run.feedForward(v, n, l, this.cfg.activation),
      { ...where, sublayer: 'ffn' },
      rec,
    );
    this.run.release(h); // x stays: the recurrence may keep it
    return out;
  }

  /** [n, vocab] per-token output logits. */
  logits(out: Float32Array, n: number): Float32Array {
    const h = this.finalNorm ? this.run.layerNorm(out, n, this.finalNorm) : out;
    return this.run.linear(h, n, { w: this.head.w, b: this.head.b, out: this.cfg.vocab_size, in: this.cfg.d_model });
  }
}

export function buildUniversal(model: Model, kernels?: Kernels): RunnableModel & { model: UniversalModel } {
  const u = new UniversalModel(model, kernels);
  const c = u.cfg;
  return {
    model: u,
    kind: 'universal encoder',
    parameters: u.parameters,
    hasTarget: false,
    details: {
      d_model: c.d_model,
      heads: c.heads,
      d_ff: c.d_ff,
      shared_layer: `${c.norm}-LN`,
      max_steps: c.max_steps,
      halting_threshold: c.halting_threshold,
      activation: c.activation,
      vocab_size: c.vocab_size,
    },
    run: (ids: number[], opts: RunOptions, ctl: RunControl): ModelOutput => {
      if (opts.targetIds) throw new InputError('target_ids', 'a Universal Transformer encoder has no target side');
      const rec = recorder(opts.withQKV);
      const { out, act } = u.encode(ids, rec, ctl);
      const data: UniversalData = { maxSteps: c.max_steps, threshold: c.halting_threshold, ...act };
      return {
        targetIds: [],
        ...rec,
        predicted: argmaxRows(u.logits(out, ids.length), ids.length),
        app: {
          kind: 'universal',
          title: 'Adaptive Computation Time: recurrence steps per token',
          explain:
            'One shared layer is applied again and again; in the head grid above, "Layer n" is recurrence step n + 1 (Layer 0 = the first application). ' +
            'Each bar is how many steps a token took before its halting probabilities reached the threshold; tokens that are harder to resolve ponder longer.',
          data,
        },
      };
    },
  };
}
