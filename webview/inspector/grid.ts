// The head grid: every layer × head of one part as a small attention thumbnail. Rows are layers,
// columns are heads; sorted by a statistic it becomes a ranked list of heads instead.
// Keyboard: arrow keys move, Home/End jump, Enter or Space opens the focused head.
import type { PartMeta, Thumbnail } from '../../common/webview';
import { kvHeadOf } from '../../common/headData';
import { buildAtlas, showTile, type Atlas } from '../shared/atlas';
import { clear, el, fmt } from '../shared/dom';
import { makeRamp, type ThemeColors } from '../shared/theme';
import { normRows, STAT_LABELS, sortValue, type SortKey } from './labels';
import type { Tooltip } from './tooltip';

const THUMB_PX = 52;

interface Cell {
  layer: number;
  head: number;
  el: HTMLElement;
  /** The tile's picture: a window onto the grid's atlas image (see drawAll). */
  thumb: HTMLElement;
}

export interface GridCallbacks {
  open(layer: number, head: number): void;
  /** The pointer (or the keyboard focus) has rested on this tile for POINT_MS: it may be opened next. */
  pointed(layer: number, head: number): void;
}

/**
 * How long the pointer rests on a tile before its head is fetched ahead of the click: a person
 * takes longer than this between reaching a tile and clicking it, while a sweep across the grid
 * passes each tile faster, so it fetches nothing.
 */
export const POINT_MS = 60;

export class HeadGrid {
  readonly root = el('div', { className: 'head-grid', attrs: { role: 'grid', 'aria-label': 'Attention heads' } });
  private cells: Cell[] = [];
  private columns = 1;
  private part: PartMeta | undefined;
  private thumbs = new Map<string, Thumbnail>();
  private selected: { layer: number; head: number } | undefined;
  private focusIndex = 0;
  /** The atlas the tiles show. */
  private atlas: Atlas | undefined;
  private drawSeq = 0;

  constructor(
    private readonly tooltip: Tooltip,
    private readonly cb: GridCallbacks,
    private theme: ThemeColors,
  ) {
    this.root.addEventListener('keydown', (e) => this.onKey(e));
    this.root.addEventListener('mousemove', (e) => (this.lastMove = { x: e.screenX, y: e.screenY }));
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
      for (let h = 0; h < heads; h++)
        header.appendChild(el('div', { className: 'col-label', text: `H${h}`, attrs: { role: 'columnheader' } }));
      const kv = sharedKv(part);
      if (kv) this.root.appendChild(kvGroupRow(heads, kv));
      this.root.appendChild(header);
      for (const l of part.layers) this.root.appendChild(this.layerRow(l));
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
    void this.drawAll();
  }

  /**
   * More layers of the part shown in grid order (a streamed run): their rows are appended and the
   * rest stays, tiles and all; false when the grid must be rebuilt (another part, order or shape).
   */
  extendPart(part: PartMeta, sort: SortKey): boolean {
    const old = this.part;
    if (sort !== 'grid' || this.root.classList.contains('sorted') || !old || old.part !== part.part) return false;
    const prefix = old.layers.every((l, i) => part.layers[i]?.layer === l.layer && part.layers[i].heads === l.heads);
    const heads = Math.max(...part.layers.map((l) => l.heads));
    if (!prefix || heads !== this.columns || part.layers.length < old.layers.length) return false;
    this.part = part;
    for (const l of part.layers.slice(old.layers.length)) this.root.appendChild(this.layerRow(l));
    return true;
  }

  /** One layer's row in grid order: its label, then a tile per head. */
  private layerRow(l: PartMeta['layers'][number]): HTMLElement {
    const row = el('div', { className: 'grid-row', attrs: { role: 'row' } });
    const attrs: Record<string, string> = { role: 'rowheader' };
    if (l.window) attrs.title = `sliding window ${l.window}: each query sees its last ${l.window} keys`;
    row.appendChild(el('div', { className: `row-label${l.window ? ' sliding' : ''}`, text: `L${l.layer}`, attrs }));
    for (let h = 0; h < l.heads; h++) row.appendChild(this.makeCell(l.layer, h, undefined));
    return row;
  }

  /** A new run: its thumbnails come in their own message, the last run's are not drawn again meanwhile. */
  forgetThumbnails(): void {
    this.thumbs = new Map();
  }

  /** Resolves once the tiles show these thumbnails (their image decoded and applied). */
  setThumbnails(thumbs: Thumbnail[]): Promise<void> {
    this.thumbs = new Map(thumbs.map((t) => [`${t.layer}/${t.head}`, t]));
    return this.drawAll();
  }

  setTheme(theme: ThemeColors): void {
    this.theme = theme;
    void this.drawAll();
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
    const lm = this.part?.layers.find((l) => l.layer === layer);
    const stats = lm?.stats[head];
    const kv = lm?.kvHeads ? kvHeadOf(head, lm.heads, lm.kvHeads) : undefined;
    const thumb = el('div', { className: 'thumb', attrs: { 'aria-hidden': 'true' } });
    const cell = el(
      'div',
      {
        className: 'grid-cell',
        attrs: {
          role: 'gridcell',
          tabindex: '-1',
          'data-layer': String(layer),
          'data-head': String(head),
          'aria-label':
            `Layer ${layer}, head ${head}` +
            (kv !== undefined ? `, K/V head ${kv}` : '') +
            (stats ? `, entropy ${fmt(stats.entropy, 2)}, max ${fmt(stats.max, 2)}` : ''),
        },
      },
      [thumb],
    );
    if (sort && sort !== 'grid' && stats) {
      cell.appendChild(el('div', { className: 'cell-caption', text: `L${layer} H${head}` }));
      cell.appendChild(el('div', { className: 'cell-value', text: fmt(stats[sort], 2) }));
    }
    // A separator where a new K/V group starts (grid order only: sorted, neighbours are unrelated).
    if (!sort && lm?.kvHeads && head > 0 && kv !== kvHeadOf(head - 1, lm.heads, lm.kvHeads)) cell.classList.add('kv-start');
    const c: Cell = { layer, head, el: cell, thumb };
    this.cells.push(c);
    cell.addEventListener('click', () => {
      this.focusIndex = this.cells.indexOf(c);
      this.updateTabStops();
      this.cb.open(layer, head);
    });
    cell.addEventListener('mouseenter', (e) => {
      this.showTip(c, e.clientX, e.clientY);
      // Entered because the grid scrolled under a pointer at rest: not pointed at yet.
      if (e.screenX !== this.lastMove?.x || e.screenY !== this.lastMove.y) this.point(c);
    });
    cell.addEventListener('mousemove', (e) => {
      this.showTip(c, e.clientX, e.clientY);
      if (this.pointed !== c) this.point(c);
    });
    cell.addEventListener('mouseleave', () => {
      this.tooltip.hide();
      this.point(undefined);
    });
    cell.addEventListener('focus', () => {
      const r = cell.getBoundingClientRect();
      this.showTip(c, r.right, r.top);
      this.point(c);
    });
    cell.addEventListener('blur', () => {
      this.tooltip.hide();
      this.point(undefined);
    });
    if (this.selected?.layer === layer && this.selected.head === head) {
      cell.classList.add('selected');
      cell.setAttribute('aria-selected', 'true');
    }
    return cell;
  }

  private pointing: ReturnType<typeof setTimeout> | undefined;
  /** The tile the pointer (or focus) is on, once its wait started. */
  private pointed: Cell | undefined;
  /** Where the pointer last moved (screen coordinates). */
  private lastMove: { x: number; y: number } | undefined;

  /** Starts (or, with no tile, stops) the wait after which the tile counts as pointed at. */
  private point(c: Cell | undefined): void {
    clearTimeout(this.pointing);
    this.pointed = c;
    this.pointing = c && setTimeout(() => this.cb.pointed(c.layer, c.head), POINT_MS);
  }

  private showTip(c: Cell, x: number, y: number): void {
    const lm = this.part?.layers.find((l) => l.layer === c.layer);
    const s = lm?.stats[c.head];
    if (!s) return;
    this.tooltip.show(
      `Layer ${c.layer} · Head ${c.head}`,
      [
        { label: STAT_LABELS.entropy, value: fmt(s.entropy) },
        { label: STAT_LABELS.max, value: fmt(s.max) },
        { label: STAT_LABELS.toFirst, value: fmt(s.toFirst) },
        { label: STAT_LABELS.toSep, value: s.toSep === null ? 'no [SEP] token' : fmt(s.toSep) },
        { label: STAT_LABELS.toSelf, value: s.toSelf === null ? 'n/a (cross)' : fmt(s.toSelf) },
        ...normRows(lm?.norms, c.head),
        ...(lm?.kvHeads ? [kvRow(c.head, lm.heads, lm.kvHeads)] : []),
        { label: '', value: 'click or Enter to open', kind: 'hint' },
      ],
      x,
      y,
    );
  }

  /** Draws every tile from one atlas image (see atlas.ts); resolves when the tiles show it. */
  private async drawAll(): Promise<void> {
    const seq = ++this.drawSeq;
    this.root.style.setProperty('--thumb-bg', this.theme.css.background);
    const shown = this.cells.map((c) => ({ c, t: this.thumbs.get(`${c.layer}/${c.head}`) }));
    const tiles = shown.filter((x): x is { c: Cell; t: Thumbnail } => !!x.t && x.t.rows > 0 && x.t.cols > 0);
    for (const { c, t } of shown) if (!t) c.thumb.style.backgroundImage = 'none';
    if (!tiles.length) return this.setAtlas(undefined);
    let atlas: Atlas;
    try {
      atlas = await buildAtlas(
        tiles.map((x) => x.t),
        makeRamp(this.theme),
      );
    } catch (e) {
      throw new Error(`head grid: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    if (seq !== this.drawSeq) return atlas.dispose(); // a newer drawing took over
    tiles.forEach(({ c, t }, k) => showTile(c.thumb, atlas, k, t, THUMB_PX, 'contain'));
    this.setAtlas(atlas);
  }

  private setAtlas(atlas: Atlas | undefined): void {
    this.atlas?.dispose();
    this.atlas = atlas;
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
      case 'ArrowRight':
        i = Math.min(n - 1, i + 1);
        break;
      case 'ArrowLeft':
        i = Math.max(0, i - 1);
        break;
      case 'ArrowDown':
        i = i + this.columns < n ? i + this.columns : i;
        break;
      case 'ArrowUp':
        i = i - this.columns >= 0 ? i - this.columns : i;
        break;
      case 'Home':
        i = 0;
        break;
      case 'End':
        i = n - 1;
        break;
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

/** The K/V head count every layer of the part shares, when query heads share K/V heads (GQA/MQA). */
function sharedKv(part: PartMeta): number | undefined {
  const kv = part.layers[0]?.kvHeads;
  return kv && part.layers.every((l) => l.kvHeads === kv && l.heads === part.layers[0].heads) ? kv : undefined;
}

/** A header row above the head labels: "K/V head g" spanning the query heads that read it. */
function kvGroupRow(heads: number, kv: number): HTMLElement {
  const row = el('div', { className: 'grid-row kv-groups', attrs: { role: 'row' } });
  row.appendChild(el('div', { className: 'grid-corner', text: kv === 1 ? 'MQA' : 'GQA', attrs: { role: 'columnheader' } }));
  const size = heads / kv;
  for (let g = 0; g < kv; g++) {
    const label = el('div', {
      className: 'kv-group-label',
      text: `K/V head ${g}`,
      attrs: { role: 'columnheader', title: `Query heads ${g * size}–${(g + 1) * size - 1} share K/V head ${g}` },
    });
    label.style.gridColumn = `span ${size}`;
    row.appendChild(label);
  }
  return row;
}

function kvRow(head: number, heads: number, kv: number): { label: string; value: string } {
  const g = kvHeadOf(head, heads, kv);
  const size = heads / kv;
  return { label: 'K/V head', value: `${g} (shared by heads ${g * size}–${(g + 1) * size - 1})` };
}

/** The grid with its heading and a line saying how to read it. */
export function gridSection(grid: HeadGrid): HTMLElement {
  return el('section', { className: 'grid-pane', attrs: { 'aria-label': 'Heads' } }, [
    el('h2', { text: 'Heads' }),
    el('p', {
      className: 'explain',
      text: 'Each tile is one head’s attention pattern, shrunk (rows = queries, columns = keys). Rows of tiles are layers (L0 is nearest the input), columns are heads. Hover for statistics; click or press Enter to open.',
    }),
    grid.root,
  ]);
}
