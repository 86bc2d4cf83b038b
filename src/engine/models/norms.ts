// RMSNorm as the Hugging Face decoders compute it (float32 in, float32 out; the mean of squares
// accumulates in float64 here, inside float32's rounding of torch's own sum).

/**
 * Row-wise RMSNorm of x [rows, cols] into a new array. LlamaRMSNorm.forward:
 * w · (x · rsqrt(mean(x²) + eps)). With `plusOne`, GemmaRMSNorm.forward: the weight is stored as
 * an offset from 1, x̂ · (1 + w).
 */
export function rmsNorm(x: Float32Array, rows: number, cols: number, w: Float32Array, eps: number, plusOne = false): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let ss = 0;
    for (let c = 0; c < cols; c++) ss += x[o + c] * x[o + c];
    const inv = 1 / Math.sqrt(Math.fround(ss / cols) + eps);
    for (let c = 0; c < cols; c++) {
      const normed = Math.fround(x[o + c] * inv);
      out[o + c] = plusOne ? normed * Math.fround(1 + w[c]) : w[c] * normed;
    }
  }
  return out;
}
