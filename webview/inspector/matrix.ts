// A labelled matrix on a canvas, for the views beyond the head detail (stepper, aggregates,
// positional encoding, compare): row/column token labels as DOM text, named axes, a sequential or
// diverging colour scale, hatched masked cells, greyed rows/columns, a hover callback for numbers.
import { clear, displayToken, el, keyLabel } from '../shared/dom';
import { hatchPattern, makeDivergingRamp, makeRamp, rgbCss, type RGB, type ThemeColors } from '../shared/theme';
import type { TipRow, Tooltip } from './tooltip';

export interface MatrixSpec {
  rows: number;
  cols: number;
  /** [rows, cols] */
  data: Float32Array;
  rowLabels: string[];
  colLabels: string[];
  rowTitle: string;
  colTitle: string;
  /** 'seq': 0…max; 'div': −max…+max around 0. */
  scale: 'seq' | 'div';
  max: number;
  mask?: Uint8Array;
  /** Columns removed by a display transform: drawn hatched, like masked cells. */
  hiddenCols?: ReadonlySet<number>;
  /** Rows from this index on are not shown yet (decoder stepper): drawn in the background colour. */
  visibleRows?: number;
  /** Row drawn with a frame (the stepper's current step). */
  currentRow?: number;
  /** Largest cell size in CSS px. */
  maxCell?: number;
  ariaLabel: string;
  tipTitle: string;
  tip(i: number, j: number): TipRow[];
}

const MIN_LABEL_PX = 10;

export class MatrixView {
  readonly root = el('div', { className: 'heatmap matrix' });
  private readonly keyLabels = el('div', { className: 'key-labels' });
  private readonly queryLabels = el('div', { className: 'query-labels' });
  readonly canvas = el('canvas', { className: 'matrix-canvas', attrs: { role: 'img' } });
  private readonly cursor = el('div', { className: 'cell-cursor' });
  private readonly wrap = el('div', { className: 'canvas-wrap' }, [this.canvas, this.cursor]);
  private readonly colTitle = el('div', { className: 'axis-title key-title' });
  private readonly rowTitle = el('div', { className: 'axis-title query-title' });
  private spec: MatrixSpec | undefined;
  private cell = 12;

  constructor(
    private readonly tooltip: Tooltip,
    private theme: ThemeColors,
  ) {
    this.root.append(this.colTitle, this.keyLabels, this.rowTitle, this.queryLabels, this.wrap);
    this.cursor.hidden = true;
    this.wrap.addEventListener('mousemove', (e) => this.onHover(e));
    this.wrap.addEventListener('mouseleave', () => this.clearHover());
  }

  /** Lays out for `width` CSS px of canvas. Cells may be fractional-free but below 1 px the image is scaled. */
  render(spec: MatrixSpec, width: number): void {
    this.spec = spec;
    const byWidth = width / Math.max(spec.cols, 1);
    this.cell = Math.max(1, Math.min(spec.maxCell ?? 32, Math.floor(byWidth) || 1));
    const step = this.cell >= MIN_LABEL_PX ? 1 : Math.ceil(MIN_LABEL_PX / this.cell);
    this.root.style.setProperty('--cell', `${this.cell}px`);
    this.root.style.setProperty('--label-font', `${Math.max(9, Math.min(13, this.cell - 2))}px`);
    this.colTitle.textContent = spec.colTitle;
    this.rowTitle.textContent = spec.rowTitle;
    clear(this.keyLabels);
    clear(this.queryLabels);
    spec.colLabels.forEach((t, j) => {
      this.keyLabels.appendChild(keyLabel(t, j % step === 0, `${j}: ${t}`));
    });
    spec.rowLabels.forEach((t, i) => {
      this.queryLabels.appendChild(
        el('div', { className: 'token-label query-label', text: i % step === 0 ? displayToken(t) : '', attrs: { title: `${i}: ${t}` } }),
      );
    });
    this.canvas.setAttribute('aria-label', spec.ariaLabel);
    this.canvas.dataset.cell = String(this.cell);
    this.draw();
  }

  setTheme(theme: ThemeColors): void {
    this.theme = theme;
    this.draw();
  }

  /** Colour of value v under the current spec (tests and legends use the same mapping). */
  colour(v: number): RGB {
    const s = this.spec;
    if (!s) return this.theme.background;
    return s.scale === 'div' ? makeDivergingRamp(this.theme)(s.max > 0 ? v / s.max : 0) : makeRamp(this.theme)(s.max > 0 ? v / s.max : 0);
  }

  private draw(): void {
    const s = this.spec;
    if (!s) return;
    const c = this.cell;
    const W = s.cols * c;
    const H = s.rows * c;
    const ctx = this.canvas.getContext('2d');
    this.canvas.width = W;
    this.canvas.height = H;
    this.canvas.style.width = `${W}px`;
    this.canvas.style.height = `${H}px`;
    if (!ctx) return;
    const ramp = s.scale === 'div' ? makeDivergingRamp(this.theme) : makeRamp(this.theme);
    const visible = s.visibleRows ?? s.rows;
    const img = new ImageData(s.cols, s.rows);
    const bg = this.theme.background;
    for (let i = 0; i < s.rows; i++) {
      for (let j = 0; j < s.cols; j++) {
        const k = i * s.cols + j;
        const [r, g, b] = i >= visible ? bg : ramp(s.max > 0 ? s.data[k] / s.max : 0);
        img.data[k * 4] = r;
        img.data[k * 4 + 1] = g;
        img.data[k * 4 + 2] = b;
        img.data[k * 4 + 3] = 255;
      }
    }
    const off = document.createElement('canvas');
    off.width = s.cols;
    off.height = s.rows;
    off.getContext('2d')?.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(off, 0, 0, W, H);
    const hidden = s.hiddenCols ?? new Set<number>();
    if (s.mask || hidden.size > 0) {
      ctx.fillStyle = hatchPattern(ctx, this.theme);
      ctx.beginPath();
      for (let i = 0; i < visible; i++) {
        for (let j = 0; j < s.cols; j++) if (s.mask?.[i * s.cols + j] || hidden.has(j)) ctx.rect(j * c, i * c, c, c);
      }
      ctx.fill();
    }
    if (s.currentRow !== undefined && s.currentRow < s.rows) {
      ctx.strokeStyle = this.theme.css.focus;
      ctx.lineWidth = 2;
      ctx.strokeRect(1, s.currentRow * c + 1, W - 2, Math.max(1, c - 2));
    }
  }

  private onHover(e: MouseEvent): void {
    const s = this.spec;
    if (!s) return;
    const r = this.canvas.getBoundingClientRect();
    const j = Math.floor((e.clientX - r.left) / this.cell);
    const i = Math.floor((e.clientY - r.top) / this.cell);
    if (i < 0 || j < 0 || i >= s.rows || j >= s.cols) return this.clearHover();
    this.tooltip.show(s.tipTitle, s.tip(i, j), e.clientX, e.clientY);
    this.cursor.hidden = false;
    Object.assign(this.cursor.style, {
      left: `${j * this.cell}px`,
      top: `${i * this.cell}px`,
      width: `${this.cell}px`,
      height: `${this.cell}px`,
    });
  }

  private clearHover(): void {
    this.tooltip.hide();
    this.cursor.hidden = true;
  }
}

/** A colour bar with its end labels, for a sequential (0…max) or diverging (−max…+max) scale. */
export function legend(theme: ThemeColors, scale: 'seq' | 'div', max: number, caption: string, fmtv: (v: number) => string): HTMLElement {
  const bar = el('canvas', { className: 'legend-bar', attrs: { 'aria-hidden': 'true' } });
  const W = 140;
  bar.width = W;
  bar.height = 10;
  const ctx = bar.getContext('2d');
  const ramp = scale === 'div' ? makeDivergingRamp(theme) : makeRamp(theme);
  for (let x = 0; ctx && x < W; x++) {
    ctx.fillStyle = rgbCss(ramp(scale === 'div' ? (x / (W - 1)) * 2 - 1 : x / (W - 1)));
    ctx.fillRect(x, 0, 1, 10);
  }
  return el('div', { className: 'legend', attrs: { 'aria-label': `colour legend: ${caption}` } }, [
    el('span', { className: 'legend-caption', text: caption }),
    el('span', { className: 'legend-min', text: scale === 'div' ? fmtv(-max) : '0' }),
    bar,
    el('span', { className: 'legend-max', text: fmtv(max) }),
  ]);
}
