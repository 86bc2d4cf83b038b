// The head grid: every layer × head of one part as a small attention thumbnail. Rows are layers,
// columns are heads; sorted by a statistic it becomes a ranked list of heads instead.
// Keyboard: arrow keys move, Home/End jump, Enter or Space opens the focused head.
import type { PartMeta, Thumbnail } from '../../src/protocol/webview';
import { clear, el, fmt, sizeCanvas } from '../shared/dom';
import { makeRamp, type ThemeColors } from '../shared/theme';
import { normRows, STAT_LABELS, sortValue, type SortKey } from './labels';
import type { Tooltip } from './tooltip';

const THUMB_PX = 52;

interface Cell {
  layer: number;
  head: number;
  el: HTMLElement;
  canvas: HTMLCanvasElement;
}

export interface GridCallbacks {
  open(layer: number, head: number): void;
}

export class HeadGrid {
  readonly root = el('div', { className: 'head-grid', attrs: { role: 'grid', 'aria-label': 'Attention heads' } });
  private cells: Cell[] = [];
  private columns = 1;
  private part: PartMeta | undefined;
  private thumbs = new Map<string, Thumbnail>();
  private selected: { layer: number; head: number } | undefined;
  private focusIndex = 0;

  constructor(
    private readonly tooltip: Tooltip,
    private readonly cb: GridCallbacks,
    private theme: ThemeColors,
  ) {
    this.root.addEventListener('keydown', (e) => this.onKey(e));
  }

  /** Rebuilds the grid for a part in the given order. */
  setPart(part: PartMeta, sort: SortKey): void {
    this.part = part;
    clear(this.root);
    this.cells = [];
    const heads = Math.max(...part.layers.map((l) => l.heads));
    this.columns = heads;
    this.root.style.setProperty('--grid-columns', String(heads));
    this.root.classList.toggle('sorted', sort !== 'grid');

    if (sort === 'grid') {
      const header = el('div', { className: 'grid-row grid-header', attrs: { role: 'row' } });
      header.appendChild(el('div', { className: 'grid-corner', text: '', attrs: { role: 'columnheader' } }));
      for (let h = 0; h < heads; h++) header.appendChild(el('div', { className: 'col-label', text: `H${h}`, attrs: { role: 'columnheader' } }));
      this.root.appendChild(header);
      for (const l of part.layers) {
        const row = el('div', { className: 'grid-row', attrs: { role: 'row' } });
        row.appendChild(el('div', { className: 'row-label', text: `L${l.layer}`, attrs: { role: 'rowheader' } }));
        for (let h = 0; h < l.heads; h++) row.appendChild(this.makeCell(l.layer, h, undefined));
        this.root.appendChild(row);
      }
    } else {
      const order = part.layers
        .flatMap((l) => l.stats.map((s, h) => ({ layer: l.layer, head: h, v: sortValue(s, sort) })))
        .sort((a, b) => b.v - a.v || a.layer - b.layer || a.head - b.head);
      for (let i = 0; i < order.length; i += heads) {
        const row = el('div', { className: 'grid-row', attrs: { role: 'row' } });
        row.appendChild(el('div', { className: 'row-label', text: `#${i + 1}`, attrs: { role: 'rowheader' } }));
        for (const o of order.slice(i, i + heads)) row.appendChild(this.makeCell(o.layer, o.head, sort));
        this.root.appendChild(row);
      }
    }
    const sel = this.selected ? this.indexOf(this.selected.layer, this.selected.head) : -1;
    this.focusIndex = sel >= 0 ? sel : 0;
    this.updateTabStops();
    this.drawAll();
  }

  setThumbnails(thumbs: Thumbnail[]): void {
    this.thumbs = new Map(thumbs.map((t) => [`${t.layer}/${t.head}`, t]));
    this.drawAll();
  }

  setTheme(theme: ThemeColors): void {
    this.theme = theme;
    this.drawAll();
  }

  setSelected(layer: number, head: number): void {
    this.selected = { layer, head };
    for (const c of this.cells) {
      const on = c.layer === layer && c.head === head;
      c.el.classList.toggle('selected', on);
      c.el.setAttribute('aria-selected', String(on));
    }
  }

  private makeCell(layer: number, head: number, sort: SortKey | undefined): HTMLElement {
    const stats = this.part?.layers.find((l) => l.layer === layer)?.stats[head];
    const canvas = el('canvas', { className: 'thumb', attrs: { 'aria-hidden': 'true' } });
    const cell = el('div', {
      className: 'grid-cell',
      attrs: {
        role: 'gridcell',
        tabindex: '-1',
        'data-layer': String(layer),
        'data-head': String(head),
        'aria-label': `Layer ${layer}, head ${head}` + (stats ? `, entropy ${fmt(stats.entropy, 2)}, max ${fmt(stats.max, 2)}` : ''),
      },
    }, [canvas]);
    if (sort && sort !== 'grid' && stats) {
      cell.appendChild(el('div', { className: 'cell-caption', text: `L${layer} H${head}` }));
      cell.appendChild(el('div', { className: 'cell-value', text: fmt(stats[sort], 2) }));
    }
    const c: Cell = { layer, head, el: cell, canvas };
    this.cells.push(c);
    cell.addEventListener('click', () => {
      this.focusIndex = this.cells.indexOf(c);
      this.updateTabStops();
      this.cb.open(layer, head);
    });
    cell.addEventListener('mouseenter', (e) => this.showTip(c, e.clientX, e.clientY));
    cell.addEventListener('mousemove', (e) => this.showTip(c, e.clientX, e.clientY));
    cell.addEventListener('mouseleave', () => this.tooltip.hide());
    cell.addEventListener('focus', () => {
      const r = cell.getBoundingClientRect();
      this.showTip(c, r.right, r.top);
    });
    cell.addEventListener('blur', () => this.tooltip.hide());
    if (this.selected?.layer === layer && this.selected.head === head) {
      cell.classList.add('selected');
      cell.setAttribute('aria-selected', 'true');
    }
    return cell;
  }

  private showTip(c: Cell, x: number, y: number): void {
    const lm = this.part?.layers.find((l) => l.layer === c.layer);
    const s = lm?.stats[c.head];
    if (!s) return;
    this.tooltip.show(`Layer ${c.layer} · Head ${c.head}`, [
      { label: STAT_LABELS.entropy, value: fmt(s.entropy) },
      { label: STAT_LABELS.max, value: fmt(s.max) },
      { label: STAT_LABELS.toFirst, value: fmt(s.toFirst) },
      { label: STAT_LABELS.toSep, value: s.toSep === null ? 'no [SEP] token' : fmt(s.toSep) },
      { label: STAT_LABELS.toSelf, value: s.toSelf === null ? 'n/a (cross)' : fmt(s.toSelf) },
      ...normRows(lm?.norms, c.head),
      { label: '', value: 'click or Enter to open', kind: 'hint' },
    ], x, y);
  }

  private drawAll(): void {
    const ramp = makeRamp(this.theme);
    // Packed RGBA per ramp step and one scratch canvas for all tiles: 144 tiles paint in a few ms.
    const lut = new Uint32Array(256);
    for (let k = 0; k < 256; k++) {
      const [r, g, b] = ramp(k / 255);
      lut[k] = (255 << 24) | (Math.round(b) << 16) | (Math.round(g) << 8) | Math.round(r);
    }
    const off = document.createElement('canvas');
    const offCtx = off.getContext('2d');
    for (const c of this.cells) {
      const t = this.thumbs.get(`${c.layer}/${c.head}`);
      const ctx = sizeCanvas(c.canvas, THUMB_PX, THUMB_PX);
      ctx.fillStyle = this.theme.css.background;
      ctx.fillRect(0, 0, THUMB_PX, THUMB_PX);
      if (!t || !offCtx) continue;
      // Each thumbnail uses its own 0…max scale: the pattern matters here, the numbers are in the tooltip.
      let max = 0;
      for (const v of t.data) if (v > max) max = v;
      const img = new ImageData(t.cols, t.rows);
      const px = new Uint32Array(img.data.buffer);
      const scale = max > 0 ? 255 / max : 0;
      for (let i = 0; i < t.data.length; i++) px[i] = lut[Math.max(0, Math.min(255, Math.round(t.data[i] * scale)))];
      if (off.width !== t.cols || off.height !== t.rows) {
        off.width = t.cols;
        off.height = t.rows;
      }
      offCtx.putImageData(img, 0, 0);
      ctx.imageSmoothingEnabled = false;
      // Keep the head's shape (queries × keys), centred in the tile.
      const s = THUMB_PX / Math.max(t.rows, t.cols);
      const w = t.cols * s;
      const h = t.rows * s;
      ctx.drawImage(off, 0, 0, t.cols, t.rows, (THUMB_PX - w) / 2, (THUMB_PX - h) / 2, w, h);
    }
  }

  private indexOf(layer: number, head: number): number {
    return this.cells.findIndex((c) => c.layer === layer && c.head === head);
  }

  private updateTabStops(): void {
    this.cells.forEach((c, i) => c.el.setAttribute('tabindex', i === this.focusIndex ? '0' : '-1'));
  }

  private onKey(e: KeyboardEvent): void {
    const n = this.cells.length;
    if (n === 0) return;
    let i = this.focusIndex;
    switch (e.key) {
      case 'ArrowRight': i = Math.min(n - 1, i + 1); break;
      case 'ArrowLeft': i = Math.max(0, i - 1); break;
      case 'ArrowDown': i = i + this.columns < n ? i + this.columns : i; break;
      case 'ArrowUp': i = i - this.columns >= 0 ? i - this.columns : i; break;
      case 'Home': i = 0; break;
      case 'End': i = n - 1; break;
      case 'Enter':
      case ' ': {
        const c = this.cells[i];
        this.cb.open(c.layer, c.head);
        e.preventDefault();
        return;
      }
      default:
        return;
    }
    e.preventDefault();
    this.focusIndex = i;
    this.updateTabStops();
    this.cells[i].el.focus();
  }
}
