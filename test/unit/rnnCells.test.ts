// GRU / LSTM cells against closed forms computed by hand (no fixtures needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gateCount, gruCell, lstmCell, makeCell, runRnn, type RnnWeights } from '../../src/engine/rnnCells';
import { tensor } from '../../src/engine/tensor';

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-6): void {
  assert.equal(actual.length, expected.length, 'length');
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `[${i}] ${actual[i]} vs ${expected[i]}`);
  }
}

/** Weights with zero matrices and the given biases: the cell ignores x and (for GRU) h in gates. */
function biasOnly(G: number, H: number, E: number, bias_ih: number[], bias_hh: number[]): RnnWeights {
  return {
    weight_ih: new Float32Array(G * H * E),
    weight_hh: new Float32Array(G * H * H),
    bias_ih: Float32Array.from(bias_ih),
    bias_hh: Float32Array.from(bias_hh),
  };
}

test('gateCount: GRU 3, LSTM 4', () => {
  assert.equal(gateCount('gru'), 3);
  assert.equal(gateCount('lstm'), 4);
});

test("GRU, zero weights: h' = (1−z)·n + z·h with r, z, n from the biases alone", () => {
  // H = 2; biases ordered r, z, n per PyTorch. b_hn is scaled by r, b_in is not.
  const b_ih = [0.3, -0.2, 0.5, 1.0, 0.1, -0.4];
  const b_hh = [0.2, 0.4, -0.1, 0.0, 0.7, 0.2];
  const w = biasOnly(3, 2, 3, b_ih, b_hh);
  const h = Float32Array.from([0.25, -0.5]);
  const out = gruCell(Float32Array.from([9, 9, 9]), h, w, 2);
  const expected = [0, 1].map((u) => {
    const r = sigmoid(b_ih[u] + b_hh[u]);
    const z = sigmoid(b_ih[2 + u] + b_hh[2 + u]);
    const n = Math.tanh(b_ih[4 + u] + r * b_hh[4 + u]);
    return (1 - z) * n + z * h[u];
  });
  close(out, expected);
});

test('GRU, 1 unit with known numbers (r multiplies W_hn·h + b_hn, PyTorch style)', () => {
  // x = 2, h = 0.5; W_ih = [0.1, 0.2, 0.3], W_hh = [0.4, -0.5, 0.6], b_ih = [0, 0.1, -0.1], b_hh = [0.2, 0, 0.3]
  const w: RnnWeights = {
    weight_ih: Float32Array.from([0.1, 0.2, 0.3]),
    weight_hh: Float32Array.from([0.4, -0.5, 0.6]),
    bias_ih: Float32Array.from([0, 0.1, -0.1]),
    bias_hh: Float32Array.from([0.2, 0, 0.3]),
  };
  const r = sigmoid(0.1 * 2 + 0 + 0.4 * 0.5 + 0.2); // σ(0.6)
  const z = sigmoid(0.2 * 2 + 0.1 + -0.5 * 0.5 + 0); // σ(0.25)
  const n = Math.tanh(0.3 * 2 - 0.1 + r * (0.6 * 0.5 + 0.3)); // tanh(0.5 + 0.6r)
  const out = gruCell(Float32Array.from([2]), Float32Array.from([0.5]), w, 1);
  close(out, [(1 - z) * n + z * 0.5]);
  // The same cell through makeCell().step gives the same answer.
  close(makeCell('gru', w, 1, 1).step(Float32Array.from([2]), { h: Float32Array.from([0.5]), c: null }).h, out, 0);
});

test("LSTM, 1 unit with known numbers: gates i, f, g, o; c' = f·c + i·g; h' = o·tanh(c')", () => {
  const w: RnnWeights = {
    weight_ih: Float32Array.from([0.5, -0.3, 0.8, 0.1]),
    weight_hh: Float32Array.from([0.2, 0.4, -0.6, 0.9]),
    bias_ih: Float32Array.from([0.1, 0.2, 0.3, 0.4]),
    bias_hh: Float32Array.from([-0.1, 0.0, 0.1, -0.2]),
  };
  const x = 1.5;
  const h = -0.4;
  const c = 0.7;
  const i = sigmoid(0.5 * x + 0.1 + 0.2 * h - 0.1);
  const f = sigmoid(-0.3 * x + 0.2 + 0.4 * h + 0.0);
  const g = Math.tanh(0.8 * x + 0.3 + -0.6 * h + 0.1);
  const o = sigmoid(0.1 * x + 0.4 + 0.9 * h - 0.2);
  const c2 = f * c + i * g;
  const out = lstmCell(Float32Array.from([x]), Float32Array.from([h]), Float32Array.from([c]), w, 1);
  close(out.c ?? [], [c2]);
  close(out.h, [o * Math.tanh(c2)]);
});

test('LSTM, zero weights from the zero state: c = σ(b_i)·tanh(b_g), h = σ(b_o)·tanh(c)', () => {
  const H = 2;
  const b = [0.5, -1, 2, 0.3, 0.1, 0.2, -0.7, 1.1]; // i(2) f(2) g(2) o(2)
  const w = biasOnly(4, H, 3, b, new Array<number>(8).fill(0));
  const out = lstmCell(new Float32Array(3), new Float32Array(H), new Float32Array(H), w, H);
  const c = [0, 1].map((u) => sigmoid(b[u]) * Math.tanh(b[4 + u]));
  close(out.c ?? [], c);
  close(
    out.h,
    [0, 1].map((u) => sigmoid(b[6 + u]) * Math.tanh(c[u])),
  );
});

test('runRnn, GRU with zero weights: h_t = (1 − z^(t+1))·n forward, (1 − z^(n−t))·n reversed', () => {
  // With the matrices zero, r, z, n are constants and h' = (1−z)n + z h from h = 0 unrolls to
  // h after k steps = (1 − z^k) n. Reversed, position t is reached after n − t steps.
  const b_ih = [0, 0, 0.4, 0.4, 0.8, 0.8];
  const b_hh = [0, 0, 0, 0, 0, 0];
  const w = biasOnly(3, 2, 4, b_ih, b_hh);
  const cell = makeCell('gru', w, 4, 2);
  const n = 5;
  const xs = tensor(
    [n, 4],
    Float32Array.from({ length: n * 4 }, (_, i) => i * 0.1),
  );
  const z = sigmoid(0.4);
  const nn = Math.tanh(0.8);
  const fwd = runRnn(cell, xs, false);
  const bwd = runRnn(cell, xs, true);
  assert.deepEqual(fwd.shape, [n, 2]);
  const expF: number[] = [];
  const expB: number[] = [];
  for (let t = 0; t < n; t++) {
    expF.push((1 - z ** (t + 1)) * nn, (1 - z ** (t + 1)) * nn);
    expB.push((1 - z ** (n - t)) * nn, (1 - z ** (n - t)) * nn);
  }
  close(fwd.data, expF);
  close(bwd.data, expB);
});

test('runRnn equals stepping the cell by hand, both directions, GRU and LSTM', () => {
  let seed = 7;
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648 - 0.5;
  };
  for (const kind of ['gru', 'lstm'] as const) {
    const H = 3;
    const E = 2;
    const G = gateCount(kind) * H;
    const fill = (k: number): Float32Array => Float32Array.from({ length: k }, rnd);
    const w: RnnWeights = { weight_ih: fill(G * E), weight_hh: fill(G * H), bias_ih: fill(G), bias_hh: fill(G) };
    const cell = makeCell(kind, w, E, H);
    const n = 4;
    const xs = tensor([n, E], fill(n * E));
    for (const reverse of [false, true]) {
      const got = runRnn(cell, xs, reverse);
      let h: Float32Array = new Float32Array(H);
      let c: Float32Array = new Float32Array(H);
      for (let k = 0; k < n; k++) {
        const t = reverse ? n - 1 - k : k;
        const x = xs.data.subarray(t * E, (t + 1) * E);
        if (kind === 'gru') h = gruCell(x, h, w, H);
        else ({ h, c } = lstmCell(x, h, c, w, H) as { h: Float32Array; c: Float32Array });
        close(got.data.subarray(t * H, (t + 1) * H), h, 0);
      }
    }
  }
});

test('runRnn rejects inputs of the wrong width', () => {
  const cell = makeCell('gru', biasOnly(3, 1, 2, [0, 0, 0], [0, 0, 0]), 2, 1);
  assert.throws(() => runRnn(cell, tensor([2, 3]), false), /3 columns, the cell takes 2/);
});
