// Show, Attend and Tell view: the input image with the soft attention α of one caption word laid
// over it (locations the word ignores are dimmed, the most attended one is ringed). Word buttons
// choose the word; ← → Home End on the focused image step through the caption.
import { isShowAttendTellData, type ShowAttendTellData } from '../../../common/archViews/show-attend-tell';
import { rgbCss } from '../../shared/theme';
import { displayToken, el, fmt, sizeCanvas } from '../../shared/dom';
import { paintDimLegend } from '../imageLegend';
import { AppDataError, type AppContext, type AppRenderer, type ArchView } from './types';

/** How dark a location with no attention is drawn (0 = untouched image, 1 = background). */
const DIM = 0.8;

export const showAttendTellRenderer: AppRenderer = {
  render(container, data, ctx) {
    if (!isShowAttendTellData(data)) throw new AppDataError('the data is not an image with per-word attention over its locations.');
    const d: ShowAttendTellData = data;
    const L = d.rows * d.cols;
    const T = d.words.length;
    let theme = ctx.theme;
    let selected = firstContentWord(d.words);
    const scale = Math.max(4, Math.floor(Math.min(360, Math.max(200, (container.clientWidth || 400) - 40)) / Math.max(d.width, d.height)));
    const W = d.width * scale;
    const H = d.height * scale;
    const cellW = W / d.cols;
    const cellH = H / d.rows;

    const words = el('div', { className: 'sat-words', attrs: { role: 'toolbar', 'aria-label': 'caption words' } });
    const buttons = d.words.map((w, t) => {
      const b = el('button', { className: 'sat-word', text: displayToken(w), attrs: { type: 'button', 'data-step': String(t) } });
      b.addEventListener('click', () => select(t));
      words.append(b);
      return b;
    });
    const canvas = el('canvas', {
      className: 'sat-image',
      attrs: {
        tabindex: '0',
        role: 'img',
        'aria-label': 'image with the attention of the selected word; left and right arrows change the word',
      },
    });
    Object.assign(canvas.dataset, { scale: String(scale), rows: String(d.rows), cols: String(d.cols) });
    const caption = el('p', { className: 'sat-caption' });
    const legend = el('div', { className: 'sat-legend' });

    const alphaOf = (t: number) => d.alpha.subarray(t * L, (t + 1) * L);
    const argmax = (a: ArrayLike<number>) => {
      let k = 0;
      for (let i = 1; i < a.length; i++) if (a[i] > a[k]) k = i;
      return k;
    };

    const draw = (): void => {
      const g = sizeCanvas(canvas, W, H);
      // The image, pixel by pixel.
      for (let y = 0; y < d.height; y++) {
        for (let x = 0; x < d.width; x++) {
          const o = (y * d.width + x) * 3;
          g.fillStyle = `rgb(${d.image[o]}, ${d.image[o + 1]}, ${d.image[o + 2]})`;
          g.fillRect(x * scale, y * scale, scale, scale);
        }
      }
      // α relative to this word's largest weight: the attended locations stay clear, the rest dims.
      const a = alphaOf(selected);
      const top = argmax(a);
      const max = a[top] || 1;
      for (let i = 0; i < L; i++) {
        g.fillStyle = rgbCss(theme.background, DIM * (1 - a[i] / max));
        g.fillRect((i % d.cols) * cellW, Math.floor(i / d.cols) * cellH, cellW, cellH);
      }
      g.strokeStyle = theme.css.focus;
      g.lineWidth = 2;
      g.strokeRect((top % d.cols) * cellW + 1, Math.floor(top / d.cols) * cellH + 1, cellW - 2, cellH - 2);
      buttons.forEach((b, t) => b.setAttribute('aria-pressed', String(t === selected)));
      canvas.dataset.selected = String(selected);
      canvas.dataset.top = String(top);
      const beta = d.beta ? `; gate β = ${fmt(d.beta[selected])}` : '';
      caption.textContent =
        `“${displayToken(d.words[selected])}” (word ${selected + 1} of ${T}): most attention on location ` +
        `row ${Math.floor(top / d.cols)}, column ${top % d.cols} (α = ${fmt(a[top])})${beta}.`;
    };

    const select = (t: number): void => {
      if (t < 0 || t >= T || t === selected) return;
      selected = t;
      draw();
    };
    canvas.addEventListener('keydown', (ev) => {
      const next =
        ev.key === 'ArrowRight'
          ? selected + 1
          : ev.key === 'ArrowLeft'
            ? selected - 1
            : ev.key === 'Home'
              ? 0
              : ev.key === 'End'
                ? T - 1
                : null;
      if (next === null) return;
      ev.preventDefault();
      select(Math.max(0, Math.min(T - 1, next)));
    });
    canvas.addEventListener('mousemove', (ev) => {
      const r = canvas.getBoundingClientRect();
      const cx = Math.floor((ev.clientX - r.left) / cellW);
      const cy = Math.floor((ev.clientY - r.top) / cellH);
      if (cx < 0 || cy < 0 || cx >= d.cols || cy >= d.rows) return ctx.tooltip.hide();
      const i = cy * d.cols + cx;
      const px = (n: number, cell: number) => `${Math.floor((n * cell) / scale)}–${Math.ceil(((n + 1) * cell) / scale) - 1}`;
      ctx.tooltip.show(
        `location ${i}`,
        [
          { label: 'grid cell', value: `row ${cy}, column ${cx}` },
          { label: 'image pixels', value: `rows ${px(cy, cellH)}, columns ${px(cx, cellW)}` },
          { label: `α for “${displayToken(d.words[selected])}”`, value: fmt(alphaOf(selected)[i], 4), kind: 'prob' },
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
        `α / largest α of the word (0 → 1), on a ${d.rows}×${d.cols} grid of locations`,
        'most attended location',
      );

    container.append(words, legend, canvas, caption);
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

/** Start on the first word that is not an article (it names something visible). */
function firstContentWord(words: string[]): number {
  const k = words.findIndex((w) => !['a', 'an', 'the', '<s>', '</s>'].includes(w));
  return k < 0 ? 0 : k;
}

/** Found by the build (esbuild.js archViewsPlugin): RunResult.app.kind 'show-attend-tell' is drawn here. */
export const view: ArchView = { kind: 'show-attend-tell', renderer: showAttendTellRenderer };
