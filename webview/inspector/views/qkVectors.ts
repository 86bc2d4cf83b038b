// The Q·K view's dot product written out, as BertViz's neuron view draws it: for the chosen query
// and key, each dimension's q_c, k_c and q_c·k_c as a strip of coloured cells (hover for the
// numbers), then Σ, the scale, the score and its softmax probability. The vectors come from the
// host, one head at a time (the engine recomputes them; a run does not keep them).
import type { HeadMessage, QkMessage } from '../../../common/webview';
import { clear, el, fmt, sizeCanvas } from '../../shared/dom';
import { makeDivergingRamp, rgbCss, luminance, type ThemeColors } from '../../shared/theme';
import type { Tooltip } from '../tooltip';

const ROW_H = 22;
const LABEL_W = 56;
const STRIP_W = 640;
const ROWS = ['q', 'k', 'q×k'] as const;

/** What the pane prints for key j of query row i (pure: the webview test reads these numbers). */
export interface QkDot {
  q: Float32Array;
  k: Float32Array;
  products: Float64Array;
  sum: number;
  score: number;
  /** Softmax of the row with this key's score taken from the vectors; undefined when masked. */
  prob?: number;
}

export function qkDot(v: QkMessage, head: HeadMessage, i: number, j: number): QkDot {
  const d = v.dims;
  const q = v.q.subarray(i * d, (i + 1) * d);
  const k = v.k.subarray(j * d, (j + 1) * d);
  const products = new Float64Array(d);
  let sum = 0;
  for (let c = 0; c < d; c++) sum += products[c] = q[c] * k[c];
  const score = v.scale * sum;
  const row = i * head.keys;
  if (head.mask?.[row + j]) return { q, k, products, sum, score };
  // The other keys' scores as the run gave them (the same numbers as the heatmap), this one from q·k.
  let max = score;
  const live = (x: number) => !head.mask?.[row + x];
  const s = (x: number) => (x === j ? score : head.scores[row + x]);
  for (let x = 0; x < head.keys; x++) if (live(x)) max = Math.max(max, s(x));
  let z = 0;
  for (let x = 0; x < head.keys; x++) if (live(x)) z += Math.exp(s(x) - max);
  return { q, k, products, sum, score, prob: Math.exp(score - max) / z };
}

export class QkVectorsPane {
  readonly root = el('div', { className: 'qk-dot', attrs: { 'aria-label': 'q and k per dimension' } });
  private readonly title = el('div', { className: 'qk-dot-title' });
  private readonly message = el('div', { className: 'qk-dot-message' });
  private readonly canvas = el('canvas', { className: 'qk-dot-strip', attrs: { role: 'img' } });
  private readonly axis = el('div', { className: 'qk-dot-axis' });
  private readonly lines = el('div', { className: 'qk-dot-lines' });
  private shown: { v: QkMessage; dot: QkDot; cell: number } | undefined;

  constructor(
    private readonly tooltip: Tooltip,
    private theme: ThemeColors,
  ) {
    this.root.append(this.title, this.message, this.canvas, this.axis, this.lines);
    this.canvas.addEventListener('mousemove', (e) => this.hover(e));
    this.canvas.addEventListener('mouseleave', () => this.tooltip.hide());
  }

  setTheme(theme: ThemeColors): void {
    this.theme = theme;
    this.draw();
  }

  /** No vectors to show (loading, an error, the additive score): only `text`. */
  showMessage(text: string): void {
    this.shown = undefined;
    this.title.textContent = 'q · k, dimension by dimension';
    this.message.textContent = text;
    this.canvas.hidden = true;
    clear(this.axis);
    clear(this.lines);
  }

  show(v: QkMessage, head: HeadMessage, i: number, j: number, names: { query: string; key: string }): void {
    if (v.form === 'additive' || v.dims === 0) {
      const e = fmt(head.scores[i * head.keys + j], 4);
      this.showMessage(
        'The additive score e = vᵀ·tanh(W₁·h_j + W₂·s) is not a dot product of a query and a key, ' +
          `so there are no q and k to multiply; the score is ${e}.`,
      );
      return;
    }
    const dot = qkDot(v, head, i, j);
    const d = v.dims;
    const cell = Math.max(3, Math.min(48, Math.floor((STRIP_W - LABEL_W) / d)));
    this.shown = { v, dot, cell };
    const qName = v.form === 'general' ? 'q = sᵀW' : v.form === 'scaled-dot' ? 'q' : 'q = s';
    const kName = v.form === 'scaled-dot' ? 'k' : 'k = h';
    const pair = `${qName} of query “${names.query}” (#${i}) · ${kName} of key “${names.key}” (#${j})`;
    this.title.textContent = `${pair}, dimension by dimension (d = ${d})`;
    this.message.textContent = '';
    this.canvas.hidden = false;
    this.canvas.setAttribute('aria-label', `q, k and their products over ${d} dimensions; sum ${fmt(dot.sum, 4)}`);
    const colour = 'colour: red < 0 < blue, each row scaled to its largest |value|';
    this.axis.textContent = `dimension 0 … ${d - 1} → (hover a cell for its numbers; ${colour})`;
    this.axis.style.marginLeft = `${LABEL_W}px`;
    clear(this.lines);
    const line = (cls: string, label: string, text: string) => {
      const parts = [el('span', { className: 'tooltip-label', text: label }), el('span', { className: 'qk-text', text })];
      this.lines.append(el('div', { className: `qk-line ${cls}` }, parts));
    };
    line('qk-dot-sum', 'sum', `Σ_c q_c·k_c = ${fmt(dot.sum, 4)}`);
    const scale = v.form === 'scaled-dot' ? `÷ √d_k = ÷ √${d} = × ${fmt(v.scale, 4)}` : `× 1 (the ${v.form} score is not scaled)`;
    line('qk-dot-scale', 'scale', scale);
    const heat = head.scores[i * head.keys + j];
    const product = `${fmt(dot.sum, 4)} × ${fmt(v.scale, 4)}`;
    line('qk-dot-score', 'score', `s = ${product} = ${fmt(dot.score, 3)}  (heatmap: ${fmt(heat, 3)})`);
    const heatP = fmt(head.probs[i * head.keys + j], 3);
    const softmax = `p = exp(s − max) / Σ_keys exp(s − max) = ${fmt(dot.prob, 3)}  (heatmap: ${heatP})`;
    line('qk-dot-prob', 'softmax', dot.prob === undefined ? 'masked: p = 0' : softmax);
    this.draw();
  }

  private draw(): void {
    const s = this.shown;
    if (!s) return;
    const { dot, cell } = s;
    const d = s.v.dims;
    const width = LABEL_W + d * cell;
    const ctx = sizeCanvas(this.canvas, width, ROWS.length * ROW_H);
    const ramp = makeDivergingRamp(this.theme);
    const absMax = (x: ArrayLike<number>) => {
      let m = 0;
      for (let c = 0; c < x.length; c++) m = Math.max(m, Math.abs(x[c]));
      return m;
    };
    const vecMax = Math.max(absMax(dot.q), absMax(dot.k)) || 1;
    const prodMax = absMax(dot.products) || 1;
    ctx.font = `12px ${getComputedStyle(document.body).fontFamily}`;
    ctx.textBaseline = 'middle';
    ROWS.forEach((name, r) => {
      const y = r * ROW_H;
      ctx.fillStyle = this.theme.css.foreground;
      ctx.textAlign = 'right';
      ctx.fillText(name, LABEL_W - 8, y + ROW_H / 2);
      const values = r === 0 ? dot.q : r === 1 ? dot.k : dot.products;
      const max = r === 2 ? prodMax : vecMax;
      for (let c = 0; c < d; c++) {
        const rgb = ramp(values[c] / max);
        ctx.fillStyle = rgbCss(rgb);
        ctx.fillRect(LABEL_W + c * cell, y + 1, Math.max(1, cell - 1), ROW_H - 2);
        if (cell >= 40) {
          ctx.fillStyle = luminance(rgb) > 0.5 ? '#000' : '#fff';
          ctx.textAlign = 'center';
          ctx.font = `10px ${getComputedStyle(document.body).fontFamily}`;
          ctx.fillText(fmt(values[c], 2), LABEL_W + c * cell + cell / 2, y + ROW_H / 2);
          ctx.font = `12px ${getComputedStyle(document.body).fontFamily}`;
        }
      }
    });
    ctx.strokeStyle = this.theme.css.border;
    ctx.strokeRect(LABEL_W - 0.5, 0.5, d * cell, ROWS.length * ROW_H - 1);
  }

  private hover(e: MouseEvent): void {
    const s = this.shown;
    if (!s) return;
    const box = this.canvas.getBoundingClientRect();
    const c = Math.floor((e.clientX - box.left - LABEL_W) / s.cell);
    if (c < 0 || c >= s.v.dims) {
      this.tooltip.hide();
      return;
    }
    const { q, k, products } = s.dot;
    this.tooltip.show(
      `dimension ${c}`,
      [
        { label: 'q_c', value: fmt(q[c], 4) },
        { label: 'k_c', value: fmt(k[c], 4) },
        { label: 'q_c·k_c', value: fmt(products[c], 4) },
        { label: 'share of Σ', value: s.dot.sum !== 0 ? `${fmt((100 * products[c]) / s.dot.sum, 1)} %` : '—' },
      ],
      e.clientX,
      e.clientY,
    );
  }
}
