// Model weights in the dtype their file stores them in. F32 stays a Float32Array (usually a view of
// the file's buffer); F16 and BF16 stay 16-bit (a Uint16Array of the raw bits), so a BF16 model
// takes its file's size in memory instead of twice it. Kernels convert half weights to float32 as
// they pack or read them (BF16 → F32 and F16 → F32 are exact); code that wants a plain
// Float32Array of a (small) weight calls toFloat32. The union makes the type checker find every
// place that reads a weight's values.

export type HalfDtype = 'bf16' | 'f16';

/** A tensor's values as 16-bit floats: `bits` is the raw little-endian storage. */
export interface HalfArray {
  readonly dtype: HalfDtype;
  readonly bits: Uint16Array;
  readonly length: number;
}

export type WeightData = Float32Array | HalfArray;

/** A stored weight tensor (LoadedModel.weights): row-major, in its file dtype. */
export interface WeightTensor {
  readonly shape: readonly number[];
  readonly data: WeightData;
}

export function halfArray(dtype: HalfDtype, bits: Uint16Array): HalfArray {
  return { dtype, bits, length: bits.length };
}

export function isHalf(w: WeightData): w is HalfArray {
  return !(w instanceof Float32Array);
}

export function weightDtype(w: WeightData): 'f32' | HalfDtype {
  return isHalf(w) ? w.dtype : 'f32';
}

/** Bytes the values take in memory. */
export function weightBytes(w: WeightData): number {
  return isHalf(w) ? w.bits.byteLength : w.byteLength;
}

let F16: Float32Array | undefined;
/** All 65536 half-precision values, decoded once; a table lookup per element afterwards. */
export function f16Table(): Float32Array {
  if (!F16) {
    F16 = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) F16[h] = halfToFloat(h);
  }
  return F16;
}

export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // zero and subnormals: frac · 2⁻¹⁴ · 2⁻¹⁰
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * Values begin…end of `w` as float32 into out[at…]: a copy for F32, an exact conversion for half
 * (BF16 is the top half of a float32: its bits shifted back into place).
 */
export function convertInto(w: WeightData, begin: number, end: number, out: Float32Array, at = 0): void {
  if (!isHalf(w)) {
    out.set(w.subarray(begin, end), at);
    return;
  }
  const src = w.bits;
  if (w.dtype === 'bf16') {
    const dst = new Uint32Array(out.buffer, out.byteOffset + at * 4, end - begin);
    for (let i = begin; i < end; i++) dst[i - begin] = src[i] << 16;
  } else {
    const table = f16Table();
    for (let i = begin; i < end; i++) out[at + i - begin] = table[src[i]];
  }
}

/** The whole weight as a Float32Array: itself for F32, a converted copy for half (for small tensors and norms). */
export function toFloat32(w: WeightData): Float32Array {
  if (!isHalf(w)) return w;
  const out = new Float32Array(w.length);
  convertInto(w, 0, w.length, out);
  return out;
}

/** A view of values begin…end (no copy), in the same dtype. */
export function weightSubarray(w: WeightData, begin: number, end: number): WeightData {
  return isHalf(w) ? halfArray(w.dtype, w.bits.subarray(begin, end)) : w.subarray(begin, end);
}

/** A new weight of `w`'s dtype made by `fill(src, dst)` over the raw arrays (layout changes: transpose, interleaved splits). */
export function relayout(
  w: WeightData,
  length: number,
  fill: (src: Float32Array | Uint16Array, dst: Float32Array | Uint16Array) => void,
): WeightData {
  if (isHalf(w)) {
    const bits = new Uint16Array(length);
    fill(w.bits, bits);
    return halfArray(w.dtype, bits);
  }
  const data = new Float32Array(length);
  fill(w, data);
  return data;
}

/** The raw elements (float values or 16-bit patterns) — for layout code that copies without converting. */
export function rawValues(w: WeightData): Float32Array | Uint16Array {
  return isHalf(w) ? w.bits : w;
}

/** Same dtype and the same stored values (tied-table checks). */
export function sameWeights(a: WeightData, b: WeightData): boolean {
  if (weightDtype(a) !== weightDtype(b) || a.length !== b.length) return false;
  const x = rawValues(a),
    y = rawValues(b);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}
