// Sentence-embedding view: the encoder's final vector as a strip of cells (COLS per row, one cell
// per dimension, diverging colour: below zero / zero / above zero, scaled by the largest |value|)
// and its norms: mean-pooled last layer → tanh dense → L2-normalised embedding.
import { isSentenceEmbeddingData, type SentenceEmbeddingData } from '../../../common/archViews/sentence-embedding';
import { el } from '../../shared/dom';
import { makeDivergingRamp, rgbCss } from '../../shared/theme';
import { AppDataError, type AppContext, type AppRenderer, type ArchView } from './types';

const COLS = 64;
const CELL = 9; // CSS px per dimension

export const sentenceEmbeddingRenderer: AppRenderer = {
  render(container, data, ctx) {
    if (!isSentenceEmbeddingData(data))
      throw new AppDataError('the sentence-embedding data is not a list of finite numbers with its norms.');
    const d: SentenceEmbeddingData = data;
    const dims = d.embedding.length;
    const rows = Math.ceil(dims / COLS);
    const scale = Math.max(...d.embedding.map(Math.abs)) || 1;
    const canvas = el('canvas', {
      className: 'sentence-embedding-strip',
      attrs: { role: 'img', 'aria-label': `sentence embedding: ${dims} dimensions, ${COLS} per row; largest |value| ${scale.toFixed(4)}` },
    });
    canvas.style.width = `${COLS * CELL}px`;
    canvas.style.height = `${rows * CELL}px`;
    const paint = (c: AppContext): void => {
      const dpr = window.devicePixelRatio || 1;
      canvas.width = Math.round(COLS * CELL * dpr);
      canvas.height = Math.round(rows * CELL * dpr);
      const g = canvas.getContext('2d');
      if (!g) return;
      g.scale(dpr, dpr);
      g.fillStyle = c.theme.css.background;
      g.fillRect(0, 0, COLS * CELL, rows * CELL);
      const ramp = makeDivergingRamp(c.theme);
      d.embedding.forEach((v, j) => {
        g.fillStyle = rgbCss(ramp(v / scale));
        g.fillRect((j % COLS) * CELL, Math.floor(j / COLS) * CELL, CELL - 1, CELL - 1);
      });
    };
    paint(ctx);
    const at = (ev: MouseEvent): number | undefined => {
      const r = canvas.getBoundingClientRect();
      const j = Math.floor((ev.clientY - r.top) / CELL) * COLS + Math.floor((ev.clientX - r.left) / CELL);
      return j >= 0 && j < dims && ev.clientX - r.left < COLS * CELL ? j : undefined;
    };
    canvas.addEventListener('mousemove', (ev) => {
      const j = at(ev);
      if (j === undefined) return ctx.tooltip.hide();
      ctx.tooltip.show(`dimension ${j}`, [{ label: 'value', value: d.embedding[j].toFixed(5), kind: 'prob' }], ev.clientX, ev.clientY);
    });
    canvas.addEventListener('mouseleave', () => ctx.tooltip.hide());
    container.append(
      el('p', {
        className: 'sentence-embedding-norms',
        text:
          `‖embedding‖ = ${d.norm.toFixed(4)} (${dims} dimensions, ${COLS} per row; colour: value / ${scale.toFixed(4)}, the largest |value|). ` +
          `Before normalisation: ‖tanh layer‖ = ${d.tanhNorm.toFixed(4)}; ‖mean of the last layer over ${d.tokens} token${d.tokens === 1 ? '' : 's'}‖ = ${d.pooledNorm.toFixed(4)}.`,
      }),
      canvas,
    );
    return { redraw: paint };
  },
};

/** Found by the build (esbuild.js archViewsPlugin): RunResult.app.kind 'sentence-embedding' is drawn here. */
export const view: ArchView = { kind: 'sentence-embedding', renderer: sentenceEmbeddingRenderer };
