// A head's numbers wait on the host until the page has its colours (HeadNumbersMessage): sent
// right behind them, the numbers shared their way to the page and doubled the colours' trip.
import type { HeadMessage } from '../../common/webview';

/** Heads whose numbers wait at once: the page keeps as many (webview/inspector/headLoader.ts). */
export const HELD_NUMBERS = 8;

export class HeldNumbers {
  /** Oldest first. */
  private held: HeadMessage[] = [];

  hold(m: HeadMessage): void {
    this.held = [...this.held.filter((h) => !isRequest(h, m.runId, m.requestId)), m].slice(-HELD_NUMBERS);
  }

  /** The numbers of this request; undefined when none are held. */
  find(runId: number, requestId: number): HeadMessage | undefined {
    return this.held.find((h) => isRequest(h, runId, requestId));
  }

  /** Sent in full (its last piece is on its way). */
  drop(m: HeadMessage): void {
    this.held = this.held.filter((h) => h !== m);
  }

  /** A new run: the page will not ask for the old one's. */
  clear(): void {
    this.held = [];
  }
}

const isRequest = (h: HeadMessage, runId: number, requestId: number) => h.runId === runId && h.requestId === requestId;
