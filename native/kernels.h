// The native kernels' C interface: one table of entry points per instruction set
// (kernels_avx512.c, kernels_avx2.c), of which the Node-API glue (addon.c) picks one at load.
// Matrices are row-major float32; "packed" B is panels of AK_NR columns (see pack_rows), the same
// layout for every ISA, so a packed weight does not depend on which table packed it.
#ifndef AK_KERNELS_H
#define AK_KERNELS_H
#include <stddef.h>

#define AK_NR 32 /* columns per packed panel: two 16-lane (or four 8-lane) registers */

/* Thread pool (pool.c). ak_parallel runs fn(ctx, 0…chunks−1), the calling thread included. */
typedef void (*ak_chunk_fn)(void *ctx, int chunk);
void ak_set_threads(int n);
int ak_threads(void);
void ak_set_min_parallel_work(double work);
void ak_parallel(ak_chunk_fn fn, void *ctx, int chunks, double work);

/* A run's cancel flag (an int the engine sets from another thread), watched by the calling thread's
   jobs: ak_watch_cancel sets it for this thread, and pool threads take their caller's for each job.
   The chunks of products and attention heads return at once when it is set (their output is then
   unfinished: the caller throws the run away); packing chunks never do, so cached packed weights
   stay whole. */
extern __thread const int *ak_cancel_flag;
void ak_watch_cancel(const int *flag);
static inline int ak_cancelled(void) {
  const int *f = ak_cancel_flag;
  return f && __atomic_load_n(f, __ATOMIC_RELAXED) != 0;
}

/* ⌈n / d⌉ for n ≥ 0, d ≥ 1, summed in size_t: n + d − 1 in int overflows when n is near INT32_MAX. */
static inline int ak_ceil_div(int n, int d) { return (int)(((size_t)n + (size_t)d - 1) / (size_t)d); }

/* IEEE binary16 and bfloat16 bits → float32, exactly (subnormals, infinities and NaN included). */
static inline float ak_bits_float(unsigned int u) { union { unsigned int u; float f; } v = {u}; return v.f; }
static inline float ak_bf16_to_float(unsigned short h) { return ak_bits_float((unsigned int)h << 16); }
static inline float ak_half_to_float(unsigned short h) {
  unsigned int sign = (unsigned int)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, frac = h & 0x3ff;
  if (exp == 31) return ak_bits_float(sign | 0x7f800000u | (frac << 13));
  if (exp) return ak_bits_float(sign | ((exp + 112) << 23) | (frac << 13));
  if (!frac) return ak_bits_float(sign);
  int e = 113; // subnormal: frac · 2⁻²⁴, normalised
  while (!(frac & 0x400)) frac <<= 1, e--;
  return ak_bits_float(sign | ((unsigned int)e << 23) | ((frac & 0x3ff) << 13));
}

/* Floats a packed [n, k] weight needs (panels·32·k). */
static inline size_t ak_packed_floats(int n, int k) { return (size_t)ak_ceil_div(n, AK_NR) * AK_NR * (size_t)(k > 0 ? k : 1); }

/* What the kernels that use native scratch return: AK_NO_MEMORY when it could not be allocated (the
   output is then not written, and the caller must not read it). */
#define AK_OK 0
#define AK_NO_MEMORY (-1)

typedef struct {
  /* dst (64-byte aligned) ← W [n, k] as panels: panel p holds W[32p…32p+32, 0…k)ᵀ as k rows of 32. */
  void (*pack_rows)(const float *w, int n, int k, float *dst);
  /* c[m, ldc] = act(bias + a[m, lda]·Bᵀ) for columns < n; act −1 none, 0 relu, 1 gelu, 2 gelu_new, 3 swish. */
  void (*gemm)(const float *a, int lda, int m, int k, const float *bp, int n, const float *bias, float *c, int ldc, int act);
  /* As gemm, with W [n, k] stored as 16-bit floats (bf16 ≠ 0: bfloat16, else IEEE half): each panel is
     converted (exactly) to float32 as it is packed, into per-thread scratch, for this call only; the
     arithmetic is gemm's, so the result equals gemm's on the float32 copy of W bit for bit. */
  int (*gemm_half)(const float *a, int m, int k, const unsigned short *w, int bf16, int n, const float *bias, float *c, int act);
  /* out[m, n] = fc2(act(fc1(x))), the hidden layer in native scratch. */
  int (*feed_forward)(const float *x, int m, int d, const float *p1, int hidden, const float *b1, const float *p2, int n, const float *b2,
                      int act, float *out);
  /* c[m, n] = a[m, k]·b[k, n] */
  int (*matmul)(const float *a, int m, int k, const float *b, int n, float *c);
  void (*activate)(float *x, size_t n, int kind);
  void (*layer_norm)(const float *x, int rows, int cols, const float *gamma, const float *beta, float eps, float *out);
  /* out = x + y, then LayerNorm per row when gamma ≠ NULL; norms ≠ NULL: [3, rows] row norms of x, y, out. */
  void (*add_norm)(const float *x, const float *y, int rows, int cols, const float *gamma, const float *beta, float eps, float *out,
                   float *norms);
  /* Multi-head attention as attentionHeads in kernels.as, for heads h0 … h1−1 of `heads` (the rest of the
     outputs untouched): scores, probs [heads, nq, nk]; ctx [nq, heads·dHead];
     entropy (optional): [heads, nq] each row's −Σ p ln p. */
  int (*attention)(const float *q, const float *k, const float *v, int nq, int nk, int heads, int dHead, const unsigned char *mask,
                   float scale, float *scores, float *probs, float *ctx, float *entropy, int h0, int h1);
} ak_kernels;

/* Each defined in a unit compiled for its ISA: call only after the CPU check in addon.c. */
extern const ak_kernels ak_avx512; /* AVX-512 F/DQ/BW/VL + FMA */
extern const ak_kernels ak_avx2;   /* AVX2 + FMA */

#endif
