// AVX-512 kernels (compiled with -mavx512f -mfma; addon.c calls them only after checking the
// CPU; kernels_avx2.c is the same for CPUs without it). The same algorithms and the same exp/erf
// formulas as the WASM kernels (kernels.as), in 16-lane registers with fused multiply-add: the
// matmul micro-kernel keeps a 12×32 block of C in 24 registers, so each packed B row (two loads)
// feeds 24 FMAs. Here only the vector loops; kernels_common.h (included at the end) drives them.
#include <immintrin.h>
#include <math.h>
#include <string.h>
#include "kernels.h"

#define NR AK_NR
#define MR 12
#define INLINE static inline __attribute__((always_inline))

INLINE __mmask16 lanes(int w) { return w <= 0 ? 0 : w >= 16 ? 0xFFFF : (__mmask16)((1u << w) - 1); }

// ---- exp, erf, activations ----------------------------------------------------------------

INLINE __m512 vexp(__m512 x) {
  // Cephes expf, as vexp in kernels.as: x = n·ln2 + r, e^r by a degree-6 polynomial, 2^n by exponent bits.
  x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.33654f)), _mm512_set1_ps(88.37626f));
  __m512 fx = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  x = _mm512_sub_ps(x, _mm512_mul_ps(fx, _mm512_set1_ps(0.693359375f)));
  x = _mm512_sub_ps(x, _mm512_mul_ps(fx, _mm512_set1_ps(-2.12194440e-4f)));
  __m512 y = _mm512_set1_ps(1.9875691500e-4f);
  y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(1.3981999507e-3f));
  y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(8.3334519073e-3f));
  y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(4.1665795894e-2f));
  y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(1.6666665459e-1f));
  y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(5.0000001201e-1f));
  y = _mm512_add_ps(_mm512_fmadd_ps(_mm512_mul_ps(y, x), x, x), _mm512_set1_ps(1.0f));
  __m512i n = _mm512_cvttps_epi32(fx);
  return _mm512_mul_ps(y, _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(n, _mm512_set1_epi32(127)), 23)));
}

INLINE __m512 verf(__m512 x) {
  // Numerical Recipes' erfc (|error| < 1.2e-7), the reference erf()'s formula.
  __m512 z = _mm512_abs_ps(x);
  __m512 t = _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_fmadd_ps(_mm512_set1_ps(0.5f), z, _mm512_set1_ps(1.0f)));
  static const float c[] = {0.17087277f,  -0.82215223f, 1.48851587f, -1.13520398f, 0.27886807f,
                            -0.18628806f, 0.09678418f,  0.37409196f, 1.00002368f,  -1.26551223f};
  __m512 p = _mm512_set1_ps(c[0]);
  for (int i = 1; i < 10; i++) p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(c[i]));
  p = _mm512_sub_ps(p, _mm512_mul_ps(z, z));
  __m512 r = _mm512_mul_ps(t, vexp(p));
  __m512 pos = _mm512_sub_ps(_mm512_set1_ps(1.0f), r);
  __mmask16 neg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
  return _mm512_mask_sub_ps(pos, neg, _mm512_setzero_ps(), pos);
}

INLINE __m512 vact(__m512 v, int kind) {
  const __m512 half = _mm512_set1_ps(0.5f), one = _mm512_set1_ps(1.0f);
  switch (kind) {
    case 0: return _mm512_max_ps(v, _mm512_setzero_ps());
    case 1: return _mm512_mul_ps(_mm512_mul_ps(half, v), _mm512_add_ps(one, verf(_mm512_mul_ps(v, _mm512_set1_ps(0.7071067811865476f)))));
    case 2: {
      // tanh(u) = 1 − 2/(e^{2u} + 1)
      __m512 u = _mm512_mul_ps(_mm512_set1_ps(0.7978845608028654f),
                               _mm512_fmadd_ps(_mm512_set1_ps(0.044715f), _mm512_mul_ps(v, _mm512_mul_ps(v, v)), v));
      __m512 th = _mm512_sub_ps(one, _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(vexp(_mm512_add_ps(u, u)), one)));
      return _mm512_mul_ps(_mm512_mul_ps(half, v), _mm512_add_ps(one, th));
    }
    default: return _mm512_div_ps(v, _mm512_add_ps(one, vexp(_mm512_sub_ps(_mm512_setzero_ps(), v))));
  }
}

// ---- packing ------------------------------------------------------------------------------

/* columns 0…cols of src [k, ld] → panels (V of one head, B of a matmul). */
static void pack_cols(const float *src, size_t ld, int k, int cols, float *dst) {
  int panels = ak_ceil_div(cols, NR);
  for (int p = 0; p < panels; p++) {
    float *out = dst + (size_t)p * k * NR;
    int w = cols - p * NR;
    __mmask16 m0 = lanes(w), m1 = lanes(w - 16);
    for (int kk = 0; kk < k; kk++) {
      const float *s = src + (size_t)kk * ld + p * NR;
      _mm512_store_ps(out + (size_t)kk * NR, _mm512_maskz_loadu_ps(m0, s));
      _mm512_store_ps(out + (size_t)kk * NR + 16, _mm512_maskz_loadu_ps(m1, s + 16));
    }
  }
}

// ---- matrix multiply ----------------------------------------------------------------------

/* C[0…mr, one panel] (+)= A[0…mr, kc]·B[kc, 32]; first: start from bias (or 0), else from C. */
INLINE void micro(const int mr, const float *a, size_t lda, const float *b, float *c, size_t ldc, int kc, int first, const float *bias,
                  __mmask16 m0, __mmask16 m1, int act) {
  __m512 c0[MR], c1[MR];
  if (first) {
    __m512 b0 = bias ? _mm512_maskz_loadu_ps(m0, bias) : _mm512_setzero_ps();
    __m512 b1 = bias ? _mm512_maskz_loadu_ps(m1, bias + 16) : _mm512_setzero_ps();
    for (int i = 0; i < mr; i++) c0[i] = b0, c1[i] = b1;
  } else {
    for (int i = 0; i < mr; i++) {
      c0[i] = _mm512_maskz_loadu_ps(m0, c + i * ldc);
      c1[i] = _mm512_maskz_loadu_ps(m1, c + i * ldc + 16);
    }
  }
  for (int kk = 0; kk < kc; kk++) {
    __m512 b0 = _mm512_load_ps(b + (size_t)kk * NR), b1 = _mm512_load_ps(b + (size_t)kk * NR + 16);
    for (int i = 0; i < mr; i++) {
      __m512 av = _mm512_set1_ps(a[i * lda + kk]);
      c0[i] = _mm512_fmadd_ps(av, b0, c0[i]);
      c1[i] = _mm512_fmadd_ps(av, b1, c1[i]);
    }
  }
  if (act >= 0) {
    for (int i = 0; i < mr; i++) c0[i] = vact(c0[i], act), c1[i] = vact(c1[i], act);
  }
  for (int i = 0; i < mr; i++) {
    _mm512_mask_storeu_ps(c + i * ldc, m0, c0[i]);
    _mm512_mask_storeu_ps(c + i * ldc + 16, m1, c1[i]);
  }
}

#define MICRO_CASE(R) case R: micro(R, a, lda, b, c, ldc, kc, first, bias, m0, m1, act); break;
static void micro_rows(int rows, const float *a, size_t lda, const float *b, float *c, size_t ldc, int kc, int first, const float *bias,
                       __mmask16 m0, __mmask16 m1, int act) {
  switch (rows) {
    MICRO_CASE(1) MICRO_CASE(2) MICRO_CASE(3) MICRO_CASE(4) MICRO_CASE(5) MICRO_CASE(6)
    MICRO_CASE(7) MICRO_CASE(8) MICRO_CASE(9) MICRO_CASE(10) MICRO_CASE(11)
  }
}

/* Rows i0…i1 of one panel of C (w of its columns exist) for one K block (a, b: at its start):
   first: start from bias (or 0), else from C; act ≥ 0 after the last block. */
INLINE void gemm_panel(const float *a, size_t lda, const float *b, int w, const float *bias, float *c, size_t ldc, int i0, int i1, int kc,
                       int first, int act) {
  __mmask16 m0 = lanes(w), m1 = lanes(w - 16);
  int i = i0;
  for (; i + MR <= i1; i += MR) micro(MR, a + i * lda, lda, b, c + i * ldc, ldc, kc, first, bias, m0, m1, act);
  if (i < i1) micro_rows(i1 - i, a + i * lda, lda, b, c + i * ldc, ldc, kc, first, bias, m0, m1, act);
}

// ---- elementwise, layer norm, Add & Norm ----------------------------------------------------

INLINE void act_range(float *x, size_t lo, size_t hi, int kind) {
  for (size_t i = lo; i < hi; i += 16) {
    __mmask16 m = lanes((int)(hi - i < 16 ? hi - i : 16));
    _mm512_mask_storeu_ps(x + i, m, vact(_mm512_maskz_loadu_ps(m, x + i), kind));
  }
}

/* Σ over a row in f64 (as the reference), of x or of (x − mean)². */
INLINE double row_sum(const float *x, int cols, int centred, float mean, int squares) {
  __m512d acc0 = _mm512_setzero_pd(), acc1 = _mm512_setzero_pd();
  __m512 mv = _mm512_set1_ps(mean);
  for (int c = 0; c < cols; c += 16) {
    __mmask16 m = lanes(cols - c);
    __m512 v = _mm512_maskz_loadu_ps(m, x + c);
    if (centred) v = _mm512_maskz_sub_ps(m, v, mv);
    __m512d lo = _mm512_cvtps_pd(_mm512_castps512_ps256(v));
    __m512d hi = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
    if (squares) {
      acc0 = _mm512_fmadd_pd(lo, lo, acc0);
      acc1 = _mm512_fmadd_pd(hi, hi, acc1);
    } else {
      acc0 = _mm512_add_pd(acc0, lo);
      acc1 = _mm512_add_pd(acc1, hi);
    }
  }
  return _mm512_reduce_add_pd(_mm512_add_pd(acc0, acc1));
}

/* out = (x − mean)·inv·gamma + beta */
INLINE void norm_apply(const float *x, float *out, int cols, float mean, float inv, const float *gamma, const float *beta) {
  __m512 mv = _mm512_set1_ps(mean), iv = _mm512_set1_ps(inv);
  for (int c = 0; c < cols; c += 16) {
    __mmask16 m = lanes(cols - c);
    __m512 y = _mm512_mul_ps(_mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + c), mv), iv), _mm512_maskz_loadu_ps(m, gamma + c));
    _mm512_mask_storeu_ps(out + c, m, _mm512_add_ps(y, _mm512_maskz_loadu_ps(m, beta + c)));
  }
}

INLINE void add_row(const float *x, const float *y, float *out, int cols) {
  for (int c = 0; c < cols; c += 16) {
    __mmask16 m = lanes(cols - c);
    _mm512_mask_storeu_ps(out + c, m, _mm512_add_ps(_mm512_maskz_loadu_ps(m, x + c), _mm512_maskz_loadu_ps(m, y + c)));
  }
}

// ---- attention ----------------------------------------------------------------------------

/* srow ·= scale; prow = srow with the masked keys (mrow[c] ≠ 0) −∞; returns prow's max. */
INLINE float softmax_scale_mask(float *srow, float *prow, int nk, const unsigned char *mrow, float scale) {
  const __m512 sv = _mm512_set1_ps(scale), ninf = _mm512_set1_ps(-INFINITY);
  __m512 mx = ninf;
  for (int c = 0; c < nk; c += 16) {
    __mmask16 m = lanes(nk - c);
    __m512 x = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, srow + c), sv);
    _mm512_mask_storeu_ps(srow + c, m, x);
    __mmask16 vis = m;
    if (mrow) vis &= _mm512_cmpeq_epi32_mask(_mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m, mrow + c)), _mm512_setzero_si512());
    x = _mm512_mask_blend_ps(vis, ninf, x);
    _mm512_mask_storeu_ps(prow + c, m, x);
    mx = _mm512_max_ps(mx, x);
  }
  return _mm512_reduce_max_ps(mx);
}

/* prow = e^(x − max); returns Σ e in f64 and, when t ≠ NULL, Σ e·(x − max) in *t. */
INLINE double softmax_exp(float *prow, int nk, float rmax, double *t) {
  const __m512 ninf = _mm512_set1_ps(-INFINITY);
  __m512 mv = _mm512_set1_ps(rmax), acc = _mm512_setzero_ps(), tv = _mm512_setzero_ps();
  for (int c = 0; c < nk; c += 16) {
    __mmask16 m = lanes(nk - c);
    __m512 x = _mm512_maskz_loadu_ps(m, prow + c);
    __mmask16 fin = _mm512_cmp_ps_mask(x, ninf, _CMP_NEQ_OQ) & m; // e^(x−max), exactly 0 for masked keys
    __m512 dx = _mm512_maskz_sub_ps(fin, x, mv);
    __m512 e = _mm512_maskz_mov_ps(fin, vexp(dx));
    _mm512_mask_storeu_ps(prow + c, m, e);
    acc = _mm512_add_ps(acc, e);
    tv = _mm512_fmadd_ps(e, dx, tv);
  }
  __m512d a0 = _mm512_cvtps_pd(_mm512_castps512_ps256(acc));
  __m512d a1 = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(acc), 1)));
  const double sum = _mm512_reduce_add_pd(_mm512_add_pd(a0, a1));
  if (t) {
    __m512d t0 = _mm512_cvtps_pd(_mm512_castps512_ps256(tv));
    __m512d t1 = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(tv), 1)));
    *t = _mm512_reduce_add_pd(_mm512_add_pd(t0, t1));
  }
  return sum;
}

INLINE void scale_row(float *x, int n, float s) {
  __m512 inv = _mm512_set1_ps(s);
  for (int c = 0; c < n; c += 16) {
    __mmask16 m = lanes(n - c);
    _mm512_mask_storeu_ps(x + c, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + c), inv));
  }
}

/* [Σ a0, Σ a1, Σ a2, Σ a3] */
INLINE __m128 hsum4(__m512 a0, __m512 a1, __m512 a2, __m512 a3) {
  __m256 b0 = _mm256_add_ps(_mm512_castps512_ps256(a0), _mm512_extractf32x8_ps(a0, 1));
  __m256 b1 = _mm256_add_ps(_mm512_castps512_ps256(a1), _mm512_extractf32x8_ps(a1, 1));
  __m256 b2 = _mm256_add_ps(_mm512_castps512_ps256(a2), _mm512_extractf32x8_ps(a2, 1));
  __m256 b3 = _mm256_add_ps(_mm512_castps512_ps256(a3), _mm512_extractf32x8_ps(a3, 1));
  __m256 s = _mm256_hadd_ps(_mm256_hadd_ps(b0, b1), _mm256_hadd_ps(b2, b3));
  return _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
}

/* out[0…4) = q·k_r for the 4 rows k_r of k (ld floats apart, n each): independent FMA chains, one reduction. */
INLINE void dot4(const float *q, const float *k, size_t ld, int n, float *out) {
  const float *k0 = k, *k1 = k0 + ld, *k2 = k1 + ld, *k3 = k2 + ld;
  __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  for (int c = 0; c < n; c += 16) {
    __mmask16 m = lanes(n - c);
    __m512 x = _mm512_maskz_loadu_ps(m, q + c);
    a0 = _mm512_fmadd_ps(x, _mm512_maskz_loadu_ps(m, k0 + c), a0);
    a1 = _mm512_fmadd_ps(x, _mm512_maskz_loadu_ps(m, k1 + c), a1);
    a2 = _mm512_fmadd_ps(x, _mm512_maskz_loadu_ps(m, k2 + c), a2);
    a3 = _mm512_fmadd_ps(x, _mm512_maskz_loadu_ps(m, k3 + c), a3);
  }
  _mm_storeu_ps(out, hsum4(a0, a1, a2, a3));
}

INLINE float dot1(const float *q, const float *k, int n) {
  __m512 a = _mm512_setzero_ps();
  for (int c = 0; c < n; c += 16) {
    __mmask16 m = lanes(n - c);
    a = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, q + c), _mm512_maskz_loadu_ps(m, k + c), a);
  }
  return _mm512_reduce_add_ps(a);
}

/* out[0…n) = Σ_r p[r]·v[r·ld + 0…n), r < nk */
INLINE void weighted_rows(const float *p, int nk, const float *v, size_t ld, int n, float *out) {
  for (int c = 0; c < n; c += 64) {
    __mmask16 m0 = lanes(n - c), m1 = lanes(n - c - 16), m2 = lanes(n - c - 32), m3 = lanes(n - c - 48);
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (int r = 0; r < nk; r++) {
      const float *vr = v + (size_t)r * ld + c;
      __m512 pr = _mm512_set1_ps(p[r]);
      a0 = _mm512_fmadd_ps(pr, _mm512_maskz_loadu_ps(m0, vr), a0);
      a1 = _mm512_fmadd_ps(pr, _mm512_maskz_loadu_ps(m1, vr + 16), a1);
      a2 = _mm512_fmadd_ps(pr, _mm512_maskz_loadu_ps(m2, vr + 32), a2);
      a3 = _mm512_fmadd_ps(pr, _mm512_maskz_loadu_ps(m3, vr + 48), a3);
    }
    _mm512_mask_storeu_ps(out + c, m0, a0);
    _mm512_mask_storeu_ps(out + c + 16, m1, a1);
    _mm512_mask_storeu_ps(out + c + 32, m2, a2);
    _mm512_mask_storeu_ps(out + c + 48, m3, a3);
  }
}

// ---- half-precision weight panels -----------------------------------------------------------

/* 16×16 transpose in registers: afterwards r[x] holds what was column x (r[0][x], r[1][x], …). */
INLINE void transpose16(__m512 r[16]) {
  __m512 t[16];
  for (int i = 0; i < 8; i++) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 4; i++) {
    __m512d a = _mm512_castps_pd(t[4 * i]), b = _mm512_castps_pd(t[4 * i + 1]);
    __m512d c = _mm512_castps_pd(t[4 * i + 2]), d = _mm512_castps_pd(t[4 * i + 3]);
    r[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
    r[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
    r[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
    r[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
  }
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 4; j++) {
      t[8 * i + j] = _mm512_shuffle_f32x4(r[8 * i + j], r[8 * i + j + 4], 0x88);
      t[8 * i + j + 4] = _mm512_shuffle_f32x4(r[8 * i + j], r[8 * i + j + 4], 0xdd);
    }
  for (int j = 0; j < 8; j++) r[j] = _mm512_shuffle_f32x4(t[j], t[j + 8], 0x88), r[j + 8] = _mm512_shuffle_f32x4(t[j], t[j + 8], 0xdd);
}

/* Panel p of 16-bit W [n, k] → float32 panel layout (see pack_half_panel in kernels_common.h): blocks
   of 16 rows × 16 columns are loaded contiguously, widened (exactly) and transposed in registers.
   Rows ≥ n are zeros; the last block of an odd-sized k is loaded and stored masked. */
#define HAVE_PACK_HALF_ISA 1
static void pack_half_panel_isa(const unsigned short *w, int bf16, int n, int k, int p, float *dst) {
  size_t r0 = (size_t)p * NR;
  int rows = (size_t)n - r0 < (size_t)NR ? (int)((size_t)n - r0) : NR;
  for (int kk = 0; kk < k; kk += 16) {
    int cols = k - kk < 16 ? k - kk : 16;
    __mmask16 cm = lanes(cols);
    for (int h = 0; h < 2; h++) {
      __m512 r[16];
      for (int i = 0; i < 16; i++) {
        int j = h * 16 + i;
        if (j >= rows) { r[i] = _mm512_setzero_ps(); continue; }
        __m256i v = _mm256_maskz_loadu_epi16(cm, w + (r0 + j) * (size_t)k + kk);
        r[i] = bf16 ? _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(v), 16)) : _mm512_cvtph_ps(v);
      }
      transpose16(r);
      for (int x = 0; x < cols; x++) _mm512_store_ps(dst + (size_t)(kk + x) * NR + h * 16, r[x]);
    }
  }
}

#include "kernels_common.h"

const ak_kernels ak_avx512 = AK_KERNELS;
