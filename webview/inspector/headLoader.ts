// Getting one head's full data for the inspector: from the run message when the host sent the
// right one along, else by asking (one request at a time, with a timeout and a delayed loading line).
import type { Part } from '../../src/engine/types';
import type { HeadErrorMessage, HeadMessage, WebviewToHost } from '../../src/protocol/webview';

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
  timer: ReturnType<typeof setTimeout>;
  loading: ReturnType<typeof setTimeout>;
}

export interface HeadLoaderView {
  /** The head's data, to draw (from the run message or an answer). */
  show(m: HeadMessage): void;
  /** The loading line: a text, or '' to clear it. */
  loading(text: string): void;
  /** A request that failed or timed out, in words. */
  error(message: string): void;
}

export class HeadLoader {
  private pending: Pending | undefined;
  /** The head the host sent with the run (the one it expects the page to open), until used. */
  private sent: HeadMessage | undefined;
  private nextRequestId = 1;

  constructor(
    private readonly post: (m: WebviewToHost) => void,
    private readonly view: HeadLoaderView,
  ) {}

  /** A new run: what was asked for before is stale; `head` is the one the run brought along. */
  newRun(head: HeadMessage | undefined): void {
    this.cancel();
    this.sent = head;
  }

  /** Shows this head of run `runId`: from the run's data when it is that head, else asks for it. */
  open(runId: number, part: Part, layer: number, head: number): void {
    const p = this.pending;
    if (p && p.part === part && p.layer === layer && p.head === head) return;
    this.cancel();
    // Kept until used or the next run: with a focus, the page first opens its saved head and then,
    // at the focusHead message that follows the run, the one the host sent.
    const sent = this.sent;
    if (sent && sent.runId === runId && sent.part === part && sent.layer === layer && sent.head === head) {
      this.sent = undefined;
      this.post({ type: 'headShown', runId, part, layer, head });
      return this.view.show(sent);
    }
    const requestId = this.nextRequestId++;
    const timer = setTimeout(() => {
      if (this.pending?.requestId !== requestId) return;
      this.cancel();
      this.view.loading('');
      this.view.error(`The extension did not send layer ${layer} head ${head} within ${REQUEST_TIMEOUT_MS / 1000} s. Try again, or restart the engine.`);
    }, REQUEST_TIMEOUT_MS);
    const loading = setTimeout(() => {
      if (this.pending?.requestId === requestId) this.view.loading(`Loading layer ${layer} · head ${head}…`);
    }, LOADING_DELAY_MS);
    this.pending = { requestId, part, layer, head, timer, loading };
    this.post({ type: 'requestHead', requestId, runId, part, layer, head });
  }

  /** The host's answer; stale ones (another request, an earlier run) are dropped. */
  answer(m: HeadMessage, runId: number): void {
    if (m.runId !== runId || m.requestId !== this.pending?.requestId) return;
    this.cancel();
    this.view.show(m);
  }

  /** The host could not answer the pending request. */
  failed(m: HeadErrorMessage): void {
    if (m.requestId !== this.pending?.requestId) return;
    this.cancel();
    this.view.loading('');
    this.view.error(m.message);
  }

  /** Forgets the pending request (its answer will be dropped). */
  cancel(): void {
    if (this.pending) {
      clearTimeout(this.pending.timer);
      clearTimeout(this.pending.loading);
    }
    this.pending = undefined;
  }
}
