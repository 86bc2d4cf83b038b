// Counts what a buffer pool's take() answers from its free arrays ("reused") and what it allocates
// ("fresh"), for the pool's tests and the benches. The engine keeps no such counters: this wraps
// one pool's take/give (the engine calls them through the instance, so the wrapper sees every call).
import type { BufferPool } from '../../src/engine/buffers';

export interface PoolCounts {
  /** take() calls answered from the pool. */
  reused: number;
  /** take() calls that allocated. */
  fresh: number;
  /** Bytes the pool holds now. */
  heldBytes: number;
}

const counted = new WeakMap<BufferPool, () => PoolCounts>();

/** The counts of `pool` since its first call here (later calls return the same counter). */
export function poolCounter(pool: BufferPool): () => PoolCounts {
  const known = counted.get(pool);
  if (known) return known;
  const given = new WeakSet<Float32Array>(); // a take() that returns one of these came from the pool
  let reused = 0;
  let fresh = 0;
  const take = pool.take.bind(pool);
  const give = pool.give.bind(pool);
  pool.take = (length: number) => {
    const a = take(length);
    if (given.has(a)) {
      given.delete(a);
      reused++;
    } else {
      fresh++;
    }
    return a;
  };
  pool.give = (...arrays: (Float32Array | undefined)[]) => {
    for (const a of arrays) if (a) given.add(a);
    give(...arrays);
  };
  const read = () => ({ reused, fresh, heldBytes: pool.heldBytes });
  counted.set(pool, read);
  return read;
}
