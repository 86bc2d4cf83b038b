// New large buffers the engine is about to fill (a model file's bytes, big kernel outputs) are
// shown to an optional hook first: the native module asks the kernel for transparent huge pages
// there, so that touching every page once (reading a model, filling a run's scores) faults far
// fewer times (figures: docs/performance.md, "Memory"). Without the hook nothing changes but speed.

/** Buffers smaller than this are left alone: a 2 MB huge page needs a 2 MB-aligned extent inside. */
export const ADVISED_BYTES = 4 * 1024 * 1024;

let advise: ((bytes: Uint8Array) => void) | undefined;

/** Set by the native kernels when they load. */
export function setLargeBufferAdvice(f: ((bytes: Uint8Array) => void) | undefined): void {
  advise = f;
}

/** Passes a new, not yet written buffer of at least ADVISED_BYTES to the hook; returns it. */
export function adviseLarge<T extends ArrayBufferView>(a: T): T {
  if (advise && a.byteLength >= ADVISED_BYTES) advise(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return a;
}
