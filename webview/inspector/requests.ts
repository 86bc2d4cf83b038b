// The page's requests to the host (heads, aggregates, positional encoding, compare heads, q and k
// vectors), all through one RpcClient (common/rpc.ts): one id space, so the head loader's answers
// and the views' cannot be confused, and each request is answered once — by data, a
// viewError/headError, or a timeout — so a view never waits forever.
import { RpcClient, type Routed } from '../../common/rpc';
import { fullHead } from '../../common/headWire';
import type {
  AggregateMessage,
  CompareHeadMessage,
  HeadMessage,
  HeadPieceMessage,
  HeadPreviewMessage,
  HostToWebview,
  PositionalMessage,
  QkMessage,
  WebviewToHost,
} from '../../common/webview';

// Generous: the rollout of a 512-token, 12-layer run takes seconds on a busy host.
export const VIEW_REQUEST_TIMEOUT_MS = 60_000;

export type Answer = AggregateMessage | PositionalMessage | CompareHeadMessage | HeadMessage | QkMessage;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type ViewRequest = DistributiveOmit<
  Extract<WebviewToHost, { type: 'requestAggregate' | 'requestPositional' | 'requestCompareHead' | 'requestHead' | 'requestQk' }>,
  'requestId'
>;

/** The host's answers by requestId; an exportRequest is a request of the host's, not an answer. */
function routeAnswer(m: HostToWebview): Routed<Answer, HeadNote> | undefined {
  switch (m.type) {
    case 'headPreview':
    case 'headPiece':
      return { id: m.requestId, note: m };
    case 'viewError':
      return { id: m.requestId, error: new Error(m.message) };
    case 'headError':
      return { id: m.requestId, error: m.earlier ? new EarlierRunError(m.message) : new Error(m.message) };
    case 'head':
      // The last rows of a head that came in pieces: the head loader puts it together first.
      return { id: m.requestId, reply: m.from ? m : fullHead(m) };
    case 'aggregate':
    case 'positional':
    case 'compareHead':
    case 'qk':
      return { id: m.requestId, reply: m };
    default:
      return undefined;
  }
}

/** A head asked of a run the host has since replaced (its next run is on the way). */
export class EarlierRunError extends Error {
  override readonly name = 'EarlierRunError';
}

/** What comes about a head request before its answer: its colours, then its numbers' pieces. */
export type HeadNote = HeadPreviewMessage | HeadPieceMessage;

export type PageRpc = RpcClient<WebviewToHost, HostToWebview, Answer, HeadNote>;

/** The page's one client: every request of the inspector page goes through it. */
export function pageRpc(post: (m: WebviewToHost) => void): PageRpc {
  return new RpcClient(post, routeAnswer);
}

/** What the views ask: the request, its id, and the view timeout. */
export class Requests {
  constructor(private readonly rpc: PageRpc) {}

  send<T extends Answer>(req: ViewRequest): Promise<T> {
    return this.rpc.request<T>((requestId) => ({ ...req, requestId }) as WebviewToHost, {
      timeoutMs: VIEW_REQUEST_TIMEOUT_MS,
      timeoutError: () => new Error(`The extension did not answer within ${VIEW_REQUEST_TIMEOUT_MS / 1000} s.`),
    });
  }

  /** Routes an answer; false when it is not one of an open request. */
  settle(m: HostToWebview): boolean {
    return this.rpc.receive(m);
  }

  /** A new run: answers still on the way belong to the old one. */
  cancelAll(): void {
    this.rpc.failAll(new Error('superseded by a new run'));
  }
}
