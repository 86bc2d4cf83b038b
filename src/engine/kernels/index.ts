// Which kernels the engine runs on. The worker (and the CLI) call defaultKernels() once and pass
// the result to prepare(model, kernels); tests keep referenceKernels as the oracle. The debug
// switches that force a kind or a thread count are read in ../debug.ts.
import { referenceKernels, type Kernels } from './reference';
import { createWasmKernels, defaultThreads, type WasmKernels } from './wasm';
import { createNativeKernels, nativeModule, type NativeKernels } from './native';
import { debugKnobs } from '../debug';

export { createWasmKernels, defaultThreads, type WasmKernelOptions, type WasmKernels } from './wasm';
export { createNativeKernels, nativeModule, type NativeKernels } from './native';
export { referenceKernels } from './reference';

export interface KernelChoice {
  /** fast: native where it runs, else WASM. */
  kind?: 'fast' | 'native' | 'wasm' | 'reference';
  threads?: number;
}

let shared: { key: string; kernels: WasmKernels | NativeKernels } | undefined;

/**
 * The kernels to run models on: the native kernels where the module was built and the CPU has
 * AVX-512 or AVX2 + FMA, else the WASM kernels (one shared instance and thread pool per process,
 * re-made only when the thread count changes), or the reference on request or when WebAssembly
 * threads are unavailable. Each fallback logs why.
 */
export function defaultKernels(choice: KernelChoice = {}, log: (why: string) => void = console.warn): Kernels {
  const knobs = debugKnobs();
  const kind = choice.kind ?? knobs.kernels ?? 'fast';
  if (kind === 'reference') return referenceKernels;
  // threads ≤ 0 (the setting's default 0) means one per core.
  const asked = choice.threads !== undefined && choice.threads > 0 ? choice.threads : (knobs.threads ?? 0);
  const threads = asked > 0 ? Math.floor(asked) : defaultThreads();
  const native = kind === 'wasm' ? { why: 'the WASM kernels were asked for' } : nativeModule();
  const use = native.module ? 'native' : 'wasm';
  if (!native.module && kind !== 'wasm')
    log(`attention engine: the native kernels are unavailable (${native.why}); using the WASM kernels`);
  if (use === 'wasm' && !wasmKernelsAvailable()) {
    log('attention engine: WebAssembly threads (SharedArrayBuffer) are unavailable; using the plain-JS reference kernels');
    return referenceKernels;
  }
  const key = `${use}/${threads}`;
  if (shared?.key !== key) {
    shared?.kernels.dispose();
    shared = undefined;
    try {
      shared = { key, kernels: use === 'native' ? createNativeKernels({ threads }) : createWasmKernels({ threads }) };
    } catch (e) {
      log(
        `attention engine: the ${use} kernels could not start (${e instanceof Error ? e.message : String(e)}); using the plain-JS reference kernels`,
      );
      return referenceKernels;
    }
  }
  return shared.kernels;
}

export function wasmKernelsAvailable(): boolean {
  return typeof WebAssembly === 'object' && typeof SharedArrayBuffer === 'function';
}
