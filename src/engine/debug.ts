// The engine's debug switches, all in one place; the product's own choices come from settings and
// the CPU, and nothing else in the engine reads the environment or injects faults.
//   ATTENTION_KERNELS=native|wasm|reference   forces one kind of kernels (default: the fastest that runs here)
//   ATTENTION_THREADS=N                       threads for the fast kernels when no setting gives one
//   ATTENTION_NATIVE_ISA=avx2|avx512          which native kernels (native/addon.c reads it at load)
//   ATTENTION_NATIVE_MODULE=<file>            the native module to load (the test and bench bundles set it)
//   AI_WASM_PLAIN=1                           the plain SIMD WASM build, not the relaxed one (tests compare both)
// Fault injection (crash, heap exhaustion, hang, runaway typed arrays) runs only in a worker started
// with `faults: true` (EngineHost's option, set by the engine's tests).

export interface DebugKnobs {
  kernels?: 'native' | 'wasm' | 'reference';
  threads?: number;
  nativeIsa?: string;
  nativeModule?: string;
  wasmPlain?: boolean;
}

/** The environment's debug knobs (none in a browser). */
export function debugKnobs(): DebugKnobs {
  const env = typeof process !== 'undefined' ? process.env : {};
  const k = env.ATTENTION_KERNELS;
  const threads = Number(env.ATTENTION_THREADS);
  return {
    ...(k === 'native' || k === 'wasm' || k === 'reference' ? { kernels: k } : {}),
    ...(threads > 0 ? { threads: Math.floor(threads) } : {}),
    ...(env.ATTENTION_NATIVE_ISA ? { nativeIsa: env.ATTENTION_NATIVE_ISA } : {}),
    ...(env.ATTENTION_NATIVE_MODULE ? { nativeModule: env.ATTENTION_NATIVE_MODULE } : {}),
    ...(env.AI_WASM_PLAIN === '1' ? { wasmPlain: true } : {}),
  };
}

export type FaultKind = 'exit' | 'oom' | 'hang' | 'alloc';

/** Makes this worker fail as asked: exit, run out of heap, hang, or allocate typed arrays without end. */
export function injectFault(kind: FaultKind, enabled: boolean): never {
  if (!enabled) throw new Error('fault injection is disabled');
  if (kind === 'exit') process.exit(3);
  if (kind === 'hang') for (;;);
  if (kind === 'alloc') {
    // Typed arrays, outside the heap limit: only the host's memory watch can stop this.
    const hog: Float32Array[] = [];
    for (;;) hog.push(new Float32Array(16 * 1024 * 1024).fill(1));
  }
  // oom: keep allocating until V8's heap limit for this worker is hit
  const hog: number[][] = [];
  for (;;) hog.push(new Array(1e6).fill(Math.random()));
}
