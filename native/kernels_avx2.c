// AVX2 + FMA kernels (compiled with -mavx2 -mfma) for the x86-64 CPUs without AVX-512, most
// Intel laptops and desktops among them: the algorithms, exp/erf formulas and packed layout of
// kernels_avx512.c in 8-lane registers. There are only 16 ymm registers, so the matmul
// micro-kernel keeps a 6×16 block of C in 12 of them and walks each 32-column panel in two halves
// (each B row: two loads feeding 12 FMAs). No mask registers: tails use maskload/maskstore, and the
// full-width paths plain loads and stores (maskstore is slow on AMD).
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "kernels.h"

#define NR AK_NR
#define HR 16 /* columns per micro-kernel pass: half a panel */
#define MR 6
#define KC 256 /* a packed B block is 256·32·4 = 32 KB: stays in L1 across row blocks */
#define DIRECT_NQ 4 /* attention for at most this many query rows skips packing K and V */
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
INLINE double hsum_f64(__m256 v) { return hsum_pd(_mm256_add_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(v)), _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)))); }
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
  static const float c[] = {0.17087277f, -0.82215223f, 1.48851587f, -1.13520398f, 0.27886807f, -0.18628806f, 0.09678418f, 0.37409196f, 1.00002368f, -1.26551223f};
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
      __m256 u = _mm256_mul_ps(_mm256_set1_ps(0.7978845608028654f), _mm256_fmadd_ps(_mm256_set1_ps(0.044715f), _mm256_mul_ps(v, _mm256_mul_ps(v, v)), v));
      __m256 th = _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(vexp(_mm256_add_ps(u, u)), one)));
      return _mm256_mul_ps(_mm256_mul_ps(half, v), _mm256_add_ps(one, th));
    }
    default: return _mm256_div_ps(v, _mm256_add_ps(one, vexp(_mm256_sub_ps(_mm256_setzero_ps(), v))));
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
    for (int kk = 0; kk < k; kk++) {
      const float *s = src + (size_t)kk * ld + p * NR;
      for (int q = 0; q < NR; q += 8) _mm256_store_ps(out + (size_t)kk * NR + q, vload(s + q, w - q));
    }
  }
}

// ---- matrix multiply ----------------------------------------------------------------------

/* C[0…mr, 16 columns] (+)= A[0…mr, kc]·B[kc, one half panel] (b: rows NR apart); w: how many of
   the 16 columns exist; first: start from bias (or 0), else from C. */
INLINE void micro(const int mr, const float *a, size_t lda, const float *b, float *c, size_t ldc, int kc, int first, const float *bias, int w) {
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
static void micro_rows(int rows, const float *a, size_t lda, const float *b, float *c, size_t ldc, int kc, int first, const float *bias, int w) {
  switch (rows) { MICRO_CASE(1) MICRO_CASE(2) MICRO_CASE(3) MICRO_CASE(4) MICRO_CASE(5) }
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
    int e = last ? act : -1;
    for (int p = p0; p < p1; p++) {
      for (int h = 0; h < NR; h += HR) {
        int w = n - p * NR - h; // a half panel with no columns is skipped, not computed masked
        if (w <= 0) break;
        const float *b = bp + ((size_t)p * k + k0) * NR + h;
        const float *bb = bias ? bias + p * NR + h : NULL;
        float *cp = c + p * NR + h;
        int i = i0;
        for (; i + MR <= i1; i += MR) {
          micro(MR, a + i * lda + k0, lda, b, cp + i * ldc, ldc, kc, first, bb, w);
          if (e >= 0) act_tile(cp + i * ldc, ldc, MR, w, e);
        }
        if (i < i1) {
          micro_rows(i1 - i, a + i * lda + k0, lda, b, cp + i * ldc, ldc, kc, first, bb, w);
          if (e >= 0) act_tile(cp + i * ldc, ldc, i1 - i, w, e);
        }
      }
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
  // As in kernels_avx512.c: panels when there are enough, else blocks of rows (multiples of MR).
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
  for (size_t i = lo; i < hi; i += 8) {
    int left = hi - i < 8 ? (int)(hi - i) : 8;
    vstore(j->x + i, left, vact(vload(j->x + i, left), j->kind));
  }
}

static void ak_activate(float *x, size_t n, int kind) {
  act_job j = {x, n, kind, 16384};
  ak_parallel(act_chunk, &j, (int)((n + j.per - 1) / j.per), (double)n * (kind == 0 ? 1 : 16));
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

INLINE void norm_row(const float *x, float *out, int cols, const float *gamma, const float *beta, float eps) {
  float mean = (float)(row_sum(x, cols, 0, 0, 0) / cols);
  double var = row_sum(x, cols, 1, mean, 1) / cols;
  __m256 mv = _mm256_set1_ps(mean), iv = _mm256_set1_ps((float)(1 / sqrt(var + eps)));
  for (int c = 0; c < cols; c += 8) {
    int left = cols - c;
    __m256 y = _mm256_mul_ps(_mm256_mul_ps(_mm256_sub_ps(vload(x + c, left), mv), iv), vload(gamma + c, left));
    vstore(out + c, left, _mm256_add_ps(y, vload(beta + c, left)));
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
    for (int c = 0; c < j->cols; c += 8) {
      int left = j->cols - c;
      vstore(j->out + o + c, left, _mm256_add_ps(vload(j->x + o + c, left), vload(j->y + o + c, left)));
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

/* All ones where the mask byte is 0 (the key is visible), for the `left` bytes that exist. */
INLINE __m256 visible(const unsigned char *m, int left) {
  long long bytes = 0;
  if (left >= 8) memcpy(&bytes, m, 8);
  else memcpy(&bytes, m, (size_t)left);
  __m256i v = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(bytes));
  return _mm256_castsi256_ps(_mm256_cmpeq_epi32(v, _mm256_setzero_si256()));
}

/* Scales row i of head h's scores in place (srow: the raw dot products) → srow; masked, stable
   softmax → prow; its entropy → entropy[h, i]. */
static void softmax_row(const attn_job *j, int h, int i, float *srow, float *prow) {
  const int nq = j->nq, nk = j->nk;
  const unsigned char *mrow = j->mask ? j->mask + (size_t)i * nk : NULL;
  const __m256 sv = _mm256_set1_ps(j->scale), ninf = _mm256_set1_ps(-INFINITY), all = _mm256_castsi256_ps(_mm256_set1_epi32(-1));
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
  float rmax = hmax(mx);
  if (rmax == -INFINITY) { // every key masked: probabilities 0, entropy 0
    memset(prow, 0, (size_t)nk * 4);
    if (j->entropy) j->entropy[(size_t)h * nq + i] = 0;
    return;
  }
  // t accumulates Σ e_j·(x_j − max): with S = Σ e_j, the row's entropy −Σ p log p is log S − t/S.
  __m256 mv = _mm256_set1_ps(rmax), acc = _mm256_setzero_ps(), t = _mm256_setzero_ps();
  for (int c = 0; c < nk; c += 8) {
    int left = nk - c;
    __m256 x = vload(prow + c, left);
    __m256 fin = _mm256_cmp_ps(x, ninf, _CMP_NEQ_OQ); // e^(x−max), exactly 0 for masked keys
    if (left < 8) fin = _mm256_and_ps(fin, in_row(left));
    __m256 dx = _mm256_and_ps(fin, _mm256_sub_ps(x, mv));
    __m256 e = _mm256_and_ps(fin, vexp(dx));
    vstore(prow + c, left, e);
    acc = _mm256_add_ps(acc, e);
    t = _mm256_fmadd_ps(e, dx, t);
  }
  const double sum = hsum_f64(acc);
  if (j->entropy) {
    double ent = log(sum) - hsum_f64(t) / sum;
    j->entropy[(size_t)h * nq + i] = (float)(ent > 0 ? ent : 0);
  }
  __m256 inv = _mm256_set1_ps((float)(1 / sum));
  for (int c = 0; c < nk; c += 8) vstore(prow + c, nk - c, _mm256_mul_ps(vload(prow + c, nk - c), inv));
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
      __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
      int c = 0;
      for (; c + 8 <= dh; c += 8) {
        __m256 x = _mm256_loadu_ps(qi + c);
        a0 = _mm256_fmadd_ps(x, _mm256_loadu_ps(k0 + c), a0);
        a1 = _mm256_fmadd_ps(x, _mm256_loadu_ps(k1 + c), a1);
        a2 = _mm256_fmadd_ps(x, _mm256_loadu_ps(k2 + c), a2);
        a3 = _mm256_fmadd_ps(x, _mm256_loadu_ps(k3 + c), a3);
      }
      if (c < dh) {
        const __m256i m = lanes(dh - c);
        __m256 x = _mm256_maskload_ps(qi + c, m);
        a0 = _mm256_fmadd_ps(x, _mm256_maskload_ps(k0 + c, m), a0);
        a1 = _mm256_fmadd_ps(x, _mm256_maskload_ps(k1 + c, m), a1);
        a2 = _mm256_fmadd_ps(x, _mm256_maskload_ps(k2 + c, m), a2);
        a3 = _mm256_fmadd_ps(x, _mm256_maskload_ps(k3 + c, m), a3);
      }
      _mm_storeu_ps(srow + r, hsum4(a0, a1, a2, a3));
    }
    for (; r < nk; r++) {
      const float *kr = kh + (size_t)r * width;
      __m256 a = _mm256_setzero_ps();
      for (int c = 0; c < dh; c += 8) a = _mm256_fmadd_ps(vload(qi + c, dh - c), vload(kr + c, dh - c), a);
      srow[r] = hsum(a);
    }
    softmax_row(j, h, i, srow, prow);
    float *ci = j->ctx + (size_t)i * width + ho; // [dHead] of ctx's row i
    int c = 0;
    for (; c + 64 <= dh; c += 64) { // 64 columns: a V row's whole 256 bytes in one pass over the keys
      __m256 a[8];
      for (int t = 0; t < 8; t++) a[t] = _mm256_setzero_ps();
      for (int r = 0; r < nk; r++) {
        const float *vr = vh + (size_t)r * width + c;
        __m256 pr = _mm256_broadcast_ss(prow + r);
        for (int t = 0; t < 8; t++) a[t] = _mm256_fmadd_ps(pr, _mm256_loadu_ps(vr + 8 * t), a[t]);
      }
      for (int t = 0; t < 8; t++) _mm256_storeu_ps(ci + c + 8 * t, a[t]);
    }
    for (; c < dh; c += 32) { // the last < 64 columns
      const int left = dh - c;
      const __m256i m0 = lanes(left), m1 = lanes(left - 8), m2 = lanes(left - 16), m3 = lanes(left - 24);
      __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
      for (int r = 0; r < nk; r++) {
        const float *vr = vh + (size_t)r * width + c;
        __m256 pr = _mm256_broadcast_ss(prow + r);
        a0 = _mm256_fmadd_ps(pr, _mm256_maskload_ps(vr, m0), a0);
        a1 = _mm256_fmadd_ps(pr, _mm256_maskload_ps(vr + 8, m1), a1);
        a2 = _mm256_fmadd_ps(pr, _mm256_maskload_ps(vr + 16, m2), a2);
        a3 = _mm256_fmadd_ps(pr, _mm256_maskload_ps(vr + 24, m3), a3);
      }
      vstore(ci + c, left, a0);
      vstore(ci + c + 8, left - 8, a1);
      vstore(ci + c + 16, left - 16, a2);
      vstore(ci + c + 24, left - 24, a3);
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

const ak_kernels ak_avx2 = {ak_pack_rows, ak_gemm, ak_feed_forward, ak_matmul, ak_activate, ak_layer_norm, ak_add_norm, ak_attention};
