// Every message between the extension host and the inspector webview, declared once for both
// sides. Big numbers cross as typed arrays, one head at a time; the rest is small JSON.
// Each direction has an `is…()` guard: the host treats webview messages as untrusted input, and
// the webview checks what it renders. No vscode or Node imports (the webview bundles this file).
import { levelsFit, maskFits, numbersFit } from './headWire';
import type { Part } from '../src/engine/types';
import { isCount, isDoneOfTotal, isIndex, isOptTrue, isPart, isRecord, isString } from './guards';
import { STAT_KEYS, type HeadStats, type RunMeta, type Thumbnail } from './headData';
import { isRunMeta, isThumbnail } from './runMetaGuards';
import { isHostToView, isInspectorView, isViewToHost, type HostToView, type InspectorView, type ViewToHost } from './views';

export type { HeadStats, PartMeta, RunMeta, Thumbnail } from './headData';
export * from './views';

/** Longest error text the host accepts from a webview; longer is cut, never trusted for length. */
export const MAX_WEBVIEW_TEXT = 2000;

// ---- webview → host ---------------------------------------------------------------------------

/**
 * The page loaded (first time or after being hidden); the host answers with `run` or `noRun`.
 * `selection`: the head the page had open (its saved state), for a host that does not know it
 * (a panel restored after a reload): the host decides which head opens.
 */
export interface ReadyMessage {
  type: 'ready';
  selection?: HeadFocus;
}

/** Full data of one head. Always answered by `head` or `headError` with the same requestId. */
export interface RequestHeadMessage {
  type: 'requestHead';
  requestId: number;
  runId: number;
  part: Part;
  layer: number;
  head: number;
  /** The page paints from a headPreview first, when one can be made, then gets the head. */
  preview?: true;
  /**
   * Asked ahead of a click (the pointer rests on the head's tile): the page keeps the answer, and
   * the head becomes the selection only when the page opens it (HeadShownMessage).
   */
  prefetch?: true;
}

/**
 * The page opened a head it asked for none for (the one the host sent with the run, or one it
 * already had): the host's record of the selection and of a pending focus stays as a request
 * would leave it.
 */
export interface HeadShownMessage {
  type: 'headShown';
  runId: number;
  part: Part;
  layer: number;
  head: number;
}

/**
 * The page has a head's colours (a headPreview, or the preview in a run message: requestId 0): the
 * host sends its numbers now. Sent together, the 1 MB of numbers of a 512-token head shared the way
 * to the page with the 256 KB of colours and doubled their trip in VS Code (docs/performance.md).
 */
export interface HeadNumbersMessage {
  type: 'headNumbers';
  runId: number;
  requestId: number;
  /** The rows from here on: a large head's numbers come in pieces, asked for again as each arrives (common/headPieces.ts). */
  from?: number;
}

/** An exception in the webview, reported so the host can log it. */
export interface WebviewErrorMessage {
  type: 'webviewError';
  message: string;
}

/** The "Run again" button of a panel whose run was lost (the extension host stopped). */
export interface RunAgainMessage {
  type: 'runAgain';
}

/**
 * The Cancel button of a running run's line: the host cancels the run going on, if any (a run
 * that ended meanwhile is shown as usual). The page says "Cancelling…" at once and the host's
 * status says when the run stopped.
 */
export interface CancelRunMessage {
  type: 'cancelRun';
}

export type WebviewToHost =
  | ReadyMessage
  | RequestHeadMessage
  | HeadShownMessage
  | HeadNumbersMessage
  | WebviewErrorMessage
  | RunAgainMessage
  | CancelRunMessage
  | ViewToHost;

// ---- host → webview ---------------------------------------------------------------------------

/** A new (or re-sent) run: metadata and stats; thumbnails follow, one message per part. */
export interface RunMessage {
  type: 'run';
  runId: number;
  title: string;
  meta: RunMeta;
  /**
   * The head the page opens for this run, decided by the host (the focus, else the one the page
   * last opened), sent along so the first heatmap needs no request and answer. requestId 0.
   */
  head?: HeadMessage;
  /** Instead of `head` for a large one: its colours, and the head itself in the next message (requestId 0). */
  preview?: HeadPreviewMessage;
}

/**
 * More layers of the streamed run `runId`, or its end (the same run goes on: the open head and
 * pending requests stay valid). A delta: `meta.parts` holds only the layers not sent before (the
 * page appends them, see mergeRunMeta); the rest of `meta` replaces the page's. The new layers'
 * thumbnails follow (`append`).
 */
export interface RunUpdateMessage {
  type: 'runUpdate';
  runId: number;
  meta: RunMeta;
}

export interface ThumbnailsMessage {
  type: 'thumbnails';
  runId: number;
  part: Part;
  thumbnails: Thumbnail[];
  /** More heads of the part (new layers of a streamed run), after those the page has. */
  append?: boolean;
}

/** Which head of which run a head's data is, in answer to which request, and its [queries, keys] shape. */
interface HeadAddress {
  runId: number;
  requestId: number;
  part: Part;
  layer: number;
  head: number;
  queries: number;
  keys: number;
}

/** One head in full: [queries, keys] probabilities, raw scores and the mask if there is one. */
export interface HeadMessage extends HeadAddress {
  type: 'head';
  probs: Float32Array;
  scores: Float32Array;
  mask?: Uint8Array;
  /** `probs` is empty on the wire: the page computes them from the scores (common/headWire.ts). */
  probsFromScores?: true;
  /** The arrays hold the rows from here on: the rows before came in headPiece messages (common/headPieces.ts). */
  from?: number;
}

/** Rows [from, to) of a head's numbers, ahead of the head message with the rest (common/headPieces.ts). */
export interface HeadPieceMessage extends HeadAddress {
  type: 'headPiece';
  from: number;
  to: number;
  /** [to - from, keys] */
  scores: Float32Array;
  probs: Float32Array;
  mask?: Uint8Array;
  probsFromScores?: true;
}

/**
 * A head's heatmap ahead of its numbers, for a requestHead that asked for it: the ramp step of
 * each cell on the head's own 0…max scale (common/headWire.ts headLevels). The head itself, with
 * the same requestId, follows when the page asks for its numbers (HeadNumbersMessage).
 */
export interface HeadPreviewMessage extends HeadAddress {
  type: 'headPreview';
  /** [queries, keys] ramp steps 0…255. */
  levels: Uint8Array;
  /** The head's largest probability (the legend's top). */
  max: number;
  mask?: Uint8Array;
}

export interface HeadErrorMessage {
  type: 'headError';
  runId: number;
  requestId: number;
  message: string;
  /** Asked of a run the host has replaced: its next run is on the way to the page. */
  earlier?: true;
}

/** Which head a caller wants opened (e.g. a tree item "layer 2 · head 5"). */
export interface HeadFocus {
  part: Part;
  layer: number;
  head: number;
}

/** Open this head (switching part if needed); sent after `run` when the host was asked to. */
export interface FocusHeadMessage extends HeadFocus {
  type: 'focusHead';
  runId: number;
}

/**
 * The architecture's own view (RunResult.app), sent after the thumbnails. `data` is checked by the
 * renderer registered for `kind` (webview/inspector/archViews/), which shows a message if it is unusable.
 */
export interface AppMessage {
  type: 'app';
  runId: number;
  kind: string;
  title: string;
  explain: string;
  data: unknown;
}

/** Shown in the error banner; whatever is on screen stays. */
export interface ErrorMessage {
  type: 'error';
  message: string;
}

/**
 * A run started, went on, or ended without a result. The page keeps what it shows and says so at
 * once: while a newer run goes on, the shown result is marked out of date. 'idle' clears the line.
 */
export interface RunStatusMessage {
  type: 'runStatus';
  state: 'running' | 'cancelled' | 'failed' | 'idle';
  message: string;
  /** A running run's steps done of its total (layers): a bar that fills, not one that animates. */
  progress?: RunProgress;
}

export interface RunProgress {
  done: number;
  total: number;
}

/** No run to show (e.g. the panel was restored after a reload and the run was not kept). */
export interface NoRunMessage {
  type: 'noRun';
  message: string;
  /** Label of a button that runs the lost run again (answered with `runAgain`). */
  runAgain?: string;
}

export type HostToWebview =
  | RunMessage
  | RunUpdateMessage
  | ThumbnailsMessage
  | HeadMessage
  | HeadPreviewMessage
  | HeadPieceMessage
  | HeadErrorMessage
  | FocusHeadMessage
  | AppMessage
  | ErrorMessage
  | NoRunMessage
  | RunStatusMessage
  | HostToView;

/** What the webview persists with setState (and the panel serializer gets back). */
export interface InspectorState {
  title?: string;
  part?: Part;
  layer?: number;
  head?: number;
  view?: 'heatmap' | 'lines';
  /** Colour scale of the detail: 0…this head's max, or 0…1 to compare heads. */
  scale?: 'head' | 'one';
  sort?: 'grid' | `${keyof HeadStats}`;
  /** The main panel's view (view switcher at the top). */
  main?: InspectorView;
  /** The last host showView applied (see ShowViewMessage.seq). */
  viewSeq?: number;
  /** Attention-sink display transform: first-token / [SEP] columns hidden, rows renormalised. */
  sink?: boolean;
  /** Decoder stepper: current step (0-based query row). */
  step?: number;
  /** Q·K view: the query row shown. */
  query?: number;
  /** Positional view: the chosen position. */
  position?: number;
  /** Aggregates view: part and layer. */
  aggPart?: Part;
  aggLayer?: number;
}

// ---- guards -----------------------------------------------------------------------------------

function isRunProgress(x: unknown): x is RunProgress {
  return isRecord(x) && isDoneOfTotal(x);
}

/** Validates untrusted input from the webview. Anything else is dropped by the host. */
export function isWebviewToHost(x: unknown): x is WebviewToHost {
  if (!isRecord(x)) return false;
  switch (x.type) {
    case 'ready':
      return x.selection === undefined || isHeadFocus(x.selection);
    case 'runAgain':
    case 'cancelRun':
      return true;
    case 'requestHead':
      return isHeadOfRequest(x) && isOptTrue(x.preview) && isOptTrue(x.prefetch);
    case 'headShown':
      return isIndex(x.runId) && isPart(x.part) && isIndex(x.layer) && isIndex(x.head);
    case 'headNumbers':
      return isIndex(x.runId) && isIndex(x.requestId) && (x.from === undefined || isIndex(x.from));
    case 'webviewError':
      return isString(x.message, MAX_WEBVIEW_TEXT);
    default:
      return isViewToHost(x);
  }
}

/** Which head of which run a request (or its answer) is about. */
function isHeadOfRequest(x: Record<string, unknown>): boolean {
  return isIndex(x.runId) && isIndex(x.requestId) && isPart(x.part) && isIndex(x.layer) && isIndex(x.head);
}

function isHeadAddress(x: Record<string, unknown>): x is Record<string, unknown> & HeadAddress {
  return isHeadOfRequest(x) && isCount(x.queries) && isCount(x.keys);
}

export function isHeadFocus(x: unknown): x is HeadFocus {
  return isRecord(x) && isPart(x.part) && isIndex(x.layer) && isIndex(x.head);
}

export function isRequestHead(x: unknown): x is RequestHeadMessage {
  return isWebviewToHost(x) && x.type === 'requestHead';
}

/** Restored webview state is untrusted too: keep only well-formed fields. */
export function sanitizeState(x: unknown): InspectorState {
  if (!isRecord(x)) return {};
  const s: InspectorState = {};
  if (isString(x.title, 500)) s.title = x.title;
  if (isPart(x.part)) s.part = x.part;
  if (isIndex(x.layer)) s.layer = x.layer;
  if (isIndex(x.head)) s.head = x.head;
  if (x.view === 'heatmap' || x.view === 'lines') s.view = x.view;
  if (x.scale === 'head' || x.scale === 'one') s.scale = x.scale;
  if (x.sort === 'grid' || STAT_KEYS.some((k) => k === x.sort)) s.sort = x.sort as InspectorState['sort'];
  if (isInspectorView(x.main)) s.main = x.main;
  if (isIndex(x.viewSeq)) s.viewSeq = x.viewSeq;
  if (typeof x.sink === 'boolean') s.sink = x.sink;
  if (isIndex(x.step)) s.step = x.step;
  if (isIndex(x.query)) s.query = x.query;
  if (isIndex(x.position)) s.position = x.position;
  if (isPart(x.aggPart)) s.aggPart = x.aggPart;
  if (isIndex(x.aggLayer)) s.aggLayer = x.aggLayer;
  return s;
}

/** Checks what the host sent before the webview renders it (shapes must match array lengths). */
export function isHostToWebview(x: unknown): x is HostToWebview {
  if (!isRecord(x)) return false;
  switch (x.type) {
    case 'run':
      return (
        isIndex(x.runId) &&
        isString(x.title) &&
        isRunMeta(x.meta) &&
        (x.head === undefined || (isRecord(x.head) && x.head.type === 'head' && x.head.runId === x.runId && isHostToWebview(x.head))) &&
        (x.preview === undefined ||
          (x.head === undefined &&
            isRecord(x.preview) &&
            x.preview.type === 'headPreview' &&
            x.preview.runId === x.runId &&
            isHostToWebview(x.preview)))
      );
    case 'runUpdate':
      return isIndex(x.runId) && isRunMeta(x.meta);
    case 'thumbnails':
      return (
        isIndex(x.runId) &&
        isPart(x.part) &&
        Array.isArray(x.thumbnails) &&
        x.thumbnails.every(isThumbnail) &&
        (x.append === undefined || typeof x.append === 'boolean')
      );
    case 'head': {
      if (!isHeadAddress(x)) return false;
      if (x.from !== undefined && !(isCount(x.from) && x.from < x.queries)) return false;
      return numbersFit(x, (x.queries - (x.from ?? 0)) * x.keys);
    }
    case 'headPiece': {
      if (!isHeadAddress(x) || !isIndex(x.from) || !isCount(x.to) || !(x.from < x.to && x.to < x.queries)) return false;
      return numbersFit(x, (x.to - x.from) * x.keys);
    }
    case 'headPreview': {
      if (!isHeadAddress(x)) return false;
      const n = x.queries * x.keys;
      return levelsFit(x.levels, x.max, n) && maskFits(x.mask, n);
    }
    case 'headError':
      return isIndex(x.runId) && isIndex(x.requestId) && isString(x.message) && isOptTrue(x.earlier);
    case 'focusHead':
      return isIndex(x.runId) && isHeadFocus(x);
    case 'app':
      return isIndex(x.runId) && isString(x.kind, 100) && isString(x.title, 500) && isString(x.explain, 5000) && 'data' in x;
    case 'error':
      return isString(x.message);
    case 'noRun':
      return isString(x.message) && (x.runAgain === undefined || isString(x.runAgain, 200));
    case 'runStatus':
      return (
        (x.state === 'running' || x.state === 'cancelled' || x.state === 'failed' || x.state === 'idle') &&
        isString(x.message) &&
        (x.progress === undefined || isRunProgress(x.progress))
      );
    default:
      return isHostToView(x);
  }
}
