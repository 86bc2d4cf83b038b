// ViT / DeiT view: the image as the model saw it, its patch grid, and the attention of [CLS] (or
// DeiT's [DIST]) over the patches for a chosen layer and head (or the mean of the heads). The layer
// and head follow the head open in the grid; the mean stays one choice away. Patches the token
// ignores are dimmed, the most attended one is ringed; hovering a patch gives its value.
import { isVitImageData, VIT_IMAGE, type VitImageData } from '../../../common/archViews/vit-image';
import { rgbCss } from '../../shared/theme';
import { el, fmt, sizeCanvas } from '../../shared/dom';
import { paintDimLegend } from '../imageLegend';
import { AppDataError, type AppContext, type AppRenderer, type ArchView, type OpenHead } from './types';

/** How dark a patch with no attention is drawn (0 = untouched image, 1 = background). */
const DIM = 0.8;

export const vitImageRenderer: AppRenderer = {
  render(container, data, ctx) {
    if (!isVitImageData(data)) throw new AppDataError('the data is not an image with [CLS] attention over its patches.');
    const d: VitImageData = data;
    const np = d.grid * d.grid;
    let theme = ctx.theme;
    let query = 0;
    let layer = d.layers - 1;
    let head = -1; // −1: mean of the heads
    let followed: OpenHead | undefined;
    /** Takes the grid's open head when it is a new one of this (encoder) run; false if nothing changed. */
    const follow = (open: OpenHead | undefined): boolean => {
      if (!open || open.part !== 'encoder' || open.layer >= d.layers || open.head >= d.heads) return false;
      if (followed && followed.layer === open.layer && followed.head === open.head) return false;
      followed = open;
      layer = open.layer;
      head = open.head;
      return true;
    };
    follow(ctx.open);
    const scale = Math.max(1, Math.floor(Math.min(384, Math.max(192, (container.clientWidth || 400) - 40)) / Math.max(d.width, d.height)));
    const cell = d.patch * scale;

    const select = (cls: string, label: string, options: [number, string][], value: number, set: (v: number) => void) => {
      const s = el('select', { className: cls, attrs: { 'aria-label': label } });
      for (const [v, text] of options) s.append(el('option', { text, attrs: { value: String(v) } }));
      s.value = String(value);
      s.addEventListener('change', () => {
        set(Number(s.value));
        draw();
      });
      return s;
    };
    const layerSelect = select(
      'vit-layer',
      'layer',
      Array.from({ length: d.layers }, (_, l) => [l, `layer ${l}`]),
      layer,
      (v) => (layer = v),
    );
    const headSelect = select(
      'vit-head',
      'head',
      [[-1, 'mean of heads'], ...Array.from({ length: d.heads }, (_, h): [number, string] => [h, `head ${h}`])],
      head,
      (v) => (head = v),
    );
    const controls = el('div', { className: 'vit-controls' }, [
      ...(d.queries.length > 1
        ? [
            select(
              'vit-query',
              'query token',
              d.queries.map((q, i) => [i, q]),
              query,
              (v) => (query = v),
            ),
          ]
        : []),
      layerSelect,
      headSelect,
    ]);
    const canvas = el('canvas', {
      className: 'vit-image',
      attrs: { role: 'img', 'aria-label': 'image with the patch grid and the chosen token’s attention over the patches' },
    });
    Object.assign(canvas.dataset, { scale: String(scale), grid: String(d.grid), patch: String(d.patch) });
    const caption = el('p', { className: 'vit-caption' });
    const legend = el('div', { className: 'vit-legend' });

    /** The chosen query's weights over the patches, for the chosen layer and head(s). */
    const weights = (): Float64Array => {
      const out = new Float64Array(np);
      const heads = head < 0 ? Array.from({ length: d.heads }, (_, h) => h) : [head];
      for (const h of heads) {
        const o = ((query * d.layers + layer) * d.heads + h) * np;
        for (let i = 0; i < np; i++) out[i] += d.attention[o + i] / heads.length;
      }
      return out;
    };

    const draw = (): void => {
      const g = sizeCanvas(canvas, d.width * scale, d.height * scale);
      for (let y = 0; y < d.height; y++) {
        for (let x = 0; x < d.width; x++) {
          const o = (y * d.width + x) * 3;
          g.fillStyle = `rgb(${d.image[o]}, ${d.image[o + 1]}, ${d.image[o + 2]})`;
          g.fillRect(x * scale, y * scale, scale, scale);
        }
      }
      const w = weights();
      let top = 0;
      let sum = 0;
      for (let i = 0; i < np; i++) {
        sum += w[i];
        if (w[i] > w[top]) top = i;
      }
      const max = w[top] || 1;
      for (let i = 0; i < np; i++) {
        g.fillStyle = rgbCss(theme.background, DIM * (1 - w[i] / max));
        g.fillRect((i % d.grid) * cell, Math.floor(i / d.grid) * cell, cell, cell);
      }
      // The patch grid (pixels right of or below the last whole patch are never read: lines stop there).
      g.strokeStyle = rgbCss(theme.foreground, 0.35);
      g.lineWidth = 1;
      for (let k = 0; k <= d.grid; k++) {
        g.beginPath();
        g.moveTo(k * cell + 0.5, 0);
        g.lineTo(k * cell + 0.5, d.grid * cell);
        g.moveTo(0, k * cell + 0.5);
        g.lineTo(d.grid * cell, k * cell + 0.5);
        g.stroke();
      }
      g.strokeStyle = theme.css.focus;
      g.lineWidth = 2;
      g.strokeRect((top % d.grid) * cell + 1, Math.floor(top / d.grid) * cell + 1, cell - 2, cell - 2);
      Object.assign(canvas.dataset, { query: d.queries[query], layer: String(layer), head: String(head), top: String(top) });
      const which = head < 0 ? 'the mean of the heads' : `head ${head}`;
      caption.textContent =
        `${d.queries[query]}, layer ${layer}, ${which}: most attention on patch (${Math.floor(top / d.grid)},${top % d.grid}) ` +
        `(${fmt(w[top])}); ${fmt(sum)} of its attention goes to the ${np} patches, the rest to the special tokens.`;
    };

    canvas.addEventListener('mousemove', (ev) => {
      const r = canvas.getBoundingClientRect();
      const cx = Math.floor((ev.clientX - r.left) / cell);
      const cy = Math.floor((ev.clientY - r.top) / cell);
      if (cx < 0 || cy < 0 || cx >= d.grid || cy >= d.grid) return ctx.tooltip.hide();
      const i = cy * d.grid + cx;
      const span = (n: number) => `${n * d.patch}–${(n + 1) * d.patch - 1}`;
      ctx.tooltip.show(
        `patch (${cy},${cx})`,
        [
          { label: 'image pixels', value: `rows ${span(cy)}, columns ${span(cx)}` },
          { label: `attention of ${d.queries[query]}`, value: fmt(weights()[i], 4), kind: 'prob' },
        ],
        ev.clientX,
        ev.clientY,
      );
    });
    canvas.addEventListener('mouseleave', () => ctx.tooltip.hide());

    const paintLegend = (): void =>
      paintDimLegend(
        legend,
        theme,
        DIM,
        `attention / its largest value over the ${d.grid}×${d.grid} patches of ${d.patch}×${d.patch} pixels (0 → 1)`,
        'most attended patch',
      );

    container.append(controls, legend, canvas, caption);
    paintLegend();
    draw();
    return {
      redraw(c: AppContext) {
        theme = c.theme;
        if (follow(c.open)) {
          layerSelect.value = String(layer);
          headSelect.value = String(head);
        }
        paintLegend();
        draw();
      },
    };
  },
};

export const view: ArchView = { kind: VIT_IMAGE, renderer: vitImageRenderer };
