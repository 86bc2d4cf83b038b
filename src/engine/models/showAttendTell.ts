// Show, Attend and Tell (Xu et al. 2015) with soft, deterministic attention, as
// docs/model-format.md "Architecture show-attend-tell" writes it:
//   image (drawn from a scene description, scene.ts) → conv/ReLU/pool stages → annotation vectors
//   a_1…a_L (one per location of the last feature grid, D = last channel count)
//   h_0 = tanh(W_h·mean(a) + b_h), c_0 = tanh(W_c·mean(a) + b_c)
//   e_ti = vᵀ tanh(W_a·a_i + b_a + W_s·h_t−1 + b_s)     (f_att: the additive score)
//   α_t = softmax(e_t), z_t = β_t · Σ_i α_ti a_i with β_t = σ(w_β·h_t−1 + b_β) (or 1 without gate)
//   (h_t, c_t) = LSTM([E y_t−1 ; z_t], (h_t−1, c_t−1)), logits_t = W_o·[h_t ; z_t] + b_o
import type { LoadedModel, ShowAttendTellConfig } from '../format/loaded';
import { InputError, ModelFormatError } from '../format/errors';
import { referenceKernels, type Kernels } from '../kernels/reference';
import { additiveScore, softmaxRow, weightedSumInto } from '../attention';
import { makeCell, type RnnState } from '../rnnCells';
import { checkpoint } from '../control';
import { cellTensors, linearTensors, TensorReader, type TensorSpec } from './tensorReader';
import { conv2d, locations, maxPool2d, relu, type FeatureMap } from './conv';
import { drawScene, parseScene } from './scene';
import type { RunnableModel } from './runnable';
import { SHOW_ATTEND_TELL, type ShowAttendTellData } from '../../../common/archViews/show-attend-tell';

type Model = LoadedModel & { architecture: 'show-attend-tell' };

/** The feature grid after every conv + pool stage; a stage that pools to nothing is a file error. */
function gridSize(model: Model): number {
  let size = model.config.image_size;
  model.config.conv.forEach((st, i) => {
    size = Math.floor(size / st.pool);
    if (size < 1)
      throw new ModelFormatError(
        model.file,
        `config.conv[${i}].pool`,
        `a pool that leaves at least 1×1 locations of the ${model.config.image_size}-pixel image; the grid is empty after stage ${i}`,
      );
  });
  return size;
}

/** The tensors Show, Attend and Tell reads: the CNN stages, the LSTM decoder with its soft attention. */
export function showAttendTellTensors(c: ShowAttendTellConfig): TensorSpec[] {
  const { embed_dim: E, hidden_size: H, attention_dim: A, tgt_vocab_size: V } = c;
  let inC = 3;
  const conv = c.conv.flatMap((st, i): TensorSpec[] => {
    const w = { name: `encoder.conv.${i}.weight`, shape: [st.channels, inC, st.kernel, st.kernel] };
    inC = st.channels;
    return [w, { name: `encoder.conv.${i}.bias`, shape: [st.channels] }];
  });
  const D = inC; // channels of the last stage: the feature size at each location
  return [
    ...conv,
    ...linearTensors('decoder.init_h', H, D),
    ...linearTensors('decoder.init_c', H, D),
    ...linearTensors('attention.encoder', A, D),
    ...linearTensors('attention.decoder', A, H),
    { name: 'attention.v', shape: [A] },
    ...(c.gate ? linearTensors('decoder.gate', 1, H) : []),
    { name: 'decoder.embed', shape: [V, E] },
    ...cellTensors('decoder.rnn', 4 * H, E + D, H),
    ...linearTensors('decoder.out', V, H + D),
  ];
}

export function buildShowAttendTell(model: Model, kernels: Kernels = referenceKernels): RunnableModel {
  const c: ShowAttendTellConfig = model.config;
  c.conv.forEach((st, i) => {
    if (st.kernel % 2 !== 1)
      throw new ModelFormatError(
        model.file,
        `config.conv[${i}].kernel`,
        `an odd kernel size (same padding keeps the image size); found ${st.kernel}`,
      );
  });
  const r = new TensorReader(model, showAttendTellTensors(c));
  const grid = gridSize(model);
  const L = grid * grid;
  const stages: { w: Float32Array; b: Float32Array; out: number; k: number; pool: number }[] = [];
  let inC = 3;
  c.conv.forEach((st, i) => {
    stages.push({
      w: r.get(`encoder.conv.${i}.weight`, [st.channels, inC, st.kernel, st.kernel]),
      b: r.get(`encoder.conv.${i}.bias`, [st.channels]),
      out: st.channels,
      k: st.kernel,
      pool: st.pool,
    });
    inC = st.channels;
  });
  const D = inC;
  const { embed_dim: E, hidden_size: H, attention_dim: A, tgt_vocab_size: V } = c;
  const lin = (name: string, out: number, inp: number) => ({
    w: r.get(`${name}.weight`, [out, inp]),
    b: r.get(`${name}.bias`, [out]),
    out,
    inp,
  });
  const initH = lin('decoder.init_h', H, D);
  const initC = lin('decoder.init_c', H, D);
  const attEnc = lin('attention.encoder', A, D);
  const attDec = lin('attention.decoder', A, H);
  const v = r.get('attention.v', [A]);
  const gate = c.gate ? lin('decoder.gate', 1, H) : null;
  const embed = r.get('decoder.embed', [V, E]);
  const cell = makeCell(
    'lstm',
    {
      weight_ih: r.get('decoder.rnn.weight_ih', [4 * H, E + D]),
      weight_hh: r.get('decoder.rnn.weight_hh', [4 * H, H]),
      bias_ih: r.get('decoder.rnn.bias_ih', [4 * H]),
      bias_hh: r.get('decoder.rnn.bias_hh', [4 * H]),
    },
    E + D,
    H,
    kernels,
  );
  const out = lin('decoder.out', V, H + D);
  r.finish();
  const apply = (l: { w: Float32Array; b: Float32Array; out: number; inp: number }, x: Float32Array, rows = 1) =>
    kernels.linear(x, rows, l.inp, l.w, l.out, l.b);
  const word = (id: number) => model.targetTokenizer?.token(id) ?? String(id);
  const sceneWord = (id: number) => model.sourceTokenizer?.token(id) ?? String(id);

  return {
    kind: 'CNN + LSTM with soft attention',
    parameters: r.parameterCount(),
    hasTarget: true,
    decoderStartId: c.bos_id,
    details: {
      image: `${c.image_size}×${c.image_size}`,
      locations: `${grid}×${grid}`,
      annotation_dim: D,
      embed_dim: E,
      hidden_size: H,
      attention_dim: A,
      gate: c.gate,
    },
    run(ids, opts, ctl) {
      checkIds(ids, 'ids', c.src_vocab_size);
      if (opts.targetIds) checkIds(opts.targetIds, 'target_ids', V);
      // Show: scene words → image → annotation vectors.
      const image = drawScene(parseScene(ids.map(sceneWord), c.scene), c.scene, c.image_size);
      let fm: FeatureMap = image;
      for (const st of stages) fm = maxPool2d(relu(conv2d(fm, st.w, st.b, st.out, st.k, (st.k - 1) / 2)), st.pool);
      const a = locations(fm); // [L, D]
      const mean = new Float32Array(D); // [D]
      for (let i = 0; i < L; i++) for (let d = 0; d < D; d++) mean[d] += a[i * D + d] / L;
      const tanh = (x: Float32Array) => x.map(Math.tanh);
      let state: RnnState = { h: tanh(apply(initH, mean)), c: tanh(apply(initC, mean)) };
      // [L, A]  W_a·a_i + b_a + b_s: fixed for the whole caption, so both biases are added once.
      const wa = apply(attEnc, a, L);
      for (let i = 0; i < L; i++) for (let k = 0; k < A; k++) wa[i * A + k] += attDec.b[k];
      // Attend and tell, one word per step.
      const teacher = opts.targetIds;
      const maxT = teacher ? teacher.length : c.max_caption_length;
      const inputs = [teacher ? teacher[0] : c.bos_id];
      const probs: number[] = [];
      const scores: number[] = [];
      const betas: number[] = [];
      const predicted: number[] = [];
      const x = new Float32Array(E + D); // [E + D]  [E y_t−1 ; z_t]
      for (let t = 0; t < inputs.length; t++) {
        checkpoint(ctl, t, maxT, `caption word ${t + 1}`);
        const e = additiveScore(state.h, attDec.w, H, wa, L, v); // [L]  e_ti = vᵀ tanh(wa_i + W_s·h_t−1)
        scores.push(...e);
        softmaxRow(e); // [L]  α_ti
        probs.push(...e);
        const beta = gate ? 1 / (1 + Math.exp(-apply(gate, state.h)[0])) : 1;
        betas.push(beta);
        x.set(embed.subarray(inputs[t] * E, (inputs[t] + 1) * E), 0);
        weightedSumInto(e, a, L, D, 0, D, x, E); // Σ_i α_ti a_i, after the embedding
        for (let d = E; d < E + D; d++) x[d] *= beta; // z_t
        state = cell.step(x, state);
        const hz = new Float32Array(H + D); // [H + D]
        hz.set(state.h, 0);
        hz.set(x.subarray(E), H);
        const next = argmax(apply(out, hz)); // logits [V]
        predicted.push(next);
        if (teacher) {
          if (t + 1 < teacher.length) inputs.push(teacher[t + 1]);
        } else if (next !== c.eos_id && inputs.length < maxT) inputs.push(next);
      }
      const T = inputs.length;
      const alpha = Float32Array.from(probs); // [T, L]
      const data: ShowAttendTellData = {
        height: c.image_size,
        width: c.image_size,
        image: toRgbBytes(image),
        rows: grid,
        cols: grid,
        words: predicted.map(word),
        alpha,
        ...(gate ? { beta: Float32Array.from(betas) } : {}),
      };
      return {
        targetIds: inputs,
        predicted,
        addNorm: [],
        attentions: [
          { part: 'cross', layer: 0, heads: 1, queries: T, keys: L, probs: Float32Array.from(alpha), scores: Float32Array.from(scores) },
        ],
        // Keys are image locations, not the scene words: label them by grid cell (row, column).
        axisLabels: [{ part: 'cross', keys: Array.from({ length: L }, (_, i) => `(${Math.floor(i / grid)},${i % grid})`) }],
        app: {
          kind: SHOW_ATTEND_TELL,
          title: 'Caption attention over the image',
          explain: `Each word of the caption was produced while the decoder looked at the ${grid}×${grid} grid of image locations with these weights (brighter = more attention). Pick a word: a word that names an object should light up that object.`,
          data,
        },
      };
    },
  };
}

function toRgbBytes(img: FeatureMap): Uint8Array {
  const { height: Hh, width: W } = img;
  const outB = new Uint8Array(Hh * W * 3); // [H, W, 3]
  for (let y = 0; y < Hh; y++) {
    for (let x = 0; x < W; x++)
      for (let ch = 0; ch < 3; ch++) outB[(y * W + x) * 3 + ch] = Math.round(255 * img.data[(ch * Hh + y) * W + x]);
  }
  return outB;
}

function checkIds(ids: number[], field: string, vocab: number): void {
  if (ids.length === 0) throw new InputError(field, 'at least one token is needed');
  ids.forEach((id, i) => {
    if (!Number.isInteger(id) || id < 0 || id >= vocab)
      throw new InputError(`${field}[${i}]`, `${String(id)} is not a valid id; expected an integer in [0, ${vocab - 1}]`);
  });
}

function argmax(x: Float32Array): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}
