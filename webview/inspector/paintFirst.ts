// Messages from the host, applied in order, except that a change picked by `first` (a status line
// such as "Run cancelled…") is painted before the messages after it are applied. After Cancel
// the host says so and puts the previous run back at once; handling that run took the page's one
// main thread 100–400 ms in VS Code before the line could show.

/**
 * A frame after the change, or FALLBACK_MS when frames do not come (a hidden webview). Not less:
 * a visible page on a busy window waits longer than 50 ms for its frame (Restart Engine from the
 * palette in VS Code: the put-back run was applied, 82 ms, before the line could show).
 */
export const FALLBACK_MS = 250;

export class PaintFirst<M> {
  /** Messages that came after a picked one, until it is painted. */
  private held: M[] | undefined;

  constructor(
    private readonly apply: (m: M) => void,
    private readonly first: (m: M) => boolean,
  ) {}

  push(m: M): void {
    if (this.held) {
      this.held.push(m);
      return;
    }
    this.apply(m);
    if (!this.first(m)) return;
    this.held = [];
    let done = false;
    const release = () => {
      if (done) return;
      done = true;
      const q = this.held ?? [];
      this.held = undefined;
      for (const x of q) this.push(x); // a picked one among them holds the rest again
    };
    requestAnimationFrame(() => setTimeout(release, 0));
    setTimeout(release, FALLBACK_MS);
  }
}
