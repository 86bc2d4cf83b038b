// Image Transformer view: the image (pixel ids in their palette colours, in place), and for the
// chosen pixel its local self-attention painted over the pixels it attends to. The query block is
// outlined solid, the memory block dashed. Click a pixel, or move with the arrow keys on the
// focused image; layer and head (or their mean) are chosen above.
import { isImageTransformerData, type ImageTransformerData } from '../../../common/archViews/image-transformer';
import { blocksOf, type Rect } from '../../../common/localAttention';
import { makeRamp, rgbCss } from '../../shared/theme';
import { el, fmt, sizeCanvas } from '../../shared/dom';
import { AppDataError, type AppContext, type AppRenderer, type ArchView } from './types';

export const imageTransformerRenderer: AppRenderer = {
  render(container, data, ctx) {
    if (!isImageTransformerData(data)) throw new AppDataError('the data is not an image with per-pixel local attention.');
    const d: ImageTransformerData = data;
    const { height: Hh, width: W } = d.spec;
    const n = d.ids.length;
    let theme = ctx.theme;
    const seqOf = new Int32Array(Hh * W).fill(-1); // pixel → sequence position (−1: not given)
    for (let s = 0; s < n; s++) seqOf[d.order[s]] = s;
    let selected = n - 1; // the last given pixel sees the fullest memory
    let layer = d.layers - 1;
    let head = -1; // −1: mean over heads
    const scale = Math.max(8, Math.floor(Math.min(384, Math.max(200, (container.clientWidth || 400) - 40)) / Math.max(Hh, W)));

    const pickers = el('div', { className: 'itx-controls' });
    const layerSel = el('select', { className: 'itx-layer', attrs: { 'aria-label': 'layer' } });
    for (let l = 0; l < d.layers; l++) layerSel.append(el('option', { text: `layer ${l}`, attrs: { value: String(l) } }));
    layerSel.value = String(layer);
    const headSel = el('select', { className: 'itx-head', attrs: { 'aria-label': 'head' } });
    headSel.append(el('option', { text: 'mean of heads', attrs: { value: '-1' } }));
    for (let h = 0; h < d.heads; h++) headSel.append(el('option', { text: `head ${h}`, attrs: { value: String(h) } }));
    layerSel.addEventListener('change', () => ((layer = Number(layerSel.value)), draw()));
    headSel.addEventListener('change', () => ((head = Number(headSel.value)), draw()));
    pickers.append(layerSel, headSel);
    const canvas = el('canvas', {
      className: 'itx-image',
      attrs: { tabindex: '0', role: 'img', 'aria-label': 'image; click a pixel or use the arrow keys to see its attention' },
    });
    Object.assign(canvas.dataset, { scale: String(scale), height: String(Hh), width: String(W) });
    const caption = el('p', { className: 'itx-caption' });
    const legend = el('div', { className: 'itx-legend' });

    /** Attention row of sequence position s over all n keys, for the chosen layer and head(s). */
    const row = (s: number): Float64Array => {
      const out = new Float64Array(n);
      const heads = head < 0 ? Array.from({ length: d.heads }, (_, h) => h) : [head];
      for (const h of heads) {
        const o = ((layer * d.heads + h) * n + s) * n;
        for (let j = 0; j < n; j++) out[j] += d.probs[o + j] / heads.length;
      }
      return out;
    };

    const draw = (): void => {
      const g = sizeCanvas(canvas, W * scale, Hh * scale);
      const ramp = makeRamp(theme);
      for (let p = 0; p < Hh * W; p++) {
        const x = (p % W) * scale;
        const y = Math.floor(p / W) * scale;
        const s = seqOf[p];
        if (s < 0) {
          g.fillStyle = theme.css.background; // not given: an empty cell with a faint cross
          g.fillRect(x, y, scale, scale);
          g.strokeStyle = theme.css.border;
          g.lineWidth = 1;
          g.strokeRect(x + 0.5, y + 0.5, scale - 1, scale - 1);
          continue;
        }
        const c = d.palette.subarray(d.ids[s] * 3, d.ids[s] * 3 + 3);
        g.fillStyle = `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
        g.fillRect(x, y, scale, scale);
      }
      // The selected pixel's weights: a square in the ramp colour, its side ∝ √(weight / max).
      const w = row(selected);
      let top = 0;
      for (let j = 1; j < n; j++) if (w[j] > w[top]) top = j;
      const max = w[top] || 1;
      for (let j = 0; j < n; j++) {
        if (w[j] <= 0) continue;
        const p = d.order[j];
        const side = Math.max(2, Math.round(scale * 0.8 * Math.sqrt(w[j] / max)));
        const off = (scale - side) / 2;
        g.fillStyle = rgbCss(ramp(w[j] / max));
        g.fillRect((p % W) * scale + off, Math.floor(p / W) * scale + off, side, side);
      }
      outline(g, selected, scale);
      canvas.dataset.selected = String(selected);
      canvas.dataset.top = String(top);
      const p = d.order[selected];
      const next = selected + 1 < Hh * W ? d.order[selected + 1] : -1;
      caption.textContent =
        `Pixel row ${Math.floor(p / W)}, column ${p % W} (sequence position ${selected}, colour ${d.ids[selected]}): ` +
        `most attention on row ${Math.floor(d.order[top] / W)}, column ${d.order[top] % W} (${fmt(w[top])}).` +
        (next >= 0 ? ` Predicted next pixel (row ${Math.floor(next / W)}, column ${next % W}): colour ${d.predicted[selected]}.` : '');
    };

    /** Query block solid in the focus colour, memory block dashed, the selected pixel ringed. */
    const outline = (g: CanvasRenderingContext2D, s: number, k: number): void => {
      const b = blocksOf(d.spec, s);
      const rects = (r: Rect | [number, number]): Rect[] => (Array.isArray(r) ? runRects(r[0], r[1]) : [r]);
      const runRects = (from: number, to: number): Rect[] => {
        const out: Rect[] = [];
        for (let p = from; p <= to;) {
          const y = Math.floor(p / W);
          const end = Math.min(to, y * W + W - 1);
          out.push({ top: y, bottom: y, left: p % W, right: end % W });
          p = end + 1;
        }
        return out;
      };
      // Each outline over a wider background-coloured line, so it shows on light and dark pixels alike.
      const stroke = (r: Rect, inset: number, colour: string, width: number, dash: number[]) => {
        const args = [
          r.left * k + inset,
          r.top * k + inset,
          (r.right - r.left + 1) * k - 2 * inset,
          (r.bottom - r.top + 1) * k - 2 * inset,
        ] as const;
        g.setLineDash([]);
        g.strokeStyle = theme.css.background;
        g.lineWidth = width + 2;
        g.strokeRect(...args);
        g.setLineDash(dash);
        g.strokeStyle = colour;
        g.lineWidth = width;
        g.strokeRect(...args);
        g.setLineDash([]);
      };
      rects(b.memory).forEach((r) => stroke(r, 1.5, theme.css.foreground, 1.5, [4, 3]));
      rects(b.query).forEach((r) => stroke(r, 3, theme.css.focus, 2, []));
      const p = d.order[s];
      stroke({ top: Math.floor(p / W), bottom: Math.floor(p / W), left: p % W, right: p % W }, 2, theme.css.foreground, 2, []);
    };

    const select = (s: number): void => {
      if (s < 0 || s >= n || s === selected) return;
      selected = s;
      draw();
    };
    const pixelAt = (ev: MouseEvent): number => {
      const r = canvas.getBoundingClientRect();
      const x = Math.floor((ev.clientX - r.left) / scale);
      const y = Math.floor((ev.clientY - r.top) / scale);
      return x >= 0 && y >= 0 && x < W && y < Hh ? y * W + x : -1;
    };
    canvas.addEventListener('click', (ev) => {
      const p = pixelAt(ev);
      if (p >= 0) select(seqOf[p]);
    });
    canvas.addEventListener('keydown', (ev) => {
      const p = d.order[selected];
      const y = Math.floor(p / W);
      const x = p % W;
      const to =
        ev.key === 'ArrowLeft'
          ? [y, x - 1]
          : ev.key === 'ArrowRight'
            ? [y, x + 1]
            : ev.key === 'ArrowUp'
              ? [y - 1, x]
              : ev.key === 'ArrowDown'
                ? [y + 1, x]
                : null;
      if (ev.key === 'Home' || ev.key === 'End') {
        ev.preventDefault();
        return select(ev.key === 'Home' ? 0 : n - 1);
      }
      if (!to) return;
      ev.preventDefault();
      if (to[0] >= 0 && to[1] >= 0 && to[0] < Hh && to[1] < W) select(seqOf[to[0] * W + to[1]]);
    });
    canvas.addEventListener('mousemove', (ev) => {
      const p = pixelAt(ev);
      if (p < 0) return ctx.tooltip.hide();
      const s = seqOf[p];
      const rows = [{ label: 'pixel', value: `row ${Math.floor(p / W)}, column ${p % W}` }];
      if (s < 0) rows.push({ label: 'colour', value: 'not given (after the input)' });
      else {
        rows.push({ label: 'sequence position', value: String(s) }, { label: 'colour id', value: String(d.ids[s]) });
        const w = row(selected)[s];
        const b = blocksOf(d.spec, selected);
        const inMemory = b.kind === '1d' ? s >= b.memory[0] && s <= b.memory[1] : inRect(b.memory, p, W);
        const why = s > selected ? 'later in generation order (masked)' : inMemory ? fmt(w, 4) : 'outside the memory block (masked)';
        rows.push({ label: `attention from position ${selected}`, value: why });
      }
      ctx.tooltip.show(
        'pixel',
        rows.map((r) => ({ ...r, kind: r.label.startsWith('attention') ? 'prob' : undefined })),
        ev.clientX,
        ev.clientY,
      );
    });
    canvas.addEventListener('mouseleave', () => ctx.tooltip.hide());

    const paintLegend = (): void => {
      const ramp = makeRamp(theme);
      const item = (paint: (s: HTMLElement) => void, text: string) => {
        const sw = el('span', { className: 'itx-swatch' });
        paint(sw);
        return el('span', { className: 'itx-legend-item' }, [sw, el('span', { text })]);
      };
      const blocks =
        d.spec.attention === 'local-1d'
          ? `query block: ${d.spec.query_length} positions in raster order; memory: it plus the ${d.spec.memory_length} before it`
          : `query block ${d.spec.query_height}×${d.spec.query_width}; memory ${d.spec.memory_above} rows above, ${d.spec.memory_left} left, ${d.spec.memory_right} right`;
      legend.replaceChildren(
        item(
          (s) => (s.style.background = `linear-gradient(to right, ${rgbCss(ramp(0))}, ${rgbCss(ramp(1))})`),
          'attention / largest weight of the pixel (square size ∝ √weight)',
        ),
        item((s) => (s.style.border = `2px solid ${theme.css.focus}`), 'query block'),
        item((s) => (s.style.border = `1.5px dashed ${theme.css.foreground}`), 'memory block'),
        el('span', { className: 'itx-legend-item', text: blocks }),
      );
    };

    container.append(pickers, legend, canvas, caption);
    paintLegend();
    draw();
    return {
      redraw(c: AppContext) {
        theme = c.theme;
        paintLegend();
        draw();
      },
    };
  },
};

function inRect(r: Rect, p: number, W: number): boolean {
  const y = Math.floor(p / W);
  const x = p % W;
  return y >= r.top && y <= r.bottom && x >= r.left && x <= r.right;
}

/** Found by the build (esbuild.js archViewsPlugin): RunResult.app.kind 'image-transformer' is drawn here. */
export const view: ArchView = { kind: 'image-transformer', renderer: imageTransformerRenderer };
