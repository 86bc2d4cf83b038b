// Kernels that call `poll` between pieces of work, so the engine worker reads the inspector's
// requests about kept runs (a head asked for during a run) and a run's Cancel (poll throws
// CancelledError; the layer's buffers are left to the GC) while a layer computes: after each
// projection, between groups of heads of the attention core, and after each FEED_FORWARD_ROWS rows
// of a feed-forward. The feed-forward is a layer's largest piece (two thirds of a BERT-base layer's
// multiply-adds); whole, at 512 tokens on a machine whose window takes the CPU first, a head asked
// for waited up to ~100 ms for it.
import { engineBuffers } from '../buffers';
import type { Kernels } from './reference';

/**
 * Rows of a feed-forward between polls. Rows are independent, so the pieces give the same bits;
 * 128-row pieces are no slower than whole (BERT-base at 512 rows, 2 threads: 13 ms against 17 ms,
 * the hidden layer of a piece stays in cache).
 */
export const FEED_FORWARD_ROWS = 128;

/**
 * A head's [q, k] cells from which the fast kernels compute attention one head per thread at a
 * time, polling between: at 512 tokens BERT-base's whole core is 16–37 ms of CPU, ten times that
 * in wall time for an engine at nice 10 beside a busy window. A decoder step's few rows take
 * microseconds whole.
 */
export const ATTENTION_SPLIT_CELLS = 128 * 128;

/**
 * Calls `compute(h0, h1)` for heads h0 … h1−1 until all `heads` are done: in one call, or, when the
 * caller polls (`between`) and a head has ATTENTION_SPLIT_CELLS cells or more, one head per thread
 * at a time (every thread stays busy) with `between` called between the groups.
 */
export function inHeadGroups(
  heads: number,
  cells: number,
  threads: number,
  between: (() => void) | undefined,
  compute: (h0: number, h1: number) => void,
): void {
  const group = between && cells >= ATTENTION_SPLIT_CELLS ? threads : heads;
  for (let h0 = 0; h0 < heads; h0 += group) {
    if (h0 > 0) between?.();
    compute(h0, Math.min(heads, h0 + group));
  }
}

export function pollingKernels(k: Kernels, poll: () => void): Kernels {
  // One `this` for every method (state a kernel keeps on itself stays in one place).
  const wrapped = Object.create(k) as Kernels;
  wrapped.linear = (...args: Parameters<Kernels['linear']>) => {
    const y = k.linear.apply(wrapped, args);
    poll();
    return y;
  };
  const attention = k.attention;
  if (attention) {
    wrapped.attention = (q, kk, v, nq, nk, heads, dHead, mask) => {
      const y = attention.call(wrapped, q, kk, v, nq, nk, heads, dHead, mask, poll);
      poll();
      return y;
    };
  }
  const ff = k.feedForward;
  if (ff) {
    wrapped.feedForward = (x, m, fc1, fc2, act) => {
      if (m <= FEED_FORWARD_ROWS) {
        const y = ff.call(wrapped, x, m, fc1, fc2, act);
        poll();
        return y;
      }
      const out = engineBuffers.take(m * fc2.out); // [m, fc2.out]
      for (let r = 0; r < m; r += FEED_FORWARD_ROWS) {
        const rows = Math.min(FEED_FORWARD_ROWS, m - r);
        const y = ff.call(wrapped, x.subarray(r * fc1.in, (r + rows) * fc1.in), rows, fc1, fc2, act); // [rows, fc2.out]
        out.set(y, r * fc2.out);
        engineBuffers.give(y);
        poll();
      }
      return out;
    };
  }
  return wrapped;
}
