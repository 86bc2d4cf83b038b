// Node-API glue for the native kernels: argument checking, then the C kernels write straight into
// the caller's Float32Arrays (no copies in or out). Compiled without SIMD flags so that loading the
// module is safe on any x86-64 CPU; at load it picks the kernels this CPU can run — AVX-512, else
// AVX2 + FMA, else none — `info().isa` says which, and every kernel entry point refuses to run
// without. ATTENTION_NATIVE_ISA=avx2|avx512 asks for one (tests run the AVX2 kernels on an AVX-512
// machine this way); the CPU must still have it.
#define NAPI_VERSION 8
#include <node_api.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "kernels.h"

static const ak_kernels *K; /* NULL: no kernels run here */
static const char *isa;

static void pick_isa(void) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  int avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512vl");
  int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  const char *want = getenv("ATTENTION_NATIVE_ISA");
  if (want && *want) { // only the one asked for; an unknown name: none
    avx512 = avx512 && !strcmp(want, "avx512");
    avx2 = avx2 && !strcmp(want, "avx2");
  }
  if (avx512) K = &ak_avx512, isa = "avx512";
  else if (avx2) K = &ak_avx2, isa = "avx2";
#endif
}

/* Once per process: every worker thread that loads the module gets the same kernels. */
static int cpu_ok(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, pick_isa);
  return K != NULL;
}

#define CHECK(call) \
  do { \
    if ((call) != napi_ok) { \
      napi_throw_error(env, NULL, "attention native kernels: " #call " failed"); \
      return NULL; \
    } \
  } while (0)
#define FAIL(msg) do { napi_throw_type_error(env, NULL, msg); return NULL; } while (0)
/* A kernel that could not allocate its scratch wrote nothing: an error, never a stale output. */
#define KERNEL(call, what) \
  do { \
    if ((call) != AK_OK) { \
      napi_throw_error(env, "ERR_NATIVE_NO_MEMORY", "attention native kernels: " what ": out of memory for the kernel's scratch"); \
      return NULL; \
    } \
  } while (0)

static napi_value args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < want) FAIL("attention native kernels: too few arguments");
  if (!cpu_ok())
    FAIL("attention native kernels: this CPU has neither AVX-512 nor AVX2 + FMA (or not the ISA ATTENTION_NATIVE_ISA asks for)");
  return argv[0];
}

/* A Float32Array's data with at least `need` floats, or NULL for null/undefined when optional. */
static int f32(napi_env env, napi_value v, size_t need, int optional, float **out) {
  napi_valuetype t;
  *out = NULL;
  if (napi_typeof(env, v, &t) != napi_ok) return 0;
  if (optional && (t == napi_null || t == napi_undefined)) return 1;
  bool is;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return 0;
  napi_typedarray_type type;
  size_t len;
  void *data;
  if (napi_get_typedarray_info(env, v, &type, &len, &data, NULL, NULL) != napi_ok || type != napi_float32_array || len < need) return 0;
  *out = data;
  return 1;
}

static int u8(napi_env env, napi_value v, size_t need, unsigned char **out) {
  napi_valuetype t;
  *out = NULL;
  if (napi_typeof(env, v, &t) != napi_ok) return 0;
  if (t == napi_null || t == napi_undefined) return 1;
  napi_typedarray_type type;
  size_t len;
  void *data;
  bool is;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return 0;
  if (napi_get_typedarray_info(env, v, &type, &len, &data, NULL, NULL) != napi_ok || type != napi_uint8_array || len < need) return 0;
  *out = data;
  return 1;
}

/* An integer argument from −1 (act: none) to INT32_MAX. napi_get_value_int32 alone would wrap 2^32 + 5 to 5
   and truncate 1.5 to 1: a size the caller did not mean, checked against arrays it did not size. */
static int i32(napi_env env, napi_value v, int32_t *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || !(d >= -1 && d <= INT32_MAX) || d != (double)(int32_t)d) return 0;
  *out = (int32_t)d;
  return 1;
}
static int f64(napi_env env, napi_value v, double *out) { return napi_get_value_double(env, v, out) == napi_ok; }

/* Packed buffers are Float32Arrays with 16 floats of slack: the data starts at the first 64-byte boundary. */
static float *aligned(float *p) { return (float *)(((uintptr_t)p + 63) & ~(uintptr_t)63); }
static size_t packed_len(int n, int k) { return ak_packed_floats(n, k) + 16; }

/* { isa: 'avx512' | 'avx2' | null, avx512 (isa is avx512: what older callers check), threads } */
static napi_value Info(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value o, i, a, t;
  CHECK(napi_create_object(env, &o));
  int ok = cpu_ok();
  if (ok) CHECK(napi_create_string_utf8(env, isa, NAPI_AUTO_LENGTH, &i));
  else CHECK(napi_get_null(env, &i));
  CHECK(napi_get_boolean(env, ok && K == &ak_avx512, &a));
  CHECK(napi_create_int32(env, ak_threads(), &t));
  CHECK(napi_set_named_property(env, o, "isa", i));
  CHECK(napi_set_named_property(env, o, "avx512", a));
  CHECK(napi_set_named_property(env, o, "threads", t));
  return o;
}

/* watchCancel(Int32Array | null): the run's cancel flag (element 0) for this thread's jobs; the
   caller keeps the array alive until it passes null. */
static napi_value WatchCancel(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  napi_valuetype t;
  if (!args(env, info, 1, argv)) return NULL;
  if (napi_typeof(env, argv[0], &t) != napi_ok) return NULL;
  if (t == napi_null || t == napi_undefined) {
    ak_watch_cancel(NULL);
    return NULL;
  }
  bool is;
  napi_typedarray_type type;
  size_t length;
  void *data;
  if (napi_is_typedarray(env, argv[0], &is) != napi_ok || !is ||
      napi_get_typedarray_info(env, argv[0], &type, &length, &data, NULL, NULL) != napi_ok || type != napi_int32_array || length < 1)
    FAIL("watchCancel(flag): flag must be an Int32Array of at least one element, or null");
  ak_watch_cancel((const int *)data);
  return NULL;
}

static napi_value SetThreads(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t n;
  if (!args(env, info, 1, argv)) return NULL;
  if (!i32(env, argv[0], &n) || n < 1) FAIL("setThreads(n): n must be a positive integer");
  ak_set_threads(n);
  return NULL;
}

static napi_value SetMinParallelWork(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  double w;
  if (!args(env, info, 1, argv)) return NULL;
  if (!f64(env, argv[0], &w) || !(w >= 0)) FAIL("setMinParallelWork(w): w must be a number ≥ 0");
  ak_set_min_parallel_work(w);
  return NULL;
}

static napi_value PackedFloats(napi_env env, napi_callback_info info) {
  napi_value argv[2], r;
  int32_t n, k;
  if (!args(env, info, 2, argv)) return NULL;
  if (!i32(env, argv[0], &n) || !i32(env, argv[1], &k) || n < 0 || k < 0)
    FAIL("packedFloats(n, k): sizes must be integers from 0 to 2^31 − 1");
  CHECK(napi_create_double(env, (double)packed_len(n, k), &r));
  return r;
}

/*
 * Asks for transparent huge pages over the 2 MB-aligned part of a new buffer before it is first
 * written: a packed weight, or a model file about to be read. At BERT-base size each is the first
 * touch of ~340 MB, and each 4 KB page fault costs several µs on a VM. With THP in "madvise" mode
 * (Debian's and Ubuntu's default) the first W2 run went from ~1.0 s to ~0.7 s here. Only whole
 * 2 MB extents inside the buffer are advised, so no memory outside it is ever brought in.
 */
static void advise_huge(const void *p, size_t bytes) {
#if defined(MADV_HUGEPAGE)
  const uintptr_t huge = (uintptr_t)2 << 20;
  uintptr_t lo = ((uintptr_t)p + huge - 1) & ~(huge - 1), hi = ((uintptr_t)p + bytes) & ~(huge - 1);
  if (hi > lo) madvise((void *)lo, hi - lo, MADV_HUGEPAGE); /* advice only: failure changes nothing */
#else
  (void)p, (void)bytes;
#endif
}

/* adviseHugePages(bytes: Uint8Array): a new large buffer before it is filled (src/engine/memoryAdvice.ts: model files, big outputs). */
static napi_value AdviseHugePages(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  unsigned char *p;
  size_t len;
  napi_typedarray_type type;
  bool is;
  if (!args(env, info, 1, argv)) return NULL;
  if (napi_is_typedarray(env, argv[0], &is) != napi_ok || !is ||
      napi_get_typedarray_info(env, argv[0], &type, &len, (void **)&p, NULL, NULL) != napi_ok || type != napi_uint8_array)
    FAIL("adviseHugePages(bytes): bytes must be a Uint8Array");
  advise_huge(p, len);
  return NULL;
}

/* pack(w [n, k], n, k, dst) */
static napi_value Pack(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t n, k;
  float *w, *dst;
  if (!args(env, info, 4, argv)) return NULL;
  if (!i32(env, argv[1], &n) || !i32(env, argv[2], &k) || n < 0 || k < 0) FAIL("pack: sizes must be integers from 0 to 2^31 − 1");
  if (!f32(env, argv[0], (size_t)n * k, 0, &w) || !f32(env, argv[3], packed_len(n, k), 0, &dst))
    FAIL("pack(w, n, k, dst): w must be a Float32Array of n·k floats, dst of packedFloats(n, k)");
  advise_huge(dst, packed_len(n, k) * sizeof(float));
  K->pack_rows(w, n, k, aligned(dst));
  return NULL;
}

/* linear(x [m, k], m, k, packed, n, bias | null, out [m, n], act) */
static napi_value Linear(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  int32_t m, k, n, act;
  float *x, *p, *b, *out;
  if (!args(env, info, 8, argv)) return NULL;
  if (!i32(env, argv[1], &m) || !i32(env, argv[2], &k) || !i32(env, argv[4], &n) || !i32(env, argv[7], &act) || m < 0 || k < 0 || n < 0 ||
      act > 3)
    FAIL("linear: bad sizes or activation");
  if (!f32(env, argv[0], (size_t)m * k, 0, &x) || !f32(env, argv[3], packed_len(n, k), 0, &p) || !f32(env, argv[5], (size_t)n, 1, &b) ||
      !f32(env, argv[6], (size_t)m * n, 0, &out))
    FAIL("linear(x, m, k, packed, n, bias, out, act): an array is missing or too short");
  K->gemm(x, k, m, k, aligned(p), n, b, out, n, act);
  return NULL;
}

/* A Uint16Array's data (16-bit float bits) with at least `need` elements. */
static int u16(napi_env env, napi_value v, size_t need, unsigned short **out) {
  napi_typedarray_type type;
  size_t len;
  void *data;
  bool is;
  *out = NULL;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return 0;
  if (napi_get_typedarray_info(env, v, &type, &len, &data, NULL, NULL) != napi_ok || type != napi_uint16_array || len < need) return 0;
  *out = data;
  return 1;
}

/* linearHalf(x [m, k], m, k, w [n, k] Uint16Array, bf16 (1: bfloat16, 0: IEEE half), n, bias | null, out [m, n], act) */
static napi_value LinearHalf(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  int32_t m, k, n, bf16, act;
  float *x, *b, *out;
  unsigned short *w;
  if (!args(env, info, 9, argv)) return NULL;
  if (!i32(env, argv[1], &m) || !i32(env, argv[2], &k) || !i32(env, argv[4], &bf16) || !i32(env, argv[5], &n) ||
      !i32(env, argv[8], &act) || m < 0 || k < 0 || n < 0 || bf16 < 0 || bf16 > 1 || act > 3)
    FAIL("linearHalf: bad sizes, dtype or activation");
  if (!f32(env, argv[0], (size_t)m * k, 0, &x) || !u16(env, argv[3], (size_t)n * k, &w) || !f32(env, argv[6], (size_t)n, 1, &b) ||
      !f32(env, argv[7], (size_t)m * n, 0, &out))
    FAIL("linearHalf(x, m, k, w, bf16, n, bias, out, act): an array is missing or too short");
  KERNEL(K->gemm_half(x, m, k, w, bf16, n, b, out, act), "linearHalf");
  return NULL;
}

/* feedForward(x [m, d], m, d, p1, hidden, b1, p2, n, b2, act, out [m, n]) */
static napi_value FeedForward(napi_env env, napi_callback_info info) {
  napi_value argv[11];
  int32_t m, d, hidden, n, act;
  float *x, *p1, *b1, *p2, *b2, *out;
  if (!args(env, info, 11, argv)) return NULL;
  if (!i32(env, argv[1], &m) || !i32(env, argv[2], &d) || !i32(env, argv[4], &hidden) || !i32(env, argv[7], &n) ||
      !i32(env, argv[9], &act) || m < 0 || d < 0 || hidden < 0 || n < 0 || act > 3)
    FAIL("feedForward: bad sizes or activation");
  if (!f32(env, argv[0], (size_t)m * d, 0, &x) || !f32(env, argv[3], packed_len(hidden, d), 0, &p1) ||
      !f32(env, argv[5], (size_t)hidden, 1, &b1) || !f32(env, argv[6], packed_len(n, hidden), 0, &p2) ||
      !f32(env, argv[8], (size_t)n, 1, &b2) || !f32(env, argv[10], (size_t)m * n, 0, &out))
    FAIL("feedForward: an array is missing or too short");
  KERNEL(K->feed_forward(x, m, d, aligned(p1), hidden, b1, aligned(p2), n, b2, act, out), "feedForward");
  return NULL;
}

/* matmul(a [m, k], m, k, b [k, n], n, out [m, n]) */
static napi_value Matmul(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  int32_t m, k, n;
  float *a, *b, *out;
  if (!args(env, info, 6, argv)) return NULL;
  if (!i32(env, argv[1], &m) || !i32(env, argv[2], &k) || !i32(env, argv[4], &n) || m < 0 || k < 0 || n < 0) FAIL("matmul: bad sizes");
  if (!f32(env, argv[0], (size_t)m * k, 0, &a) || !f32(env, argv[3], (size_t)k * n, 0, &b) || !f32(env, argv[5], (size_t)m * n, 0, &out))
    FAIL("matmul: an array is missing or too short");
  KERNEL(K->matmul(a, m, k, b, n, out), "matmul");
  return NULL;
}

/* activate(x, kind) in place */
static napi_value Activate(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t kind;
  float *x;
  size_t len;
  if (!args(env, info, 2, argv)) return NULL;
  if (!f32(env, argv[0], 0, 0, &x) || !i32(env, argv[1], &kind) || kind < 0 || kind > 3)
    FAIL("activate(x, kind): x must be a Float32Array, kind 0…3");
  CHECK(napi_get_typedarray_info(env, argv[0], NULL, &len, NULL, NULL, NULL));
  K->activate(x, len, kind);
  return NULL;
}

/* layerNorm(x, rows, cols, gamma, beta, eps, out) */
static napi_value LayerNorm(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  int32_t rows, cols;
  double eps;
  float *x, *g, *b, *out;
  if (!args(env, info, 7, argv)) return NULL;
  if (!i32(env, argv[1], &rows) || !i32(env, argv[2], &cols) || !f64(env, argv[5], &eps) || rows < 0 || cols < 0)
    FAIL("layerNorm: bad sizes or eps");
  size_t len = (size_t)rows * cols;
  if (!f32(env, argv[0], len, 0, &x) || !f32(env, argv[3], cols, 0, &g) || !f32(env, argv[4], cols, 0, &b) ||
      !f32(env, argv[6], len, 0, &out))
    FAIL("layerNorm: an array is missing or too short");
  K->layer_norm(x, rows, cols, g, b, (float)eps, out);
  return NULL;
}

/* addNorm(x, y, rows, cols, gamma | null, beta | null, eps, out, norms [3·rows] | null) */
static napi_value AddNorm(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  int32_t rows, cols;
  double eps;
  float *x, *y, *g, *b, *out, *norms;
  if (!args(env, info, 9, argv)) return NULL;
  if (!i32(env, argv[2], &rows) || !i32(env, argv[3], &cols) || !f64(env, argv[6], &eps) || rows < 0 || cols < 0)
    FAIL("addNorm: bad sizes or eps");
  size_t len = (size_t)rows * cols;
  if (!f32(env, argv[0], len, 0, &x) || !f32(env, argv[1], len, 0, &y) || !f32(env, argv[4], cols, 1, &g) ||
      !f32(env, argv[5], cols, 1, &b) || !f32(env, argv[7], len, 0, &out) || !f32(env, argv[8], 3 * (size_t)rows, 1, &norms))
    FAIL("addNorm: an array is missing or too short");
  if ((g == NULL) != (b == NULL)) FAIL("addNorm: gamma and beta go together");
  K->add_norm(x, y, rows, cols, g, b, (float)eps, out, norms);
  return NULL;
}

/* attention(q, k, v, nq, nk, heads, dHead, mask | null, scale, scores, probs, ctx, entropy | null, h0, h1):
   heads h0 … h1−1 only, so the engine can read its requests between groups of heads. */
static napi_value Attention(napi_env env, napi_callback_info info) {
  napi_value argv[15];
  int32_t nq, nk, heads, dh, h0, h1;
  double scale;
  float *q, *k, *v, *s, *p, *c, *ent;
  unsigned char *mask;
  if (!args(env, info, 15, argv)) return NULL;
  if (!i32(env, argv[3], &nq) || !i32(env, argv[4], &nk) || !i32(env, argv[5], &heads) || !i32(env, argv[6], &dh) ||
      !f64(env, argv[8], &scale) || nq < 0 || nk < 0 || heads < 0 || dh < 0)
    FAIL("attention: bad sizes or scale");
  if (!i32(env, argv[13], &h0) || !i32(env, argv[14], &h1) || h0 < 0 || h1 < h0 || h1 > heads)
    FAIL("attention: heads h0 … h1 must satisfy 0 ≤ h0 ≤ h1 ≤ heads");
  size_t w = (size_t)heads * dh, hp = (size_t)heads * nq * nk;
  if (!f32(env, argv[0], nq * w, 0, &q) || !f32(env, argv[1], nk * w, 0, &k) || !f32(env, argv[2], nk * w, 0, &v) ||
      !u8(env, argv[7], (size_t)nq * nk, &mask) || !f32(env, argv[9], hp, 0, &s) || !f32(env, argv[10], hp, 0, &p) ||
      !f32(env, argv[11], nq * w, 0, &c) || !f32(env, argv[12], (size_t)heads * nq, 1, &ent))
    FAIL("attention: an array is missing or too short");
  if (nq > 0 && nk > 0 && h1 > h0 && dh > 0)
    KERNEL(K->attention(q, k, v, nq, nk, heads, dh, mask, (float)scale, s, p, c, ent, h0, h1), "attention");
  return NULL;
}

NAPI_MODULE_INIT() {
  static const struct { const char *name; napi_callback fn;
  } fns[] = {
      {"info", Info},
      {"setThreads", SetThreads},
      {"watchCancel", WatchCancel},
      {"setMinParallelWork", SetMinParallelWork},
      {"packedFloats", PackedFloats},
      {"adviseHugePages", AdviseHugePages},
      {"pack", Pack},
      {"linear", Linear},
      {"linearHalf", LinearHalf},
      {"feedForward", FeedForward},
      {"matmul", Matmul},
      {"activate", Activate},
      {"layerNorm", LayerNorm},
      {"addNorm", AddNorm},
      {"attention", Attention},
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value f;
    if (napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &f) != napi_ok) return NULL;
    if (napi_set_named_property(env, exports, fns[i].name, f) != napi_ok) return NULL;
  }
  return exports;
}
