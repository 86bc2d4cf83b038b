// AssemblyScript source of the WASM SIMD kernels (built by scripts/build-wasm.mjs into
// kernels.wasm.ts; the extension never needs the compiler). Named .as so that tsc skips it.
//
// Every pointer is a byte offset into the one shared memory. Every exported kernel ends with
// (tid, nt): the calling thread's index and the thread count; it does its own slice (or takes
// chunks from the shared counter, see nextChunk), so the same call runs on 1 thread or on the
// pool (src/engine/kernels/wasm/pool.ts).
//
// Matrices that play the role of B in C = A·B are first packed into panels of 8 columns:
// panel p holds B[0…k, 8p…8p+8) as k rows of 8 floats (zero padded), so the inner loop reads
// B contiguously and keeps a 4×8 block of C in eight f32x4 registers.

const KC: i32 = 256; // k-block: one panel block is 256·8·4 = 8 KB, L1-resident
const MC: i32 = 64; // row block: an A block is 64·256·4 = 64 KB, L2-resident

// ---- packing ------------------------------------------------------------------------------

/** dst panels ← rows of src: B[kk, j] = src[j·ld + kk] (src rows are B's columns: W of a Linear, K). */
export function packRowsT(src: usize, ld: i32, rows: i32, k: i32, dst: usize): void {
  const panels = (rows + 7) >> 3;
  for (let p = 0; p < panels; p++) {
    const out = dst + <usize>(p * k) * 32;
    for (let j = 0; j < 8; j++) {
      const r = p * 8 + j;
      if (r < rows) {
        const s = src + <usize>(r * ld) * 4;
        for (let kk = 0; kk < k; kk++) store<f32>(out + <usize>(kk * 8 + j) * 4, load<f32>(s + <usize>kk * 4));
      } else {
        for (let kk = 0; kk < k; kk++) store<f32>(out + <usize>(kk * 8 + j) * 4, 0);
      }
    }
  }
}

/** dst panels ← columns of src: B[kk, j] = src[kk·ld + j], j < cols (V of one head). */
export function packCols(src: usize, ld: i32, k: i32, cols: i32, dst: usize): void {
  const panels = (cols + 7) >> 3;
  for (let p = 0; p < panels; p++) {
    const out = dst + <usize>(p * k) * 32;
    const c0 = p * 8;
    const w = min(8, cols - c0);
    for (let kk = 0; kk < k; kk++) {
      const s = src + <usize>(kk * ld + c0) * 4;
      const o = out + <usize>kk * 32;
      if (w == 8) {
        v128.store(o, v128.load(s));
        v128.store(o, v128.load(s, 16), 16);
      } else {
        for (let j = 0; j < 8; j++) store<f32>(o + <usize>j * 4, j < w ? load<f32>(s + <usize>j * 4) : 0);
      }
    }
  }
}

// ---- matrix multiply ----------------------------------------------------------------------

// c + a·b. Built twice (scripts/build-wasm.mjs): with relaxed SIMD this is one fused multiply-add
// (f32x4.relaxed_madd, which doubles the matmul's arithmetic per cycle); without, a mul and an add.
// @ts-ignore: decorator
@inline
function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

// @ts-ignore: decorator
@inline
function micro4(a: usize, lda: usize, b: usize, c: usize, ldc: usize, kc: i32, first: bool, bias: usize): void {
  let c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128;
  if (first) {
    if (bias) {
      c00 = v128.load(bias);
      c01 = v128.load(bias, 16);
    } else {
      c00 = f32x4.splat(0);
      c01 = f32x4.splat(0);
    }
    c10 = c00; c11 = c01; c20 = c00; c21 = c01; c30 = c00; c31 = c01;
  } else {
    c00 = v128.load(c); c01 = v128.load(c, 16);
    c10 = v128.load(c + ldc); c11 = v128.load(c + ldc, 16);
    c20 = v128.load(c + 2 * ldc); c21 = v128.load(c + 2 * ldc, 16);
    c30 = v128.load(c + 3 * ldc); c31 = v128.load(c + 3 * ldc, 16);
  }
  const a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda;
  for (let kk: usize = 0; kk < <usize>kc; kk++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    const o = kk << 2;
    let x = v128.load32_splat(a + o);
    c00 = madd(x, b0, c00);
    c01 = madd(x, b1, c01);
    x = v128.load32_splat(a1 + o);
    c10 = madd(x, b0, c10);
    c11 = madd(x, b1, c11);
    x = v128.load32_splat(a2 + o);
    c20 = madd(x, b0, c20);
    c21 = madd(x, b1, c21);
    x = v128.load32_splat(a3 + o);
    c30 = madd(x, b0, c30);
    c31 = madd(x, b1, c31);
    b += 32;
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(c + ldc, c10); v128.store(c + ldc, c11, 16);
  v128.store(c + 2 * ldc, c20); v128.store(c + 2 * ldc, c21, 16);
  v128.store(c + 3 * ldc, c30); v128.store(c + 3 * ldc, c31, 16);
}

// @ts-ignore: decorator
@inline
function micro1(a: usize, b: usize, c: usize, kc: i32, first: bool, bias: usize): void {
  let c0: v128, c1: v128, d0: v128, d1: v128;
  if (first) {
    c0 = bias ? v128.load(bias) : f32x4.splat(0);
    c1 = bias ? v128.load(bias, 16) : f32x4.splat(0);
  } else {
    c0 = v128.load(c);
    c1 = v128.load(c, 16);
  }
  d0 = f32x4.splat(0);
  d1 = f32x4.splat(0);
  let kk: usize = 0;
  const n = <usize>kc;
  for (; kk + 2 <= n; kk += 2) {
    const x = v128.load32_splat(a + (kk << 2));
    const y = v128.load32_splat(a + (kk << 2), 4);
    c0 = madd(x, v128.load(b), c0);
    c1 = madd(x, v128.load(b, 16), c1);
    d0 = madd(y, v128.load(b, 32), d0);
    d1 = madd(y, v128.load(b, 48), d1);
    b += 64;
  }
  if (kk < n) {
    const x = v128.load32_splat(a + (kk << 2));
    c0 = madd(x, v128.load(b), c0);
    c1 = madd(x, v128.load(b, 16), c1);
  }
  v128.store(c, f32x4.add(c0, d0));
  v128.store(c, f32x4.add(c1, d1), 16);
}

/**
 * C[i0…i1, panels p0…p1] = act(bias + A·B) over the full k (A: lda floats per row; C: ldc floats
 * per row; act as in activate(), −1 none). The activation runs on each finished 8-column tile while
 * it is still in L1, so a feed-forward's hidden layer is written once and never read back for it.
 */
function gemmRange(a: usize, lda: i32, bp: usize, k: i32, bias: usize, c: usize, ldc: i32, i0: i32, i1: i32, p0: i32, p1: i32, act: i32 = -1): void {
  const ldaB = <usize>lda << 2;
  const ldcB = <usize>ldc << 2;
  for (let k0 = 0; k0 < k || k0 == 0; k0 += KC) {
    const kc = min(KC, k - k0);
    const first = k0 == 0;
    // Rows in blocks of MC so that the A block (MC·KC floats) stays in L2 while every panel
    // streams past it; without this, m = 512 ran 4× slower than m = 128 (A re-read from memory).
    for (let ib = i0; ib < i1; ib += MC) {
      const ie = min(i1, ib + MC);
      for (let p = p0; p < p1; p++) {
        const b = bp + (<usize>(p * k + k0) << 5);
        const bb = bias ? bias + (<usize>p << 5) : 0;
        const cp = c + (<usize>p << 5);
        let i = ib;
        for (; i + 4 <= ie; i += 4) micro4(a + <usize>i * ldaB + (<usize>k0 << 2), ldaB, b, cp + <usize>i * ldcB, ldcB, kc, first, bb);
        for (; i < ie; i++) micro1(a + <usize>i * ldaB + (<usize>k0 << 2), b, cp + <usize>i * ldcB, kc, first, bb);
        if (act >= 0 && k0 + KC >= k) {
          for (let r = ib; r < ie; r++) {
            const t = cp + <usize>r * ldcB;
            v128.store(t, vact(v128.load(t), act));
            v128.store(t, vact(v128.load(t, 16), act), 16);
          }
        }
      }
    }
    if (k == 0) break;
  }
}

// Work is handed out in chunks from a shared counter (set to 0 by the pool before each job,
// src/engine/kernels/wasm/pool.ts: JOB_COUNTER) rather than split evenly up front: when a thread is
// descheduled (a busy machine) or starts late, the others take its chunks instead of waiting.
const JOB_COUNTER: usize = 1 << 19;

// @ts-ignore: decorator
@inline
function nextChunk(): i32 {
  return atomic.add<i32>(JOB_COUNTER, 1);
}

/**
 * C[m, 8·panels] = bias + A[m, k] · B (packed panels). Chunks are groups of panels when there are
 * enough of them (wide outputs, one-row decoding steps), else blocks of rows (multiples of 4).
 */
export function gemm(a: usize, lda: i32, bp: usize, k: i32, bias: usize, c: usize, ldc: i32, m: i32, panels: i32, act: i32, tid: i32, nt: i32): void {
  if (panels >= 4 * nt || m < 8 * nt) {
    const pc = (panels + 4 * nt - 1) / (4 * nt); // ~4 chunks per thread: fewer re-reads of A
    for (let p0 = nextChunk() * pc; p0 < panels; p0 = nextChunk() * pc) gemmRange(a, lda, bp, k, bias, c, ldc, 0, m, p0, min(panels, p0 + pc), act);
  } else {
    const rc = max(4, min(MC, (((m + 4 * nt - 1) / (4 * nt)) + 3) & ~3));
    for (let i0 = nextChunk() * rc; i0 < m; i0 = nextChunk() * rc) gemmRange(a, lda, bp, k, bias, c, ldc, i0, min(m, i0 + rc), 0, panels, act);
  }
}

// ---- elementwise: exp, erf ----------------------------------------------------------------

// @ts-ignore: decorator
@inline
function vexp(x: v128): v128 {
  // Cephes expf: x = n·ln2 + r, e^r by a degree-6 polynomial, 2^n through the exponent bits.
  x = f32x4.min(f32x4.max(x, f32x4.splat(-87.33654)), f32x4.splat(88.37626));
  const fx = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504088896341)));
  x = f32x4.sub(x, f32x4.mul(fx, f32x4.splat(0.693359375)));
  x = f32x4.sub(x, f32x4.mul(fx, f32x4.splat(-2.12194440e-4)));
  let y = f32x4.splat(1.9875691500e-4);
  y = f32x4.add(f32x4.mul(y, x), f32x4.splat(1.3981999507e-3));
  y = f32x4.add(f32x4.mul(y, x), f32x4.splat(8.3334519073e-3));
  y = f32x4.add(f32x4.mul(y, x), f32x4.splat(4.1665795894e-2));
  y = f32x4.add(f32x4.mul(y, x), f32x4.splat(1.6666665459e-1));
  y = f32x4.add(f32x4.mul(y, x), f32x4.splat(5.0000001201e-1));
  y = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(y, x), x), x), f32x4.splat(1));
  const n = i32x4.trunc_sat_f32x4_s(fx);
  return f32x4.mul(y, i32x4.shl(i32x4.add(n, i32x4.splat(127)), 23));
}

// @ts-ignore: decorator
@inline
function verf(x: v128): v128 {
  // Numerical Recipes' erfc (|error| < 1.2e-7), the same formula as the reference erf().
  const z = f32x4.abs(x);
  const t = f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), f32x4.mul(f32x4.splat(0.5), z)));
  let p = f32x4.splat(0.17087277);
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(-0.82215223));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(1.48851587));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(-1.13520398));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(0.27886807));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(-0.18628806));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(0.09678418));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(0.37409196));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(1.00002368));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(-1.26551223));
  p = f32x4.sub(p, f32x4.mul(z, z));
  const r = f32x4.mul(t, vexp(p));
  const pos = f32x4.sub(f32x4.splat(1), r);
  return v128.bitselect(pos, f32x4.neg(pos), f32x4.ge(x, f32x4.splat(0)));
}

// @ts-ignore: decorator
@inline
function vact(v: v128, kind: i32): v128 {
  const half = f32x4.splat(0.5), one = f32x4.splat(1);
  if (kind == 0) return f32x4.max(v, f32x4.splat(0)); // relu
  if (kind == 1) return f32x4.mul(f32x4.mul(half, v), f32x4.add(one, verf(f32x4.mul(v, f32x4.splat(0.7071067811865476))))); // gelu
  if (kind == 2) {
    // gelu_new: 0.5·v·(1 + tanh(√(2/π)(v + 0.044715v³))), tanh(u) = 1 − 2/(e^{2u} + 1)
    const u = f32x4.mul(f32x4.splat(0.7978845608028654), f32x4.add(v, f32x4.mul(f32x4.splat(0.044715), f32x4.mul(v, f32x4.mul(v, v)))));
    const th = f32x4.sub(one, f32x4.div(f32x4.splat(2), f32x4.add(vexp(f32x4.add(u, u)), one)));
    return f32x4.mul(f32x4.mul(half, v), f32x4.add(one, th));
  }
  return f32x4.div(v, f32x4.add(one, vexp(f32x4.neg(v)))); // swish
}

/** In place over x[0…n): 0 relu, 1 gelu (exact), 2 gelu_new (tanh), 3 swish. */
export function activate(x: usize, n: i32, kind: i32, tid: i32, nt: i32): void {
  const chunks = (n + 3) >> 2;
  const c0 = (chunks * tid) / nt, c1 = (chunks * (tid + 1)) / nt;
  const full = min(c1, n >> 2);
  for (let c = c0; c < full; c++) {
    const p = x + (<usize>c << 4);
    v128.store(p, vact(v128.load(p), kind));
  }
  if (c1 > full && full == n >> 2) {
    for (let i = full << 2; i < n; i++) {
      const p = x + (<usize>i << 2);
      store<f32>(p, f32x4.extract_lane(vact(f32x4.splat(load<f32>(p)), kind), 0));
    }
  }
}

// ---- layer norm, Add & Norm ---------------------------------------------------------------

/** One row: out = (x − mean)/√(var + eps)·γ + β, biased variance (torch.nn.LayerNorm). out may be x. */
// @ts-ignore: decorator
@inline
function normRow(xr: usize, orow: usize, cols: i32, gamma: usize, beta: usize, eps: f32): void {
  const vec = cols & ~3;
  let s = f32x4.splat(0);
  for (let c = 0; c < vec; c += 4) s = f32x4.add(s, v128.load(xr + <usize>c * 4));
  let sum = <f64>f32x4.extract_lane(s, 0) + <f64>f32x4.extract_lane(s, 1) + <f64>f32x4.extract_lane(s, 2) + <f64>f32x4.extract_lane(s, 3);
  for (let c = vec; c < cols; c++) sum += <f64>load<f32>(xr + <usize>c * 4);
  const mean = <f32>(sum / <f64>cols);
  const mv = f32x4.splat(mean);
  let q = f32x4.splat(0);
  for (let c = 0; c < vec; c += 4) {
    const d = f32x4.sub(v128.load(xr + <usize>c * 4), mv);
    q = f32x4.add(q, f32x4.mul(d, d));
  }
  let sq = <f64>f32x4.extract_lane(q, 0) + <f64>f32x4.extract_lane(q, 1) + <f64>f32x4.extract_lane(q, 2) + <f64>f32x4.extract_lane(q, 3);
  for (let c = vec; c < cols; c++) {
    const d = <f64>load<f32>(xr + <usize>c * 4) - <f64>mean;
    sq += d * d;
  }
  const inv = <f32>(1 / Math.sqrt(sq / <f64>cols + <f64>eps));
  const iv = f32x4.splat(inv);
  for (let c = 0; c < vec; c += 4) {
    const o = <usize>c * 4;
    const y = f32x4.mul(f32x4.mul(f32x4.sub(v128.load(xr + o), mv), iv), v128.load(gamma + o));
    v128.store(orow + o, f32x4.add(y, v128.load(beta + o)));
  }
  for (let c = vec; c < cols; c++) {
    const o = <usize>c * 4;
    store<f32>(orow + o, (load<f32>(xr + o) - mean) * inv * load<f32>(gamma + o) + load<f32>(beta + o));
  }
}

/** out[r] = LayerNorm(x[r]) for each row (rows split evenly over threads). */
export function layerNorm(x: usize, rows: i32, cols: i32, gamma: usize, beta: usize, eps: f32, out: usize, tid: i32, nt: i32): void {
  const r0 = (rows * tid) / nt, r1 = (rows * (tid + 1)) / nt;
  for (let r = r0; r < r1; r++) normRow(x + <usize>(r * cols) * 4, out + <usize>(r * cols) * 4, cols, gamma, beta, eps);
}

/** √(Σ x²) of one row, summed in f64 (as the reference's rowNorms). */
// @ts-ignore: decorator
@inline
function rowNorm(p: usize, cols: i32): f32 {
  const vec = cols & ~3;
  let acc = f64x2.splat(0);
  for (let c = 0; c < vec; c += 4) {
    const v = v128.load(p + <usize>c * 4);
    const lo = f64x2.promote_low_f32x4(v);
    const hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
    acc = f64x2.add(acc, f64x2.add(f64x2.mul(lo, lo), f64x2.mul(hi, hi)));
  }
  let s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  for (let c = vec; c < cols; c++) {
    const v = <f64>load<f32>(p + <usize>c * 4);
    s += v * v;
  }
  return <f32>Math.sqrt(s);
}

/**
 * Add & Norm's arithmetic: out = x + y, then LayerNorm of each row in place when gamma ≠ 0
 * (post-LN; pre-LN passes 0). norms ≠ 0: [3, rows] row norms of x, y and out, which the
 * inspector shows for every sub-layer.
 */
export function addNorm(x: usize, y: usize, rows: i32, cols: i32, gamma: usize, beta: usize, eps: f32, out: usize, norms: usize, tid: i32, nt: i32): void {
  const r0 = (rows * tid) / nt, r1 = (rows * (tid + 1)) / nt;
  const vec = cols & ~3;
  for (let r = r0; r < r1; r++) {
    const o = <usize>(r * cols) * 4;
    for (let c = 0; c < vec; c += 4) v128.store(out + o + <usize>c * 4, f32x4.add(v128.load(x + o + <usize>c * 4), v128.load(y + o + <usize>c * 4)));
    for (let c = vec; c < cols; c++) store<f32>(out + o + <usize>c * 4, load<f32>(x + o + <usize>c * 4) + load<f32>(y + o + <usize>c * 4));
    if (gamma) normRow(out + o, out + o, cols, gamma, beta, eps);
    if (norms) {
      store<f32>(norms + <usize>r * 4, rowNorm(x + o, cols));
      store<f32>(norms + <usize>(rows + r) * 4, rowNorm(y + o, cols));
      store<f32>(norms + <usize>(2 * rows + r) * 4, rowNorm(out + o, cols));
    }
  }
}

// ---- attention ----------------------------------------------------------------------------

/** Scratch bytes one thread needs for attentionHeads with these sizes. */
export function attentionScratch(nq: i32, nk: i32, dHead: i32): i32 {
  const nkp = (nk + 7) & ~7, dhp = (dHead + 7) & ~7;
  return (nkp * dHead + nq * nkp + dhp * nk + nq * dhp) * 4 + 64;
}

/**
 * Multi-head scaled dot-product attention, heads split over threads. q: [nq, heads·dHead],
 * k, v: [nk, heads·dHead]; mask: [nq, nk] bytes, 1 = hidden (0 pointer: no mask).
 * Writes scores (q·k·scale, before masking) and probs as [heads, nq, nk], ctx as [nq, heads·dHead],
 * and each row's entropy −Σ p ln p as [heads, nq] (log S − Σ e·(x − max)/S: no log per cell), for
 * heads h0 … h1−1 only (the engine reads its requests between groups of heads).
 * Softmax: subtract the row max of the visible keys; a fully masked row gets all-zero probs.
 */
export function attentionHeads(
  q: usize, k: usize, v: usize, nq: i32, nk: i32, heads: i32, dHead: i32, mask: usize, scale: f32,
  scores: usize, probs: usize, ctx: usize, entropy: usize, scratch: usize, scratchStride: i32, h0: i32, h1: i32, tid: i32, nt: i32,
): void {
  const width = heads * dHead;
  const nkp = (nk + 7) & ~7, dhp = (dHead + 7) & ~7;
  const kp = scratch + <usize>(tid * scratchStride);
  const s = kp + <usize>(nkp * dHead) * 4;
  const vp = s + <usize>(nq * nkp) * 4;
  const cb = vp + <usize>(dhp * nk) * 4;
  const sv = f32x4.splat(scale);
  const negInf = f32x4.splat(-Infinity);
  for (let c = nextChunk(); c < h1 - h0; c = nextChunk()) {
    const h = h0 + c;
    const ho = <usize>(h * dHead) * 4;
    packRowsT(k + ho, width, nk, dHead, kp);
    gemmRange(q + ho, width, kp, dHead, 0, s, nkp, 0, nq, 0, nkp >> 3); // [nq, nkp] = Q_h·K_hᵀ
    for (let i = 0; i < nq; i++) {
      const row = s + <usize>(i * nkp) * 4;
      for (let j = 0; j < nkp; j += 4) v128.store(row + <usize>j * 4, f32x4.mul(v128.load(row + <usize>j * 4), sv));
      const out = <usize>((h * nq + i) * nk) * 4;
      memory.copy(scores + out, row, <usize>nk * 4);
      for (let j = nk; j < nkp; j++) store<f32>(row + <usize>j * 4, -Infinity);
      if (mask) {
        const mrow = mask + <usize>(i * nk);
        for (let j = 0; j < nk; j++) if (load<u8>(mrow + <usize>j)) store<f32>(row + <usize>j * 4, -Infinity);
      }
      let mx = negInf;
      for (let j = 0; j < nkp; j += 4) mx = f32x4.max(mx, v128.load(row + <usize>j * 4));
      const m = max(max(f32x4.extract_lane(mx, 0), f32x4.extract_lane(mx, 1)), max(f32x4.extract_lane(mx, 2), f32x4.extract_lane(mx, 3)));
      const ent = entropy + <usize>(h * nq + i) * 4;
      if (m == -Infinity) {
        memory.fill(row, 0, <usize>nkp * 4);
        store<f32>(ent, 0);
      } else {
        const mv = f32x4.splat(m);
        let acc = f32x4.splat(0);
        let t = f32x4.splat(0);
        for (let j = 0; j < nkp; j += 4) {
          const p = row + <usize>j * 4;
          const x = v128.load(p);
          // e^(x−max), and exactly 0 where x = −∞ (masked keys and padding)
          const visible = f32x4.ne(x, negInf);
          const dx = v128.and(f32x4.sub(x, mv), visible);
          const e = v128.and(vexp(dx), visible);
          v128.store(p, e);
          acc = f32x4.add(acc, e);
          t = f32x4.add(t, f32x4.mul(e, dx));
        }
        const sum = <f64>f32x4.extract_lane(acc, 0) + <f64>f32x4.extract_lane(acc, 1) + <f64>f32x4.extract_lane(acc, 2) + <f64>f32x4.extract_lane(acc, 3);
        const ts = <f64>f32x4.extract_lane(t, 0) + <f64>f32x4.extract_lane(t, 1) + <f64>f32x4.extract_lane(t, 2) + <f64>f32x4.extract_lane(t, 3);
        store<f32>(ent, <f32>max(0, Math.log(sum) - ts / sum));
        const inv = f32x4.splat(<f32>(1 / sum));
        for (let j = 0; j < nkp; j += 4) v128.store(row + <usize>j * 4, f32x4.mul(v128.load(row + <usize>j * 4), inv));
      }
      memory.copy(probs + out, row, <usize>nk * 4);
    }
    packCols(v + ho, width, nk, dHead, vp);
    gemmRange(s, nkp, vp, nk, 0, cb, dhp, 0, nq, 0, dhp >> 3); // [nq, dhp] = P·V_h
    for (let i = 0; i < nq; i++) memory.copy(ctx + <usize>(i * width) * 4 + ho, cb + <usize>(i * dhp) * 4, <usize>dHead * 4);
  }
}
