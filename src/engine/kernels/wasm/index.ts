// The fast Kernels: WASM SIMD (f32x4) kernels over one shared memory, split over a pool of
// worker threads. Same interface and (within 1e-5) the same results as referenceKernels.
// Per call: inputs are copied into reused scratch, the kernel runs, outputs are copied into the
// Float32Array the interface returns (taken from engineBuffers, buffers.ts). Weights are packed
// into panels once (heap.ts).
import type { Activation } from '../../format/loaded';
import type { Kernels } from '../reference';
import type { HeadsAttention } from '../../attention';
import { WasmHeap, kernelBuild } from './heap';
import { ThreadPool } from './pool';
import { inHeadGroups } from '../polling';
import { engineBuffers } from '../../buffers';
import { convertInto, isHalf, type WeightData } from '../../weights';

export interface WasmKernelOptions {
  /** Threads, the caller's included; default one per core (os.availableParallelism()). */
  threads?: number;
  /** Jobs smaller than this (multiply-adds) run on the calling thread alone; tests set 0 to
   *  send every job through the pool. Default: the pool's (2M). */
  minParallelWork?: number;
}

export interface WasmKernels extends Kernels {
  readonly threads: number;
  /** Which build runs: relaxed SIMD (fused multiply-add) where the engine validates it. */
  readonly name: 'WASM relaxed SIMD' | 'WASM SIMD';
  readonly heap: WasmHeap;
  /** Forgets every packed weight (call after unloading models). */
  clearWeights(): void;
  /** Stops the pool's threads. */
  dispose(): void;
}

const ACTIVATIONS: Record<Activation, number> = { relu: 0, gelu: 1, gelu_new: 2, swish: 3 };
/** Floats of a half weight converted per block (4 MB of float32). */
const HALF_BLOCK = 1 << 20;

export function createWasmKernels(opts: WasmKernelOptions = {}): WasmKernels {
  const threads = Math.max(1, Math.floor(opts.threads ?? defaultThreads()));
  const heap = new WasmHeap();
  const pool = new ThreadPool(heap, threads, opts.minParallelWork);
  const ex = heap.exports;

  /** W [n, k] as panels of 8 output columns (zero padded): see packRowsT in kernels.as. */
  const packedWeight = (w: Float32Array, n: number, k: number): number => {
    const panels = Math.ceil(n / 8);
    return heap.persistent(w, panels * 8 * k, (at) => {
      heap.beginCall();
      const src = heap.put(w);
      ex.packRowsT(src, k, n, k, at);
    });
  };
  /** A vector padded with zeros to `len` floats. */
  const padded = (v: Float32Array, len: number): number =>
    heap.persistent(v, len, (at) => {
      const f = heap.view;
      f.set(v, at >> 2);
      f.fill(0, (at >> 2) + v.length, (at >> 2) + len);
    });

  /** `len` floats at byte offset p → an unshared array. Filling an array with set() is about twice
   *  as fast as slice() of the shared memory's view (Node 20: 0.39 vs 0.83 ms for 1.5 MB). */
  const copyOut = (p: number, len: number): Float32Array => {
    const out = engineBuffers.take(len);
    out.set(heap.view.subarray(p >> 2, (p >> 2) + len));
    return out;
  };

  /** C [m, ldc] in scratch → a new compact [m, n] array. */
  const take = (c: number, m: number, n: number, ldc: number): Float32Array => {
    const f = heap.view;
    const base = c >> 2;
    if (ldc === n) return copyOut(c, m * n);
    const out = engineBuffers.take(m * n);
    for (let i = 0; i < m; i++) out.set(f.subarray(base + i * ldc, base + i * ldc + n), i * n);
    return out;
  };

  /** C = act(bias + A·B) into fresh scratch; returns C's offset and row stride (floats). */
  const gemmInto = (a: number, lda: number, bp: number, k: number, bias: number, m: number, n: number, act = -1): { c: number; ldc: number } => {
    const panels = Math.ceil(n / 8);
    const ldc = n % 8 === 0 ? n : panels * 8;
    const c = heap.scratch(m * ldc * 4);
    pool.run('gemm', [a, lda, bp, k, bias, c, ldc, m, panels, act], m * n * k);
    return { c, ldc };
  };
  const gemm = (a: number, lda: number, bp: number, k: number, bias: number, m: number, n: number): Float32Array => {
    const { c, ldc } = gemmInto(a, lda, bp, k, bias, m, n);
    return take(c, m, n, ldc);
  };

  /**
   * F16/BF16 W: never cached as float32 (that would double a half model's memory). Blocks of up to
   * HALF_BLOCK floats of W are converted (exactly) into scratch and packed for this call only.
   */
  const halfLinear = (x: Float32Array, m: number, k: number, w: WeightData, n: number, bias?: Float32Array, act = -1): Float32Array => {
    const out = engineBuffers.take(m * n);
    const rows = Math.max(8, Math.floor(HALF_BLOCK / Math.max(1, k) / 8) * 8);
    const wf = new Float32Array(Math.min(rows, n) * k);
    for (let j0 = 0; j0 < n; j0 += rows) {
      const nb = Math.min(rows, n - j0);
      convertInto(w, j0 * k, (j0 + nb) * k, wf); // F32 too (feed-forward with one half layer): a copy
      const bb = bias ? bias.subarray(j0, j0 + nb) : undefined;
      heap.beginCall();
      const src = heap.put(wf.subarray(0, nb * k));
      const bp = heap.scratch(Math.ceil(nb / 8) * 8 * k * 4);
      ex.packRowsT(src, k, nb, k, bp);
      let b = 0;
      if (bb) {
        b = heap.scratch(Math.ceil(nb / 8) * 8 * 4);
        heap.view.fill(0, b >> 2, (b >> 2) + Math.ceil(nb / 8) * 8);
        heap.view.set(bb, b >> 2);
      }
      const { c, ldc } = gemmInto(heap.put(x.subarray(0, m * k)), k, bp, k, b, m, nb, act);
      const f = heap.view;
      for (let i = 0; i < m; i++) out.set(f.subarray((c >> 2) + i * ldc, (c >> 2) + i * ldc + nb), i * n + j0);
    }
    return out;
  };

  return {
    threads,
    name: kernelBuild().relaxed ? 'WASM relaxed SIMD' : 'WASM SIMD',
    heap,
    clearWeights: () => heap.clearWeights(),
    dispose: () => pool.dispose(),

    linear(x, m, k, w, n, bias) {
      if (m === 0 || n === 0) return new Float32Array(m * n);
      if (isHalf(w)) return halfLinear(x, m, k, w, n, bias);
      const bp = packedWeight(w, n, k);
      const bb = bias ? padded(bias, Math.ceil(n / 8) * 8) : 0;
      heap.beginCall();
      return gemm(heap.put(x.subarray(0, m * k)), k, bp, k, bb, m, n);
    },

    matmul(a, m, k, b, n) {
      if (m === 0 || n === 0) return new Float32Array(m * n);
      heap.beginCall();
      const ap = heap.put(a.subarray(0, m * k));
      const bsrc = heap.put(b.subarray(0, k * n));
      const bp = heap.scratch(Math.ceil(n / 8) * 8 * k * 4);
      ex.packCols(bsrc, n, k, n, bp);
      return gemm(ap, k, bp, k, 0, m, n);
    },

    layerNorm(x, rows, cols, gamma, beta, eps) {
      const g = padded(gamma, cols);
      const b = padded(beta, cols);
      heap.beginCall();
      const xp = heap.put(x.subarray(0, rows * cols));
      const out = heap.scratch(rows * cols * 4);
      pool.run('layerNorm', [xp, rows, cols, g, b, eps, out], rows * cols * 8);
      return copyOut(out, rows * cols);
    },

    feedForward(x, m, fc1, fc2, act) {
      const d = fc1.in, hidden = fc1.out, n = fc2.out;
      if (m === 0 || n === 0) return new Float32Array(m * n);
      // Weights first: packing one may move the scratch area (heap.persistent).
      if (isHalf(fc1.w) || isHalf(fc2.w)) {
        // The activation fused into the first GEMM, as below; the hidden layer goes through JS.
        const h = halfLinear(x, m, d, fc1.w, hidden, fc1.b, ACTIVATIONS[act]);
        return halfLinear(h, m, hidden, fc2.w, n, fc2.b);
      }
      const w1 = packedWeight(fc1.w, hidden, d), w2 = packedWeight(fc2.w, n, hidden);
      const b1 = fc1.b ? padded(fc1.b, Math.ceil(hidden / 8) * 8) : 0;
      const b2 = fc2.b ? padded(fc2.b, Math.ceil(n / 8) * 8) : 0;
      heap.beginCall();
      // h [m, ldh] stays in wasm memory; its padding columns are act(0) = 0 for every activation
      // and fc2 reads only the first `hidden` of them anyway.
      const h = gemmInto(heap.put(x.subarray(0, m * d)), d, w1, d, b1, m, hidden, ACTIVATIONS[act]);
      return gemm(h.c, h.ldc, w2, hidden, b2, m, n);
    },

    addNorm(x, y, rows, cols, norm, withNorms) {
      const g = norm ? padded(norm.gamma, cols) : 0;
      const b = norm ? padded(norm.beta, cols) : 0;
      heap.beginCall();
      const xp = heap.put(x.subarray(0, rows * cols));
      const yp = heap.put(y.subarray(0, rows * cols));
      const out = heap.scratch(rows * cols * 4);
      const np = withNorms ? heap.scratch(3 * rows * 4) : 0;
      pool.run('addNorm', [xp, yp, rows, cols, g, b, norm?.eps ?? 0, out, np], rows * cols * (norm ? 12 : 4));
      const f = heap.view, at = np >> 2;
      return {
        out: copyOut(out, rows * cols),
        norms: withNorms ? { residual: f.slice(at, at + rows), sublayer: f.slice(at + rows, at + 2 * rows), output: f.slice(at + 2 * rows, at + 3 * rows) } : undefined, // own buffers: each is transferred
      };
    },

    activate(x, kind) {
      heap.beginCall();
      const p = heap.put(x);
      pool.run('activate', [p, x.length, ACTIVATIONS[kind]], kind === 'relu' ? x.length : x.length * 16);
      x.set(heap.view.subarray(p >> 2, (p >> 2) + x.length));
    },

    attention(q, k, v, nq, nk, heads, dHead, mask, between): HeadsAttention {
      const width = heads * dHead;
      heap.beginCall();
      const qp = heap.put(q.subarray(0, nq * width));
      const kp = heap.put(k.subarray(0, nk * width));
      const vp = heap.put(v.subarray(0, nk * width));
      const mp = mask ? heap.putBytes(mask.subarray(0, nq * nk)) : 0;
      const sp = heap.scratch(heads * nq * nk * 4);
      const pp = heap.scratch(heads * nq * nk * 4);
      const cp = heap.scratch(nq * width * 4);
      const ep = heap.scratch(heads * nq * 4);
      const stride = Math.ceil(ex.attentionScratch(nq, nk, dHead) / 64) * 64;
      const scratch = heap.scratch(stride * threads);
      // The inputs are in the heap once for all the groups.
      inHeadGroups(heads, nq * nk, threads, between, (h0, h1) => {
        const args = [qp, kp, vp, nq, nk, heads, dHead, mp, 1 / Math.sqrt(dHead), sp, pp, cp, ep, scratch, stride, h0, h1];
        pool.run('attentionHeads', args, (h1 - h0) * nq * nk * dHead * 2);
      });
      const len = heads * nq * nk;
      return { scores: copyOut(sp, len), probs: copyOut(pp, len), context: copyOut(cp, nq * width), rowEntropy: copyOut(ep, heads * nq) };
    },
  };
}

export function defaultThreads(): number {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const os = require('node:os') as typeof import('node:os');
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}
