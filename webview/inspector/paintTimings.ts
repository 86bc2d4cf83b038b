// The page's own draw times, for the webview tests, the UI tests and the UI bench (bench/ui): after
// the head grid shows its thumbnails #app[data-grid-ms], after a head's heatmap #app[data-head-ms]
// (and #app[data-head-wait-ms]: how long the page waited for the host's answer, when it asked;
// #app[data-head-preview] while the heatmap shows a preview's colours and not yet the numbers).
// Only these attributes are written: the inspector's own code never reads them.
export type Paint = 'grid' | 'head';

const ATTRIBUTE: Record<Paint, string> = { grid: 'gridMs', head: 'headMs' };

/** Records on `root` how long the paint that began at `t0` (performance.now()) took. */
export function recordPaint(root: HTMLElement, paint: Paint, t0: number, waitMs?: number, preview = false): void {
  if (waitMs !== undefined) root.dataset.headWaitMs = waitMs.toFixed(1);
  if (paint === 'head') root.toggleAttribute('data-head-preview', preview);
  root.dataset[ATTRIBUTE[paint]] = (performance.now() - t0).toFixed(1);
}
