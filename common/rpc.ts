// One request/reply layer for every conversation of the extension: host → engine worker, inspector
// page → host (heads, aggregates, q·k…), host → inspector page (export), and the notifications of
// the side bar and the model page. A request gets an id from the one client of its side and
// exactly one outcome: its reply, an error reply, a timeout, or a cancel — never a hang. A
// notification has no reply (or is about an open request: progress). What arrives is `unknown`
// until the protocol's guard accepts it; handlers only see typed messages.
// Imports nothing: the worker, the host and the webview bundles all use this file.

/** A request that got no answer in time. */
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/** A request given up by its sender (a newer request, a new run, a closed panel). */
export class CancelledError extends Error {
  override readonly name = 'CancelledError';
}

/** What an incoming message means for the open requests, as the protocol's router says. */
export type Routed<R, N> = { id: number; reply: R } | { id: number; error: Error } | { id: number; note: N };

export interface CallOptions<N> {
  /** No request waits longer than this. */
  timeoutMs: number;
  /** What is asked, in words ("running model.json"): used in the default timeout text and by failAll. */
  what?: string;
  /** The error a timeout rejects with (default: a TimeoutError saying what waited how long). */
  timeoutError?: () => Error;
  /** Called after a timeout rejected the request (e.g. to stop a worker stuck on it). */
  onTimeout?: () => void;
  /** Notifications about this request before its answer (progress, partial results). */
  onNote?: (note: N) => void;
  /** Called once, when the request settles whatever the outcome (stop watches and timers). */
  onSettle?: () => void;
}

/** A request on its way: a promise of the reply, with the id it was sent with. */
export type Call<T> = Promise<T> & { readonly id: number };

interface Open<R, N> {
  resolve(reply: R): void;
  reject(e: Error): void;
  timer: ReturnType<typeof setTimeout>;
  what: string;
  opts: CallOptions<N>;
}

/**
 * The requesting side of one conversation. `send` posts a message; `route` says which open request
 * an incoming (already guarded) message answers, or undefined when it answers none.
 * R: the replies, N: the notifications about an open request.
 */
export class RpcClient<Out, In, R = In, N = never> {
  private nextId = 1;
  private readonly open = new Map<number, Open<R, N>>();

  constructor(
    private readonly send: (message: Out) => void,
    private readonly route: (message: In) => Routed<R, N> | undefined,
  ) {}

  /** Sends `make(id)` and waits for its reply. */
  request<T extends R>(make: (id: number) => Out, opts: CallOptions<N>): Call<T> {
    const id = this.nextId++;
    const what = opts.what ?? 'the request';
    const promise = new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        const e = opts.timeoutError?.() ?? new TimeoutError(`No answer to ${what} within ${opts.timeoutMs / 1000} s.`);
        if (this.fail(id, e)) opts.onTimeout?.();
      }, opts.timeoutMs);
      this.open.set(id, { resolve: resolve as (r: R) => void, reject, timer, what, opts });
    });
    try {
      this.send(make(id));
    } catch (e) {
      this.fail(id, e instanceof Error ? e : new Error(String(e)));
    }
    return Object.assign(promise, { id });
  }

  /** Posts a message that gets no reply. */
  notify(message: Out): void {
    this.send(message);
  }

  /** Hands a guarded message to the request it is about; false when it is about no open request. */
  receive(message: In): boolean {
    const r = this.route(message);
    const o = r && this.open.get(r.id);
    if (!r || !o) return false;
    if ('note' in r) {
      o.opts.onNote?.(r.note);
      return true;
    }
    this.settle(r.id, o);
    if ('error' in r) o.reject(r.error);
    else o.resolve(r.reply);
    return true;
  }

  /** Whether request `id` still waits for its answer. */
  has(id: number): boolean {
    return this.open.has(id);
  }

  get size(): number {
    return this.open.size;
  }

  /** Rejects one open request (cancel, a watchdog); false when it had already settled. */
  fail(id: number, error: Error): boolean {
    const o = this.open.get(id);
    if (!o) return false;
    this.settle(id, o);
    o.reject(error);
    return true;
  }

  /** Rejects every open request: each gets `error`, or the error made from what it asked. */
  failAll(error: Error | ((what: string) => Error)): void {
    for (const [id, o] of [...this.open]) this.fail(id, typeof error === 'function' ? error(o.what) : error);
  }

  private settle(id: number, o: Open<R, N>): void {
    this.open.delete(id);
    clearTimeout(o.timer);
    o.opts.onSettle?.();
  }
}

/**
 * The receiving side of messages that need no reply (or whose replies the handler posts itself):
 * `raw` reaches `handle` only when `guard` accepts it; anything else goes to `malformed`.
 */
export function receiver<T>(
  guard: (x: unknown) => x is T,
  handle: (m: T) => void,
  malformed?: (raw: unknown) => void,
): (raw: unknown) => void {
  return (raw) => (guard(raw) ? handle(raw) : malformed?.(raw));
}
