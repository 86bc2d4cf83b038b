// Live re-run as the person types: each keystroke restarts a short pause; when it ends, the run
// starts and the previous one is cancelled. A result that arrives after a newer keystroke is
// dropped, so the view never shows tokens of text the person has already changed.
// No vscode import: tested in plain Node with mock timers.

export interface Cancellable<R> extends Promise<R> {
  cancel(): void;
}

export interface LiveRunHooks<R> {
  /** Starts one run of `text`. */
  start(text: string): Cancellable<R>;
  /** The latest text's result. */
  onResult(text: string, result: R): void;
  /** The latest text's failure (runs cancelled because newer text came are not reported). */
  onError(text: string, error: Error): void;
  /** A run is about to start (after the pause). */
  onStart?(text: string): void;
}

export class LiveRun<R> {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inFlight: Cancellable<R> | undefined;
  /** Bumped by every keystroke and every start; a run reports only if it is still the latest. */
  private seq = 0;
  private disposed = false;

  constructor(
    private readonly hooks: LiveRunHooks<R>,
    readonly delayMs = 400,
  ) {}

  /** A keystroke: run `text` once the person pauses for delayMs. */
  type(text: string): void {
    if (this.disposed) return;
    this.seq++;
    this.cancelInFlight(); // its result would describe text that no longer is in the box
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.start(text);
    }, this.delayMs);
  }

  /** Enter: run now, dropping any pending pause. */
  now(text: string): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    return this.start(text);
  }

  /** Whether a pause or a run is pending. */
  get busy(): boolean {
    return this.timer !== undefined || this.inFlight !== undefined;
  }

  /** Drops the pending pause and the run under way (it reports nothing). */
  cancel(): void {
    this.seq++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.cancelInFlight();
  }

  dispose(): void {
    this.disposed = true;
    this.seq++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.cancelInFlight();
  }

  private cancelInFlight(): void {
    const r = this.inFlight;
    this.inFlight = undefined;
    r?.cancel();
  }

  private async start(text: string): Promise<void> {
    if (this.disposed) return;
    this.cancelInFlight();
    const mine = ++this.seq;
    this.hooks.onStart?.(text);
    let run: Cancellable<R>;
    try {
      run = this.hooks.start(text);
    } catch (e) {
      this.hooks.onError(text, e as Error);
      return;
    }
    this.inFlight = run;
    try {
      const result = await run;
      if (mine === this.seq) this.hooks.onResult(text, result);
    } catch (e) {
      if (mine === this.seq) this.hooks.onError(text, e as Error);
    } finally {
      if (this.inFlight === run) this.inFlight = undefined;
    }
  }
}
