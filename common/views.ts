// Messages of the inspector's main-panel views beyond the head grid (Q·K, decoder stepper,
// aggregates, positional encoding, compare, export, re-run). Declared here to keep webview.ts
// short; webview.ts folds them into its unions and guards. No vscode or Node imports.
import type { HeadQK, Part, RnnScore } from '../src/engine/types';
import { isCount, isIndex, isPart, isRecord, isString, isStrings } from './guards';
import { maskFits } from './headWire';

/** The main panel's views, in the order of the view switcher. */
export type InspectorView = 'heads' | 'qk' | 'stepper' | 'aggregates' | 'positional' | 'compare';
export const INSPECTOR_VIEWS: readonly InspectorView[] = ['heads', 'qk', 'stepper', 'aggregates', 'positional', 'compare'];
export const RNN_SCORES: readonly RnnScore[] = ['dot', 'general', 'additive', 'scaled-dot'];

export type AggregateKind = 'mean' | 'rollout';
export type ImageFormat = 'png' | 'svg';
export type ExportFormat = ImageFormat | 'csv' | 'json';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['png', 'svg', 'csv', 'json'];

/** Largest exported image the host accepts from a webview (characters of data URL / SVG text). */
export const MAX_EXPORT_CHARS = 40_000_000;

// ---- webview → host ---------------------------------------------------------------------------

/** Re-run the current input with another RNN score function (the stepper's switch). */
export interface RerunMessage {
  type: 'rerun';
  runId: number;
  score: RnnScore;
}

/** One aggregate matrix of a self- or cross-attention layer; answered by `aggregate` or `viewError`. */
export interface RequestAggregateMessage {
  type: 'requestAggregate';
  requestId: number;
  runId: number;
  part: Part;
  layer: number;
  kind: AggregateKind;
}

/** The run's fixed positional encoding; answered by `positional` or `viewError`. */
export interface RequestPositionalMessage {
  type: 'requestPositional';
  requestId: number;
  runId: number;
}

/** One head's q and k vectors for the Q·K view; answered by `qk` or `viewError`. */
export interface RequestQkMessage {
  type: 'requestQk';
  requestId: number;
  runId: number;
  part: Part;
  layer: number;
  head: number;
}

/** One head of both compared runs; answered by `compareHead` or `viewError`. */
export interface RequestCompareHeadMessage {
  type: 'requestCompareHead';
  requestId: number;
  compareId: number;
  part: Part;
  layer: number;
  head: number;
}

/**
 * The answer to `exportRequest`. Images carry `image` (PNG as a data: URL, SVG as text); CSV/JSON
 * carry nothing but the head on screen: the host writes the numbers from its own copy of the run.
 */
export interface ExportReplyMessage {
  type: 'exportReply';
  requestId: number;
  /** What the export is titled: model, layer, head, input (as the page shows it). */
  title: string;
  image?: string;
  head?: { part: Part; layer: number; head: number };
  /** The attention-sink display transform was on (CSV/JSON then hold the transformed rows too). */
  sink: boolean;
  /** Set when the page cannot export the current view. */
  error?: string;
}

// ---- host → webview ---------------------------------------------------------------------------

/** Switch the main panel to a view (Show Positional Encoding, Step Decoder, …). */
export interface ShowViewMessage {
  type: 'showView';
  view: InspectorView;
  /**
   * Counts the host's requests; the page applies each one once and remembers the number in its
   * state, so a re-sent snapshot after a reload does not undo a view the user chose since.
   */
  seq: number;
}

/** [queries, keys] aggregate over heads (mean) or over layers up to `layer` (rollout). */
export interface AggregateMessage {
  type: 'aggregate';
  requestId: number;
  runId: number;
  part: Part;
  layer: number;
  kind: AggregateKind;
  queries: number;
  keys: number;
  data: Float32Array;
}

export interface PositionalMessage {
  type: 'positional';
  requestId: number;
  runId: number;
  positions: number;
  dims: number;
  scheme: string;
  /** [positions, dims] */
  data: Float32Array;
}

/** The q and k vectors of one head ([queries, dims] and [keys, dims]), as its scores used them. */
export type QkMessage = { type: 'qk'; requestId: number; runId: number } & HeadQK;

/** A request of a view could not be answered; the view shows `message`. */
export interface ViewErrorMessage {
  type: 'viewError';
  requestId: number;
  message: string;
}

export interface CompareSide {
  label: string;
  model: string;
}

/** One run's axes in a compared part. */
export interface CompareAxis {
  queries: number;
  keys: number;
  queryTokens: string[];
  keyTokens: string[];
}

export interface ComparePart {
  part: Part;
  a: CompareAxis;
  b: CompareAxis;
  /** Same [queries, keys] in both runs: its heads are ranked by JSD and B − A is drawn. */
  sameShape: boolean;
}

export interface CompareHeadRef {
  part: Part;
  layer: number;
  head: number;
}

export interface CompareRank extends CompareHeadRef {
  /** Mean over query rows of JSD(a_i, b_i), in bits (0 = same, 1 = disjoint). */
  jsd: number;
}

/** Two results to compare; `message` says in words what cannot be compared and why. */
export interface CompareMessage {
  type: 'compare';
  compareId: number;
  title: string;
  a: CompareSide;
  b: CompareSide;
  parts: ComparePart[];
  /** Heads of same-shape parts by JSD, largest first. */
  ranking: CompareRank[];
  /** Heads both runs have in parts whose token counts differ: shown side by side only. */
  unranked: CompareHeadRef[];
  message?: string;
}

/** One run's [queries, keys] probabilities of the compared head. */
export interface CompareHeadSide {
  queries: number;
  keys: number;
  probs: Float32Array;
  mask?: Uint8Array;
}

export interface CompareHeadMessage {
  type: 'compareHead';
  requestId: number;
  compareId: number;
  part: Part;
  layer: number;
  head: number;
  a: CompareHeadSide;
  b: CompareHeadSide;
}

/** The host asks the page for the current view (image) or head (CSV/JSON); answered by `exportReply`. */
export interface ExportRequestMessage {
  type: 'exportRequest';
  requestId: number;
  format: ExportFormat;
}

export type ViewToHost =
  RerunMessage | RequestAggregateMessage | RequestPositionalMessage | RequestCompareHeadMessage | RequestQkMessage | ExportReplyMessage;
export type HostToView =
  | ShowViewMessage
  | AggregateMessage
  | PositionalMessage
  | QkMessage
  | ViewErrorMessage
  | CompareMessage
  | CompareHeadMessage
  | ExportRequestMessage;

// ---- guards -----------------------------------------------------------------------------------

export const isInspectorView = (x: unknown): x is InspectorView => INSPECTOR_VIEWS.some((v) => v === x);
export const isRnnScore = (x: unknown): x is RnnScore => RNN_SCORES.some((s) => s === x);
export const isExportFormat = (x: unknown): x is ExportFormat => EXPORT_FORMATS.some((f) => f === x);
const QK_FORMS: readonly unknown[] = ['scaled-dot', 'dot', 'general', 'additive'];

/** Shapes must match: the Q·K view reads q[i·dims + c] and k[j·dims + c] without further checks. */
export function isHeadQK(x: unknown): x is HeadQK {
  if (!isRecord(x) || !isPart(x.part) || !isIndex(x.layer) || !isIndex(x.head)) return false;
  if (!isIndex(x.queries) || !isIndex(x.keys) || !isIndex(x.dims) || !QK_FORMS.includes(x.form)) return false;
  if (typeof x.scale !== 'number' || !Number.isFinite(x.scale)) return false;
  const fits = (a: unknown, rows: number) => a instanceof Float32Array && a.length === rows * (x.dims as number);
  return fits(x.q, x.queries) && fits(x.k, x.keys);
}

const isAggregateKind = (x: unknown): x is AggregateKind => x === 'mean' || x === 'rollout';

function isExportHead(x: unknown): boolean {
  return isRecord(x) && isPart(x.part) && isIndex(x.layer) && isIndex(x.head);
}

/** Untrusted messages from the page for the views; anything else is dropped by the host. */
export function isViewToHost(x: unknown): x is ViewToHost {
  if (!isRecord(x)) return false;
  switch (x.type) {
    case 'rerun':
      return isIndex(x.runId) && isRnnScore(x.score);
    case 'requestAggregate':
      return isIndex(x.requestId) && isIndex(x.runId) && isPart(x.part) && isIndex(x.layer) && isAggregateKind(x.kind);
    case 'requestPositional':
      return isIndex(x.requestId) && isIndex(x.runId);
    case 'requestCompareHead':
      return isIndex(x.requestId) && isIndex(x.compareId) && isPart(x.part) && isIndex(x.layer) && isIndex(x.head);
    case 'requestQk':
      return isIndex(x.requestId) && isIndex(x.runId) && isPart(x.part) && isIndex(x.layer) && isIndex(x.head);
    case 'exportReply':
      return (
        isIndex(x.requestId) &&
        isString(x.title, 1000) &&
        typeof x.sink === 'boolean' &&
        (x.image === undefined || isString(x.image, MAX_EXPORT_CHARS)) &&
        (x.head === undefined || isExportHead(x.head)) &&
        (x.error === undefined || isString(x.error, 2000))
      );
    default:
      return false;
  }
}

function isCompareAxis(x: unknown): x is CompareAxis {
  return isRecord(x) && isCount(x.queries) && isCount(x.keys) && isStrings(x.queryTokens, x.queries) && isStrings(x.keyTokens, x.keys);
}

function isComparePart(x: unknown): x is ComparePart {
  if (!isRecord(x) || !isPart(x.part) || !isCompareAxis(x.a) || !isCompareAxis(x.b)) return false;
  return x.sameShape === (x.a.queries === x.b.queries && x.a.keys === x.b.keys); // a boolean, and the truth
}

const isHeadRef = (x: unknown): x is CompareHeadRef => isRecord(x) && isPart(x.part) && isIndex(x.layer) && isIndex(x.head);
const isRank = (x: unknown): x is CompareRank => isRecord(x) && isHeadRef(x) && typeof x.jsd === 'number' && Number.isFinite(x.jsd);

function isCompareHeadSide(x: unknown): x is CompareHeadSide {
  if (!isRecord(x) || !isCount(x.queries) || !isCount(x.keys)) return false;
  const n = x.queries * x.keys;
  return x.probs instanceof Float32Array && x.probs.length === n && maskFits(x.mask, n);
}

const isSide = (x: unknown): x is CompareSide => isRecord(x) && isString(x.label, 1000) && isString(x.model, 1000);

/** What the page checks before rendering a view message (array lengths must match shapes). */
export function isHostToView(x: unknown): x is HostToView {
  if (!isRecord(x)) return false;
  switch (x.type) {
    case 'showView':
      return isInspectorView(x.view) && isIndex(x.seq);
    case 'aggregate':
      return (
        isIndex(x.requestId) &&
        isIndex(x.runId) &&
        isPart(x.part) &&
        isIndex(x.layer) &&
        isAggregateKind(x.kind) &&
        isCount(x.queries) &&
        isCount(x.keys) &&
        x.data instanceof Float32Array &&
        x.data.length === x.queries * x.keys
      );
    case 'positional':
      return (
        isIndex(x.requestId) &&
        isIndex(x.runId) &&
        isCount(x.positions) &&
        isCount(x.dims) &&
        isString(x.scheme, 100) &&
        x.data instanceof Float32Array &&
        x.data.length === x.positions * x.dims
      );
    case 'qk':
      return isIndex(x.requestId) && isIndex(x.runId) && isHeadQK(x);
    case 'viewError':
      return isIndex(x.requestId) && isString(x.message, 5000);
    case 'compare':
      return (
        isIndex(x.compareId) &&
        isString(x.title, 2000) &&
        isSide(x.a) &&
        isSide(x.b) &&
        Array.isArray(x.parts) &&
        x.parts.every(isComparePart) &&
        Array.isArray(x.ranking) &&
        x.ranking.every(isRank) &&
        Array.isArray(x.unranked) &&
        x.unranked.every(isHeadRef) &&
        (x.message === undefined || isString(x.message, 5000))
      );
    case 'compareHead':
      return isIndex(x.requestId) && isIndex(x.compareId) && isHeadRef(x) && isCompareHeadSide(x.a) && isCompareHeadSide(x.b);
    case 'exportRequest':
      return isIndex(x.requestId) && isExportFormat(x.format);
    default:
      return false;
  }
}
