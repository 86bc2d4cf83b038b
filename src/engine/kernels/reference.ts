// The small set of tensor kernels the models are written against. The reference implementation
// below is plain TypeScript and stays as the test oracle; faster ones (WASM SIMD, multi-thread)
// implement the same interface. All matrices are row-major Float32Arrays; dot products accumulate
// in JS numbers (float64), which keeps us well inside 1e-5 of PyTorch's float32.
import type { Activation } from '../format/loaded';
import { scaledDotProductAttention, type HeadsAttention } from '../attention';
import { convertInto, isHalf, type WeightData } from '../weights';

/** A Linear layer's weights: w [out, in] (PyTorch's layout, in the file's dtype), bias [out]. */
export interface LinearWeights {
  w: WeightData;
  b?: Float32Array;
  out: number;
  in: number;
}

/** Add & Norm's result: the new hidden state and, when asked for, the row norms the inspector shows. */
export interface AddNormResult {
  out: Float32Array; // [rows, cols]
  norms?: { residual: Float32Array; sublayer: Float32Array; output: Float32Array }; // [rows] each
}

export interface Kernels {
  /** out[m, n] = x[m, k] · w[n, k]ᵀ + bias[n] — a Linear layer with PyTorch's [out, in] weight. */
  linear(x: Float32Array, m: number, k: number, w: WeightData, n: number, bias?: Float32Array): Float32Array;
  /** out[m, n] = a[m, k] · b[k, n] */
  matmul(a: Float32Array, m: number, k: number, b: Float32Array, n: number): Float32Array;
  /** Row-wise LayerNorm over the last dimension, into a new array. */
  layerNorm(x: Float32Array, rows: number, cols: number, gamma: Float32Array, beta: Float32Array, eps: number): Float32Array;
  /** In place. */
  activate(x: Float32Array, kind: Activation): void;
  /**
   * Multi-head scaled dot-product attention with every head's scores and probabilities, as
   * scaledDotProductAttention (attention.ts) defines it. Optional: callers fall back to that.
   * `between`, where given, is called between groups of heads by kernels that split the heads (the
   * native and WASM ones; inHeadGroups in kernels/polling.ts).
   */
  attention?(
    q: Float32Array,
    k: Float32Array,
    v: Float32Array,
    nq: number,
    nk: number,
    heads: number,
    dHead: number,
    mask?: Uint8Array,
    between?: () => void,
  ): HeadsAttention;
  /**
   * Position-wise feed-forward fc2(act(fc1(x))) of x [m, fc1.in] → [m, fc2.out], without handing
   * the [m, fc1.out] hidden layer back. Optional: callers fall back to linear, activate, linear.
   */
  feedForward?(x: Float32Array, m: number, fc1: LinearWeights, fc2: LinearWeights, act: Activation): Float32Array;
  /**
   * The run's cancel flag (a shared Int32Array, set to non-zero by the host's Cancel), or undefined
   * after the run. Kernels that watch it cut a product or an attention call short once it is set
   * and throw CancelledError. Optional: others finish each call.
   */
  watchCancel?(flag: Int32Array | undefined): void;
  /**
   * Residual add x + y of two [rows, cols] arrays, then LayerNorm of each row when `norm` is given
   * (post-LN); with `withNorms`, the row norms of x, y and the result. Optional: callers fall back
   * to a JS add, layerNorm and rowNorms.
   */
  addNorm?(
    x: Float32Array,
    y: Float32Array,
    rows: number,
    cols: number,
    norm: { gamma: Float32Array; beta: Float32Array; eps: number } | undefined,
    withNorms: boolean,
  ): AddNormResult;
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** erf with |error| < 1.2e-7 (Numerical Recipes' erfc), enough for exact-GELU at float32. */
export function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - r : r - 1;
}

export function activation(kind: Activation): (v: number) => number {
  switch (kind) {
    case 'relu':
      return (v) => (v > 0 ? v : 0);
    case 'gelu': // exact: x·Φ(x)
      return (v) => 0.5 * v * (1 + erf(v / Math.SQRT2));
    case 'gelu_new': // tanh approximation (GPT-2)
      return (v) => 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v)));
    case 'swish': // x·σ(x), a.k.a. SiLU (Marian)
      return (v) => v / (1 + Math.exp(-v));
  }
}

export const referenceKernels: Kernels = {
  linear(x, m, k, w, n, bias) {
    const out = new Float32Array(m * n);
    // Half weights: one row of W converted (exactly) at a time, for all rows of x.
    const wRow = isHalf(w) ? new Float32Array(k) : undefined;
    for (let j = 0; j < n; j++) {
      let row: Float32Array, wo: number;
      if (wRow) {
        convertInto(w, j * k, (j + 1) * k, wRow);
        [row, wo] = [wRow, 0];
      } else [row, wo] = [w as Float32Array, j * k];
      for (let i = 0; i < m; i++) {
        const xo = i * k;
        let s = bias ? bias[j] : 0;
        for (let c = 0; c < k; c++) s += x[xo + c] * row[wo + c];
        out[i * n + j] = s;
      }
    }
    return out;
  },
  matmul(a, m, k, b, n) {
    const out = new Float32Array(m * n);
    const acc = new Float64Array(n);
    for (let i = 0; i < m; i++) {
      acc.fill(0);
      for (let c = 0; c < k; c++) {
        const av = a[i * k + c];
        if (av === 0) continue;
        const bo = c * n;
        for (let j = 0; j < n; j++) acc[j] += av * b[bo + j];
      }
      out.set(acc, i * n);
    }
    return out;
  },
  layerNorm(x, rows, cols, gamma, beta, eps) {
    const out = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      let mean = 0;
      for (let c = 0; c < cols; c++) mean += x[o + c];
      mean /= cols;
      let variance = 0; // biased, as torch.nn.LayerNorm
      for (let c = 0; c < cols; c++) variance += (x[o + c] - mean) ** 2;
      const inv = 1 / Math.sqrt(variance / cols + eps);
      for (let c = 0; c < cols; c++) out[o + c] = (x[o + c] - mean) * inv * gamma[c] + beta[c];
    }
    return out;
  },
  activate(x, kind) {
    const f = activation(kind);
    for (let i = 0; i < x.length; i++) x[i] = f(x[i]);
  },
  attention: (q, k, v, nq, nk, heads, dHead, mask) => scaledDotProductAttention(q, k, v, nq, nk, heads, dHead, mask),
};
