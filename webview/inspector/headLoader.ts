// Getting one head's full data for the inspector: from the run message when the host sent the
// right one along, else by asking (one request at a time, with a timeout and a delayed loading line).
// Requests go through the page's one RpcClient (requests.ts), which matches the answers.
import { CancelledError } from '../../common/rpc';
import { fullHead } from '../../common/headWire';
import { HeadAssembly, wholeHead } from '../../common/headPieces';
import type { Part } from '../../src/engine/types';
import type { HeadMessage, HeadPieceMessage, HeadPreviewMessage, RequestHeadMessage } from '../../common/webview';
import { EarlierRunError, type PageRpc } from './requests';

export const REQUEST_TIMEOUT_MS = 10_000;
/**
 * "Loading layer … head …" appears only when the answer takes longer than this. A head usually
 * arrives well within it: showing the line for one frame flickers, and the line moving the heatmap
 * down and back costs a relayout and repaint of the whole detail pane on every switch.
 */
export const LOADING_DELAY_MS = 150;

/**
 * Heads the page keeps for the run it shows: the last ones opened and the ones fetched ahead of a
 * click. A head of a 512-token run is about 1 MB of scores and 1 MB of probabilities.
 */
export const KEEP_HEADS = 8;

/** One request for a head, answered or on its way. */
interface Fetch {
  requestId: number;
  runId: number;
  part: Part;
  layer: number;
  head: number;
  asked: number;
  /** Its colours, until the head arrives. */
  preview?: HeadPreviewMessage;
  /** The pieces of its numbers so far (a large head's come in pieces). */
  pieces?: HeadAssembly;
  answer?: HeadMessage;
  /** Asked ahead of a click, not yet opened. */
  ahead: boolean;
}

/** The head being opened, with its delayed loading line. */
interface Pending {
  fetch: Fetch;
  loading: ReturnType<typeof setTimeout>;
}

export interface HeadLoaderView {
  /** The head's data, to draw (from the run message or an answer); `waitMs`: request → answer. */
  show(m: HeadMessage, waitMs?: number): void;
  /** Whether this head would be painted from a preview (HeadPreviewMessage) as it is drawn now. */
  canPreview(part: Part, layer: number): boolean;
  /** A head's colours ahead of its numbers; false when it was not painted (show follows anyway). */
  preview(p: HeadPreviewMessage, waitMs: number): boolean;
  /** The loading line: a text, or '' to clear it. */
  loading(text: string): void;
  /** A request that failed or timed out, in words. */
  error(message: string): void;
}

export class HeadLoader {
  private pending: Pending | undefined;
  /** The head the host sent with the run (the one it expects the page to open), until used. */
  private sent: HeadMessage | undefined;
  /** Its colours, when the run brought those instead (the head follows in its own message). */
  private sentPreview: HeadPreviewMessage | undefined;
  /** The sent head whose colours are painted, until it arrives. */
  private awaiting: HeadPreviewMessage | undefined;
  /** The pieces of the sent head's numbers so far. */
  private sentPieces: HeadAssembly | undefined;
  /** Requests of this run, oldest first: answered (up to KEEP_HEADS) and on their way. */
  private kept: Fetch[] = [];
  /** The head to fetch ahead once the one on its way arrives (the latest pointed at wins). */
  private next: { runId: number; part: Part; layer: number; head: number } | undefined;

  constructor(
    private readonly rpc: PageRpc,
    private readonly view: HeadLoaderView,
  ) {}

  /** A new run: what was asked for before is stale; `head` is the one the run brought along. */
  newRun(head: HeadMessage | undefined, preview?: HeadPreviewMessage): void {
    this.cancel();
    for (const f of this.kept) if (!f.answer) this.rpc.fail(f.requestId, new CancelledError('a new run'));
    this.kept = [];
    this.next = undefined;
    this.sent = head && fullHead(head);
    this.sentPreview = preview;
    this.sentPieces = undefined;
    // The colours are here: the numbers may come now (sentFull), without slowing the colours' way.
    if (preview) this.askNumbers(preview.runId, 0);
  }

  /** A piece of the numbers of the head a run message sent the colours of: kept, the next asked for. */
  sentPiece(p: HeadPieceMessage): void {
    const colours = this.awaiting ?? this.sentPreview;
    if (p.requestId === 0 && isHead(colours, p.runId, p.part, p.layer, p.head)) this.sentPieces = this.gather(this.sentPieces, p);
  }

  /** Asks the host for a head's numbers from row `from` on (all of them, or the next piece). */
  private askNumbers(runId: number, requestId: number, from?: number): void {
    this.rpc.notify({ type: 'headNumbers', runId, requestId, ...(from !== undefined && { from }) });
  }

  /** Keeps a piece of a head's numbers and asks for the next; returns the pieces so far. */
  private gather(pieces: HeadAssembly | undefined, p: HeadPieceMessage): HeadAssembly {
    const all = pieces ?? new HeadAssembly();
    if (all.add(p)) this.askNumbers(p.runId, p.requestId, p.to);
    return all;
  }

  /** The head a run message sent the colours of (requestId 0): shown, or kept until it is opened. */
  sentFull(last: HeadMessage): void {
    if (last.requestId !== 0) return; // an answer nobody waits for any more
    const m = wholeHead(this.sentPieces, last);
    this.sentPieces = undefined;
    if (!m) return;
    const same = (p: HeadPreviewMessage | undefined) => isHead(p, m.runId, m.part, m.layer, m.head);
    if (same(this.awaiting)) {
      this.awaiting = undefined;
      this.view.show(fullHead(m));
    } else if (same(this.sentPreview)) {
      this.sentPreview = undefined;
      this.sent = fullHead(m);
    }
  }

  /** Shows this head of run `runId`: from the run's data or a kept answer when it has it, else asks for it. */
  open(runId: number, part: Part, layer: number, head: number): void {
    const p = this.pending;
    if (p && isHead(p.fetch, runId, part, layer, head)) return;
    this.cancel();
    const shown = () => this.rpc.notify({ type: 'headShown', runId, part, layer, head });
    // Kept until used or the next run: with a focus, the page first opens its saved head and then,
    // at the focusHead message that follows the run, the one the host sent.
    const sent = this.sent;
    if (isHead(sent, runId, part, layer, head)) {
      this.sent = undefined;
      shown();
      return this.view.show(sent);
    }
    const colours = this.sentPreview;
    if (isHead(colours, runId, part, layer, head)) {
      // Its colours now, the head in the message after the run's (sentFull).
      this.sentPreview = undefined;
      this.awaiting = colours;
      shown();
      if (!this.view.preview(colours, 0)) this.view.loading(`Loading layer ${layer} · head ${head}…`);
      return;
    }
    let f = this.kept.find((k) => isHead(k, runId, part, layer, head));
    if (f) {
      // Kept, or on its way: the host learns it is open now (a request ahead did not tell it).
      this.touch(f);
      f.ahead = false;
      shown();
      if (f.answer) return this.view.show(f.answer, 0);
    } else f = this.fetch(runId, part, layer, head, false);
    const fetch = f;
    const loading = setTimeout(() => {
      if (this.pending?.fetch === fetch) this.view.loading(`Loading layer ${layer} · head ${head}…`);
    }, LOADING_DELAY_MS);
    this.pending = { fetch, loading };
    if (fetch.preview && this.view.preview(fetch.preview, performance.now() - fetch.asked)) clearTimeout(loading);
  }

  /**
   * Fetches this head ahead of a click (the pointer rests on its tile), so that opening it needs no
   * trip to the extension. One such request at a time: the answer to a sweep across the grid would
   * otherwise queue in front of the head clicked.
   */
  prefetch(runId: number, part: Part, layer: number, head: number): void {
    if (this.kept.some((k) => isHead(k, runId, part, layer, head))) return;
    if (this.aheadOnItsWay()) {
      this.next = { runId, part, layer, head };
      return;
    }
    this.next = undefined;
    this.fetch(runId, part, layer, head, true);
  }

  /** The head being opened whose answer has not come (a click the host may not have seen yet). */
  waiting(): { runId: number; part: Part; layer: number; head: number } | undefined {
    const f = this.pending?.fetch;
    return f && !f.answer ? { runId: f.runId, part: f.part, layer: f.layer, head: f.head } : undefined;
  }

  /** Stops waiting for the head being opened (its answer is kept, not shown). */
  cancel(): void {
    this.awaiting = undefined;
    const p = this.pending;
    this.pending = undefined;
    if (p) clearTimeout(p.loading);
  }

  private fetch(runId: number, part: Part, layer: number, head: number, ahead: boolean): Fetch {
    const preview = this.view.canPreview(part, layer);
    const call = this.rpc.request<HeadMessage>(
      (requestId): RequestHeadMessage => ({
        type: 'requestHead',
        requestId,
        runId,
        part,
        layer,
        head,
        ...(preview ? { preview: true as const } : {}),
        ...(ahead ? { prefetch: true as const } : {}),
      }),
      {
        timeoutMs: REQUEST_TIMEOUT_MS,
        // The colours first: the loading line is not needed once they are painted. The host holds
        // the numbers until the page has the colours (their trips would share the way).
        onNote: (p) => {
          if (p.runId !== runId || f.answer) return;
          if (p.type === 'headPiece') {
            f.pieces = this.gather(f.pieces, p);
            return;
          }
          f.preview = p;
          this.askNumbers(runId, f.requestId);
          const pending = this.pending;
          if (pending?.fetch === f && this.view.preview(p, performance.now() - f.asked)) clearTimeout(pending.loading);
        },
        timeoutError: () =>
          new Error(
            `The extension did not send layer ${layer} head ${head} within ${REQUEST_TIMEOUT_MS / 1000} s. Try again, or restart the engine.`,
          ),
      },
    );
    const f: Fetch = { requestId: call.id, runId, part, layer, head, asked: performance.now(), ahead };
    this.kept.push(f);
    call.then(
      (last) => {
        if (!this.kept.includes(f) || last.runId !== runId) return; // an earlier run's
        const m = wholeHead(f.pieces, last);
        f.pieces = undefined;
        if (!m)
          return this.failed(f, new Error(`Layer ${layer} head ${head}: rows of its numbers went missing on the way. Open it again.`));
        f.answer = fullHead(m);
        f.preview = undefined;
        this.forgetOld();
        if (this.pending?.fetch === f) {
          this.cancel();
          this.view.show(f.answer, performance.now() - f.asked);
        }
        this.fetchNext();
      },
      (e: Error) => this.failed(f, e),
    );
    return f;
  }

  private failed(f: Fetch, e: Error): void {
    this.kept = this.kept.filter((k) => k !== f);
    // Still wanted: the host's next run is on its way, and the page opens the head in it (waiting()).
    if (e instanceof EarlierRunError) return this.fetchNext();
    if (this.pending?.fetch === f) {
      this.cancel();
      this.view.loading('');
      this.view.error(e.message);
    }
    this.fetchNext();
  }

  private fetchNext(): void {
    const n = this.next;
    if (n && !this.aheadOnItsWay()) this.prefetch(n.runId, n.part, n.layer, n.head);
  }

  /** Whether a request made ahead of a click still waits for its answer (one at a time). */
  private aheadOnItsWay(): boolean {
    return this.kept.some((k) => k.ahead && !k.answer);
  }

  /** Most recently used last. */
  private touch(f: Fetch): void {
    this.kept = [...this.kept.filter((k) => k !== f), f];
  }

  /** Keeps the KEEP_HEADS newest answers (and every request still on its way). */
  private forgetOld(): void {
    let older = this.kept.filter((k) => k.answer).length - KEEP_HEADS;
    this.kept = this.kept.filter((k) => !k.answer || older-- <= 0);
  }
}

/** Whether `h` is this head of run `runId`. */
function isHead<H extends { runId: number; part: Part; layer: number; head: number }>(
  h: H | undefined,
  runId: number,
  part: Part,
  layer: number,
  head: number,
): h is H {
  return !!h && h.runId === runId && h.part === part && h.layer === layer && h.head === head;
}
