// The one shared WebAssembly memory the fast kernels work in, and what lives in it:
//   [0, 1 MB)            AssemblyScript's own statics (none today; kept free)
//   [1 MB, top)          persistent blocks: model weights packed once and reused every run
//   [top, …)             scratch for the current kernel call, reset at the start of each call
// Weights are found by the identity of their Float32Array (models never mutate their weights);
// when an array is garbage collected its block goes back to a free list.
import { KERNELS_WASM_BASE64, KERNELS_WASM_RELAXED_BASE64 } from './kernels.wasm';
import { debugKnobs } from '../../debug';

export interface KernelExports {
  packRowsT(src: number, ld: number, rows: number, k: number, dst: number): void;
  packCols(src: number, ld: number, k: number, cols: number, dst: number): void;
  gemm(a: number, lda: number, bp: number, k: number, bias: number, c: number, ldc: number, m: number, panels: number, act: number, tid: number, nt: number): void;
  activate(x: number, n: number, kind: number, tid: number, nt: number): void;
  layerNorm(x: number, rows: number, cols: number, gamma: number, beta: number, eps: number, out: number, tid: number, nt: number): void;
  addNorm(x: number, y: number, rows: number, cols: number, gamma: number, beta: number, eps: number, out: number, norms: number, tid: number, nt: number): void;
  attentionScratch(nq: number, nk: number, dHead: number): number;
  attentionHeads(...args: number[]): void;
}

const PAGE = 65536;
const BASE = 1 << 20;
const MAX_PAGES = 65536; // 4 GB, as declared by the module
const align = (n: number, a = 64) => Math.ceil(n / a) * a;

let compiled: { module: WebAssembly.Module; relaxed: boolean } | undefined;

/**
 * The relaxed-SIMD build (fused multiply-add in the matmul) when this engine validates it, else
 * the plain SIMD build. A debug switch (../debug.ts) forces the plain one (tests compare both).
 */
export function kernelBuild(): { module: WebAssembly.Module; relaxed: boolean } {
  if (!compiled) {
    const relaxed = Buffer.from(KERNELS_WASM_RELAXED_BASE64, 'base64');
    const useRelaxed = !debugKnobs().wasmPlain && WebAssembly.validate(relaxed);
    const bytes = useRelaxed ? relaxed : Buffer.from(KERNELS_WASM_BASE64, 'base64');
    compiled = { module: new WebAssembly.Module(bytes), relaxed: useRelaxed };
  }
  return compiled;
}

export function kernelModule(): WebAssembly.Module {
  return kernelBuild().module;
}

interface Block {
  ptr: number;
  bytes: number;
}

export class WasmHeap {
  readonly memory = new WebAssembly.Memory({ initial: (BASE >> 16) + 16, maximum: MAX_PAGES, shared: true });
  readonly module = kernelModule();
  readonly exports = new WebAssembly.Instance(this.module, { env: { memory: this.memory } }).exports as unknown as KernelExports;
  private top = BASE;
  private cursor = BASE;
  private free: Block[] = [];
  private blocks = new WeakMap<Float32Array, Block>();
  private readonly finalizer = new FinalizationRegistry<Block>((b) => this.release(b));
  private f32 = new Float32Array(this.memory.buffer);
  private u8 = new Uint8Array(this.memory.buffer);

  /** Float32 view of the whole memory (re-made after the memory grew). */
  get view(): Float32Array {
    if (this.f32.buffer.byteLength !== this.memory.buffer.byteLength) {
      this.f32 = new Float32Array(this.memory.buffer);
      this.u8 = new Uint8Array(this.memory.buffer);
    }
    return this.f32;
  }
  get bytes(): Uint8Array {
    void this.view;
    return this.u8;
  }

  private ensure(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    const pages = Math.ceil((end - have) / PAGE);
    if (have / PAGE + pages > MAX_PAGES) throw new RangeError(`fast kernels: model and activations need ${(end / 2 ** 30).toFixed(2)} GB, more than the 4 GB a WebAssembly memory can hold`);
    this.memory.grow(Math.max(pages, Math.min(MAX_PAGES - have / PAGE, have / PAGE / 4))); // grow by ≥ 25% to limit grow calls
  }

  private allocPersistent(bytes: number): Block {
    bytes = align(bytes);
    const i = this.free.findIndex((b) => b.bytes >= bytes);
    if (i >= 0) return this.free.splice(i, 1)[0];
    const b = { ptr: this.top, bytes };
    this.top += bytes;
    this.ensure(this.top);
    return b;
  }

  private release(b: Block): void {
    if (b.ptr + b.bytes === this.top) this.top = b.ptr;
    else this.free.push(b);
  }

  /**
   * The persistent block made for `key` by `fill` (called once, with the block's float index).
   * Must be called before any scratch() of the same kernel call: a new block may move `top`.
   */
  persistent(key: Float32Array, floats: number, fill: (at: number) => void): number {
    let b = this.blocks.get(key);
    if (!b) {
      b = this.allocPersistent(floats * 4);
      this.blocks.set(key, b);
      this.finalizer.register(key, b);
      fill(b.ptr);
    }
    return b.ptr;
  }

  /** Starts a kernel call: all scratch of the previous call is free again. */
  beginCall(): void {
    this.cursor = align(this.top);
  }

  /** Scratch bytes for this call (64-byte aligned); returns the byte offset. */
  scratch(bytes: number): number {
    const p = this.cursor;
    this.cursor = align(p + bytes);
    this.ensure(this.cursor);
    return p;
  }

  /** Copies a Float32Array into fresh scratch; returns the byte offset. */
  put(x: Float32Array): number {
    const p = this.scratch(x.length * 4);
    this.view.set(x, p >> 2);
    return p;
  }

  putBytes(x: Uint8Array): number {
    const p = this.scratch(x.length);
    this.bytes.set(x, p);
    return p;
  }

  /** Drops every cached weight (e.g. after unloading models); memory is kept for reuse. */
  clearWeights(): void {
    this.top = BASE;
    this.free = [];
    this.blocks = new WeakMap();
  }

  /** Bytes of wasm memory reserved (weights + the largest scratch so far). */
  get reservedBytes(): number {
    return this.memory.buffer.byteLength;
  }
}
