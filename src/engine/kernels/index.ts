// Which kernels the engine runs on. The worker (and the CLI) call defaultKernels() once and pass
// the result to prepare(model, kernels); tests keep referenceKernels as the oracle.
//   ATTENTION_KERNELS=reference   forces the plain-TS reference kernels
//   ATTENTION_THREADS=N           threads for the fast kernels (default: one per core)
import { referenceKernels, type Kernels } from '../kernels';
import { createFastKernels, defaultThreads, type FastKernelOptions, type FastKernels } from './fast';

export { createFastKernels, defaultThreads, type FastKernelOptions, type FastKernels } from './fast';
export { referenceKernels } from '../kernels';

export interface KernelChoice {
  kind?: 'fast' | 'reference';
  threads?: number;
}

let shared: { key: string; kernels: FastKernels } | undefined;

/**
 * The kernels to run models on: the fast WASM kernels (one shared instance and thread pool per
 * process, re-made only when the thread count changes), or the reference on request or when
 * WebAssembly threads are unavailable.
 */
export function defaultKernels(choice: KernelChoice = {}, log: (why: string) => void = console.warn): Kernels {
  const env = typeof process !== 'undefined' ? process.env : {};
  const kind = choice.kind ?? (env.ATTENTION_KERNELS === 'reference' ? 'reference' : 'fast');
  if (kind === 'reference') return referenceKernels;
  if (!fastKernelsAvailable()) {
    log('attention engine: WebAssembly threads (SharedArrayBuffer) are unavailable; using the plain-JS reference kernels');
    return referenceKernels;
  }
  // threads ≤ 0 (the setting's default 0) means one per core.
  const asked = choice.threads !== undefined && choice.threads > 0 ? choice.threads : Number(env.ATTENTION_THREADS);
  const threads = asked > 0 ? Math.floor(asked) : defaultThreads();
  const key = String(threads);
  if (shared?.key !== key) {
    shared?.kernels.dispose();
    shared = undefined;
    try {
      shared = { key, kernels: createFastKernels({ threads }) };
    } catch (e) {
      log(`attention engine: the WASM kernels could not start (${e instanceof Error ? e.message : String(e)}); using the plain-JS reference kernels`);
      return referenceKernels;
    }
  }
  return shared.kernels;
}

export function fastKernelsAvailable(): boolean {
  return typeof WebAssembly === 'object' && typeof SharedArrayBuffer === 'function';
}
