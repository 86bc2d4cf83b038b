// The ISA-independent half of the native kernels, written once: how work is blocked, split over
// threads and strung together (GEMM's K blocks and panels, feed-forward, layer norm and Add & Norm
// rows, softmax's fully masked rows and entropy, attention per head). kernels_avx512.c and
// kernels_avx2.c each include it at their end, so it compiles once per ISA around that unit's
// vector loops; everything here is static, as both units link into one module. Before including
// it a unit defines NR (= AK_NR), MR (rows per micro-kernel call), INLINE and the vector parts:
//   pack_cols; gemm_panel (one panel's row blocks for one K block); act_range; row_sum, norm_apply,
//   add_row; softmax_scale_mask, softmax_exp, scale_row (softmax's passes); dot4, dot1, weighted_rows.
// After it, only its table: const ak_kernels ak_<isa> = AK_KERNELS;
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "kernels.h"

#define KC 256 /* a packed B block is 256·32·4 = 32 KB: stays in L1 across row blocks */
#define DIRECT_NQ 4 /* attention for at most this many query rows skips packing K and V */

// ---- packing ------------------------------------------------------------------------------

/* rows of src (ld floats apart) → panels; rows ≥ n are zeros. */
static void pack_rows(const float *src, size_t ld, int n, int k, float *dst) {
  int panels = ak_ceil_div(n, NR);
  for (int p = 0; p < panels; p++) {
    float *out = dst + (size_t)p * k * NR;
    for (int j = 0; j < NR; j++) {
      size_t r = (size_t)p * NR + j; // the last panel's padding rows pass INT32_MAX when n is near it
      if (r < (size_t)n) {
        const float *s = src + (size_t)r * ld;
        for (int kk = 0; kk < k; kk++) out[(size_t)kk * NR + j] = s[kk];
      } else {
        for (int kk = 0; kk < k; kk++) out[(size_t)kk * NR + j] = 0;
      }
    }
  }
}

static void ak_pack_rows(const float *w, int n, int k, float *dst) { pack_rows(w, (size_t)k, n, k, dst); }

// ---- matrix multiply ----------------------------------------------------------------------

/* Rows i0…i1 and panels p0…p1 of C = act(bias + A·B) over the full k. */
static void gemm_range(const float *a, size_t lda, int k, const float *bp, int n, const float *bias, float *c, size_t ldc, int i0, int i1,
                       int p0, int p1, int act) {
  // K is blocked so that a packed B block stays in L1 for the next row block; with one row block
  // (fewer than MR rows: decoder steps) there is no next one, and one pass streams B straight through.
  const int kb = i1 - i0 <= MR ? (k > 0 ? k : 1) : KC;
  for (int k0 = 0; k0 < k || k0 == 0; k0 += kb) {
    int kc = k - k0 < kb ? k - k0 : kb;
    if (kc < 0) kc = 0;
    int first = k0 == 0, last = k0 + kb >= k;
    int e = last ? act : -1;
    for (int p = p0; p < p1; p++)
      gemm_panel(a + k0, lda, bp + ((size_t)p * k + k0) * NR, n - p * NR, bias ? bias + p * NR : NULL, c + p * NR, ldc, i0, i1, kc, first,
                 e);
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
  if (ak_cancelled()) return;
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

static void gemm_strided(const float *a, size_t lda, int m, int k, const float *bp, int n, const float *bias, float *c, size_t ldc,
                         int act) {
  if (m <= 0 || n <= 0) return;
  int nt = ak_threads();
  gemm_job j = {a, bp, bias, c, lda, ldc, m, k, n, act, ak_ceil_div(n, NR), 0, 0};
  // Split the output columns when there are enough panels (wide layers, one-row decoder
  // steps), else blocks of rows (multiples of MR). About 4 chunks per thread evens out the load.
  if (j.panels >= 4 * nt || m < 2 * MR * nt) {
    j.by_panels = 1;
    j.per = ak_ceil_div(j.panels, 4 * nt);
    if (j.per < 1) j.per = 1;
    ak_parallel(gemm_chunk, &j, ak_ceil_div(j.panels, j.per), (double)m * n * k);
  } else {
    j.per = ak_ceil_div(ak_ceil_div(m, 4 * nt), MR) * MR;
    ak_parallel(gemm_chunk, &j, ak_ceil_div(m, j.per), (double)m * n * k);
  }
}

static void ak_gemm(const float *a, int lda, int m, int k, const float *bp, int n, const float *bias, float *c, int ldc, int act) {
  gemm_strided(a, (size_t)lda, m, k, bp, n, bias, c, (size_t)ldc, act);
}

// ---- half-precision weights ------------------------------------------------------------------

/* Panel p of W [n, k] (16-bit rows) → dst as pack_rows lays it out (k rows of NR); rows ≥ n are zeros.
   Walked along k with the panel's rows inner, so the writes are contiguous and the 32 source rows'
   cache lines are reused for the next 31 values of k. */
static void pack_half_panel(const unsigned short *w, int bf16, int n, int k, int p, float *dst) {
#ifdef HAVE_PACK_HALF_ISA
  if (k > 0) { pack_half_panel_isa(w, bf16, n, k, p, dst); return; }
#endif
  size_t r0 = (size_t)p * NR;
  int rows = (size_t)n - r0 < (size_t)NR ? (int)((size_t)n - r0) : NR;
  const unsigned short *base = w + r0 * (size_t)k;
  for (int kk = 0; kk < k; kk++) {
    float *o = dst + (size_t)kk * NR;
    const unsigned short *s = base + kk;
    if (bf16) {
      unsigned int *u = (unsigned int *)o;
      for (int j = 0; j < rows; j++) u[j] = (unsigned int)s[(size_t)j * k] << 16;
    } else {
      for (int j = 0; j < rows; j++) o[j] = ak_half_to_float(s[(size_t)j * k]);
    }
    for (int j = rows; j < NR; j++) o[j] = 0;
  }
}

// ---- scratch ------------------------------------------------------------------------------

/* Per-thread reusable 64-byte-aligned scratch (pool threads live as long as the process); NULL when
   the allocation fails, and then the caller returns AK_NO_MEMORY: its output was not written. */
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

typedef struct {
  const float *a, *bias;
  const unsigned short *w;
  float *c, *bp; /* bp: the whole packed W (row-split jobs) or NULL (panel jobs pack their own) */
  int m, k, n, act, bf16, panels, per;
  int failed;
} half_job;

/* Panel jobs: each panel is packed into this thread's scratch, then computed for all m rows exactly
   as gemm_chunk's by_panels branch does (same K blocks: they depend only on m and k). */
static void half_panels_chunk(void *ctx, int chunk) {
  if (ak_cancelled()) return;
  half_job *j = ctx;
  int lo = chunk * j->per, hi = lo + j->per < j->panels ? lo + j->per : j->panels;
  float *panel = scratch(1, (size_t)NR * (j->k > 0 ? j->k : 1));
  if (!panel) { __atomic_store_n(&j->failed, 1, __ATOMIC_RELAXED); return; }
  for (int p = lo; p < hi; p++) {
    pack_half_panel(j->w, j->bf16, j->n, j->k, p, panel);
    gemm_range(j->a, (size_t)j->k, j->k, panel, j->n - p * NR, j->bias ? j->bias + p * NR : NULL, j->c + p * NR, (size_t)j->n, 0, j->m,
               0, 1, j->act);
  }
}

/* Row-split jobs need every panel in every chunk: W (few panels, or gemm_strided would split panels)
   is packed once, in parallel, into shared scratch. */
static void half_pack_chunk(void *ctx, int chunk) {
  half_job *j = ctx;
  pack_half_panel(j->w, j->bf16, j->n, j->k, chunk, j->bp + (size_t)chunk * (j->k > 0 ? j->k : 1) * NR);
}

static int ak_gemm_half(const float *a, int m, int k, const unsigned short *w, int bf16, int n, const float *bias, float *c, int act) {
  if (m <= 0 || n <= 0) return AK_OK;
  int nt = ak_threads();
  half_job j = {a, bias, w, c, NULL, m, k, n, act, bf16, ak_ceil_div(n, NR), 0, 0};
  if (j.panels >= 4 * nt || m < 2 * MR * nt) { // gemm_strided's choice, so the split is the same
    j.per = ak_ceil_div(j.panels, 4 * nt);
    if (j.per < 1) j.per = 1;
    ak_parallel(half_panels_chunk, &j, ak_ceil_div(j.panels, j.per), (double)m * n * k);
    return j.failed ? AK_NO_MEMORY : AK_OK;
  }
  // Scratch slot 0 of the calling thread: pool threads use their own slots 1 and 2 only.
  j.bp = scratch(0, ak_packed_floats(n, k));
  if (!j.bp) return AK_NO_MEMORY;
  ak_parallel(half_pack_chunk, &j, j.panels, (double)n * k * 4);
  if (j.failed) return AK_NO_MEMORY;
  gemm_strided(a, (size_t)k, m, k, j.bp, n, bias, c, (size_t)n, act);
  return AK_OK;
}

static int ak_feed_forward(const float *x, int m, int d, const float *p1, int hidden, const float *b1, const float *p2, int n,
                           const float *b2, int act, float *out) {
  float *h = scratch(0, (size_t)m * hidden); // [m, hidden]
  if (!h) return AK_NO_MEMORY;
  gemm_strided(x, (size_t)d, m, d, p1, hidden, b1, h, (size_t)hidden, act);
  gemm_strided(h, (size_t)hidden, m, hidden, p2, n, b2, out, (size_t)n, -1);
  return AK_OK;
}

static int ak_matmul(const float *a, int m, int k, const float *b, int n, float *c) {
  float *bp = scratch(1, ak_packed_floats(n, k));
  if (!bp) return AK_NO_MEMORY;
  pack_cols(b, (size_t)n, k, n, bp);
  gemm_strided(a, (size_t)k, m, k, bp, n, NULL, c, (size_t)n, -1);
  return AK_OK;
}

// ---- elementwise, layer norm, Add & Norm ----------------------------------------------------

typedef struct { float *x; size_t n; int kind; size_t per; } act_job;

static void act_chunk(void *ctx, int chunk) {
  act_job *j = ctx;
  size_t lo = (size_t)chunk * j->per, hi = lo + j->per < j->n ? lo + j->per : j->n;
  act_range(j->x, lo, hi, j->kind);
}

static void ak_activate(float *x, size_t n, int kind) {
  act_job j = {x, n, kind, 16384};
  ak_parallel(act_chunk, &j, (int)((n + j.per - 1) / j.per), (double)n * (kind == 0 ? 1 : 16));
}

/* Mean and variance summed in f64 (as the reference). */
INLINE void norm_row(const float *x, float *out, int cols, const float *gamma, const float *beta, float eps) {
  float mean = (float)(row_sum(x, cols, 0, 0, 0) / cols);
  double var = row_sum(x, cols, 1, mean, 1) / cols;
  norm_apply(x, out, cols, mean, (float)(1 / sqrt(var + eps)), gamma, beta);
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
  for (int r = chunk * j->per; r < hi; r++)
    norm_row(j->x + (size_t)r * j->cols, j->out + (size_t)r * j->cols, j->cols, j->gamma, j->beta, j->eps);
}

static int rows_per_chunk(int rows) { int per = ak_ceil_div(rows, 8); return per < 1 ? 1 : per; }

static void ak_layer_norm(const float *x, int rows, int cols, const float *gamma, const float *beta, float eps, float *out) {
  rows_job j = {x, NULL, gamma, beta, out, NULL, rows, cols, rows_per_chunk(rows), eps};
  ak_parallel(layer_norm_chunk, &j, ak_ceil_div(rows, j.per), (double)rows * cols * 8);
}

static void add_norm_chunk(void *ctx, int chunk) {
  rows_job *j = ctx;
  int hi = (chunk + 1) * j->per < j->rows ? (chunk + 1) * j->per : j->rows;
  for (int r = chunk * j->per; r < hi; r++) {
    size_t o = (size_t)r * j->cols;
    add_row(j->x + o, j->y + o, j->out + o, j->cols);
    if (j->gamma) norm_row(j->out + o, j->out + o, j->cols, j->gamma, j->beta, j->eps);
    if (j->norms) {
      j->norms[r] = (float)sqrt(row_sum(j->x + o, j->cols, 0, 0, 1));
      j->norms[j->rows + r] = (float)sqrt(row_sum(j->y + o, j->cols, 0, 0, 1));
      j->norms[2 * j->rows + r] = (float)sqrt(row_sum(j->out + o, j->cols, 0, 0, 1));
    }
  }
}

static void ak_add_norm(const float *x, const float *y, int rows, int cols, const float *gamma, const float *beta, float eps, float *out,
                        float *norms) {
  rows_job j = {x, y, gamma, beta, out, norms, rows, cols, rows_per_chunk(rows), eps};
  ak_parallel(add_norm_chunk, &j, ak_ceil_div(rows, j.per), (double)rows * cols * 12);
}

// ---- attention ----------------------------------------------------------------------------

typedef struct {
  const float *q, *k, *v;
  const unsigned char *mask;
  float *scores, *probs, *ctx, *entropy;
  int nq, nk, heads, dHead, h0;
  float scale;
  int failed; /* set (by any pool thread) when a head's scratch could not be allocated */
} attn_job;

/* Scales row i of head h's scores in place (srow: the raw dot products) → srow; masked, stable
   softmax → prow; its entropy → entropy[h, i]. */
static void softmax_row(const attn_job *j, int h, int i, float *srow, float *prow) {
  const int nq = j->nq, nk = j->nk;
  const unsigned char *mrow = j->mask ? j->mask + (size_t)i * nk : NULL;
  float rmax = softmax_scale_mask(srow, prow, nk, mrow, j->scale);
  if (rmax == -INFINITY) { // every key masked: probabilities 0, entropy 0
    memset(prow, 0, (size_t)nk * 4);
    if (j->entropy) j->entropy[(size_t)h * nq + i] = 0;
    return;
  }
  // t = Σ e_j·(x_j − max): with S = Σ e_j, the row's entropy −Σ p log p is log S − t/S, so the
  // inspector's per-head entropy costs no logarithm per cell.
  double t = 0;
  const double sum = softmax_exp(prow, nk, rmax, j->entropy ? &t : NULL);
  if (j->entropy) {
    double ent = log(sum) - t / sum;
    j->entropy[(size_t)h * nq + i] = (float)(ent > 0 ? ent : 0);
  }
  scale_row(prow, nk, (float)(1 / sum));
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
    for (; r + 4 <= nk; r += 4) dot4(qi, kh + (size_t)r * width, width, dh, srow + r);
    for (; r < nk; r++) srow[r] = dot1(qi, kh + (size_t)r * width, dh);
    softmax_row(j, h, i, srow, prow);
    weighted_rows(prow, nk, vh, width, dh, j->ctx + (size_t)i * width + ho); // [dHead] of ctx's row i
  }
}

/* One head: S = Q_h·K_hᵀ·scale → scores; masked, stable softmax → probs; P·V_h → ctx's columns. */
static void attention_head(void *ctx, int c) {
  if (ak_cancelled()) return;
  attn_job *j = ctx;
  const int h = j->h0 + c;
  const int nq = j->nq, nk = j->nk, dh = j->dHead;
  if (nq <= DIRECT_NQ) {
    attention_head_rows(j, h);
    return;
  }
  const size_t width = (size_t)j->heads * dh, ho = (size_t)h * dh;
  float *kp = scratch(1, ak_packed_floats(nk, dh));
  float *vp = scratch(2, ak_packed_floats(dh, nk));
  if (!kp || !vp) {
    __atomic_store_n(&j->failed, 1, __ATOMIC_RELAXED);
    return;
  }
  float *s = j->scores + (size_t)h * nq * nk, *p = j->probs + (size_t)h * nq * nk;
  pack_rows(j->k + ho, width, nk, dh, kp);
  gemm_range(j->q + ho, width, dh, kp, nk, NULL, s, (size_t)nk, 0, nq, 0, ak_ceil_div(nk, NR), -1); // [nq, nk]
  for (int i = 0; i < nq; i++) softmax_row(j, h, i, s + (size_t)i * nk, p + (size_t)i * nk);
  pack_cols(j->v + ho, width, nk, dh, vp);
  gemm_range(p, (size_t)nk, nk, vp, dh, NULL, j->ctx + ho, width, 0, nq, 0, ak_ceil_div(dh, NR), -1); // [nq, dHead]
}

static int ak_attention(const float *q, const float *k, const float *v, int nq, int nk, int heads, int dHead, const unsigned char *mask,
                        float scale, float *scores, float *probs, float *ctx, float *entropy, int h0, int h1) {
  attn_job j = {q, k, v, mask, scores, probs, ctx, entropy, nq, nk, heads, dHead, h0, scale, 0};
  ak_parallel(attention_head, &j, h1 - h0, (double)(h1 - h0) * nq * nk * dHead * 2);
  return j.failed ? AK_NO_MEMORY : AK_OK;
}

/* The unit's table (kernels.h): const ak_kernels ak_<isa> = AK_KERNELS; */
#define AK_KERNELS {ak_pack_rows, ak_gemm, ak_gemm_half, ak_feed_forward, ak_matmul, ak_activate, ak_layer_norm, ak_add_norm, ak_attention}
