// A head's numbers wait on the host until the page has its colours (HeadNumbersMessage): sent
// right behind them, the numbers shared their way to the page and doubled the colours' trip.
import { headPiece, pieceRows, PIECES_IN_FLIGHT } from '../../common/headPieces';
import { headOfEarlierRun } from './viewAnswers';
import type { HeadMessage, HeadNumbersMessage, HostToWebview } from '../../common/webview';

/** Heads whose numbers wait at once: the page keeps as many (webview/inspector/headLoader.ts). */
export const HELD_NUMBERS = 8;

interface Held {
  m: HeadMessage;
  /** The row the page last asked from, the first row not sent yet, and the first row of the last message sent. */
  asked: number;
  sent: number;
  last: number;
}

export class HeldNumbers {
  /** Oldest first. */
  private held: Held[] = [];

  hold(m: HeadMessage): void {
    this.held = [...this.held.filter((h) => !isRequest(h.m, m.runId, m.requestId)), { m, asked: -1, sent: 0, last: 0 }].slice(
      -HELD_NUMBERS,
    );
  }

  /**
   * The numbers the page asks for, or their pieces from row `from` on, PIECES_IN_FLIGHT of them on
   * their way at a time (the page asks again as each arrives); the last one sent lets them go.
   */
  answer(ask: HeadNumbersMessage, runId: number): HostToWebview[] {
    const h = this.held.find((x) => isRequest(x.m, ask.runId, ask.requestId));
    const from = ask.from ?? 0;
    if (h && from < h.m.queries) {
      // Asked again from a row already asked from: the page starts over (it lost the pieces).
      if (from <= h.asked || from > h.sent) h.sent = from;
      h.asked = from;
      const out: HostToWebview[] = [];
      const rows = pieceRows(h.m);
      while (h.sent < h.m.queries && h.sent < from + PIECES_IN_FLIGHT * rows) {
        const next = headPiece(h.m, h.sent);
        out.push(next);
        h.last = h.sent;
        h.sent = next.type === 'headPiece' ? next.to : h.m.queries;
      }
      // The page asks once more as each piece arrives, up to the last message's first row.
      if (h.sent === h.m.queries && from >= h.last) this.held = this.held.filter((x) => x !== h);
      return out;
    }
    if (ask.runId !== runId) return [headOfEarlierRun(ask.runId, ask.requestId)];
    return [{ type: 'headError', runId, requestId: ask.requestId, message: 'The numbers of that head are no longer held; open it again.' }];
  }

  /** A new run: the page will not ask for the old one's. */
  clear(): void {
    this.held = [];
  }
}

const isRequest = (h: HeadMessage, runId: number, requestId: number) => h.runId === runId && h.requestId === requestId;
