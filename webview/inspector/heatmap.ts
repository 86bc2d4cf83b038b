// Head detail as a heatmap: one row per query token, one column per key token, colour = attention
// probability on a 0…max scale. Masked cells (causal mask) are hatched. Hover shows the numbers.
import type { HeadMessage, HeadPreviewMessage, PartMeta } from '../../common/webview';
import { clear, displayToken, el, fmt, keyLabel, sizeCanvas } from '../shared/dom';
import { hatchPattern, luminance, makeRamp, mix, rampLut, rgbCss, type ThemeColors } from '../shared/theme';
import type { Tooltip } from './tooltip';
import { levelScale, rampLevel } from '../../common/headWire';

export const QUERY_AXIS_TITLE = 'query = token attending';
export const KEY_AXIS_TITLE = 'key = token attended to';

const MIN_LABEL_PX = 10;
/** Cells at least this big also print their probability. */
const VALUE_TEXT_PX = 28;

export { headMax } from '../../common/headWire';

/** The flat colour masked cells get when cells are too small for the hatch (its average tone). */
function hatchTone(theme: ThemeColors): number {
  const [r, g, b] = mix(theme.background, theme.muted, 0.35);
  return (255 << 24) | (Math.round(b) << 16) | (Math.round(g) << 8) | Math.round(r);
}

/** Cell size in CSS px that fits `keys` columns into `width`, between 3 and 40. */
export function cellSize(width: number, keys: number, queries: number): number {
  const byWidth = Math.floor(width / Math.max(keys, 1));
  const byHeight = Math.floor(Math.max(320, window.innerHeight * 0.75) / Math.max(queries, 1));
  return Math.max(3, Math.min(40, byWidth, Math.max(byHeight, 8)));
}

/** Labels shown every `step` tokens so they stay readable when cells get small. */
function labelStep(cell: number): number {
  return cell >= MIN_LABEL_PX ? 1 : Math.ceil(MIN_LABEL_PX / cell);
}

export class HeatmapView {
  readonly root = el('div', { className: 'heatmap' });
  private readonly keyLabels = el('div', { className: 'key-labels', attrs: { 'aria-label': 'key tokens' } });
  private readonly queryLabels = el('div', { className: 'query-labels', attrs: { 'aria-label': 'query tokens' } });
  private readonly canvas = el('canvas', { className: 'heatmap-canvas', attrs: { role: 'img' } });
  private readonly cursor = el('div', { className: 'cell-cursor' });
  private readonly wrap = el('div', { className: 'canvas-wrap' }, [this.canvas, this.cursor]);
  private head: HeadMessage | undefined;
  /** Shown instead of `head` until its numbers arrive. */
  private preview: HeadPreviewMessage | undefined;
  private part: PartMeta | undefined;
  private cell = 12;
  private scoreLabel = 'score';
  private scaleMax = 1;
  /** Key columns hidden by the attention-sink display transform, and the model's own probabilities. */
  private hidden: ReadonlySet<number> = new Set();
  private original: Float32Array | undefined;

  constructor(
    private readonly tooltip: Tooltip,
    private theme: ThemeColors,
  ) {
    this.root.append(
      el('div', { className: 'axis-title key-title', text: KEY_AXIS_TITLE }),
      this.keyLabels,
      el('div', { className: 'axis-title query-title', text: QUERY_AXIS_TITLE }),
      this.queryLabels,
      this.wrap,
    );
    this.cursor.hidden = true;
    this.wrap.addEventListener('mousemove', (e) => this.onHover(e));
    this.wrap.addEventListener('mouseleave', () => this.clearHover());
  }

  /** `scaleMax` is the probability drawn brightest (the head's max, or 1). */
  render(
    head: HeadMessage,
    part: PartMeta,
    scoreLabel: string,
    width: number,
    scaleMax: number,
    hidden: ReadonlySet<number> = new Set(),
    original?: Float32Array,
  ): void {
    this.head = head;
    this.preview = undefined;
    this.hidden = hidden;
    this.original = original;
    this.scaleMax = scaleMax;
    this.scoreLabel = scoreLabel;
    this.layout(head, part, width);
    this.draw();
  }

  /**
   * Paints a head's colour levels ahead of its numbers (HeadPreviewMessage), with the pixels
   * render() gives for its probabilities on their own scale; false when its cells would be 8 px or
   * more (that drawing needs the numbers). Hovering says the numbers are on their way.
   */
  renderPreview(p: HeadPreviewMessage, part: PartMeta, width: number): boolean {
    if (cellSize(width, p.keys, p.queries) >= 8) return false;
    this.head = undefined;
    this.preview = p;
    this.hidden = new Set();
    this.original = undefined;
    this.scaleMax = p.max;
    this.layout(p, part, width);
    this.paintSmall(p, (i) => p.levels[i]);
    return true;
  }

  /** Whether a head of this size gets a preview at `width` (cells under 8 px). */
  static previewable(queries: number, keys: number, width: number): boolean {
    return cellSize(width, keys, queries) < 8;
  }

  private layout(head: { layer: number; head: number; queries: number; keys: number }, part: PartMeta, width: number): void {
    this.part = part;
    this.cell = cellSize(width, head.keys, head.queries);
    const step = labelStep(this.cell);
    const font = Math.max(9, Math.min(13, this.cell - 2));
    this.root.style.setProperty('--cell', `${this.cell}px`);
    this.root.style.setProperty('--label-font', `${font}px`);

    // Switching heads of one part keeps the same tokens: rebuilding 2 × n label elements (and the
    // layout they force) would dominate a head switch at 512 tokens, so they are kept.
    const labelKey = `${step}`;
    if (this.labelsFor?.part !== part || this.labelsFor.key !== labelKey) {
      this.labelsFor = { part, key: labelKey };
      this.buildLabels(part, step);
    }
    this.canvas.setAttribute(
      'aria-label',
      `Attention of layer ${head.layer} head ${head.head}: ${head.queries} queries by ${head.keys} keys`,
    );
    this.canvas.dataset.cell = String(this.cell);
  }

  private labelsFor: { part: PartMeta; key: string } | undefined;
  private img: ImageData | undefined;

  private buildLabels(part: PartMeta, step: number): void {
    clear(this.keyLabels);
    clear(this.queryLabels);
    part.keyTokens.forEach((t, j) => {
      const shown = j % step === 0;
      this.keyLabels.appendChild(keyLabel(t, shown, `key ${j}: ${t}`, j));
    });
    part.queryTokens.forEach((t, i) => {
      const shown = i % step === 0;
      this.queryLabels.appendChild(
        el('div', {
          className: 'token-label query-label',
          text: shown ? displayToken(t) : '',
          attrs: { title: `query ${i}: ${t}`, 'data-index': String(i) },
        }),
      );
    });
  }

  setTheme(theme: ThemeColors): void {
    this.theme = theme;
    if (this.head) this.draw();
  }

  private draw(): void {
    const h = this.head;
    if (!h) return;
    const c = this.cell;
    const W = h.keys * c;
    const H = h.queries * c;
    const ramp = makeRamp(this.theme);
    const max = this.scaleMax;
    const scale = levelScale(max);
    if (c < 8) return this.paintSmall(h, (i) => rampLevel(h.probs[i], scale));
    const img = this.fill(h, (i) => rampLevel(h.probs[i], scale));
    this.canvas.style.imageRendering = '';
    const ctx = sizeCanvas(this.canvas, W, H);
    const off = document.createElement('canvas');
    off.width = h.keys;
    off.height = h.queries;
    off.getContext('2d')?.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(off, 0, 0, W, H);

    if (h.mask || this.hidden.size > 0) {
      ctx.fillStyle = hatchPattern(ctx, this.theme);
      ctx.beginPath();
      for (let i = 0; i < h.queries; i++) {
        for (let j = 0; j < h.keys; j++) if (h.mask?.[i * h.keys + j] || this.hidden.has(j)) ctx.rect(j * c, i * c, c, c);
      }
      ctx.fill();
    }
    if (c >= 8) {
      // Thin gaps in the background colour make single cells readable.
      ctx.strokeStyle = rgbCss(this.theme.background, 0.85);
      ctx.lineWidth = 1;
      ctx.beginPath();
      for (let j = 1; j < h.keys; j++) {
        ctx.moveTo(j * c, 0);
        ctx.lineTo(j * c, H);
      }
      for (let i = 1; i < h.queries; i++) {
        ctx.moveTo(0, i * c);
        ctx.lineTo(W, i * c);
      }
      ctx.stroke();
    }
    if (c >= VALUE_TEXT_PX) this.drawValues(ctx, ramp, max);
  }

  /** The head's cells as ramp colours, one pixel each: `level(i)` is cell i's ramp step. */
  private fill(h: { queries: number; keys: number }, level: (i: number) => number): ImageData {
    // One packed RGBA per ramp step, written through a Uint32 view: a 512×512 head fills in ~1 ms.
    const lut = rampLut(makeRamp(this.theme));
    // Reused between heads of one part: a fresh 1 MB ImageData per switch mostly feeds the GC.
    if (this.img?.width !== h.keys || this.img.height !== h.queries) this.img = new ImageData(h.keys, h.queries);
    const px = new Uint32Array(this.img.data.buffer);
    for (let i = 0; i < h.queries * h.keys; i++) px[i] = lut[level(i)];
    return this.img;
  }

  /**
   * Small cells: one canvas pixel per cell, scaled by CSS (pixelated) — no 1536² upscale per head
   * switch. Hatching is not readable at this size; masked / hidden cells get its flat tone.
   */
  private paintSmall(h: { queries: number; keys: number; mask?: Uint8Array }, level: (i: number) => number): void {
    const img = this.fill(h, level);
    const px = new Uint32Array(img.data.buffer);
    const flat = hatchTone(this.theme);
    for (let i = 0; i < h.queries; i++) {
      for (let j = 0; j < h.keys; j++) if (h.mask?.[i * h.keys + j] || this.hidden.has(j)) px[i * h.keys + j] = flat;
    }
    this.canvas.width = h.keys;
    this.canvas.height = h.queries;
    this.canvas.style.width = `${h.keys * this.cell}px`;
    this.canvas.style.height = `${h.queries * this.cell}px`;
    this.canvas.style.imageRendering = 'pixelated';
    this.canvas.getContext('2d')?.putImageData(img, 0, 0);
  }

  /** Big cells print their probability (2 decimals), dark or light text by cell brightness. */
  private drawValues(ctx: CanvasRenderingContext2D, ramp: (t: number) => [number, number, number], max: number): void {
    const h = this.head;
    if (!h) return;
    const c = this.cell;
    ctx.font = `${Math.min(11, Math.floor(c / 3))}px ${getComputedStyle(document.body).fontFamily}`;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    const dark = luminance(this.theme.background) < 0.5;
    for (let i = 0; i < h.queries; i++) {
      for (let j = 0; j < h.keys; j++) {
        const k = i * h.keys + j;
        if (h.mask?.[k] || this.hidden.has(j)) continue;
        const p = h.probs[k];
        const bright = luminance(ramp(max > 0 ? p / max : 0)) > 0.5;
        ctx.fillStyle = bright
          ? dark
            ? this.theme.css.background
            : 'rgb(0, 0, 0)'
          : dark
            ? this.theme.css.foreground
            : 'rgb(255, 255, 255)';
        ctx.globalAlpha = 0.85;
        ctx.fillText(p.toFixed(2).replace(/^0\./, '.'), (j + 0.5) * c, (i + 0.5) * c);
      }
    }
    ctx.globalAlpha = 1;
  }

  /** Hover at canvas-relative CSS pixel (x, y): tooltip, cursor box, highlighted labels. */
  private onHover(e: MouseEvent): void {
    const h = this.head;
    const part = this.part;
    if (this.preview && part) return this.hoverPreview(e, this.preview, part);
    if (!h || !part) return;
    const r = this.canvas.getBoundingClientRect();
    const j = Math.floor((e.clientX - r.left) / this.cell);
    const i = Math.floor((e.clientY - r.top) / this.cell);
    if (i < 0 || j < 0 || i >= h.queries || j >= h.keys) return this.clearHover();
    const k = i * h.keys + j;
    const masked = !!h.mask?.[k];
    const q = part.queryTokens[i] ?? `#${i}`;
    const key = part.keyTokens[j] ?? `#${j}`;
    this.tooltip.show(
      `Layer ${h.layer} · Head ${h.head}`,
      [
        { label: 'query', value: `${displayToken(q)}  (#${i})`, kind: 'token' },
        { label: 'key', value: `${displayToken(key)}  (#${j})`, kind: 'token' },
        masked
          ? { label: 'probability', value: '0 — masked (key comes after the query)', kind: 'masked' }
          : this.hidden.has(j)
            ? {
                label: 'probability',
                value: `hidden by display transform (model: ${fmt(this.original?.[k] ?? h.probs[k])})`,
                kind: 'masked',
              }
            : { label: 'probability', value: fmt(h.probs[k]), kind: 'prob' },
        ...(this.original && !masked && !this.hidden.has(j)
          ? [{ label: 'model probability', value: `${fmt(this.original[k])} (before display transform)` }]
          : []),
        { label: this.scoreLabel, value: masked ? `${fmt(h.scores[k])} (before mask)` : fmt(h.scores[k]) },
        { label: 'masked', value: masked ? 'yes' : 'no' },
      ],
      e.clientX,
      e.clientY,
    );
    this.cursor.hidden = false;
    this.cursor.style.left = `${j * this.cell}px`;
    this.cursor.style.top = `${i * this.cell}px`;
    this.cursor.style.width = `${this.cell}px`;
    this.cursor.style.height = `${this.cell}px`;
    this.highlight(this.queryLabels, i);
    this.highlight(this.keyLabels, j);
  }

  /** A preview has colours only: the tokens, and that the numbers are on their way. */
  private hoverPreview(e: MouseEvent, p: HeadPreviewMessage, part: PartMeta): void {
    const r = this.canvas.getBoundingClientRect();
    const j = Math.floor((e.clientX - r.left) / this.cell);
    const i = Math.floor((e.clientY - r.top) / this.cell);
    if (i < 0 || j < 0 || i >= p.queries || j >= p.keys) return this.clearHover();
    this.tooltip.show(
      `Layer ${p.layer} · Head ${p.head}`,
      [
        { label: 'query', value: `${displayToken(part.queryTokens[i] ?? `#${i}`)}  (#${i})`, kind: 'token' },
        { label: 'key', value: `${displayToken(part.keyTokens[j] ?? `#${j}`)}  (#${j})`, kind: 'token' },
        { label: 'probability', value: 'arriving…' },
      ],
      e.clientX,
      e.clientY,
    );
  }

  private highlight(container: HTMLElement, index: number): void {
    Array.from(container.children).forEach((c, n) => c.classList.toggle('hover', n === index));
  }

  private clearHover(): void {
    this.tooltip.hide();
    this.cursor.hidden = true;
    this.highlight(this.queryLabels, -1);
    this.highlight(this.keyLabels, -1);
  }
}
