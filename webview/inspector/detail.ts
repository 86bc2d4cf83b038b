// The right-hand pane: one head in full, as a heatmap or as lines, with its colour legend and a
// sentence saying how to read it.
import type { HeadMessage, HeadPreviewMessage, PartMeta, RunMeta } from '../../common/webview';
import type { InspectorState } from '../../common/webview';
import { custom, el, fmt, sizeCanvas } from '../shared/dom';
import { hatchPattern, makeRamp, rgbCss, type ThemeColors } from '../shared/theme';
import { HeatmapView, headMax } from './heatmap';
import { LinesView } from './lines';
import { normRows, partLabel } from './labels';
import { applySink, sinkBadge } from './sink';
import type { Tooltip } from './tooltip';

export type ViewKind = NonNullable<InspectorState['view']>;
export type ScaleKind = NonNullable<InspectorState['scale']>;

const EXPLAIN: Record<ViewKind, string> = {
  heatmap:
    'Each row is a query token; its cells show how much that token attends to each key token (every row sums to 1). ' +
    'Stronger colour = more attention (see the legend). Hover a cell for the exact numbers.',
  lines:
    'Each line joins a query token (left) to a key token (right); more opaque and thicker = more attention. ' +
    'Hover a token to see only its lines and their probabilities.',
};

export class DetailPane {
  readonly root = el('section', { className: 'detail-pane', attrs: { 'aria-label': 'Head detail' } });
  private readonly title = el('h2', { className: 'detail-title', text: 'No head selected' });
  private readonly subtitle = el('div', { className: 'detail-subtitle' });
  private readonly explain = el('p', { className: 'explain' });
  private readonly status = el('div', { className: 'detail-status', attrs: { role: 'status' } });
  private readonly legendBar = el('canvas', { className: 'legend-bar', attrs: { 'aria-hidden': 'true' } });
  private readonly legendMax = el('span', { className: 'legend-max' });
  private readonly maskSwatch = el('canvas', { className: 'legend-swatch', attrs: { 'aria-hidden': 'true' } });
  private readonly maskText = el('span', { text: 'masked (key after query)' });
  private readonly maskLegend = el('span', { className: 'legend-mask' }, [this.maskSwatch, this.maskText]);
  private readonly scaleBox = custom('vscode-checkbox', {
    className: 'scale-toggle',
    text: 'fixed scale 0…1',
    attrs: { title: "Off: brightest = this head's largest probability. On: brightest = 1, so heads compare." },
  });
  private readonly legend = el('div', { className: 'legend', attrs: { 'aria-label': 'colour legend' } }, [
    el('span', { className: 'legend-caption', text: 'probability' }),
    el('span', { className: 'legend-min', text: '0' }),
    this.legendBar,
    this.legendMax,
    this.scaleBox,
    this.maskLegend,
  ]);
  private readonly radios: HTMLElement;
  private readonly body = el('div', { className: 'detail-body' });
  private readonly heatmap: HeatmapView;
  private readonly lines: LinesView;
  private view: ViewKind = 'heatmap';
  private scale: ScaleKind = 'head';
  private shown: { head: HeadMessage; part: PartMeta; meta: RunMeta } | undefined;
  private sink = false;
  /** Pane width measured when the DOM was clean (showHead) or on resize. */
  private width = 0;
  private readonly badge = el('div', { className: 'detail-badge' });

  constructor(
    tooltip: Tooltip,
    private theme: ThemeColors,
    private readonly onViewChange: (v: ViewKind) => void,
    private readonly onScaleChange: (s: ScaleKind) => void,
  ) {
    this.heatmap = new HeatmapView(tooltip, theme);
    this.lines = new LinesView(theme);
    const radio = (value: ViewKind, text: string) => custom('vscode-radio', { text, attrs: { name: 'view', value, 'data-view': value } });
    this.radios = custom('vscode-radio-group', { className: 'view-toggle', attrs: { 'aria-label': 'Detail view' } }, [
      radio('heatmap', 'Heatmap'),
      radio('lines', 'Lines'),
    ]);
    this.radios.addEventListener('change', (e) => {
      const v = (e.target as HTMLElement | null)?.getAttribute('value');
      if ((v === 'heatmap' || v === 'lines') && v !== this.view) {
        this.setView(v);
        this.onViewChange(v);
      }
    });
    this.scaleBox.addEventListener('change', () => {
      const s: ScaleKind = (this.scaleBox as HTMLElement & { checked?: boolean }).checked ? 'one' : 'head';
      if (s === this.scale) return;
      this.setScale(s);
      this.onScaleChange(s);
    });
    const head = el('div', { className: 'detail-header' }, [el('div', {}, [this.title, this.subtitle]), this.radios]);
    this.root.append(head, this.legend, this.badge, this.explain, this.status, this.body);
    this.legend.hidden = true;
    this.setView('heatmap');
  }

  setView(v: ViewKind): void {
    this.view = v;
    for (const r of Array.from(this.radios.children)) {
      const on = r.getAttribute('value') === v;
      (r as HTMLElement & { checked?: boolean }).checked = on;
      r.toggleAttribute('checked', on);
    }
    this.explain.textContent = EXPLAIN[v];
    this.rerender();
  }

  setScale(s: ScaleKind): void {
    this.scale = s;
    (this.scaleBox as HTMLElement & { checked?: boolean }).checked = s === 'one';
    this.scaleBox.toggleAttribute('checked', s === 'one');
    this.rerender();
  }

  setSink(on: boolean): void {
    if (on === this.sink) return; // a new run sets it again: redrawing the old head then is wasted
    this.sink = on;
    this.rerender();
  }

  /** The head as drawn: with the attention-sink display transform applied when it is on (cached per head). */
  private drawn(): { head: HeadMessage; hidden: Set<number>; max: number } | undefined {
    const s = this.shown;
    if (!s) return undefined;
    const c = this.drawnCache;
    if (c && c.source === s.head && c.sink === this.sink) return c.value;
    const { probs, hidden } = applySink(this.sink, s.head.probs, s.head.queries, s.head.keys, s.part.keyTokens);
    const head = hidden.size > 0 ? { ...s.head, probs } : s.head;
    const value = { head, hidden, max: headMax(head.probs) };
    this.drawnCache = { source: s.head, sink: this.sink, value };
    return value;
  }

  private drawnCache: { source: HeadMessage; sink: boolean; value: { head: HeadMessage; hidden: Set<number>; max: number } } | undefined;

  private scaleMax(): number {
    const d = this.drawn();
    return this.scale === 'one' || !d ? 1 : d.max;
  }

  showLoading(text: string): void {
    this.status.textContent = text;
  }

  showHead(head: HeadMessage, part: PartMeta, meta: RunMeta): void {
    // Measure before touching the DOM: reading the width after a change forces a full layout.
    this.width = this.root.clientWidth;
    this.shown = { head, part, meta };
    this.describe(head, part, meta);
    this.rerender();
  }

  /** Whether a head of this size can be painted from a preview the way it is drawn now. */
  canPreview(queries: number, keys: number): boolean {
    return this.view === 'heatmap' && this.scale === 'head' && !this.sink && HeatmapView.previewable(queries, keys, this.canvasWidth());
  }

  /** Room left for the heatmap's canvas: pane width minus the query labels and the vertical axis title. */
  private canvasWidth(): number {
    return Math.max(120, (this.width || this.root.clientWidth) - 190);
  }

  /** A head's colours ahead of its numbers (showHead follows); false when it cannot be painted so. */
  showPreview(p: HeadPreviewMessage, part: PartMeta, meta: RunMeta): boolean {
    this.width = this.root.clientWidth;
    if (!this.canPreview(p.queries, p.keys)) return false;
    if (!this.heatmap.renderPreview(p, part, this.canvasWidth())) return false;
    this.shown = undefined; // what rerender() would draw is another head's
    this.describe(p, part, meta);
    this.legend.hidden = false;
    this.legendMax.textContent = fmt(p.max);
    this.maskLegend.hidden = !p.mask || !p.mask.some((m) => m !== 0);
    this.badge.replaceChildren();
    if (this.body.childNodes.length !== 1 || this.body.firstChild !== this.heatmap.root) this.body.replaceChildren(this.heatmap.root);
    return true;
  }

  /** Title and subtitle of the head shown. */
  private describe(head: { layer: number; head: number; queries: number; keys: number }, part: PartMeta, meta: RunMeta): void {
    this.status.textContent = '';
    this.title.textContent = `Layer ${head.layer} · Head ${head.head}`;
    const lm = part.layers.find((l) => l.layer === head.layer);
    const stats = lm?.stats[head.head];
    const norms = normRows(lm?.norms, head.head).map((r) => `${r.label.replace(' head slice', '')} ${r.value}`);
    this.subtitle.textContent =
      `${partLabel(part.part, meta)} · ${head.queries} queries × ${head.keys} keys` +
      (stats ? ` · entropy ${fmt(stats.entropy, 2)} nats` : '') +
      (norms.length ? ` · weights ${norms.join(', ')}` : '');
  }

  clear(message: string): void {
    this.shown = undefined;
    this.title.textContent = 'No head selected';
    this.subtitle.textContent = '';
    this.status.textContent = message;
    this.legend.hidden = true;
    this.body.replaceChildren();
  }

  setTheme(theme: ThemeColors): void {
    this.theme = theme;
    this.heatmap.setTheme(theme);
    this.lines.setTheme(theme);
    this.drawLegend();
  }

  /** Re-lays out for the current width (window resize). */
  resize(): void {
    this.width = this.root.clientWidth;
    this.rerender();
  }

  rerender(): void {
    const s = this.shown;
    const d = this.drawn();
    if (!s || !d) return;
    this.legend.hidden = false;
    this.badge.replaceChildren(...(d.hidden.size > 0 ? [sinkBadge(d.hidden, s.part.keyTokens)] : []));
    if (this.view === 'heatmap') {
      this.heatmap.render(
        d.head,
        s.part,
        s.meta.scoreLabel,
        this.canvasWidth(),
        this.scaleMax(),
        d.hidden,
        d.hidden.size > 0 ? s.head.probs : undefined,
      );
      if (this.body.childNodes.length !== 1 || this.body.firstChild !== this.heatmap.root) this.body.replaceChildren(this.heatmap.root);
    } else {
      this.lines.render(d.head, s.part, this.scaleMax());
      this.body.replaceChildren(this.lines.root);
    }
    this.drawLegend();
  }

  private drawLegend(): void {
    const s = this.shown;
    if (!s) return;
    this.legendMax.textContent = this.scale === 'one' ? '1' : fmt(this.scaleMax());
    const W = 140;
    const H = 10;
    const ctx = sizeCanvas(this.legendBar, W, H);
    if (this.view === 'heatmap') {
      const ramp = makeRamp(this.theme);
      for (let x = 0; x < W; x++) {
        ctx.fillStyle = rgbCss(ramp(x / (W - 1)));
        ctx.fillRect(x, 0, 1, H);
      }
    } else {
      for (let x = 0; x < W; x++) {
        ctx.fillStyle = rgbCss(this.theme.accent, x / (W - 1));
        ctx.fillRect(x, 0, 1, H);
      }
    }
    const w = s.part.layers.find((l) => l.layer === s.head.layer)?.window;
    // A sliding-window layer's mask is a band: keys after the query and keys w or more back.
    this.maskText.textContent = w ? `masked (key after query or ≥ ${w} back) · sliding window ${w}` : 'masked (key after query)';
    this.maskLegend.hidden = !s.head.mask || !s.head.mask.some((m) => m !== 0) || this.view !== 'heatmap';
    const sw = sizeCanvas(this.maskSwatch, 14, 14);
    sw.fillStyle = hatchPattern(sw, this.theme);
    sw.fillRect(0, 0, 14, 14);
  }
}
