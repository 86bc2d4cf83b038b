// One job at a time, and only the newest waits: for work a person asks for again and again (the
// Q·K tab's vectors, one forward pass each in an engine worker that cannot drop queued work), where
// only the last request matters. No vscode import: the inspector session uses it, tests too.

export class NewestOnly {
  private busy = false;
  private next: ((go: boolean) => void) | undefined;

  /** Runs `start` when the running job ends; if a newer job is queued first, gives `superseded()`. */
  async run<T, S>(start: () => Promise<T>, superseded: () => S): Promise<T | S> {
    if (this.busy) {
      this.next?.(false);
      const go = await new Promise<boolean>((resolve) => (this.next = resolve));
      if (!go) return superseded();
    }
    this.busy = true; // already set when handed over; kept set, so no third job slips in between
    try {
      return await start();
    } finally {
      const next = this.next;
      this.next = undefined;
      if (next) next(true);
      else this.busy = false;
    }
  }
}
