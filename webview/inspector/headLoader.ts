// Getting one head's full data for the inspector: from the run message when the host sent the
// right one along, else by asking (one request at a time, with a timeout and a delayed loading line).
// Requests go through the page's one RpcClient (requests.ts), which matches the answers.
import { CancelledError } from '../../common/rpc';
import { fullHead } from '../../common/headWire';
import type { Part } from '../../src/engine/types';
import type { HeadMessage, HeadPreviewMessage, RequestHeadMessage } from '../../common/webview';
import type { PageRpc } from './requests';

export const REQUEST_TIMEOUT_MS = 10_000;
/**
 * "Loading layer … head …" appears only when the answer takes longer than this. A head usually
 * arrives well within it: showing the line for one frame flickers, and the line moving the heatmap
 * down and back costs a relayout and repaint of the whole detail pane on every switch.
 */
export const LOADING_DELAY_MS = 150;

interface Pending {
  requestId: number;
  part: Part;
  layer: number;
  head: number;
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

  constructor(
    private readonly rpc: PageRpc,
    private readonly view: HeadLoaderView,
  ) {}

  /** A new run: what was asked for before is stale; `head` is the one the run brought along. */
  newRun(head: HeadMessage | undefined, preview?: HeadPreviewMessage): void {
    this.cancel();
    this.sent = head && fullHead(head);
    this.sentPreview = preview;
  }

  /** The head a run message sent the colours of (requestId 0): shown, or kept until it is opened. */
  sentFull(m: HeadMessage): void {
    const same = (p: HeadPreviewMessage | undefined) => m.requestId === 0 && isHead(p, m.runId, m.part, m.layer, m.head);
    if (same(this.awaiting)) {
      this.awaiting = undefined;
      this.view.show(fullHead(m));
    } else if (same(this.sentPreview)) {
      this.sentPreview = undefined;
      this.sent = fullHead(m);
    }
  }

  /** Shows this head of run `runId`: from the run's data when it is that head, else asks for it. */
  open(runId: number, part: Part, layer: number, head: number): void {
    const p = this.pending;
    if (p && p.part === part && p.layer === layer && p.head === head) return;
    this.cancel();
    // Kept until used or the next run: with a focus, the page first opens its saved head and then,
    // at the focusHead message that follows the run, the one the host sent.
    const sent = this.sent;
    if (isHead(sent, runId, part, layer, head)) {
      this.sent = undefined;
      this.rpc.notify({ type: 'headShown', runId, part, layer, head });
      return this.view.show(sent);
    }
    const colours = this.sentPreview;
    if (isHead(colours, runId, part, layer, head)) {
      // Its colours now, the head in the message after the run's (sentFull).
      this.sentPreview = undefined;
      this.awaiting = colours;
      this.rpc.notify({ type: 'headShown', runId, part, layer, head });
      if (!this.view.preview(colours, 0)) this.view.loading(`Loading layer ${layer} · head ${head}…`);
      return;
    }
    const preview = this.view.canPreview(part, layer);
    const request = (requestId: number): RequestHeadMessage => ({
      type: 'requestHead',
      requestId,
      runId,
      part,
      layer,
      head,
      ...(preview ? { preview: true as const } : {}),
    });
    const call = this.rpc.request<HeadMessage>(request, {
      timeoutMs: REQUEST_TIMEOUT_MS,
      // The colours first: the loading line is not needed once they are painted.
      onNote: (p) => {
        const pending = this.pending;
        if (pending?.requestId !== p.requestId || p.runId !== runId) return;
        if (this.view.preview(p, performance.now() - asked)) clearTimeout(pending.loading);
      },
      timeoutError: () =>
        new Error(
          `The extension did not send layer ${layer} head ${head} within ${REQUEST_TIMEOUT_MS / 1000} s. Try again, or restart the engine.`,
        ),
    });
    const requestId = call.id;
    const asked = performance.now();
    const loading = setTimeout(() => {
      if (this.pending?.requestId === requestId) this.view.loading(`Loading layer ${layer} · head ${head}…`);
    }, LOADING_DELAY_MS);
    this.pending = { requestId, part, layer, head, loading };
    call.then(
      (m) => {
        // Stale answers (another request, an earlier run) are dropped.
        if (this.pending?.requestId !== requestId || m.runId !== runId) return;
        this.cancel();
        this.view.show(m, performance.now() - asked);
      },
      (e: Error) => {
        if (this.pending?.requestId !== requestId) return;
        this.cancel();
        this.view.loading('');
        this.view.error(e.message);
      },
    );
  }

  /** Forgets the pending request (its answer will be dropped). */
  cancel(): void {
    this.awaiting = undefined;
    const p = this.pending;
    this.pending = undefined;
    if (!p) return;
    clearTimeout(p.loading);
    this.rpc.fail(p.requestId, new CancelledError('another head was asked for'));
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
