// Reused Float32 buffers for the engine's intermediate activations. A transformer layer makes
// about eight [n, d] temporaries; the fast kernels take their outputs from here and the layer code
// gives each back as soon as it is dead, so only a run's first layer allocates them: fresh memory
// costs page faults on first touch (figures: docs/performance.md, "Memory").
// What leaves the engine (scores, probabilities, norms) is taken here too but never given back:
// it is transferred to the extension host.

import { adviseLarge } from './memoryAdvice';

export class BufferPool {
  private readonly free = new Map<number, Float32Array<ArrayBuffer>[]>(); // length → arrays given back; least recently given length first
  private readonly pooled = new WeakSet<Float32Array>(); // in `free` now: a second give() is ignored
  private held = 0;

  /** `limitBytes`: what the pool may hold; past it, the lengths given back longest ago are left to the GC. */
  constructor(readonly limitBytes: number) {}

  /** A [length] array, a given-back one when the pool has that length. Not zeroed: every caller writes each element. */
  take(length: number): Float32Array<ArrayBuffer> {
    const a = this.free.get(length)?.pop();
    if (!a) {
      return adviseLarge(new Float32Array(length)); // e.g. a run's [heads, n, n] scores: huge pages where the native module is loaded
    }
    this.pooled.delete(a);
    this.held -= a.byteLength;
    return a;
  }

  /**
   * Gives arrays back for reuse; the caller must hold no other reference to them. Only whole,
   * unshared, attached buffers are kept (a subarray view, e.g. of a weight file, is skipped).
   */
  give(...arrays: (Float32Array | undefined)[]): void {
    for (const a of arrays) {
      if (!a || a.length === 0 || this.pooled.has(a) || a.byteLength > this.limitBytes) continue;
      if (a.byteOffset !== 0 || a.buffer.byteLength !== a.byteLength || !(a.buffer instanceof ArrayBuffer)) continue;
      // Lengths of an earlier input (another sequence length) must not crowd out this run's.
      while (this.held + a.byteLength > this.limitBytes) this.evictOldest();
      const list = this.free.get(a.length) ?? [];
      this.free.delete(a.length); // re-inserted last: the most recently given length
      this.free.set(a.length, list);
      list.push(a as Float32Array<ArrayBuffer>);
      this.pooled.add(a);
      this.held += a.byteLength;
    }
  }

  private evictOldest(): void {
    const [length, list] = this.free.entries().next().value as [number, Float32Array<ArrayBuffer>[]];
    const a = list.shift()!;
    if (list.length === 0) this.free.delete(length);
    this.pooled.delete(a);
    this.held -= a.byteLength;
  }

  /** Drops every held array. */
  clear(): void {
    this.free.clear();
    this.held = 0;
  }

  /** Bytes the pool holds now. */
  get heldBytes(): number {
    return this.held;
  }
}

/**
 * The engine's pool: one per thread (the worker, or the CLI's process). What it holds stays
 * allocated between runs, inside VS Code's extension host: 128 MB is ~10 [n, d] temporaries of a
 * d = 1024 model at the default 1024-token limit (attentionInspector.maxSequenceLength), about
 * what one layer has alive at once.
 */
export const engineBuffers = new BufferPool(128 * 2 ** 20);
