// Requests the views make to the host (aggregates, positional encoding, compare heads, extra heads
// for the stepper, q and k vectors), each with its own id, answered once — by data, a
// viewError/headError, or a timeout — so a view never waits forever.
import type {
  AggregateMessage, CompareHeadMessage, HeadMessage, HostToWebview, PositionalMessage, QkMessage, WebviewToHost,
} from '../../src/protocol/webview';

// Generous: the rollout of a 512-token, 12-layer run takes seconds on a busy host.
export const VIEW_REQUEST_TIMEOUT_MS = 60_000;

type Answer = AggregateMessage | PositionalMessage | CompareHeadMessage | HeadMessage | QkMessage;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type ViewRequest = DistributiveOmit<
  Extract<WebviewToHost, { type: 'requestAggregate' | 'requestPositional' | 'requestCompareHead' | 'requestHead' | 'requestQk' }>,
  'requestId'
>;

export class Requests {
  /** Ids from a range the head detail never uses, so its answers and ours cannot be confused. */
  private next = 1_000_000 - 500_000;
  private readonly waiting = new Map<number, { resolve(a: Answer): void; reject(e: Error): void; timer: ReturnType<typeof setTimeout> }>();

  constructor(private readonly post: (m: WebviewToHost) => void) {}

  send<T extends Answer>(req: ViewRequest): Promise<T> {
    const requestId = this.next++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(requestId);
        reject(new Error(`The extension did not answer within ${VIEW_REQUEST_TIMEOUT_MS / 1000} s.`));
      }, VIEW_REQUEST_TIMEOUT_MS);
      this.waiting.set(requestId, { resolve: resolve as (a: Answer) => void, reject, timer });
      this.post({ ...req, requestId } as WebviewToHost);
    });
  }

  /** Routes an answer; false when it is not one of ours. */
  settle(m: HostToWebview): boolean {
    if (!('requestId' in m) || m.type === 'exportRequest') return false;
    const w = this.waiting.get(m.requestId);
    if (!w) return false;
    this.waiting.delete(m.requestId);
    clearTimeout(w.timer);
    if (m.type === 'viewError' || m.type === 'headError') w.reject(new Error(m.message));
    else if (m.type === 'aggregate' || m.type === 'positional' || m.type === 'compareHead' || m.type === 'head') w.resolve(m);
    else if (m.type === 'qk') w.resolve(m);
    else w.reject(new Error('unexpected answer'));
    return true;
  }

  /** A new run: answers still on the way belong to the old one. */
  cancelAll(): void {
    for (const w of this.waiting.values()) {
      clearTimeout(w.timer);
      w.reject(new Error('superseded by a new run'));
    }
    this.waiting.clear();
  }
}
