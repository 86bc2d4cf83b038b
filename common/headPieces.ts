// A head's numbers in pieces of rows, PIECES_IN_FLIGHT on their way at a time: the page asks again
// (HeadNumbersMessage.from) as each arrives. Sent whole, the 4 MB of numbers of a 1024-token head
// held up every message behind it on VS Code's one channel to the page for half a second and more,
// a Cancel's status line among them (docs/performance.md); now such a message waits for two pieces.
// No engine imports: the page bundles this file.
import type { HeadMessage, HeadPieceMessage } from './webview';
import { softmaxRowsInto } from './headWire';

/**
 * Bytes of numbers one message carries at most (one row at least). During a run in VS Code a
 * message took 130–170 ms from the host to the page whatever its size, and 512 KB 240–400 ms: a
 * status line posted behind such a piece waited for it.
 */
export const PIECE_BYTES = 128 * 1024;
/** Pieces on their way at once: the next is on its way while the page takes one in. */
export const PIECES_IN_FLIGHT = 2;

/** Rows one piece of `m` carries. */
export function pieceRows(m: HeadMessage, maxBytes = PIECE_BYTES): number {
  const cellBytes = 4 + (m.probsFromScores ? 0 : 4) + (m.mask ? 1 : 0);
  return Math.max(1, Math.floor(maxBytes / (m.keys * cellBytes)));
}

/**
 * The message with rows `from`… of `m`: a piece, or `m` with its last rows (`from` set) — or `m`
 * itself when it fits in one message.
 */
export function headPiece(m: HeadMessage, from: number, maxBytes = PIECE_BYTES): HeadPieceMessage | HeadMessage {
  const { queries, keys } = m;
  const to = Math.min(queries, from + pieceRows(m, maxBytes));
  if (from === 0 && to === queries) return m;
  const rows = <T extends Float32Array | Uint8Array>(a: T): T => a.slice(from * keys, to * keys) as T; // [to - from, keys]
  const numbers = {
    scores: rows(m.scores),
    probs: m.probsFromScores ? new Float32Array(0) : rows(m.probs),
    ...(m.mask ? { mask: rows(m.mask) } : {}),
  };
  if (to === queries) return { ...m, ...numbers, from };
  const { runId, requestId, part, layer, head } = m;
  return {
    type: 'headPiece',
    runId,
    requestId,
    part,
    layer,
    head,
    queries,
    keys,
    from,
    to,
    ...numbers,
    ...(m.probsFromScores ? { probsFromScores: true as const } : {}),
  };
}

/** The whole head from its last message and the pieces before it; undefined when rows are missing. */
export function wholeHead(pieces: HeadAssembly | undefined, last: HeadMessage): HeadMessage | undefined {
  return last.from ? pieces?.finish(last) : last;
}

/** A head's pieces as they arrive, in order; `finish` puts the head together with its last rows. */
export class HeadAssembly {
  private scores: Float32Array | undefined;
  private probs: Float32Array | undefined;
  private mask: Uint8Array | undefined;
  /** The first row not yet here. */
  private next = 0;

  /** False (and the piece is dropped) when it is not the rows that come next. */
  add(p: HeadPieceMessage): boolean {
    if (p.from !== this.next) return false;
    const n = p.queries * p.keys;
    this.scores ??= new Float32Array(n);
    this.probs ??= new Float32Array(n);
    if (p.mask) this.mask ??= new Uint8Array(n);
    this.put(p, p.from, p.to);
    this.next = p.to;
    return true;
  }

  /**
   * Rows from…to of the head. Scores that travel alone get their probabilities here, a piece at a
   * time: at 1024 tokens the softmax of the whole head in one go held the page 40 ms and more.
   */
  private put(p: HeadPieceMessage | HeadMessage, from: number, to: number): void {
    const at = from * p.keys;
    this.scores!.set(p.scores, at);
    if (p.probsFromScores) softmaxRowsInto(p.scores, to - from, p.keys, p.mask, this.probs!, at);
    else this.probs!.set(p.probs, at);
    if (p.mask) this.mask?.set(p.mask, at);
  }

  /** The whole head, its probabilities included; undefined when rows before `last.from` are missing. */
  finish(last: HeadMessage): HeadMessage | undefined {
    const from = last.from ?? 0;
    if (from === 0) return last;
    if (from !== this.next || !this.scores || !this.probs) return undefined;
    this.put(last, from, last.queries);
    const { from: _, probsFromScores: __, ...rest } = last;
    return { ...rest, scores: this.scores, probs: this.probs, ...(this.mask ? { mask: this.mask } : {}) };
  }
}
