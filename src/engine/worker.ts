// The engine's worker thread: a message loop only. Models are loaded once per file and reloaded
// when the file changes on disk.
import { answerHead, PREVIEW_MIN_CELLS } from '../../common/headWire';
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import * as fs from 'node:fs';
import { isWorkerRequest, type EngineErrorInfo, type WorkerNote, type WorkerReply, type WorkerRequest } from '../../common/worker';
import { serve, type Replier } from '../../common/rpc';
import { transferables } from './transfer';
import { loadModel, prepare, runModel, summarize } from './run';
import { headQK } from './qkVectors';
import { layerWeightNorms } from './headNorms';
import { architectureOf } from './models/registry';
import { readModelFileFacts, readSafetensorsHeader } from './format/modelFileInfo';
import type { AttentionLayer, PartialRun } from './types';
import type { LoadedModel } from './format/loaded';
import { CancelledError, sharedCancelFlag } from './control';
import { defaultKernels } from './kernels/index';
import { pollingKernels } from './kernels/polling';
import { TokenizerTimeoutError } from './format/tokenizer';
import { injectFault } from './debug';
import { layerSummary } from '../../common/layerSummary';
import { KeptRuns, keptLayer } from './keptRuns';
import { lowerThreadPriority } from './threadPriority';

const port = parentPort;
if (!port) throw new Error('worker.ts must run in a worker thread');
const data = workerData as { faults?: boolean; threads?: number; maxRunMemoryMB?: number; quick?: MessagePort; nice?: number } | undefined;
// Before the kernels start their threads, which inherit this thread's priority.
if (data?.nice !== undefined) lowerThreadPriority(data.nice);
/** Requests about kept runs (head, aggregate) come on their own port: read between layers during a run too. */
const quick = data?.quick;
const faultsEnabled = data?.faults === true;
// The native kernels (AVX-512 or AVX2), else the WASM SIMD kernels, on `threads` threads (0: one per core);
// the reference kernels if neither can start (each fallback's reason goes to the host's stderr).
// Requests about kept runs are read between a layer's pieces of work too (kernels/polling.ts), and
// a run's Cancel stops it there: the worker yields the CPU to the window (nice), and in VS Code it
// took ~400 ms to reach the next poll between layers or halves of a layer at 1024 tokens.
const kernels = pollingKernels(defaultKernels({ threads: data?.threads }), () => {
  pollQuick();
  if (running?.cancelled()) throw new CancelledError();
});
const kernelInfo =
  'name' in kernels
    ? { kernels: String(kernels.name), threads: Number((kernels as { threads?: number }).threads ?? 1) }
    : { kernels: 'reference', threads: 1 };

const cache = new Map<string, { stamp: string; model: LoadedModel }>();
/** attentionInspector.maxRunMemoryMB as last heard (at start, then with each run): it also caps a
 *  model's weights, checked before they are read (format/weightsMemory.ts). */
let maxRunMemoryMB = typeof data?.maxRunMemoryMB === 'number' ? data.maxRunMemoryMB : undefined;

function stampOf(path: string): string {
  const st = fs.statSync(path);
  return `${st.mtimeMs}:${st.size}`;
}

function stampOrGone(path: string): string {
  try {
    return stampOf(path);
  } catch {
    return 'gone';
  }
}

/**
 * Models whose tokenizer ran out of time while loading, with the stamps of the model and the
 * tokenizer file: the Models tree asks for every model's info on each refresh, and a hostile
 * tokenizer.json would cost its time budget every time. Loaded again when either file changes.
 */
const timedOut = new Map<string, { stamp: string; error: TokenizerTimeoutError }>();

function getModel(path: string): LoadedModel {
  const stamp = stampOf(path);
  const hit = cache.get(path);
  if (hit && hit.stamp === stamp) return hit.model;
  const failed = timedOut.get(path);
  if (failed && failed.stamp === `${stamp}|${stampOrGone(failed.error.file)}`) throw failed.error;
  let model: LoadedModel;
  try {
    model = loadModel(path, { maxRunMemoryMB });
  } catch (e) {
    if (e instanceof TokenizerTimeoutError) timedOut.set(path, { stamp: `${stamp}|${stampOrGone(e.file)}`, error: e });
    throw e;
  }
  timedOut.delete(path);
  prepare(model, kernels);
  cache.set(path, { stamp, model });
  return model;
}

function errorInfo(e: unknown): EngineErrorInfo {
  if (e instanceof Error) {
    const { file, field } = e as Error & { file?: string; field?: string };
    return { name: e.name, message: e.message, file, field };
  }
  return { name: 'Error', message: String(e) };
}

/** Every message to the host goes through serve (common/rpc.ts): the request's id, exactly one answer. */
type Reply = Replier<WorkerReply, WorkerNote>;

/**
 * Streaming: a run that is still going after STREAM_AFTER_MS shows the layers finished so far,
 * then more at most every STREAM_EVERY_MS. Short runs send nothing extra (no flicker), and long
 * ones do not re-render the panel at every layer.
 */
const STREAM_AFTER_MS = 60;
const STREAM_EVERY_MS = 400;

/** A layer with its own buffers (the mask too: the engine may share one mask between layers). */
function copyLayer(a: AttentionLayer): AttentionLayer {
  return {
    ...a,
    probs: a.probs.slice(),
    scores: a.scores.slice(),
    ...(a.mask && { mask: a.mask.slice() }),
    ...(a.rowEntropy && { rowEntropy: a.rowEntropy.slice() }),
    // Small (≤ 48 KB a layer), so copied with the message, not transferred: the final result reuses it.
    summary: layerSummary(a),
  };
}

function streamer(r: Reply, keep: boolean, stream: boolean): (p: PartialRun) => void {
  const started = performance.now();
  let sent = 0;
  let last = -Infinity;
  return (p) => {
    if (keep) {
      kept.set(r.id, p.attentions);
      pollQuick(); // a head asked for during the run is answered here, between layers
    }
    const now = performance.now();
    if (!stream || p.attentions.length <= sent || now - started < STREAM_AFTER_MS || now - last < STREAM_EVERY_MS) return;
    const run = { model: p.model, tokens: p.tokens, ids: p.ids };
    // Kept: only the summaries and statistics cross. Else the layers are copied here (the engine
    // keeps its own arrays) and the copies handed over, so the host's main thread does not copy them.
    const layers = p.attentions.slice(sent).map((a) => (keep ? keptLayer(a, p) : copyLayer(a)));
    r.note({ type: 'partial', run, layers, progress: p.progress }, transferables({ ...run, attentions: layers, addNorm: [] }));
    sent = p.attentions.length;
    last = now;
  };
}

const kept = new KeptRuns();
/** The run request under way (its layers may be asked for before it ends), and its cancel flag, read by the kernels' polls. */
let running: { id: number; cancelled(): boolean } | undefined;

/** A head or an aggregate of a kept run. */
function answerKept(msg: WorkerRequest & { type: 'head' | 'aggregate' }, r: Reply): void {
  if (msg.type === 'head') {
    // Half the bytes to the page when the probabilities are the softmax of the scores (headWire.ts),
    // and, when asked, the colour levels of the probabilities the page will hold (a quarter of them).
    const slice = kept.head(msg.run, msg.part, msg.layer, msg.head);
    const head = answerHead(slice, msg.preview === true && slice.queries * slice.keys >= PREVIEW_MIN_CELLS);
    r.reply({ type: 'head', head }, [
      head.probs.buffer as ArrayBuffer,
      head.scores.buffer as ArrayBuffer,
      ...(head.preview ? [head.preview.levels.buffer as ArrayBuffer] : []),
    ]);
  } else {
    const data = kept.aggregate(msg.run, msg.part, msg.layer, msg.kind, msg.run === running?.id);
    r.reply({ type: 'aggregate', data }, [data.buffer as ArrayBuffer]);
  }
}

/** One request: answered through `r` (a throw is the error reply, sent by serve). */
function handle(msg: WorkerRequest, r: Reply): void {
  switch (msg.type) {
    case 'info':
      r.reply({ type: 'summary', summary: summarize(getModel(msg.modelPath)) });
      break;
    case 'qk': {
      const qk = headQK(getModel(msg.modelPath), msg.request);
      r.reply({ type: 'qk', qk }, [qk.q.buffer as ArrayBuffer, qk.k.buffer as ArrayBuffer]);
      break;
    }
    case 'header':
      r.reply({ type: 'header', header: readSafetensorsHeader(msg.file, msg.heads) });
      break;
    case 'modelFile':
      r.reply({ type: 'modelFile', facts: readModelFileFacts(msg.file) });
      break;
    case 'norms': {
      const model = getModel(msg.modelPath);
      r.reply({
        type: 'norms',
        norms: layerWeightNorms(model, msg.part, msg.layer, msg.heads, architectureOf(model).sharedLayer),
      });
      break;
    }
    case 'run': {
      const flag = sharedCancelFlag(msg.cancel);
      if (msg.input.maxRunMemoryMB !== undefined) maxRunMemoryMB = msg.input.maxRunMemoryMB;
      const keep = msg.keep !== undefined;
      // Before the model loads: the dropped runs' memory is free for this one.
      if (keep) kept.retain([msg.keep?.also]);
      const model = getModel(msg.modelPath);
      const t0 = performance.now();
      running = { id: msg.id, cancelled: flag.isCancelled };
      // The native kernels also stop inside a product: a projection alone took up to 210 ms at nice 10
      // beside a busy window, so a Cancel that came during one waited for it.
      kernels.watchCancel?.(flag.view);
      try {
        const isCancelled = () => (pollQuick(), flag.isCancelled());
        const result = runModel(
          model,
          msg.input,
          { isCancelled, progress: (progress) => r.note({ type: 'progress', progress }) },
          msg.stream || keep ? streamer(r, keep, msg.stream === true) : undefined,
        );
        result.engine = { ...kernelInfo, ms: performance.now() - t0 };
        if (keep) {
          kept.set(msg.id, result.attentions);
          result.attentions = result.attentions.map((a) => keptLayer(a, result));
        } else {
          // Streamed layers were summarised already (layerSummary keeps them per probs array).
          for (const a of result.attentions) a.summary = layerSummary(a);
        }
        r.reply({ type: 'result', result }, transferables(result));
      } finally {
        kernels.watchCancel?.(undefined);
        running = undefined;
      }
      break;
    }
    case 'head': // the host sends these on the quick port; answered alike when they come here
    case 'aggregate':
      answerKept(msg, r);
      break;
    case 'fault': // a test hook (debug.ts)
      injectFault(msg.kind, faultsEnabled);
  }
}

const MALFORMED = {
  reply: { type: 'error', error: { name: 'ProtocolError', message: 'malformed request to the engine worker' } },
  fallbackId: -1,
} as const;

/** Answers requests arriving on `to` (the quick port takes head and aggregate requests only). */
function server(to: Pick<MessagePort, 'postMessage'>, onlyKept: boolean): (raw: unknown) => void {
  return serve<WorkerRequest, WorkerReply, WorkerNote>({
    guard: (m): m is WorkerRequest => isWorkerRequest(m) && (!onlyKept || m.type === 'head' || m.type === 'aggregate'),
    post: (m, transfer) => to.postMessage(m, transfer),
    error: (e) => ({ type: 'error', error: errorInfo(e) }),
    malformed: MALFORMED,
    handle,
  });
}

const onQuick = quick ? server(quick, true) : undefined;

function pollQuick(): void {
  if (!quick || !onQuick) return;
  for (let m = receiveMessageOnPort(quick); m; m = receiveMessageOnPort(quick)) onQuick(m.message);
}

quick?.on('message', (m: unknown) => onQuick?.(m));
port.on('message', server(port, false));
