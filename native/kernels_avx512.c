// AVX-512 kernels (compiled with -mavx512f -mfma; addon.c calls them only after checking the
// CPU; kernels_avx2.c is the same for CPUs without it). The same algorithms and the same exp/erf
// formulas as the WASM kernels (kernels.as), in 16-lane registers with fused multiply-add: the
// matmul micro-kernel keeps a 12×32 block of C in 24 registers, so each packed B row (two loads)
// feeds 24 FMAs.
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "kernels.h"

#define NR AK_NR
#define MR 12
#define KC 256 /* a packed B block is 256·32·4 = 32 KB: stays in L1 across row blocks */
#define DIRECT_NQ 4 /* attention for at most this many query rows skips packing K and V */
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
  static const float c[] = {0.17087277f, -0.82215223f, 1.48851587f, -1.13520398f, 0.27886807f, -0.18628806f, 0.09678418f, 0.37409196f, 1.00002368f, -1.26551223f};
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
      __m512 u = _mm512_mul_ps(_mm512_set1_ps(0.7978845608028654f), _mm512_fmadd_ps(_mm512_set1_ps(0.044715f), _mm512_mul_ps(v, _mm512_mul_ps(v, v)), v));
      __m512 th = _mm512_sub_ps(one, _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(vexp(_mm512_add_ps(u, u)), one)));
      return _mm512_mul_ps(_mm512_mul_ps(half, v), _mm512_add_ps(one, th));
    }
    default: return _mm512_div_ps(v, _mm512_add_ps(one, vexp(_mm512_sub_ps(_mm512_setzero_ps(), v))));
  }
}

// ---- packing ------------------------------------------------------------------------------

/* rows of src (ld floats apart) → panels; rows ≥ n are zeros. */
static void pack_rows(const float *src, size_t ld, int n, int k, float *dst) {
  int panels = (n + NR - 1) / NR;
  for (int p = 0; p < panels; p++) {
    float *out = dst + (size_t)p * k * NR;
    for (int j = 0; j < NR; j++) {
      int r = p * NR + j;
      if (r < n) {
        const float *s = src + (size_t)r * ld;
        for (int kk = 0; kk < k; kk++) out[(size_t)kk * NR + j] = s[kk];
      } else {
        for (int kk = 0; kk < k; kk++) out[(size_t)kk * NR + j] = 0;
      }
    }
  }
}

static void ak_pack_rows(const float *w, int n, int k, float *dst) { pack_rows(w, (size_t)k, n, k, dst); }

/* columns 0…cols of src [k, ld] → panels (V of one head, B of a matmul). */
static void pack_cols(const float *src, size_t ld, int k, int cols, float *dst) {
  int panels = (cols + NR - 1) / NR;
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
INLINE void micro(const int mr, const float *a, size_t lda, const float *b, float *c, size_t ldc, int kc, int first, const float *bias, __mmask16 m0, __mmask16 m1, int act) {
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
static void micro_rows(int rows, const float *a, size_t lda, const float *b, float *c, size_t ldc, int kc, int first, const float *bias, __mmask16 m0, __mmask16 m1, int act) {
  switch (rows) {
    MICRO_CASE(1) MICRO_CASE(2) MICRO_CASE(3) MICRO_CASE(4) MICRO_CASE(5) MICRO_CASE(6)
    MICRO_CASE(7) MICRO_CASE(8) MICRO_CASE(9) MICRO_CASE(10) MICRO_CASE(11)
  }
}

/* Rows i0…i1 and panels p0…p1 of C = act(bias + A·B) over the full k. */
static void gemm_range(const float *a, size_t lda, int k, const float *bp, int n, const float *bias, float *c, size_t ldc, int i0, int i1, int p0, int p1, int act) {
  // K is blocked so that a packed B block stays in L1 for the next row block; with one row block
  // (fewer than MR rows: decoder steps) there is no next one, and one pass streams B straight through.
  const int kb = i1 - i0 <= MR ? (k > 0 ? k : 1) : KC;
  for (int k0 = 0; k0 < k || k0 == 0; k0 += kb) {
    int kc = k - k0 < kb ? k - k0 : kb;
    if (kc < 0) kc = 0;
    int first = k0 == 0, last = k0 + kb >= k;
    for (int p = p0; p < p1; p++) {
      const float *b = bp + ((size_t)p * k + k0) * NR;
      int w = n - p * NR;
      __mmask16 m0 = lanes(w), m1 = lanes(w - 16);
      const float *bb = bias ? bias + p * NR : NULL;
      float *cp = c + p * NR;
      int e = last ? act : -1;
      int i = i0;
      for (; i + MR <= i1; i += MR) micro(MR, a + i * lda + k0, lda, b, cp + i * ldc, ldc, kc, first, bb, m0, m1, e);
      if (i < i1) micro_rows(i1 - i, a + i * lda + k0, lda, b, cp + i * ldc, ldc, kc, first, bb, m0, m1, e);
    }
    if (k == 0) break;
  }
}

typedef struct {
  const float *a, *bp, *bias;
  float *c;
  size_t lda, ldc;
  int m, k, n, act, panels, per, by_panels;
} gemm_job;

static void gemm_chunk(void *ctx, int chunk) {
  gemm_job *j = ctx;
  int lo = chunk * j->per;
  if (j->by_panels) {
    int hi = lo + j->per < j->panels ? lo + j->per : j->panels;
    gemm_range(j->a, j->lda, j->k, j->bp, j->n, j->bias, j->c, j->ldc, 0, j->m, lo, hi, j->act);
  } else {
    int hi = lo + j->per < j->m ? lo + j->per : j->m;
    gemm_range(j->a, j->lda, j->k, j->bp, j->n, j->bias, j->c, j->ldc, lo, hi, 0, j->panels, j->act);
  }
}

static void gemm_strided(const float *a, size_t lda, int m, int k, const float *bp, int n, const float *bias, float *c, size_t ldc, int act) {
  if (m <= 0 || n <= 0) return;
  int nt = ak_threads();
  gemm_job j = {a, bp, bias, c, lda, ldc, m, k, n, act, (n + NR - 1) / NR, 0, 0};
  // Split the output columns when there are enough panels (wide layers, one-row decoder
  // steps), else blocks of rows (multiples of MR). About 4 chunks per thread evens out the load.
  if (j.panels >= 4 * nt || m < 2 * MR * nt) {
    j.by_panels = 1;
    j.per = (j.panels + 4 * nt - 1) / (4 * nt);
    if (j.per < 1) j.per = 1;
    ak_parallel(gemm_chunk, &j, (j.panels + j.per - 1) / j.per, (double)m * n * k);
  } else {
    j.per = ((m + 4 * nt - 1) / (4 * nt) + MR - 1) / MR * MR;
    ak_parallel(gemm_chunk, &j, (m + j.per - 1) / j.per, (double)m * n * k);
  }
}

static void ak_gemm(const float *a, int lda, int m, int k, const float *bp, int n, const float *bias, float *c, int ldc, int act) {
  gemm_strided(a, (size_t)lda, m, k, bp, n, bias, c, (size_t)ldc, act);
}

// ---- scratch ------------------------------------------------------------------------------

/* Per-thread reusable 64-byte-aligned scratch (pool threads live as long as the process). */
static float *scratch(int slot, size_t floats) {
  static __thread float *buf[3];
  static __thread size_t cap[3];
  if (cap[slot] < floats) {
    free(buf[slot]);
    size_t bytes = (floats * 4 + 63) & ~(size_t)63;
    buf[slot] = aligned_alloc(64, bytes);
    cap[slot] = buf[slot] ? floats : 0;
  }
  return buf[slot];
}

static void ak_feed_forward(const float *x, int m, int d, const float *p1, int hidden, const float *b1, const float *p2, int n, const float *b2, int act, float *out) {
  float *h = scratch(0, (size_t)m * hidden); // [m, hidden]
  if (!h) return;
  gemm_strided(x, (size_t)d, m, d, p1, hidden, b1, h, (size_t)hidden, act);
  gemm_strided(h, (size_t)hidden, m, hidden, p2, n, b2, out, (size_t)n, -1);
}

static void ak_matmul(const float *a, int m, int k, const float *b, int n, float *c) {
  float *bp = scratch(1, ak_packed_floats(n, k));
  if (!bp) return;
  pack_cols(b, (size_t)n, k, n, bp);
  gemm_strided(a, (size_t)k, m, k, bp, n, NULL, c, (size_t)n, -1);
}

// ---- elementwise, layer norm, Add & Norm ----------------------------------------------------

typedef struct { float *x; size_t n; int kind; size_t per; } act_job;

static void act_chunk(void *ctx, int chunk) {
  act_job *j = ctx;
  size_t lo = (size_t)chunk * j->per, hi = lo + j->per < j->n ? lo + j->per : j->n;
  for (size_t i = lo; i < hi; i += 16) {
    __mmask16 m = lanes((int)(hi - i < 16 ? hi - i : 16));
    _mm512_mask_storeu_ps(j->x + i, m, vact(_mm512_maskz_loadu_ps(m, j->x + i), j->kind));
  }
}

static void ak_activate(float *x, size_t n, int kind) {
  act_job j = {x, n, kind, 16384};
  ak_parallel(act_chunk, &j, (int)((n + j.per - 1) / j.per), (double)n * (kind == 0 ? 1 : 16));
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

INLINE void norm_row(const float *x, float *out, int cols, const float *gamma, const float *beta, float eps) {
  float mean = (float)(row_sum(x, cols, 0, 0, 0) / cols);
  double var = row_sum(x, cols, 1, mean, 1) / cols;
  __m512 mv = _mm512_set1_ps(mean), iv = _mm512_set1_ps((float)(1 / sqrt(var + eps)));
  for (int c = 0; c < cols; c += 16) {
    __mmask16 m = lanes(cols - c);
    __m512 y = _mm512_mul_ps(_mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + c), mv), iv), _mm512_maskz_loadu_ps(m, gamma + c));
    _mm512_mask_storeu_ps(out + c, m, _mm512_add_ps(y, _mm512_maskz_loadu_ps(m, beta + c)));
  }
}

typedef struct {
  const float *x, *y, *gamma, *beta;
  float *out, *norms;
  int rows, cols, per;
  float eps;
} rows_job;

static void layer_norm_chunk(void *ctx, int chunk) {
  rows_job *j = ctx;
  int hi = (chunk + 1) * j->per < j->rows ? (chunk + 1) * j->per : j->rows;
  for (int r = chunk * j->per; r < hi; r++) norm_row(j->x + (size_t)r * j->cols, j->out + (size_t)r * j->cols, j->cols, j->gamma, j->beta, j->eps);
}

static int rows_per_chunk(int rows) { int per = (rows + 7) / 8; return per < 1 ? 1 : per; }

static void ak_layer_norm(const float *x, int rows, int cols, const float *gamma, const float *beta, float eps, float *out) {
  rows_job j = {x, NULL, gamma, beta, out, NULL, rows, cols, rows_per_chunk(rows), eps};
  ak_parallel(layer_norm_chunk, &j, (rows + j.per - 1) / j.per, (double)rows * cols * 8);
}

static void add_norm_chunk(void *ctx, int chunk) {
  rows_job *j = ctx;
  int hi = (chunk + 1) * j->per < j->rows ? (chunk + 1) * j->per : j->rows;
  for (int r = chunk * j->per; r < hi; r++) {
    size_t o = (size_t)r * j->cols;
    for (int c = 0; c < j->cols; c += 16) {
      __mmask16 m = lanes(j->cols - c);
      _mm512_mask_storeu_ps(j->out + o + c, m, _mm512_add_ps(_mm512_maskz_loadu_ps(m, j->x + o + c), _mm512_maskz_loadu_ps(m, j->y + o + c)));
    }
    if (j->gamma) norm_row(j->out + o, j->out + o, j->cols, j->gamma, j->beta, j->eps);
    if (j->norms) {
      j->norms[r] = (float)sqrt(row_sum(j->x + o, j->cols, 0, 0, 1));
      j->norms[j->rows + r] = (float)sqrt(row_sum(j->y + o, j->cols, 0, 0, 1));
      j->norms[2 * j->rows + r] = (float)sqrt(row_sum(j->out + o, j->cols, 0, 0, 1));
    }
  }
}

static void ak_add_norm(const float *x, const float *y, int rows, int cols, const float *gamma, const float *beta, float eps, float *out, float *norms) {
  rows_job j = {x, y, gamma, beta, out, norms, rows, cols, rows_per_chunk(rows), eps};
  ak_parallel(add_norm_chunk, &j, (rows + j.per - 1) / j.per, (double)rows * cols * 12);
}

// ---- attention ----------------------------------------------------------------------------

typedef struct {
  const float *q, *k, *v;
  const unsigned char *mask;
  float *scores, *probs, *ctx, *entropy;
  int nq, nk, heads, dHead;
  float scale;
} attn_job;

/* Scales row i of head h's scores in place (srow: the raw dot products) → srow; masked, stable
   softmax → prow; its entropy → entropy[h, i]. */
static void softmax_row(const attn_job *j, int h, int i, float *srow, float *prow) {
  const int nq = j->nq, nk = j->nk;
  const unsigned char *mrow = j->mask ? j->mask + (size_t)i * nk : NULL;
  const __m512 sv = _mm512_set1_ps(j->scale), ninf = _mm512_set1_ps(-INFINITY);
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
  float rmax = _mm512_reduce_max_ps(mx);
  if (rmax == -INFINITY) {
    memset(prow, 0, (size_t)nk * 4);
    if (j->entropy) j->entropy[(size_t)h * nq + i] = 0;
    return;
  }
  // t accumulates Σ e_j·(x_j − max): with S = Σ e_j, the row's entropy −Σ p log p is log S − t/S,
  // so the inspector's per-head entropy costs no logarithm per cell.
  __m512 mv = _mm512_set1_ps(rmax), acc = _mm512_setzero_ps(), t = _mm512_setzero_ps();
  for (int c = 0; c < nk; c += 16) {
    __mmask16 m = lanes(nk - c);
    __m512 x = _mm512_maskz_loadu_ps(m, prow + c);
    __mmask16 fin = _mm512_cmp_ps_mask(x, ninf, _CMP_NEQ_OQ) & m; // e^(x−max), exactly 0 for masked keys
    __m512 dx = _mm512_maskz_sub_ps(fin, x, mv);
    __m512 e = _mm512_maskz_mov_ps(fin, vexp(dx));
    _mm512_mask_storeu_ps(prow + c, m, e);
    acc = _mm512_add_ps(acc, e);
    t = _mm512_fmadd_ps(e, dx, t);
  }
  __m512d a0 = _mm512_cvtps_pd(_mm512_castps512_ps256(acc));
  __m512d a1 = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(acc), 1)));
  const double sum = _mm512_reduce_add_pd(_mm512_add_pd(a0, a1));
  if (j->entropy) {
    __m512d t0 = _mm512_cvtps_pd(_mm512_castps512_ps256(t));
    __m512d t1 = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(t), 1)));
    double ent = log(sum) - _mm512_reduce_add_pd(_mm512_add_pd(t0, t1)) / sum;
    j->entropy[(size_t)h * nq + i] = (float)(ent > 0 ? ent : 0);
  }
  __m512 inv = _mm512_set1_ps((float)(1 / sum));
  for (int c = 0; c < nk; c += 16) {
    __mmask16 m = lanes(nk - c);
    _mm512_mask_storeu_ps(prow + c, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, prow + c), inv));
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

/* One head for a few query rows (decoder steps): each score a dot product of Q's and K's rows and
   the context Σ_j p_j·V_j, straight from K and V. Packing K (a scalar transpose) and V costs more
   than this arithmetic when few rows reuse the panels. */
static void attention_head_rows(const attn_job *j, int h) {
  const int nq = j->nq, nk = j->nk, dh = j->dHead;
  const size_t width = (size_t)j->heads * dh, ho = (size_t)h * dh;
  const float *kh = j->k + ho, *vh = j->v + ho;
  for (int i = 0; i < nq; i++) {
    const float *qi = j->q + (size_t)i * width + ho;
    float *srow = j->scores + ((size_t)h * nq + i) * nk, *prow = j->probs + ((size_t)h * nq + i) * nk;
    int r = 0;
    for (; r + 4 <= nk; r += 4) { // four keys at a time: independent FMA chains, one reduction
      const float *k0 = kh + (size_t)r * width, *k1 = k0 + width, *k2 = k1 + width, *k3 = k2 + width;
      __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
      for (int c = 0; c < dh; c += 16) {
        __mmask16 m = lanes(dh - c);
        __m512 x = _mm512_maskz_loadu_ps(m, qi + c);
        a0 = _mm512_fmadd_ps(x, _mm512_maskz_loadu_ps(m, k0 + c), a0);
        a1 = _mm512_fmadd_ps(x, _mm512_maskz_loadu_ps(m, k1 + c), a1);
        a2 = _mm512_fmadd_ps(x, _mm512_maskz_loadu_ps(m, k2 + c), a2);
        a3 = _mm512_fmadd_ps(x, _mm512_maskz_loadu_ps(m, k3 + c), a3);
      }
      _mm_storeu_ps(srow + r, hsum4(a0, a1, a2, a3));
    }
    for (; r < nk; r++) {
      const float *kr = kh + (size_t)r * width;
      __m512 a = _mm512_setzero_ps();
      for (int c = 0; c < dh; c += 16) {
        __mmask16 m = lanes(dh - c);
        a = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, qi + c), _mm512_maskz_loadu_ps(m, kr + c), a);
      }
      srow[r] = _mm512_reduce_add_ps(a);
    }
    softmax_row(j, h, i, srow, prow);
    float *ci = j->ctx + (size_t)i * width + ho; // [dHead] of ctx's row i
    for (int c = 0; c < dh; c += 64) {
      __mmask16 m0 = lanes(dh - c), m1 = lanes(dh - c - 16), m2 = lanes(dh - c - 32), m3 = lanes(dh - c - 48);
      __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
      for (int r = 0; r < nk; r++) {
        const float *vr = vh + (size_t)r * width + c;
        __m512 pr = _mm512_set1_ps(prow[r]);
        a0 = _mm512_fmadd_ps(pr, _mm512_maskz_loadu_ps(m0, vr), a0);
        a1 = _mm512_fmadd_ps(pr, _mm512_maskz_loadu_ps(m1, vr + 16), a1);
        a2 = _mm512_fmadd_ps(pr, _mm512_maskz_loadu_ps(m2, vr + 32), a2);
        a3 = _mm512_fmadd_ps(pr, _mm512_maskz_loadu_ps(m3, vr + 48), a3);
      }
      _mm512_mask_storeu_ps(ci + c, m0, a0);
      _mm512_mask_storeu_ps(ci + c + 16, m1, a1);
      _mm512_mask_storeu_ps(ci + c + 32, m2, a2);
      _mm512_mask_storeu_ps(ci + c + 48, m3, a3);
    }
  }
}

/* One head: S = Q_h·K_hᵀ·scale → scores; masked, stable softmax → probs; P·V_h → ctx's columns. */
static void attention_head(void *ctx, int h) {
  attn_job *j = ctx;
  const int nq = j->nq, nk = j->nk, dh = j->dHead;
  if (nq <= DIRECT_NQ) {
    attention_head_rows(j, h);
    return;
  }
  const size_t width = (size_t)j->heads * dh, ho = (size_t)h * dh;
  float *kp = scratch(1, ak_packed_floats(nk, dh));
  float *vp = scratch(2, ak_packed_floats(dh, nk));
  if (!kp || !vp) return;
  float *s = j->scores + (size_t)h * nq * nk, *p = j->probs + (size_t)h * nq * nk;
  pack_rows(j->k + ho, width, nk, dh, kp);
  gemm_range(j->q + ho, width, dh, kp, nk, NULL, s, (size_t)nk, 0, nq, 0, (nk + NR - 1) / NR, -1); // [nq, nk]
  for (int i = 0; i < nq; i++) softmax_row(j, h, i, s + (size_t)i * nk, p + (size_t)i * nk);
  pack_cols(j->v + ho, width, nk, dh, vp);
  gemm_range(p, (size_t)nk, nk, vp, dh, NULL, j->ctx + ho, width, 0, nq, 0, (dh + NR - 1) / NR, -1); // [nq, dHead]
}

static void ak_attention(const float *q, const float *k, const float *v, int nq, int nk, int heads, int dHead, const unsigned char *mask, float scale, float *scores, float *probs, float *ctx, float *entropy) {
  attn_job j = {q, k, v, mask, scores, probs, ctx, entropy, nq, nk, heads, dHead, scale};
  ak_parallel(attention_head, &j, heads, (double)heads * nq * nk * dHead * 2);
}

const ak_kernels ak_avx512 = {ak_pack_rows, ak_gemm, ak_feed_forward, ak_matmul, ak_activate, ak_layer_norm, ak_add_norm, ak_attention};
