// A small persistent thread pool: ak_parallel hands chunks out through an atomic counter, the
// caller works too. Workers spin briefly before sleeping, because a decoder step issues many
// small calls back to back. Calls from several engine threads are serialised by call_mu.
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include "kernels.h"

#define MAX_THREADS 64
#define SPINS 20000

static pthread_mutex_t call_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER, done = PTHREAD_COND_INITIALIZER;
static pthread_t workers[MAX_THREADS];
static int nthreads = 1; /* the caller included */
/* multiply-adds: below this, waking a thread costs more than it saves (tests set 0) */
static double min_parallel_work = 262144.0;
static atomic_int gen, next, busy, quit;
static ak_chunk_fn job_fn;
static void *job_ctx;
static int job_chunks;
static const int *job_cancel; /* the caller's ak_cancel_flag, taken by the pool threads */
__thread const int *ak_cancel_flag;

void ak_watch_cancel(const int *flag) { ak_cancel_flag = flag; }

static inline void cpu_relax(void) { __builtin_ia32_pause(); }

static void run_chunks(void) {
  for (int c = atomic_fetch_add(&next, 1); c < job_chunks; c = atomic_fetch_add(&next, 1)) job_fn(job_ctx, c);
}

static void *worker(void *arg) {
  // The generation when this thread was made (not when it first runs: a job posted in between
  // would otherwise be missed, and its caller would wait for this thread for ever).
  int seen = (int)(intptr_t)arg;
  for (;;) {
    int spins = 0;
    while (atomic_load_explicit(&gen, memory_order_acquire) == seen && !atomic_load(&quit) && spins < SPINS) { cpu_relax(); spins++; }
    if (atomic_load(&gen) == seen && !atomic_load(&quit)) {
      pthread_mutex_lock(&mu);
      while (atomic_load(&gen) == seen && !atomic_load(&quit)) pthread_cond_wait(&wake, &mu);
      pthread_mutex_unlock(&mu);
    }
    if (atomic_load(&quit)) return NULL;
    seen = atomic_load(&gen);
    ak_cancel_flag = job_cancel;
    run_chunks();
    if (atomic_fetch_sub(&busy, 1) == 1) {
      pthread_mutex_lock(&mu);
      pthread_cond_signal(&done);
      pthread_mutex_unlock(&mu);
    }
  }
}

void ak_set_threads(int n) {
  if (n < 1) n = 1;
  if (n > MAX_THREADS) n = MAX_THREADS;
  pthread_mutex_lock(&call_mu);
  if (n != nthreads) {
    pthread_mutex_lock(&mu);
    atomic_store(&quit, 1);
    pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&mu);
    for (int t = 1; t < nthreads; t++) pthread_join(workers[t], NULL);
    atomic_store(&quit, 0);
    int started = 1;
    for (int t = 1; t < n; t++) {
      if (pthread_create(&workers[t], NULL, worker, (void *)(intptr_t)atomic_load(&gen)) != 0) break;
      started++;
    }
    nthreads = started;
  }
  pthread_mutex_unlock(&call_mu);
}

int ak_threads(void) { return nthreads; }

void ak_set_min_parallel_work(double w) { min_parallel_work = w < 0 ? 0 : w; }

void ak_parallel(ak_chunk_fn fn, void *ctx, int chunks, double work) {
  if (chunks <= 0) return;
  if (nthreads == 1 || chunks == 1 || work < min_parallel_work) {
    for (int c = 0; c < chunks; c++) fn(ctx, c);
    return;
  }
  pthread_mutex_lock(&call_mu);
  job_fn = fn;
  job_ctx = ctx;
  job_chunks = chunks;
  job_cancel = ak_cancel_flag;
  atomic_store(&next, 0);
  atomic_store(&busy, nthreads - 1);
  pthread_mutex_lock(&mu);
  atomic_fetch_add_explicit(&gen, 1, memory_order_release);
  pthread_cond_broadcast(&wake);
  pthread_mutex_unlock(&mu);
  run_chunks();
  for (int spins = 0; atomic_load(&busy) > 0 && spins < SPINS; spins++) cpu_relax();
  if (atomic_load(&busy) > 0) {
    pthread_mutex_lock(&mu);
    while (atomic_load(&busy) > 0) pthread_cond_wait(&done, &mu);
    pthread_mutex_unlock(&mu);
  }
  pthread_mutex_unlock(&call_mu);
}
