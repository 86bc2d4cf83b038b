// Recurrent cells in PyTorch's exact formulation and gate order (GRU: r, z, n; LSTM: i, f, g, o),
// and a whole-sequence run in either direction. The RNN seq2seq model runs the encoder cell twice
// (forward and reversed) for a bidirectional encoder, and the decoder cell one step at a time.
import { referenceKernels, type Kernels } from './kernels/reference';
import { tensor, type Tensor } from './tensor';

/** One recurrent layer's parameters, as torch.nn.GRU / torch.nn.LSTM store them (G = 3 or 4). */
export interface RnnWeights {
  weight_ih: Float32Array; // [G·H, inputSize]
  weight_hh: Float32Array; // [G·H, H]
  bias_ih: Float32Array; // [G·H]
  bias_hh: Float32Array; // [G·H]
}

export type CellKind = 'gru' | 'lstm';

/** Gate blocks per cell: the row count of weight_ih is gateCount(kind) · H. */
export function gateCount(kind: CellKind): number {
  return kind === 'gru' ? 3 : 4;
}

/** h is the output state; c is the LSTM cell state (null for a GRU). */
export interface RnnState {
  h: Float32Array; // [H]
  c: Float32Array | null; // [H] (LSTM only)
}

function sigmoid(v: number): number {
  return 1 / (1 + Math.exp(-v));
}

/**
 * GRU update from the two gate pre-activations, gi = W_i·x + b_i and gh = W_h·h + b_h ([3H] each).
 * PyTorch keeps the r gate inside the n candidate's hidden term: n = tanh(gi_n + r ⊙ gh_n),
 * which differs from the original paper's tanh(W x + U (r ⊙ h)); we follow PyTorch.
 */
function gruFromGates(gi: Float32Array, gh: Float32Array, h: Float32Array, H: number): Float32Array {
  const out = new Float32Array(H); // [H]
  for (let u = 0; u < H; u++) {
    const r = sigmoid(gi[u] + gh[u]);
    const z = sigmoid(gi[H + u] + gh[H + u]);
    const n = Math.tanh(gi[2 * H + u] + r * gh[2 * H + u]);
    out[u] = (1 - z) * n + z * h[u];
  }
  return out;
}

/** LSTM update from the gate pre-activations ([4H] each): c' = f⊙c + i⊙g, h' = o⊙tanh(c'). */
function lstmFromGates(gi: Float32Array, gh: Float32Array, c: Float32Array, H: number): RnnState {
  const h2 = new Float32Array(H); // [H]
  const c2 = new Float32Array(H); // [H]
  for (let u = 0; u < H; u++) {
    const i = sigmoid(gi[u] + gh[u]);
    const f = sigmoid(gi[H + u] + gh[H + u]);
    const g = Math.tanh(gi[2 * H + u] + gh[2 * H + u]);
    const o = sigmoid(gi[3 * H + u] + gh[3 * H + u]);
    c2[u] = f * c[u] + i * g;
    h2[u] = o * Math.tanh(c2[u]);
  }
  return { h: h2, c: c2 };
}

/** One GRU step (torch.nn.GRUCell): x [inputSize], h [H] → h' [H]. */
export function gruCell(x: Float32Array, h: Float32Array, w: RnnWeights, H: number, kernels: Kernels = referenceKernels): Float32Array {
  const gi = kernels.linear(x, 1, x.length, w.weight_ih, 3 * H, w.bias_ih); // [3H]
  const gh = kernels.linear(h, 1, H, w.weight_hh, 3 * H, w.bias_hh); // [3H]
  return gruFromGates(gi, gh, h, H);
}

/** One LSTM step (torch.nn.LSTMCell): x [inputSize], h, c [H] → { h', c' }. */
export function lstmCell(
  x: Float32Array,
  h: Float32Array,
  c: Float32Array,
  w: RnnWeights,
  H: number,
  kernels: Kernels = referenceKernels,
): RnnState {
  const gi = kernels.linear(x, 1, x.length, w.weight_ih, 4 * H, w.bias_ih); // [4H]
  const gh = kernels.linear(h, 1, H, w.weight_hh, 4 * H, w.bias_hh); // [4H]
  return lstmFromGates(gi, gh, c, H);
}

/** A cell bound to its weights, so the model code does not branch on GRU/LSTM at every step. */
export interface RnnCell {
  readonly kind: CellKind;
  readonly inputSize: number;
  readonly hiddenSize: number;
  /** h = c = 0, PyTorch's default initial state. */
  zeroState(): RnnState;
  /** A state whose h is given; an LSTM's cell state starts at 0 (as the decoder's does). */
  stateFrom(h: Float32Array): RnnState;
  step(x: Float32Array, state: RnnState): RnnState;
  /** gi = W_i·x + b_i for n inputs at once: xs [n, inputSize] → [n, G·H]. */
  inputGates(xs: Float32Array, n: number): Float32Array;
  /** Step with gi (one row of inputGates) already computed. */
  stepFromInputGates(gi: Float32Array, state: RnnState): RnnState;
}

export function makeCell(kind: CellKind, w: RnnWeights, inputSize: number, H: number, kernels: Kernels = referenceKernels): RnnCell {
  const G = gateCount(kind) * H;
  const stepFromInputGates = (gi: Float32Array, state: RnnState): RnnState => {
    const gh = kernels.linear(state.h, 1, H, w.weight_hh, G, w.bias_hh); // [G·H]
    if (kind === 'gru') return { h: gruFromGates(gi, gh, state.h, H), c: null };
    return lstmFromGates(gi, gh, state.c ?? new Float32Array(H), H);
  };
  return {
    kind,
    inputSize,
    hiddenSize: H,
    zeroState: () => ({ h: new Float32Array(H), c: kind === 'lstm' ? new Float32Array(H) : null }),
    stateFrom: (h) => ({ h: Float32Array.from(h), c: kind === 'lstm' ? new Float32Array(H) : null }),
    step: (x, state) => stepFromInputGates(kernels.linear(x, 1, inputSize, w.weight_ih, G, w.bias_ih), state),
    inputGates: (xs, n) => kernels.linear(xs, n, inputSize, w.weight_ih, G, w.bias_ih),
    stepFromInputGates,
  };
}

/**
 * Run a cell over a whole sequence from the zero state. reverse = true reads xs from the last
 * row to the first (the backward half of a bidirectional encoder); either way the output row t
 * is the state after reading xs[t], so forward and backward outputs line up by position.
 */
export function runRnn(cell: RnnCell, xs: Tensor, reverse: boolean): Tensor {
  const [n, E] = xs.shape;
  if (E !== cell.inputSize) throw new Error(`runRnn: inputs have ${E} columns, the cell takes ${cell.inputSize}`);
  const H = cell.hiddenSize;
  const G = gateCount(cell.kind) * H;
  // The input projection does not depend on the state: all n rows go through one linear call.
  const gis = cell.inputGates(xs.data, n); // [n, G·H]
  const out = new Float32Array(n * H); // [n, H]
  let state = cell.zeroState();
  for (let k = 0; k < n; k++) {
    const t = reverse ? n - 1 - k : k;
    state = cell.stepFromInputGates(gis.subarray(t * G, (t + 1) * G), state);
    out.set(state.h, t * H);
  }
  return tensor([n, H], out);
}
