// Messages between the extension host (or CLI) and the engine worker. Every request carries an id
// and gets exactly one final answer: `result`, `summary` or `error`. `progress` may come before.
// Both sides validate what they receive with the guards below before using it.
import { levelsFit, numbersFit } from './headWire';
import type {
  AttentionLayer,
  HeadQK,
  HeadWeightNorms,
  ModelSummary,
  Part,
  Progress,
  QkRequest,
  RunInput,
  RunResult,
} from '../src/engine/types';
import type { ModelFileFacts, SafetensorsHeaderInfo } from '../src/engine/format/modelFileInfo';
import type { FaultKind } from '../src/engine/debug';
import type { HeadSlice } from './headData';
import { isHeadQK } from './views';
import { isLayerSummary } from './layerSummary';
import { isChatInput } from './tokenizer';
import { isId, isIndex, isNumbers, isOptString, isPart, isRecord } from './guards';

export type WorkerRequest =
  /**
   * `stream`: also send `partial` replies with the layers finished so far while the run goes on.
   * `keep`: the worker keeps the probabilities and scores (under this request's id) and the replies'
   * layers carry none (empty arrays), only their summaries; the host asks for a head with `head`.
   * Every kept run but this one and `keep.also` (the run on screen) is dropped.
   */
  | {
      type: 'run';
      id: number;
      modelPath: string;
      input: RunInput;
      cancel: SharedArrayBuffer;
      stream?: boolean;
      keep?: { also?: number };
    }
  /** One head of a kept run (`run`: the id of its run request): answered between layers, even during a run. */
  /** preview: also the head's colour levels (HeadSlice.preview). */
  | { type: 'head'; id: number; run: number; part: Part; layer: number; head: number; preview?: boolean }
  /** Mean over heads of one layer of a kept run, or the rollout up to it (self-attention). */
  | { type: 'aggregate'; id: number; run: number; part: Part; layer: number; kind: 'mean' | 'rollout' }
  | { type: 'info'; id: number; modelPath: string }
  /** One head's q and k vectors (the Q·K view), recomputed on the ids of a finished run. */
  | { type: 'qk'; id: number; modelPath: string; request: QkRequest }
  /** Model files the views show are read here, never on the host's main thread (engine/format/modelFileInfo.ts). */
  | { type: 'header'; id: number; file: string; heads?: number }
  | { type: 'modelFile'; id: number; file: string }
  /** One layer's per-head weight norms (the Models tree), from the loaded model. */
  | { type: 'norms'; id: number; modelPath: string; part: Part; layer: number; heads: number }
  /** Test hook (engine/debug.ts), honoured only when the worker was started with faults enabled. */
  | { type: 'fault'; id: number; kind: FaultKind };

export interface EngineErrorInfo {
  name: string; // ModelFormatError | InputError | CancelledError | Error
  message: string;
  file?: string;
  field?: string;
}

/**
 * Part of a run before it ends: the attention layers finished since the previous `partial` (copies;
 * the host appends them), with what is needed to show them (model, tokens).
 */
export interface PartialReply {
  type: 'partial';
  id: number;
  run: Pick<RunResult, 'model' | 'tokens' | 'ids'>;
  layers: AttentionLayer[];
  progress: Progress;
}

export type WorkerReply =
  | { type: 'progress'; id: number; progress: Progress }
  | PartialReply
  | { type: 'result'; id: number; result: RunResult }
  | { type: 'summary'; id: number; summary: ModelSummary }
  | { type: 'qk'; id: number; qk: HeadQK }
  | { type: 'head'; id: number; head: HeadSlice }
  | { type: 'aggregate'; id: number; data: Float32Array }
  | { type: 'header'; id: number; header: SafetensorsHeaderInfo }
  | { type: 'modelFile'; id: number; facts: ModelFileFacts }
  | { type: 'norms'; id: number; norms: HeadWeightNorms | null }
  | { type: 'error'; id: number; error: EngineErrorInfo };

/** Replies about a request that is still going (progress, layers so far); the others end it. */
export type WorkerNote = Extract<WorkerReply, { type: 'progress' | 'partial' }>;

const isIds = (v: unknown) => v === undefined || (Array.isArray(v) && v.every((x) => typeof x === 'number'));

/** [channels][height][width] numbers; the engine checks the sizes against the model. */
const isPixelValues = (v: unknown) =>
  Array.isArray(v) && v.every((c) => Array.isArray(c) && c.every((r) => Array.isArray(r) && r.every((x) => typeof x === 'number')));

export function isRunInput(v: unknown): v is RunInput {
  return (
    isRecord(v) &&
    isOptString(v.text) &&
    (v.chat === undefined || isChatInput(v.chat)) &&
    isOptString(v.targetText) &&
    isIds(v.ids) &&
    isIds(v.targetIds) &&
    (v.score === undefined || ['dot', 'general', 'additive', 'scaled-dot'].includes(v.score as string)) &&
    (v.withQKV === undefined || typeof v.withQKV === 'boolean') &&
    (v.generate === undefined || (typeof v.generate === 'number' && Number.isInteger(v.generate) && v.generate >= 0)) &&
    (v.maxTokens === undefined || (typeof v.maxTokens === 'number' && v.maxTokens > 0)) &&
    (v.maxRunMemoryMB === undefined || (typeof v.maxRunMemoryMB === 'number' && v.maxRunMemoryMB > 0)) &&
    isOptString(v.image) &&
    (v.pixelValues === undefined || isPixelValues(v.pixelValues))
  );
}

export function isWorkerRequest(v: unknown): v is WorkerRequest {
  if (!isRecord(v) || !isId(v.id)) return false;
  switch (v.type) {
    case 'run':
      return (
        typeof v.modelPath === 'string' &&
        isRunInput(v.input) &&
        v.cancel instanceof SharedArrayBuffer &&
        (v.stream === undefined || typeof v.stream === 'boolean') &&
        (v.keep === undefined || (isRecord(v.keep) && (v.keep.also === undefined || isId(v.keep.also))))
      );
    case 'head':
      return (
        isId(v.run) && isPart(v.part) && isIndex(v.layer) && isIndex(v.head) && (v.preview === undefined || typeof v.preview === 'boolean')
      );
    case 'aggregate':
      return isId(v.run) && isPart(v.part) && isIndex(v.layer) && (v.kind === 'mean' || v.kind === 'rollout');
    case 'info':
      return typeof v.modelPath === 'string';
    case 'qk':
      return typeof v.modelPath === 'string' && isQkRequest(v.request);
    case 'header':
      return typeof v.file === 'string' && (v.heads === undefined || (isIndex(v.heads) && v.heads > 0));
    case 'modelFile':
      return typeof v.file === 'string';
    case 'norms':
      return typeof v.modelPath === 'string' && isPart(v.part) && isIndex(v.layer) && isIndex(v.heads) && v.heads > 0;
    case 'fault':
      return v.kind === 'exit' || v.kind === 'oom' || v.kind === 'hang' || v.kind === 'alloc';
    default:
      return false;
  }
}

/** [channels, height, width] pixels whose data has exactly that many finite values. */
function isPixels(v: unknown): boolean {
  if (!isRecord(v) || !(v.data instanceof Float32Array)) return false;
  const dims = [v.channels, v.height, v.width];
  if (!dims.every((n) => typeof n === 'number' && Number.isInteger(n) && n > 0)) return false;
  return v.data.length === (v.channels as number) * (v.height as number) * (v.width as number) && v.data.every(Number.isFinite);
}

export function isQkRequest(v: unknown): v is QkRequest {
  return (
    isRecord(v) &&
    Array.isArray(v.ids) &&
    (v.ids.length > 0 || v.pixels !== undefined) &&
    isIds(v.ids) &&
    (v.pixels === undefined || isPixels(v.pixels)) &&
    isIds(v.targetIds) &&
    (v.score === undefined || ['dot', 'general', 'additive', 'scaled-dot'].includes(v.score as string)) &&
    isPart(v.part) &&
    isIndex(v.layer) &&
    isIndex(v.head)
  );
}

const isProgress = (v: unknown) =>
  isRecord(v) && typeof v.done === 'number' && typeof v.total === 'number' && typeof v.message === 'string';
const isLayers = (v: unknown) =>
  Array.isArray(v) &&
  v.every(
    (a: unknown) =>
      isRecord(a) &&
      a.probs instanceof Float32Array &&
      a.scores instanceof Float32Array &&
      (a.summary === undefined || isLayerSummary(a.summary, a.heads)) &&
      // A kept layer (no probabilities here) must bring everything the host shows of it.
      (a.probs.length > 0 || (isRecord(a.summary) && Array.isArray(a.summary.stats))),
  );

/** One head's [queries, keys] probabilities and scores (and mask), as `head` answers. */
export function isHeadSlice(v: unknown): v is HeadSlice {
  if (!isRecord(v) || !isIndex(v.queries) || !isIndex(v.keys)) return false;
  const n = v.queries * v.keys;
  return numbersFit(v, n) && (v.preview === undefined || (isRecord(v.preview) && levelsFit(v.preview.levels, v.preview.max, n)));
}

export function isWorkerReply(v: unknown): v is WorkerReply {
  if (!isRecord(v) || !isId(v.id)) return false;
  switch (v.type) {
    case 'progress':
      return isProgress(v.progress);
    case 'partial':
      return (
        isRecord(v.run) &&
        isRecord(v.run.model) &&
        isRecord(v.run.tokens) &&
        isRecord(v.run.ids) &&
        isLayers(v.layers) &&
        isProgress(v.progress)
      );
    case 'result':
      return isRecord(v.result) && isLayers(v.result.attentions);
    case 'summary':
      return isRecord(v.summary) && typeof v.summary.name === 'string';
    case 'qk':
      return isHeadQK(v.qk);
    case 'head':
      return isHeadSlice(v.head);
    case 'aggregate':
      return v.data instanceof Float32Array;
    case 'header':
      return isHeaderInfo(v.header);
    case 'modelFile':
      return (
        isRecord(v.facts) &&
        isOptString(v.facts.description) &&
        isOptString(v.facts.safetensors) &&
        (v.facts.heads === undefined || isIndex(v.facts.heads))
      );
    case 'norms':
      return v.norms === null || isHeadWeightNorms(v.norms);
    case 'error':
      return isRecord(v.error) && typeof v.error.message === 'string' && typeof v.error.name === 'string';
    default:
      return false;
  }
}

const isOptNums = (v: unknown) => v === undefined || isNumbers(v);

function isHeaderInfo(v: unknown): v is SafetensorsHeaderInfo {
  return (
    isRecord(v) &&
    typeof v.file === 'string' &&
    isId(v.headerBytes) &&
    isRecord(v.metadata) &&
    Object.values(v.metadata).every((x) => typeof x === 'string') &&
    Array.isArray(v.tensors) &&
    v.tensors.every(
      (t: unknown) =>
        isRecord(t) &&
        typeof t.name === 'string' &&
        typeof t.dtype === 'string' &&
        isNumbers(t.shape) &&
        isId(t.begin) &&
        isId(t.end) &&
        isOptNums(t.norms),
    )
  );
}

function isHeadWeightNorms(v: unknown): v is HeadWeightNorms {
  return isRecord(v) && isPart(v.part) && isIndex(v.layer) && isOptNums(v.q) && isOptNums(v.k) && isOptNums(v.v) && isOptNums(v.o);
}
