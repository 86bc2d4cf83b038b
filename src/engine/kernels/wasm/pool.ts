// Worker threads that run the same wasm kernels on the same shared memory. The caller's thread
// is thread 0 and takes its own slice; a call returns when every thread has finished, so the
// Kernels interface stays synchronous (the engine already runs in its own worker thread).
//
// Control words (Int32Array over a SharedArrayBuffer):
//   0 generation (bumped for each job)   1 function index (-1: exit)   2 thread count
//   3 argument count   4 threads done   5 error flag
import { Worker } from 'node:worker_threads';
import type { WasmHeap } from './heap';

export const POOL_FUNCTIONS = ['gemm', 'activate', 'layerNorm', 'addNorm', 'attentionHeads'] as const;
export type PoolFunction = (typeof POOL_FUNCTIONS)[number];

// Workers spin this many polls (a few tens of µs) before sleeping: decoding steps issue
// thousands of small jobs, and waking a sleeping thread costs more than the job.
const SPIN = 20000;

const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, ctrl, args, tid, names, spin } = workerData;
const ex = new WebAssembly.Instance(module, { env: { memory } }).exports;
const fns = names.map((n) => ex[n]);
const c = new Int32Array(ctrl);
const a = new Float64Array(args);
// Start from the generation the pool was made with (0), not the current one: a job posted
// while this thread was still starting must not be missed (the caller would wait forever).
let gen = 0;
for (;;) {
  let i = 0;
  while (Atomics.load(c, 0) === gen) {
    if (++i > spin) { Atomics.wait(c, 0, gen); i = 0; }
  }
  gen = Atomics.load(c, 0);
  const f = c[1];
  if (f < 0) break;
  const nt = c[2];
  try {
    if (tid < nt) {
      const argv = Array.from(a.subarray(0, c[3]));
      argv.push(tid, nt);
      fns[f].apply(null, argv);
    }
  } catch (e) {
    Atomics.store(c, 5, 1);
  }
  Atomics.add(c, 4, 1);
  Atomics.notify(c, 4);
}
`;

/** Byte offset of the chunk counter the kernels share out work with (JOB_COUNTER in kernels.as;
 *  in the reserved first megabyte of the memory, heap.ts). */
export const JOB_COUNTER = 1 << 19;

export class ThreadPool {
  private readonly ctrl = new Int32Array(new SharedArrayBuffer(64));
  private readonly args = new Float64Array(new SharedArrayBuffer(8 * 32));
  private readonly workers: Worker[] = [];

  private started = false;
  private readonly counter: Int32Array;
  private disposed = false;

  constructor(
    private readonly heap: WasmHeap,
    readonly threads: number,
    private readonly minWork = 1 << 18,
  ) {
    this.counter = new Int32Array(heap.memory.buffer, JOB_COUNTER, 1); // a SharedArrayBuffer: never detached by grow()
  }

  /** Threads start on the first job big enough to need them: small models never wait for them. */
  private start(): void {
    this.started = true;
    const heap = this.heap;
    for (let tid = 1; tid < this.threads; tid++) {
      const w = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { module: heap.module, memory: heap.memory, ctrl: this.ctrl.buffer, args: this.args.buffer, tid, names: POOL_FUNCTIONS, spin: SPIN },
      });
      w.unref(); // an idle pool never keeps the process alive
      this.workers.push(w);
    }
  }

  /**
   * Runs exports[fn](...args, tid, nt) on every thread. Jobs below `minWork` (multiply-adds; 256K,
   * about 10 µs of one thread) run on the calling thread alone (nt = 1): too small to be worth
   * waking the others. W3 (64 one-token steps; each step's matrix-vector products read all the
   * weights, so two threads mainly buy memory bandwidth), idle 2-core machine, relaxed SIMD:
   * 2M → 661 ms, 1M → 535, 512K → 497, 256K → 362, 128K → 381, 64K → 394, 0 → 407 ms. (On a
   * machine busy with other work the second thread is often descheduled and small jobs wait for it.)
   */
  run(fn: PoolFunction, args: number[], work: number): void {
    const f = this.heap.exports[fn] as (...a: number[]) => void;
    Atomics.store(this.counter, 0, 0); // before the generation bump below publishes the job
    if (this.threads === 1 || work < this.minWork || this.disposed) {
      f(...args, 0, 1);
      return;
    }
    if (!this.started) this.start();
    const c = this.ctrl;
    const nt = this.threads;
    this.args.set(args);
    c[1] = POOL_FUNCTIONS.indexOf(fn);
    c[2] = nt;
    c[3] = args.length;
    Atomics.store(c, 4, 0);
    Atomics.add(c, 0, 1);
    Atomics.notify(c, 0);
    let failure: unknown;
    try {
      f(...args, 0, nt);
    } catch (e) {
      failure = e;
    }
    const others = nt - 1;
    let spins = 0;
    for (let done = Atomics.load(c, 4); done < others; done = Atomics.load(c, 4)) {
      if (++spins > SPIN) Atomics.wait(c, 4, done, 1000);
    }
    if (failure) throw failure;
    if (Atomics.exchange(c, 5, 0)) throw new Error(`fast kernels: ${fn} failed in a pool thread`);
  }

  /** Stops the worker threads; later jobs run on the calling thread alone. */
  dispose(): void {
    this.disposed = true;
    Atomics.store(this.ctrl, 1, -1);
    Atomics.add(this.ctrl, 0, 1);
    Atomics.notify(this.ctrl, 0);
    for (const w of this.workers) void w.terminate();
    this.workers.length = 0;
  }
}
