// Owns the engine worker: spawns it lazily, matches replies to requests by id, enforces a timeout,
// cancels through shared memory (and by terminating the worker if it does not stop), and after a
// crash or out-of-memory rejects what was pending with a clear error and starts afresh on the
// next request. No vscode import: the CLI and the tests use it as it is.
import { MessageChannel, Worker, type MessagePort, type ResourceLimits } from 'node:worker_threads';
import {
  isWorkerReply,
  type EngineErrorInfo,
  type PartialReply,
  type WorkerNote,
  type WorkerReply,
  type WorkerRequest,
} from '../common/worker';
import { RpcClient, type Routed } from '../common/rpc';
import type { AttentionLayer, HeadQK, HeadWeightNorms, ModelSummary, Part, Progress, QkRequest, RunInput, RunResult } from './engine/types';
import type { ModelFileFacts, SafetensorsHeaderInfo } from './engine/format/modelFileInfo';
import type { HeadSlice } from '../common/headData';
import { workerResourceLimits } from './engine/limits';
import { debugMark } from './loopMonitor';

export class EngineError extends Error {
  readonly file?: string;
  readonly field?: string;
  constructor(info: EngineErrorInfo) {
    super(info.message);
    this.name = info.name;
    this.file = info.file;
    this.field = info.field;
  }
}

export interface EngineHostOptions {
  workerScript: string;
  /** A request that takes longer is cancelled and rejected; a function is read at each request, so
   *  a changed setting (attentionInspector.runTimeoutSeconds) applies to the next one. */
  timeoutMs?: number | (() => number);
  /** After Cancel, how long the worker may take to reach a checkpoint before it is terminated
   *  (a plain-JS layer of a big model can take longer than a person should wait). Default 100 ms:
   *  Cancel must answer within 200 ms (issue 8), and timers run late on a busy machine. */
  cancelGraceMs?: number;
  resourceLimits?: ResourceLimits;
  faults?: boolean;
  /** Threads for the engine's WASM kernels (0: one per core); read each time a worker starts, so
   *  a changed setting (attentionInspector.engineThreads) applies to the next worker (restartWhenIdle). */
  threads?: () => number;
  /** attentionInspector.maxRunMemoryMB: sent with every run (the worker refuses a run estimated
   *  over it before computing) and, when a worker starts, its V8 heap limit (resourceLimits wins). */
  maxRunMemoryMB?: () => number;
  /** attentionInspector.maxSequenceLength: sent with every run that does not give its own maxTokens. */
  maxTokens?: () => number;
  /** What the memory watch measures: 'worker' (default; the worker's own heap and external memory
   *  where Node can tell, else the process) or 'process' (resident memory of the whole process). */
  measure?: 'worker' | 'process';
  /** Growth the memory watch allows beyond twice maxRunMemoryMB (default 1024 MB). */
  memoryHeadroomMB?: number;
  /**
   * The engine's threads run at this nice value (Linux only, where a thread's priority is its own):
   * the window's processes then get the CPU first while a run computes. Default: unchanged.
   */
  nice?: number;
}

export interface RunHandle extends Promise<RunResult> {
  cancel(): void;
}

/** Memory watch (see watchMemory): the engine's bytes when the work started (set by the first
 *  sample, and again after the first progress report), and its interval. */
interface MemoryWatch {
  base?: number;
  computing: boolean;
  sampling: boolean;
  watch: NodeJS.Timeout;
}

type Answer =
  RunResult | ModelSummary | HeadQK | HeadSlice | Float32Array | SafetensorsHeaderInfo | ModelFileFacts | HeadWeightNorms | null;

/** The worker's final answers settle a request; progress and partial results are notes about it. */
function routeReply(m: WorkerReply): Routed<Answer, WorkerNote> {
  switch (m.type) {
    case 'progress':
    case 'partial':
      return { id: m.id, note: m };
    case 'result':
      return { id: m.id, reply: m.result };
    case 'summary':
      return { id: m.id, reply: m.summary };
    case 'qk':
      return { id: m.id, reply: m.qk };
    case 'head':
      return { id: m.id, reply: m.head };
    case 'aggregate':
      return { id: m.id, reply: m.data };
    case 'header':
      return { id: m.id, reply: m.header };
    case 'modelFile':
      return { id: m.id, reply: m.facts };
    case 'norms':
      return { id: m.id, reply: m.norms };
    case 'error':
      return { id: m.id, error: new EngineError(m.error) };
  }
}

type Optional = 'resourceLimits' | 'maxRunMemoryMB' | 'maxTokens' | 'measure' | 'memoryHeadroomMB' | 'nice';

const MB = 1024 * 1024;
/** A cancelled kept run whose worker has not stopped by then is stuck: the worker is terminated. */
const CANCEL_STUCK_MS = 10_000;
/** How often the host samples the engine's memory while a request runs. */
const MEMORY_WATCH_MS = 100;
/** worker.getHeapStatistics() exists (Node ≥ 22.16): the memory watch can measure the worker alone. */
export const CAN_ASK_WORKER = typeof (Worker.prototype as { getHeapStatistics?: unknown }).getHeapStatistics === 'function';

export class EngineHost {
  private worker?: Worker;
  /** The worker's second port: requests about kept runs, which it reads between layers of a run too. */
  private quick?: MessagePort;
  private readonly calls = new RpcClient<WorkerRequest, WorkerReply, Answer, WorkerNote>((m) => {
    const w = this.ensureWorker();
    if ((m.type === 'head' || m.type === 'aggregate') && this.quick) this.quick.postMessage(m);
    else w.postMessage(m);
  }, routeReply);
  /** Cancelled kept runs the worker has not answered yet, with the timer that stops a stuck worker. */
  private readonly draining = new Map<number, NodeJS.Timeout>();
  /** Set by restartWhenIdle while requests are pending: the worker is stopped when they end. */
  private retire = false;
  private readonly opts: Required<Omit<EngineHostOptions, Optional>> & Pick<EngineHostOptions, Optional>;

  constructor(opts: EngineHostOptions) {
    this.opts = { timeoutMs: 300_000, cancelGraceMs: 100, faults: false, threads: () => 0, ...opts };
  }

  /** Number of workers started so far (a restart after a crash increments it). */
  starts = 0;

  /**
   * Runs `input` on the model file. With `onPartial`, a run that takes a while is also handed out
   * before it ends: a RunResult with the attention layers finished so far and `running` set
   * (called again as more layers finish; never after the promise settles).
   */
  run(
    modelPath: string,
    input: RunInput,
    onProgress?: (p: Progress) => void,
    onPartial?: (r: RunResult) => void,
    /** The worker keeps the probabilities (the result's layers carry summaries only); `also`: a kept run not to drop. */
    keep?: { also?: number },
  ): RunHandle {
    const cancelBuffer = new SharedArrayBuffer(4);
    const flag = new Int32Array(cancelBuffer);
    const limit = input.maxRunMemoryMB ?? this.opts.maxRunMemoryMB?.();
    const maxTokens = input.maxTokens ?? this.opts.maxTokens?.();
    /** Streaming runs: the layers received so far. */
    const streamed: AttentionLayer[] = [];
    const onPartialReply =
      onPartial &&
      ((m: PartialReply) => {
        streamed.push(...m.layers);
        onPartial({ ...m.run, attentions: [...streamed], addNorm: [], running: m.progress, ...(keep && { kept: { run: m.id } }) });
      });
    const call = this.request<RunResult>(
      (id) => ({
        type: 'run',
        id,
        modelPath,
        input: { ...input, maxRunMemoryMB: limit, maxTokens },
        cancel: cancelBuffer,
        ...(onPartial ? { stream: true } : {}),
        ...(keep && { keep: { ...(keep.also !== undefined && { also: keep.also }) } }),
      }),
      `running ${modelPath}`,
      onProgress,
      onPartialReply,
    );
    const promise = call.then((result) => {
      const r = keepStreamed(result, streamed);
      return keep ? { ...r, kept: { run: call.id } } : r;
    });
    return Object.assign(promise, {
      cancel: () => {
        if (!this.calls.has(call.id)) return;
        Atomics.store(flag, 0, 1);
        if (keep) return this.cancelKept(call.id);
        // The engine checks the flag between layers; if it is stuck inside one, stop the worker.
        const grace = setTimeout(() => {
          this.fail(call.id, new EngineError({ name: 'CancelledError', message: 'run cancelled' }), true);
        }, this.opts.cancelGraceMs);
        promise.finally(() => clearTimeout(grace)).catch(() => {});
      },
    });
  }

  /** One head of a run the worker keeps (RunResult.kept); answered between layers while a run goes on. */
  head(run: number, part: Part, layer: number, head: number, preview = false): Promise<HeadSlice> {
    return this.request<HeadSlice>(
      (id) => ({ type: 'head', id, run, part, layer, head, ...(preview ? { preview } : {}) }),
      `reading ${part} layer ${layer} head ${head}`,
    );
  }

  /** Mean over heads of one layer of a kept run, or the rollout up to it. */
  aggregate(run: number, part: Part, layer: number, kind: 'mean' | 'rollout'): Promise<Float32Array> {
    return this.request<Float32Array>(
      (id) => ({ type: 'aggregate', id, run, part, layer, kind }),
      `computing the ${kind} of ${part} layer ${layer}`,
    );
  }

  /**
   * Cancel of a run whose worker keeps the run on screen: answered at once (the UI says so and
   * shows that run again), and the worker is left to stop at its next checkpoint, keeping what it
   * holds (terminating it would lose the run on screen and the loaded model). Only a worker that
   * has not stopped within CANCEL_STUCK_MS is terminated.
   */
  private cancelKept(id: number): void {
    const w = this.worker;
    this.calls.fail(id, new EngineError({ name: 'CancelledError', message: 'run cancelled' }));
    const stuck = setTimeout(() => {
      this.draining.delete(id);
      if (this.worker === w) this.stopWorker();
    }, CANCEL_STUCK_MS);
    stuck.unref();
    this.draining.set(id, stuck);
  }

  info(modelPath: string): Promise<ModelSummary> {
    return this.request<ModelSummary>((id) => ({ type: 'info', id, modelPath }), `reading ${modelPath}`);
  }

  /** One head's q and k vectors (the Q·K view), recomputed on the ids of a finished run. */
  qk(modelPath: string, request: QkRequest): Promise<HeadQK> {
    return this.request<HeadQK>((id) => ({ type: 'qk', id, modelPath, request }), `computing q and k of ${modelPath}`);
  }

  /** A .safetensors file's header (per-head norms of the attention projections with `heads`), read by the worker. */
  header(file: string, heads?: number): Promise<SafetensorsHeaderInfo> {
    return this.request<SafetensorsHeaderInfo>(
      (id) => ({ type: 'header', id, file, ...(heads ? { heads } : {}) }),
      `reading the header of ${file}`,
    );
  }

  /** What a project model JSON says beyond its summary (description, sidecar, heads), read by the worker. */
  modelFile(file: string): Promise<ModelFileFacts> {
    return this.request<ModelFileFacts>((id) => ({ type: 'modelFile', id, file }), `reading ${file}`);
  }

  /** One attention layer's per-head weight norms (null: no projections under the canonical names). */
  norms(modelPath: string, part: Part, layer: number, heads: number): Promise<HeadWeightNorms | null> {
    return this.request<HeadWeightNorms | null>(
      (id) => ({ type: 'norms', id, modelPath, part, layer, heads }),
      `computing weight norms of ${modelPath}`,
    );
  }

  /** Test hook: make the worker exit, run out of heap, hang, or allocate typed arrays without end. */
  fault(kind: 'exit' | 'oom' | 'hang' | 'alloc'): Promise<unknown> {
    return this.request((id) => ({ type: 'fault', id, kind }), `fault ${kind}`);
  }

  /** Stops the worker; anything pending is rejected. The next request starts a new one. */
  async restart(reason = 'the engine was restarted'): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    this.retire = false;
    this.calls.failAll(() => new EngineError({ name: 'EngineRestarted', message: reason }));
    if (w) await w.terminate();
  }

  /**
   * A setting the worker reads when it starts changed (threads, heap limit): stop the worker now
   * when it is idle, else when its pending requests end, so the next request starts a fresh one.
   */
  restartWhenIdle(): void {
    if (this.calls.size === 0) void this.restart('settings changed');
    else this.retire = true;
  }

  private retireIfIdle(): void {
    if (!this.retire || this.calls.size > 0) return;
    this.retire = false;
    void this.restart('settings changed');
  }

  dispose(): Promise<void> {
    return this.restart('the engine was shut down');
  }

  /**
   * Sends one request to the worker (started if needed). A timeout rejects it and stops the worker
   * stuck on it; the memory watch runs until it settles.
   */
  private request<T extends Answer>(
    make: (id: number) => WorkerRequest,
    what: string,
    onProgress?: (p: Progress) => void,
    onPartial?: (m: PartialReply) => void,
  ): Promise<T> & { id: number } {
    let memory: MemoryWatch | undefined;
    const t = this.opts.timeoutMs;
    const timeoutMs = typeof t === 'function' ? t() : t;
    const call = this.calls.request<T>(make, {
      timeoutMs,
      what,
      timeoutError: () => {
        const message = `${what} took longer than ${timeoutMs / 1000} s and was stopped`;
        return new EngineError({ name: 'TimeoutError', message });
      },
      onTimeout: () => this.stopWorker(),
      onNote: (m) => {
        if (m.type === 'partial') return onPartial?.(m);
        if (memory && !memory.computing) Object.assign(memory, { base: undefined, computing: true });
        onProgress?.(m.progress);
      },
      onSettle: () => {
        clearInterval(memory?.watch);
        // After the client has let go of the call: retire a worker whose settings changed.
        queueMicrotask(() => this.retireIfIdle());
      },
    });
    if (this.calls.has(call.id)) memory = this.watchMemory(call.id, what);
    return call;
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const channel = new MessageChannel();
    const workerData = {
      faults: this.opts.faults,
      threads: this.opts.threads(),
      maxRunMemoryMB: this.opts.maxRunMemoryMB?.(),
      quick: channel.port2,
      nice: this.opts.nice,
    };
    const w = new Worker(this.opts.workerScript, {
      workerData,
      transferList: [channel.port2],
      resourceLimits: this.resourceLimits(),
    });
    this.quick?.close();
    this.quick = channel.port1;
    channel.port1.on('message', (m: unknown) => this.onReply(m));
    channel.port1.unref();
    this.starts++;
    w.on('message', (m: unknown) => this.onReply(m));
    w.on('error', (e: Error & { code?: string }) => {
      const oom = e.code === 'ERR_WORKER_OUT_OF_MEMORY';
      this.crashed(w, oom ? 'ran out of memory' : `failed: ${e.message}`);
    });
    w.on('exit', (code) => this.crashed(w, `stopped unexpectedly (exit code ${code})`));
    w.unref(); // an idle engine must not keep the CLI or a test process alive
    this.worker = w;
    return w;
  }

  /**
   * The worker shares this process: its typed arrays are outside its heap limit, so a run that
   * allocates without end (an architecture with no memory estimate, a bug) would grow until the
   * OS kills the editor. While a request runs, the host samples the engine's memory (engineBytes)
   * and stops the worker when it has grown by more than twice maxRunMemoryMB (the run's tensors
   * plus the worker's heap) + 1 GB of headroom. The baseline moves to the first progress report,
   * so reading a big model file does not count against its run.
   */
  private watchMemory(id: number, what: string): MemoryWatch | undefined {
    const mb = this.opts.maxRunMemoryMB?.();
    if (mb === undefined) return undefined;
    const allowed = (2 * mb + (this.opts.memoryHeadroomMB ?? 1024)) * MB;
    const memory: MemoryWatch = {
      computing: false,
      sampling: false,
      watch: undefined as unknown as NodeJS.Timeout,
    };
    const sample = async () => {
      const now = await this.engineBytes();
      if (now === undefined || !this.calls.has(id)) return;
      memory.base ??= now;
      const grown = now - memory.base;
      if (grown <= allowed) return;
      const message = `The attention engine used ${Math.round(grown / MB).toLocaleString('en-US')} MB more memory while ${what}, over what the setting attentionInspector.maxRunMemoryMB (${mb.toLocaleString('en-US')} MB) allows; it was stopped and will start again for the next run.`;
      this.fail(id, new EngineError({ name: 'MemoryLimitError', message }), true);
    };
    memory.watch = setInterval(() => {
      // One sample at a time: a busy worker answers getHeapStatistics only at its next interrupt check.
      if (memory.sampling) return;
      memory.sampling = true;
      sample()
        .finally(() => (memory.sampling = false))
        .catch(() => {});
    }, MEMORY_WATCH_MS);
    memory.watch.unref();
    void sample();
    return memory;
  }

  /**
   * The engine's own memory, in bytes: the worker isolate's V8 heap plus its external memory (the
   * typed arrays and WASM memory the engine allocates), from worker.getHeapStatistics() — the
   * host's and other extensions' allocations do not count. Where Node cannot ask a worker (before
   * 22.16, e.g. older VS Code builds) it is the whole process's resident memory, so growth of the
   * extension host during a run counts too. Memory the native kernels malloc (packed weights at
   * load, bounded scratch) is in neither isolate figure; it is not what grows without end.
   */
  private async engineBytes(): Promise<number | undefined> {
    if (!CAN_ASK_WORKER || this.opts.measure === 'process') return process.memoryUsage.rss();
    type HeapStats = { used_heap_size: number; external_memory: number };
    const w = this.worker as (Worker & { getHeapStatistics(): Promise<HeapStats> }) | undefined;
    if (!w) return undefined;
    try {
      const s = await w.getHeapStatistics();
      return s.used_heap_size + s.external_memory;
    } catch {
      return undefined; // not started yet, or exiting: the next sample answers
    }
  }

  private resourceLimits(): ResourceLimits | undefined {
    const mb = this.opts.maxRunMemoryMB?.();
    return this.opts.resourceLimits ?? (mb === undefined ? undefined : workerResourceLimits(mb));
  }

  private crashed(w: Worker, how: string): void {
    if (this.worker !== w) return; // already replaced (restart, or a second event of the same death)
    this.worker = undefined;
    const message = (what: string) => `The attention engine ${how} while ${what}. It will start again for the next run.`;
    this.calls.failAll((what) => new EngineError({ name: 'EngineCrashed', message: message(what) }));
  }

  private onReply(m: unknown): void {
    // A malformed reply cannot be matched; the timeout answers its request.
    if (!isWorkerReply(m)) return;
    const stuck = this.draining.get(m.id);
    if (stuck && m.type !== 'progress' && m.type !== 'partial') {
      clearTimeout(stuck); // the cancelled run stopped
      this.draining.delete(m.id);
      debugMark(`engine: cancelled run ${m.id} stopped`);
    }
    this.calls.receive(m);
  }

  /** Rejects one request; with `stopWorker`, also terminates the worker that is stuck on it. */
  private fail(id: number, e: Error, stopWorker: boolean): void {
    if (this.calls.fail(id, e) && stopWorker) this.stopWorker();
  }

  /** Terminates the worker; requests queued behind the stuck one die with it: answer them too. */
  private stopWorker(): void {
    const w = this.worker;
    if (!w) return;
    this.worker = undefined;
    const message = (what: string) => `The engine was restarted while ${what}.`;
    // Not 'EngineRestarted' (a restart someone asked for): these requests failed with the stuck one.
    this.calls.failAll((what) => new EngineError({ name: 'EngineStopped', message: message(what) }));
    void w.terminate();
  }
}

/**
 * A streamed run's result carries every layer again. The host already holds equal copies of the
 * streamed ones, and the panel's per-array summaries (headSummaries) were computed on those: keep
 * them, so the duplicates are freed and nothing is summarised twice on the host's main thread.
 */
function keepStreamed(result: RunResult, streamed: AttentionLayer[] | undefined): RunResult {
  if (!streamed?.length) return result;
  const have = new Map(streamed.map((a) => [`${a.part}/${a.layer}`, a]));
  const attentions = result.attentions.map((a) => {
    const s = have.get(`${a.part}/${a.layer}`);
    return s && s.heads === a.heads && s.probs.length === a.probs.length ? s : a;
  });
  return { ...result, attentions };
}
