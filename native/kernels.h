// The native kernels' C interface (kernels_avx512.c), called by the Node-API glue (addon.c).
// Matrices are row-major float32; "packed" B is panels of AK_NR columns (see ak_pack_rows).
#ifndef AK_KERNELS_H
#define AK_KERNELS_H
#include <stddef.h>

#define AK_NR 32 /* columns per packed panel: two 16-lane registers */

/* Thread pool (pool.c). ak_parallel runs fn(ctx, 0…chunks−1), the calling thread included. */
typedef void (*ak_chunk_fn)(void *ctx, int chunk);
void ak_set_threads(int n);
int ak_threads(void);
void ak_set_min_parallel_work(double work);
void ak_parallel(ak_chunk_fn fn, void *ctx, int chunks, double work);

/* Floats a packed [n, k] weight needs (panels·32·k). */
size_t ak_packed_floats(int n, int k);
/* dst (64-byte aligned) ← W [n, k] as panels: panel p holds W[32p…32p+32, 0…k)ᵀ as k rows of 32. */
void ak_pack_rows(const float *w, int n, int k, float *dst);

/* c[m, ldc] = act(bias + a[m, lda]·Bᵀ) for columns < n; act −1 none, 0 relu, 1 gelu, 2 gelu_new, 3 swish. */
void ak_gemm(const float *a, int lda, int m, int k, const float *bp, int n, const float *bias, float *c, int ldc, int act);
/* out[m, n] = fc2(act(fc1(x))), the hidden layer in native scratch. */
void ak_feed_forward(const float *x, int m, int d, const float *p1, int hidden, const float *b1, const float *p2, int n, const float *b2, int act, float *out);
/* c[m, n] = a[m, k]·b[k, n] */
void ak_matmul(const float *a, int m, int k, const float *b, int n, float *c);
void ak_activate(float *x, size_t n, int kind);
void ak_layer_norm(const float *x, int rows, int cols, const float *gamma, const float *beta, float eps, float *out);
/* out = x + y, then LayerNorm per row when gamma ≠ NULL; norms ≠ NULL: [3, rows] row norms of x, y, out. */
void ak_add_norm(const float *x, const float *y, int rows, int cols, const float *gamma, const float *beta, float eps, float *out, float *norms);
/* Multi-head attention as attentionHeads in kernels.as: scores, probs [heads, nq, nk]; ctx [nq, heads·dHead];
   entropy (optional): [heads, nq] each row's −Σ p ln p. */
void ak_attention(const float *q, const float *k, const float *v, int nq, int nk, int heads, int dHead, const unsigned char *mask, float scale, float *scores, float *probs, float *ctx, float *entropy);

#endif
