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

/** A message of a union without its `id` (each member keeps its own fields). */
export type WithoutId<M> = M extends unknown ? Omit<M, 'id'> : never;

/** How a served request is answered. The id is the request's; exactly one reply or error. */
export interface Replier<Reply, Note = never> {
  readonly id: number;
  /** The answer; a second answer to the same request is a bug and throws. */
  reply(message: WithoutId<Reply>, transfer?: ArrayBuffer[]): void;
  /** The error answer, made by the server's `error` from what was thrown. */
  fail(error: unknown): void;
  /** A notification about this request before its answer (progress, partial results). */
  note(message: WithoutId<Note>, transfer?: ArrayBuffer[]): void;
}

export interface ServeOptions<Req extends { id: number }, Reply extends { id: number }, Note extends { id: number }> {
  /** Accepts what may be handled; anything else gets the `malformed` error reply. */
  guard: (raw: unknown) => raw is Req;
  /** Posts one message to the requester (the only place the server writes to its port). */
  post: (message: Reply | Note, transfer: ArrayBuffer[]) => void;
  /** The typed error reply for what a handler threw. */
  error: (e: unknown) => WithoutId<Reply>;
  /** The error reply for a message the guard refused, with the id it carried (or `fallbackId`). */
  malformed: { reply: WithoutId<Reply>; fallbackId: number };
  /** Requests that get no reply at all (a notification to the server, e.g. "drop this handle"). */
  oneWay?: (req: Req) => boolean;
  /** Answers through the replier; what it throws becomes the error reply. */
  handle: (req: Req, r: Replier<Reply, Note>) => void;
}

/**
 * The answering side of a conversation (the engine worker, the tokenizer thread): every request
 * the guard accepts gets exactly one answer with its own id — the handler's reply, the error it
 * threw, or, when it returned without answering, an error saying so; a refused message gets the
 * `malformed` reply. Returns the function to give every incoming message.
 */
export function serve<Req extends { id: number }, Reply extends { id: number }, Note extends { id: number } = never>(
  o: ServeOptions<Req, Reply, Note>,
): (raw: unknown) => void {
  const withId = <M>(m: M, id: number) => ({ ...m, id }) as unknown as Reply & Note;
  return (raw) => {
    if (!o.guard(raw)) {
      const id = typeof (raw as { id?: unknown } | null)?.id === 'number' ? (raw as { id: number }).id : o.malformed.fallbackId;
      o.post(withId(o.malformed.reply, id), []);
      return;
    }
    const id = raw.id;
    let answered = false;
    const answer = (m: WithoutId<Reply>, transfer: ArrayBuffer[] = []) => {
      if (answered) throw new Error(`request ${id} is answered twice`);
      answered = true;
      o.post(withId(m, id), transfer);
    };
    const r: Replier<Reply, Note> = {
      id,
      reply: answer,
      fail: (e) => answer(o.error(e)),
      note: (m, transfer = []) => {
        if (answered) throw new Error(`a note about request ${id} after its answer`);
        o.post(withId(m, id), transfer);
      },
    };
    try {
      o.handle(raw, r);
    } catch (e) {
      if (answered) throw e; // a bug after the answer: not the requester's error
      r.fail(e);
      return;
    }
    if (!answered && !o.oneWay?.(raw)) r.fail(new Error(`request ${id} (${describe(raw)}) got no answer from its handler`));
  };
}

const describe = (m: object): string => String((m as { type?: unknown }).type ?? 'request');
