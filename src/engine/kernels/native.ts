// The native kernels: AVX-512 or AVX2 C (native/*.c; the module picks what the CPU has) behind
// Node-API, built into dist/native/attention-kernels.node by scripts/build-native.mjs. Same
// interface and (within 1e-5) the same results as referenceKernels. Unlike the WASM kernels nothing
// is copied: the C code reads the caller's Float32Arrays and writes into the ones the interface
// returns (taken from engineBuffers, buffers.ts). Weights are packed into 32-column panels once per
// weight array (the same layout for both ISAs). The module's own thread pool splits the work.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import type { Activation } from '../format/loaded';
import type { Kernels } from './reference';
import type { HeadsAttention } from '../attention';
import { inHeadGroups } from './polling';
import { CancelledError } from '../control';
import { defaultThreads } from './wasm';
import { setLargeBufferAdvice } from '../memoryAdvice';
import { engineBuffers } from '../buffers';
import { debugKnobs } from '../debug';
import { isHalf, toFloat32, type HalfArray, type WeightData } from '../weights';

export const NATIVE_MODULE_NAME = 'attention-kernels.node';

/** The module's exports (native/addon.c). Sizes are in floats; `packed` arrays come from pack(). */
interface NativeModule {
  /** isa: the kernels the module picked at load (null: none run here); avx512 is isa === 'avx512', for older callers. */
  info(): { isa: NativeIsa | null; avx512: boolean; threads: number };
  setThreads(n: number): void;
  setMinParallelWork(multiplyAdds: number): void;
  /** The run's cancel flag (element 0) for this thread's products and attention; null: none. */
  watchCancel(flag: Int32Array | null): void;
  packedFloats(n: number, k: number): number;
  /** Absent from modules built before it. */
  adviseHugePages?(bytes: Uint8Array): void;
  pack(w: Float32Array, n: number, k: number, dst: Float32Array): void;
  linear(
    x: Float32Array,
    m: number,
    k: number,
    packed: Float32Array,
    n: number,
    bias: Float32Array | null,
    out: Float32Array,
    act: number,
  ): void;
  /** Absent from modules built before it: half weights then go through a float32 copy per call. */
  linearHalf?(
    x: Float32Array,
    m: number,
    k: number,
    w: Uint16Array,
    bf16: number,
    n: number,
    bias: Float32Array | null,
    out: Float32Array,
    act: number,
  ): void;
  feedForward(
    x: Float32Array,
    m: number,
    d: number,
    p1: Float32Array,
    hidden: number,
    b1: Float32Array | null,
    p2: Float32Array,
    n: number,
    b2: Float32Array | null,
    act: number,
    out: Float32Array,
  ): void;
  matmul(a: Float32Array, m: number, k: number, b: Float32Array, n: number, out: Float32Array): void;
  activate(x: Float32Array, kind: number): void;
  layerNorm(x: Float32Array, rows: number, cols: number, gamma: Float32Array, beta: Float32Array, eps: number, out: Float32Array): void;
  addNorm(
    x: Float32Array,
    y: Float32Array,
    rows: number,
    cols: number,
    gamma: Float32Array | null,
    beta: Float32Array | null,
    eps: number,
    out: Float32Array,
    norms: Float32Array | null,
  ): void;
  attention(
    q: Float32Array,
    k: Float32Array,
    v: Float32Array,
    nq: number,
    nk: number,
    heads: number,
    dHead: number,
    mask: Uint8Array | null,
    scale: number,
    scores: Float32Array,
    probs: Float32Array,
    ctx: Float32Array,
    entropy: Float32Array | null,
    h0: number,
    h1: number,
  ): void;
}

export type NativeIsa = 'avx512' | 'avx2';
const ISA_NAMES = { avx512: 'native AVX-512', avx2: 'native AVX2' } as const;

export interface NativeKernelOptions {
  /** Threads, the caller's included; default one per core. */
  threads?: number;
  /** Jobs smaller than this (multiply-adds) run on the calling thread alone; tests set 0. */
  minParallelWork?: number;
}

export interface NativeKernels extends Kernels {
  readonly threads: number;
  readonly name: (typeof ISA_NAMES)[NativeIsa];
  clearWeights(): void;
  watchCancel(flag: Int32Array | undefined): void;
  dispose(): void;
}

const ACTIVATIONS: Record<Activation, number> = { relu: 0, gelu: 1, gelu_new: 2, swish: 3 };

let loaded: { module?: NativeModule; isa?: NativeIsa; file?: string; why?: string } | undefined;

/**
 * Where the module is: $ATTENTION_NATIVE_MODULE (the user's own environment; the test and bench
 * bundles set it to the clone's dist/native/), else native/ beside this bundle, i.e. the extension's
 * own dist/native/. Never a search of parent folders: a stray attention-kernels.node there (in a
 * user's home folder, say) would be loaded into the extension host's process.
 */
function findModule(): string | undefined {
  const file = debugKnobs().nativeModule ?? path.join(__dirname, 'native', NATIVE_MODULE_NAME);
  return fs.existsSync(file) ? file : undefined;
}

/**
 * The loaded module and the ISA it runs, or why it cannot be used on this machine. The module picks
 * AVX-512, else AVX2 + FMA, once per process; $ATTENTION_NATIVE_ISA=avx2|avx512 (read by the module
 * at load) asks for one, so the AVX2 kernels can be tested on an AVX-512 CPU.
 */
export function nativeModule(): { module?: NativeModule; isa?: NativeIsa; file?: string; why?: string } {
  if (loaded) return loaded;
  if (debugKnobs().kernels === 'wasm') return (loaded = { why: 'ATTENTION_KERNELS=wasm' });
  const file = findModule();
  if (!file)
    return (loaded = {
      why: `no ${NATIVE_MODULE_NAME} was built for ${process.platform}-${process.arch} (it needs an x86-64 C compiler at build time)`,
    });
  try {
    const module = createRequire(__filename)(file) as NativeModule;
    const info = module.info();
    const isa = info.isa !== undefined ? info.isa : info.avx512 ? 'avx512' : null; // a module built before AVX2 has no isa
    const asked = debugKnobs().nativeIsa;
    if (!isa)
      return (loaded = {
        why: asked ? `this CPU cannot run ATTENTION_NATIVE_ISA=${asked} (avx512 or avx2)` : 'this CPU has neither AVX-512 nor AVX2 + FMA',
      });
    if (module.adviseHugePages) setLargeBufferAdvice((b) => module.adviseHugePages!(b)); // model files and big outputs made after this get huge pages
    return (loaded = { module, isa, file });
  } catch (e) {
    return (loaded = { why: `${file} could not be loaded: ${e instanceof Error ? e.message : String(e)}` });
  }
}

export function createNativeKernels(opts: NativeKernelOptions = {}): NativeKernels {
  const { module: N, isa, why } = nativeModule();
  if (!N || !isa) throw new Error(`the native kernels are unavailable: ${why}`);
  const threads = Math.max(1, Math.floor(opts.threads ?? defaultThreads()));
  const minWork = opts.minParallelWork ?? 262144;
  // The pool is the module's (one per process): each kernel set re-applies its own settings.
  const use = () => {
    if (current.threads !== threads) N.setThreads((current.threads = threads));
    if (current.minWork !== minWork) N.setMinParallelWork((current.minWork = minWork));
  };
  let packed = new WeakMap<Float32Array, { n: number; k: number; p: Float32Array }>();
  const pack = (w: Float32Array, n: number, k: number): Float32Array => {
    const hit = packed.get(w);
    if (hit && hit.n === n && hit.k === k) return hit.p;
    const p = new Float32Array(N.packedFloats(n, k));
    N.pack(w, n, k, p);
    packed.set(w, { n, k, p });
    return p;
  };
  const orNull = <T>(v: T | undefined) => v ?? null;
  /** F16/BF16 W is never packed and cached as float32 (that would double a half model's memory): the C code converts each panel as it packs it, per call. */
  const halfLinear = (x: Float32Array, m: number, k: number, w: HalfArray, n: number, bias: Float32Array | undefined, act: number) => {
    const out = take(m * n);
    if (m === 0 || n === 0) return out;
    if (N.linearHalf) N.linearHalf(x, m, k, w.bits, w.dtype === 'bf16' ? 1 : 0, n, orNull(bias), out, act);
    else N.linear(x, m, k, packOnce(toFloat32(w), n, k), n, orNull(bias), out, act);
    throwIfCancelled();
    return out;
  };
  const packOnce = (w: Float32Array, n: number, k: number): Float32Array => {
    const p = new Float32Array(N.packedFloats(n, k));
    N.pack(w, n, k, p);
    return p;
  };
  const take = (n: number) => engineBuffers.take(n);
  const linearAny = (x: Float32Array, m: number, l: { w: WeightData; b?: Float32Array; out: number; in: number }, act: number) => {
    if (isHalf(l.w)) return halfLinear(x, m, l.in, l.w, l.out, l.b, act);
    const out = take(m * l.out);
    if (m > 0 && l.out > 0) N.linear(x, m, l.in, pack(l.w, l.out, l.in), l.out, orNull(l.b), out, act);
    throwIfCancelled();
    return out;
  };
  return {
    threads,
    name: ISA_NAMES[isa],
    clearWeights() {
      packed = new WeakMap();
    },
    dispose() {
      packed = new WeakMap();
    },
    watchCancel(flag) {
      watched = flag;
      N.watchCancel(flag ?? null);
    },

    linear(x, m, k, w, n, bias) {
      use();
      return linearAny(x, m, { w, b: bias, out: n, in: k }, -1);
    },
    matmul(a, m, k, b, n) {
      use();
      const out = take(m * n);
      if (m > 0 && n > 0) N.matmul(a, m, k, b, n, out);
      throwIfCancelled();
      return out;
    },
    layerNorm(x, rows, cols, gamma, beta, eps) {
      use();
      const out = take(rows * cols);
      N.layerNorm(x, rows, cols, gamma, beta, eps, out);
      return out;
    },
    activate(x, kind) {
      use();
      N.activate(x, ACTIVATIONS[kind]);
    },
    feedForward(x, m, fc1, fc2, act) {
      use();
      if (isHalf(fc1.w) || isHalf(fc2.w)) {
        // Two GEMMs with the activation fused into the first, as the module's feedForward runs them.
        const h = linearAny(x, m, fc1, ACTIVATIONS[act]);
        const out = linearAny(h, m, fc2, -1);
        engineBuffers.give(h);
        return out;
      }
      const out = take(m * fc2.out);
      if (m > 0 && fc2.out > 0)
        N.feedForward(
          x,
          m,
          fc1.in,
          pack(fc1.w, fc1.out, fc1.in),
          fc1.out,
          orNull(fc1.b),
          pack(fc2.w, fc2.out, fc2.in),
          fc2.out,
          orNull(fc2.b),
          ACTIVATIONS[act],
          out,
        );
      throwIfCancelled();
      return out;
    },
    addNorm(x, y, rows, cols, norm, withNorms) {
      use();
      const out = take(rows * cols);
      const norms = withNorms ? take(3 * rows) : null;
      N.addNorm(x, y, rows, cols, norm?.gamma ?? null, norm?.beta ?? null, norm?.eps ?? 0, out, norms);
      const split = norms
        ? { residual: norms.slice(0, rows), sublayer: norms.slice(rows, 2 * rows), output: norms.slice(2 * rows) }
        : undefined; // own buffers: each is transferred
      engineBuffers.give(norms ?? undefined);
      return { out, norms: split };
    },
    attention(q, k, v, nq, nk, heads, dHead, mask, between): HeadsAttention {
      use();
      const scores = take(heads * nq * nk),
        probs = take(heads * nq * nk),
        context = take(nq * heads * dHead);
      const rowEntropy = take(heads * nq);
      inHeadGroups(heads, nq * nk, threads, between, (h0, h1) => {
        N.attention(q, k, v, nq, nk, heads, dHead, orNull(mask), 1 / Math.sqrt(dHead), scores, probs, context, rowEntropy, h0, h1);
        throwIfCancelled();
      });
      return { scores, probs, context, rowEntropy };
    },
  };
}

const current: { threads?: number; minWork?: number } = {};
/** The flag the module watches for this thread (watchCancel): every kernel object of the thread shares it, as the module does. */
let watched: Int32Array | undefined;
/** A product or an attention call the run's Cancel cut short (watchCancel) left its output unfinished. */
function throwIfCancelled(): void {
  if (watched && Atomics.load(watched, 0) !== 0) throw new CancelledError();
}
