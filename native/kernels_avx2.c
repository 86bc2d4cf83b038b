// AVX2 + FMA kernels (compiled with -mavx2 -mfma) for the x86-64 CPUs without AVX-512, most
// Intel laptops and desktops among them: the algorithms, exp/erf formulas and packed layout of
// kernels_avx512.c in 8-lane registers (the ISA-independent parts are kernels_common.h, included at
// the end). There are only 16 ymm registers, so the matmul micro-kernel keeps a 6×16 block of C in
// 12 of them and walks each 32-column panel in two halves (each B row: two loads feeding 12 FMAs).
// No mask registers: tails use maskload/maskstore, and the full-width paths plain loads and stores
// (maskstore is slow on AMD).
#include <immintrin.h>
#include <math.h>
#include <string.h>
#include "kernels.h"

#define NR AK_NR
#define HR 16 /* columns per micro-kernel pass: half a panel */
#define MR 6
#define INLINE static inline __attribute__((always_inline))

/* lane i all ones when i < w */
INLINE __m256i lanes(int w) { return _mm256_cmpgt_epi32(_mm256_set1_epi32(w), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)); }
/* The 8 floats at p of which `left` exist (the rest read as 0, written not at all). */
INLINE __m256 vload(const float *p, int left) { return left >= 8 ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, lanes(left)); }
INLINE void vstore(float *p, int left, __m256 v) {
  if (left >= 8) _mm256_storeu_ps(p, v);
  else _mm256_maskstore_ps(p, lanes(left), v);
}
INLINE __m256 in_row(int left) { return _mm256_castsi256_ps(lanes(left)); }

INLINE double hsum_pd(__m256d v) {
  __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
  return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}
/* Σ of 8 floats, in f64 */
INLINE double hsum_f64(__m256 v) {
  return hsum_pd(_mm256_add_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(v)), _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1))));
}
INLINE float hmax(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  return _mm_cvtss_f32(_mm_max_ss(m, _mm_movehdup_ps(m)));
}

// ---- exp, erf, activations ----------------------------------------------------------------

INLINE __m256 vexp(__m256 x) {
  // Cephes expf, as vexp in kernels.as: x = n·ln2 + r, e^r by a degree-6 polynomial, 2^n by exponent bits.
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.33654f)), _mm256_set1_ps(88.37626f));
  __m256 fx = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  x = _mm256_sub_ps(x, _mm256_mul_ps(fx, _mm256_set1_ps(0.693359375f)));
  x = _mm256_sub_ps(x, _mm256_mul_ps(fx, _mm256_set1_ps(-2.12194440e-4f)));
  __m256 y = _mm256_set1_ps(1.9875691500e-4f);
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507e-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073e-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894e-2f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459e-1f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201e-1f));
  y = _mm256_add_ps(_mm256_fmadd_ps(_mm256_mul_ps(y, x), x, x), _mm256_set1_ps(1.0f));
  __m256i n = _mm256_cvttps_epi32(fx);
  return _mm256_mul_ps(y, _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n, _mm256_set1_epi32(127)), 23)));
}

INLINE __m256 verf(__m256 x) {
  // Numerical Recipes' erfc (|error| < 1.2e-7), the reference erf()'s formula.
  const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.0f);
  __m256 z = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
  __m256 t = _mm256_div_ps(one, _mm256_fmadd_ps(_mm256_set1_ps(0.5f), z, one));
  static const float c[] = {0.17087277f,  -0.82215223f, 1.48851587f, -1.13520398f, 0.27886807f,
                            -0.18628806f, 0.09678418f,  0.37409196f, 1.00002368f,  -1.26551223f};
  __m256 p = _mm256_set1_ps(c[0]);
  for (int i = 1; i < 10; i++) p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(c[i]));
  p = _mm256_sub_ps(p, _mm256_mul_ps(z, z));
  __m256 pos = _mm256_sub_ps(one, _mm256_mul_ps(t, vexp(p)));
  return _mm256_blendv_ps(pos, _mm256_sub_ps(zero, pos), _mm256_cmp_ps(x, zero, _CMP_LT_OQ));
}

INLINE __m256 vact(__m256 v, int kind) {
  const __m256 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f);
  switch (kind) {
    case 0: return _mm256_max_ps(v, _mm256_setzero_ps());
    case 1: return _mm256_mul_ps(_mm256_mul_ps(half, v), _mm256_add_ps(one, verf(_mm256_mul_ps(v, _mm256_set1_ps(0.7071067811865476f)))));
    case 2: {
      // tanh(u) = 1 − 2/(e^{2u} + 1)
      __m256 u = _mm256_mul_ps(_mm256_set1_ps(0.7978845608028654f),
                               _mm256_fmadd_ps(_mm256_set1_ps(0.044715f), _mm256_mul_ps(v, _mm256_mul_ps(v, v)), v));
      __m256 th = _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(vexp(_mm256_add_ps(u, u)), one)));
      return _mm256_mul_ps(_mm256_mul_ps(half, v), _mm256_add_ps(one, th));
    }
    default: return _mm256_div_ps(v, _mm256_add_ps(one, vexp(_mm256_sub_ps(_mm256_setzero_ps(), v))));
  }
}

// ---- packing ------------------------------------------------------------------------------

/* columns 0…cols of src [k, ld] → panels (V of one head, B of a matmul). */
static void pack_cols(const float *src, size_t ld, int k, int cols, float *dst) {
  int panels = ak_ceil_div(cols, NR);
  for (int p = 0; p < panels; p++) {
    float *out = dst + (size_t)p * k * NR;
    int w = cols - p * NR;
    for (int kk = 0; kk < k; kk++) {
      const float *s = src + (size_t)kk * ld + p * NR;
      for (int q = 0; q < NR; q += 8) _mm256_store_ps(out + (size_t)kk * NR + q, vload(s + q, w - q));
    }
  }
}

// ---- matrix multiply ----------------------------------------------------------------------

/* C[0…mr, 16 columns] (+)= A[0…mr, kc]·B[kc, one half panel] (b: rows NR apart); w: how many of
   the 16 columns exist; first: start from bias (or 0), else from C. */
INLINE void micro(const int mr, const float *a, size_t lda, const float *b, float *c, size_t ldc, int kc, int first, const float *bias,
                  int w) {
  __m256 c0[MR], c1[MR];
  if (first) {
    __m256 b0 = bias ? vload(bias, w) : _mm256_setzero_ps();
    __m256 b1 = bias ? vload(bias + 8, w - 8) : _mm256_setzero_ps();
    for (int i = 0; i < mr; i++) c0[i] = b0, c1[i] = b1;
  } else {
    for (int i = 0; i < mr; i++) c0[i] = vload(c + i * ldc, w), c1[i] = vload(c + i * ldc + 8, w - 8);
  }
  for (int kk = 0; kk < kc; kk++) {
    __m256 b0 = _mm256_load_ps(b + (size_t)kk * NR), b1 = _mm256_load_ps(b + (size_t)kk * NR + 8);
    for (int i = 0; i < mr; i++) {
      __m256 av = _mm256_broadcast_ss(a + i * lda + kk);
      c0[i] = _mm256_fmadd_ps(av, b0, c0[i]);
      c1[i] = _mm256_fmadd_ps(av, b1, c1[i]);
    }
  }
  for (int i = 0; i < mr; i++) vstore(c + i * ldc, w, c0[i]), vstore(c + i * ldc + 8, w - 8, c1[i]);
}

/* The activation over a tile just written (still in L1): applied in the registers, as the AVX-512
   kernel does, it left too few of the 16 for the accumulators and GCC kept them in memory. */
static void act_tile(float *c, size_t ldc, int rows, int w, int act) {
  for (int i = 0; i < rows; i++) {
    float *r = c + i * ldc;
    vstore(r, w, vact(vload(r, w), act));
    if (w > 8) vstore(r + 8, w - 8, vact(vload(r + 8, w - 8), act));
  }
}

#define MICRO_CASE(R) case R: micro(R, a, lda, b, c, ldc, kc, first, bias, w); break;
static void micro_rows(int rows, const float *a, size_t lda, const float *b, float *c, size_t ldc, int kc, int first, const float *bias,
                       int w) {
  switch (rows) { MICRO_CASE(1) MICRO_CASE(2) MICRO_CASE(3) MICRO_CASE(4) MICRO_CASE(5) }
}

/* Rows i0…i1 of one panel of C (w of its columns exist) for one K block (a, b: at its start):
   first: start from bias (or 0), else from C; act ≥ 0 after the last block. */
INLINE void gemm_panel(const float *a, size_t lda, const float *b, int w, const float *bias, float *c, size_t ldc, int i0, int i1, int kc,
                       int first, int act) {
  for (int h = 0; h < NR; h += HR) {
    int wh = w - h; // a half panel with no columns is skipped, not computed masked
    if (wh <= 0) break;
    const float *bh = b + h, *bb = bias ? bias + h : NULL;
    float *ch = c + h;
    int i = i0;
    for (; i + MR <= i1; i += MR) {
      micro(MR, a + i * lda, lda, bh, ch + i * ldc, ldc, kc, first, bb, wh);
      if (act >= 0) act_tile(ch + i * ldc, ldc, MR, wh, act);
    }
    if (i < i1) {
      micro_rows(i1 - i, a + i * lda, lda, bh, ch + i * ldc, ldc, kc, first, bb, wh);
      if (act >= 0) act_tile(ch + i * ldc, ldc, i1 - i, wh, act);
    }
  }
}

// ---- elementwise, layer norm, Add & Norm ----------------------------------------------------

INLINE void act_range(float *x, size_t lo, size_t hi, int kind) {
  for (size_t i = lo; i < hi; i += 8) {
    int left = hi - i < 8 ? (int)(hi - i) : 8;
    vstore(x + i, left, vact(vload(x + i, left), kind));
  }
}

/* Σ over a row in f64 (as the reference), of x or of (x − mean)². */
INLINE double row_sum(const float *x, int cols, int centred, float mean, int squares) {
  __m256d acc0 = _mm256_setzero_pd(), acc1 = _mm256_setzero_pd();
  __m256 mv = _mm256_set1_ps(mean);
  for (int c = 0; c < cols; c += 8) {
    __m256 v = vload(x + c, cols - c);
    if (centred) {
      v = _mm256_sub_ps(v, mv);
      if (cols - c < 8) v = _mm256_and_ps(v, in_row(cols - c)); // lanes past the row: 0, not −mean
    }
    __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(v)), hi = _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1));
    if (squares) {
      acc0 = _mm256_fmadd_pd(lo, lo, acc0);
      acc1 = _mm256_fmadd_pd(hi, hi, acc1);
    } else {
      acc0 = _mm256_add_pd(acc0, lo);
      acc1 = _mm256_add_pd(acc1, hi);
    }
  }
  return hsum_pd(_mm256_add_pd(acc0, acc1));
}

/* out = (x − mean)·inv·gamma + beta */
INLINE void norm_apply(const float *x, float *out, int cols, float mean, float inv, const float *gamma, const float *beta) {
  __m256 mv = _mm256_set1_ps(mean), iv = _mm256_set1_ps(inv);
  for (int c = 0; c < cols; c += 8) {
    int left = cols - c;
    __m256 y = _mm256_mul_ps(_mm256_mul_ps(_mm256_sub_ps(vload(x + c, left), mv), iv), vload(gamma + c, left));
    vstore(out + c, left, _mm256_add_ps(y, vload(beta + c, left)));
  }
}

INLINE void add_row(const float *x, const float *y, float *out, int cols) {
  for (int c = 0; c < cols; c += 8) {
    int left = cols - c;
    vstore(out + c, left, _mm256_add_ps(vload(x + c, left), vload(y + c, left)));
  }
}

// ---- attention ----------------------------------------------------------------------------

/* All ones where the mask byte is 0 (the key is visible), for the `left` bytes that exist. */
INLINE __m256 visible(const unsigned char *m, int left) {
  long long bytes = 0;
  if (left >= 8) memcpy(&bytes, m, 8);
  else memcpy(&bytes, m, (size_t)left);
  __m256i v = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(bytes));
  return _mm256_castsi256_ps(_mm256_cmpeq_epi32(v, _mm256_setzero_si256()));
}

/* srow ·= scale; prow = srow with the masked keys (mrow[c] ≠ 0) −∞; returns prow's max. */
INLINE float softmax_scale_mask(float *srow, float *prow, int nk, const unsigned char *mrow, float scale) {
  const __m256 sv = _mm256_set1_ps(scale), ninf = _mm256_set1_ps(-INFINITY), all = _mm256_castsi256_ps(_mm256_set1_epi32(-1));
  __m256 mx = ninf;
  for (int c = 0; c < nk; c += 8) {
    int left = nk - c;
    __m256 x = _mm256_mul_ps(vload(srow + c, left), sv);
    vstore(srow + c, left, x);
    __m256 vis = left >= 8 ? all : in_row(left);
    if (mrow) vis = _mm256_and_ps(vis, visible(mrow + c, left));
    x = _mm256_blendv_ps(ninf, x, vis);
    vstore(prow + c, left, x);
    mx = _mm256_max_ps(mx, x);
  }
  return hmax(mx);
}

/* prow = e^(x − max); returns Σ e in f64 and, when t ≠ NULL, Σ e·(x − max) in *t. */
INLINE double softmax_exp(float *prow, int nk, float rmax, double *t) {
  const __m256 ninf = _mm256_set1_ps(-INFINITY);
  __m256 mv = _mm256_set1_ps(rmax), acc = _mm256_setzero_ps(), tv = _mm256_setzero_ps();
  for (int c = 0; c < nk; c += 8) {
    int left = nk - c;
    __m256 x = vload(prow + c, left);
    __m256 fin = _mm256_cmp_ps(x, ninf, _CMP_NEQ_OQ); // e^(x−max), exactly 0 for masked keys
    if (left < 8) fin = _mm256_and_ps(fin, in_row(left));
    __m256 dx = _mm256_and_ps(fin, _mm256_sub_ps(x, mv));
    __m256 e = _mm256_and_ps(fin, vexp(dx));
    vstore(prow + c, left, e);
    acc = _mm256_add_ps(acc, e);
    tv = _mm256_fmadd_ps(e, dx, tv);
  }
  const double sum = hsum_f64(acc);
  if (t) *t = hsum_f64(tv);
  return sum;
}

INLINE void scale_row(float *x, int n, float s) {
  __m256 inv = _mm256_set1_ps(s);
  for (int c = 0; c < n; c += 8) vstore(x + c, n - c, _mm256_mul_ps(vload(x + c, n - c), inv));
}

/* [Σ a0, Σ a1, Σ a2, Σ a3] */
INLINE __m128 hsum4(__m256 a0, __m256 a1, __m256 a2, __m256 a3) {
  __m256 s = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
  return _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
}
INLINE float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}

/* out[0…4) = q·k_r for the 4 rows k_r of k (ld floats apart, n each): independent FMA chains, one reduction. */
INLINE void dot4(const float *q, const float *k, size_t ld, int n, float *out) {
  const float *k0 = k, *k1 = k0 + ld, *k2 = k1 + ld, *k3 = k2 + ld;
  __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  int c = 0;
  for (; c + 8 <= n; c += 8) {
    __m256 x = _mm256_loadu_ps(q + c);
    a0 = _mm256_fmadd_ps(x, _mm256_loadu_ps(k0 + c), a0);
    a1 = _mm256_fmadd_ps(x, _mm256_loadu_ps(k1 + c), a1);
    a2 = _mm256_fmadd_ps(x, _mm256_loadu_ps(k2 + c), a2);
    a3 = _mm256_fmadd_ps(x, _mm256_loadu_ps(k3 + c), a3);
  }
  if (c < n) {
    const __m256i m = lanes(n - c);
    __m256 x = _mm256_maskload_ps(q + c, m);
    a0 = _mm256_fmadd_ps(x, _mm256_maskload_ps(k0 + c, m), a0);
    a1 = _mm256_fmadd_ps(x, _mm256_maskload_ps(k1 + c, m), a1);
    a2 = _mm256_fmadd_ps(x, _mm256_maskload_ps(k2 + c, m), a2);
    a3 = _mm256_fmadd_ps(x, _mm256_maskload_ps(k3 + c, m), a3);
  }
  _mm_storeu_ps(out, hsum4(a0, a1, a2, a3));
}

INLINE float dot1(const float *q, const float *k, int n) {
  __m256 a = _mm256_setzero_ps();
  for (int c = 0; c < n; c += 8) a = _mm256_fmadd_ps(vload(q + c, n - c), vload(k + c, n - c), a);
  return hsum(a);
}

/* out[0…n) = Σ_r p[r]·v[r·ld + 0…n), r < nk */
INLINE void weighted_rows(const float *p, int nk, const float *v, size_t ld, int n, float *out) {
  int c = 0;
  for (; c + 64 <= n; c += 64) { // 64 columns: a V row's whole 256 bytes in one pass over the keys
    __m256 a[8];
    for (int t = 0; t < 8; t++) a[t] = _mm256_setzero_ps();
    for (int r = 0; r < nk; r++) {
      const float *vr = v + (size_t)r * ld + c;
      __m256 pr = _mm256_broadcast_ss(p + r);
      for (int t = 0; t < 8; t++) a[t] = _mm256_fmadd_ps(pr, _mm256_loadu_ps(vr + 8 * t), a[t]);
    }
    for (int t = 0; t < 8; t++) _mm256_storeu_ps(out + c + 8 * t, a[t]);
  }
  for (; c < n; c += 32) { // the last < 64 columns
    const int left = n - c;
    const __m256i m0 = lanes(left), m1 = lanes(left - 8), m2 = lanes(left - 16), m3 = lanes(left - 24);
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (int r = 0; r < nk; r++) {
      const float *vr = v + (size_t)r * ld + c;
      __m256 pr = _mm256_broadcast_ss(p + r);
      a0 = _mm256_fmadd_ps(pr, _mm256_maskload_ps(vr, m0), a0);
      a1 = _mm256_fmadd_ps(pr, _mm256_maskload_ps(vr + 8, m1), a1);
      a2 = _mm256_fmadd_ps(pr, _mm256_maskload_ps(vr + 16, m2), a2);
      a3 = _mm256_fmadd_ps(pr, _mm256_maskload_ps(vr + 24, m3), a3);
    }
    vstore(out + c, left, a0);
    vstore(out + c + 8, left - 8, a1);
    vstore(out + c + 16, left - 16, a2);
    vstore(out + c + 24, left - 24, a3);
  }
}

#include "kernels_common.h"

const ak_kernels ak_avx2 = AK_KERNELS;
