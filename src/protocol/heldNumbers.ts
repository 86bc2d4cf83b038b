// A head's numbers wait on the host until the page has its colours (HeadNumbersMessage): sent
// right behind them, the numbers shared their way to the page and doubled the colours' trip.
import { headPiece } from '../../common/headPieces';
import { headOfEarlierRun } from './viewAnswers';
import type { HeadMessage, HeadNumbersMessage, HostToWebview } from '../../common/webview';

/** Heads whose numbers wait at once: the page keeps as many (webview/inspector/headLoader.ts). */
export const HELD_NUMBERS = 8;

export class HeldNumbers {
  /** Oldest first. */
  private held: HeadMessage[] = [];

  hold(m: HeadMessage): void {
    this.held = [...this.held.filter((h) => !isRequest(h, m.runId, m.requestId)), m].slice(-HELD_NUMBERS);
  }

  /** The numbers the page asks for, or their next piece (one on its way at a time); the last one sent lets them go. */
  answer(ask: HeadNumbersMessage, runId: number): HostToWebview {
    const m = this.held.find((h) => isRequest(h, ask.runId, ask.requestId));
    const from = ask.from ?? 0;
    if (m && from < m.queries) {
      const piece = headPiece(m, from);
      if (piece.type === 'head') this.held = this.held.filter((h) => h !== m);
      return piece;
    }
    if (ask.runId !== runId) return headOfEarlierRun(ask.runId, ask.requestId);
    return { type: 'headError', runId, requestId: ask.requestId, message: 'The numbers of that head are no longer held; open it again.' };
  }

  /** A new run: the page will not ask for the old one's. */
  clear(): void {
    this.held = [];
  }
}

const isRequest = (h: HeadMessage, runId: number, requestId: number) => h.runId === runId && h.requestId === requestId;
