// Positional encoding: the fixed (sinusoidal) matrix, position × dimension, and for a chosen
// position its dot product with every position — the similarity that lets attention find
// neighbours. Models without a fixed encoding get a sentence saying so.
import type { PositionalMessage, RunMeta } from '../../../common/webview';
import { clear, el, fmt } from '../../shared/dom';
import { rgbCss, type ThemeColors } from '../../shared/theme';
import { legend, MatrixView } from '../matrix';
import type { Requests } from '../requests';
import type { Tooltip } from '../tooltip';
import { RopeView } from './rope';
import type { OpenHead } from './ropeHead';

const ROW_H = 14;
const BAR_W = 260;

/** dot(PE[p], PE[k]) for every k: [positions]. */
export function positionDots(pe: PositionalMessage, p: number): Float64Array {
  const out = new Float64Array(pe.positions);
  const a = p * pe.dims;
  for (let k = 0; k < pe.positions; k++) {
    let s = 0;
    const b = k * pe.dims;
    for (let d = 0; d < pe.dims; d++) s += pe.data[a + d] * pe.data[b + d];
    out[k] = s;
  }
  return out;
}

export class PositionalView {
  readonly root = el('section', { className: 'positional-view view', attrs: { 'aria-label': 'Positional encoding', tabindex: '0' } });
  private readonly sub = el('div', { className: 'view-subtitle' });
  private readonly message = el('p', { className: 'view-message', attrs: { role: 'status' } });
  private readonly slider = el('input', {
    className: 'position-slider',
    attrs: { type: 'range', min: '0', max: '0', value: '0', 'aria-label': 'Position' },
  });
  private readonly posText = el('span', { className: 'position-text' });
  private readonly body = el('div', { className: 'positional-body' });
  private readonly dots = el('div', { className: 'position-dots' });
  private readonly matrix: MatrixView;
  private readonly rope: RopeView;
  /** The sinusoid matrix's explanation, hidden for RoPE (nothing is added to the embeddings). */
  private explain: HTMLElement | undefined;
  private pe: PositionalMessage | undefined;
  private meta: RunMeta | undefined;
  private position = 0;
  private ticket = 0;

  constructor(
    private readonly tooltip: Tooltip,
    private theme: ThemeColors,
    private readonly requests: Requests,
    private readonly onPosition: (p: number) => void,
  ) {
    this.matrix = new MatrixView(tooltip, theme);
    this.rope = new RopeView(tooltip, theme, requests);
    this.slider.addEventListener('input', () => this.setPosition(Number(this.slider.value), true));
    this.root.addEventListener('keydown', (e) => {
      const d = { ArrowLeft: -1, ArrowRight: 1 }[e.key];
      if (!d || e.target === this.slider) return;
      this.setPosition(this.position + d, true);
      e.preventDefault();
    });
    this.root.append(
      el('h2', { text: 'Positional encoding' }),
      this.sub,
      (this.explain = el('p', {
        className: 'explain',
        text:
          'Each row is the vector added to the token embedding at that position; each column one dimension. ' +
          'Low dimensions oscillate fast, high ones slowly. Below: for the chosen position (slider or ←/→), its dot product ' +
          'with every position — nearby positions score high, so attention can find neighbours.',
      })),
      this.message,
      this.body,
    );
  }

  setTheme(theme: ThemeColors): void {
    this.theme = theme;
    this.matrix.setTheme(theme); // its own copy: zero drew in the old background until reopened
    this.rope.setTheme(theme, this.meta?.rope ? this.meta : undefined);
    this.render();
  }

  /** `open`: the head the inspector has open; the RoPE head chart shows it when it is newly opened. */
  show(meta: RunMeta, runId: number, position: number, open?: OpenHead): void {
    if (this.meta === meta) {
      if (!meta.positional && meta.rope?.length) this.rope.render(meta, runId, open);
      return;
    }
    this.meta = meta;
    this.pe = undefined;
    clear(this.body);
    const shape = meta.positional;
    if (this.explain) this.explain.hidden = !shape;
    if (!shape && meta.rope?.length) {
      // RoPE: nothing is added to the embeddings; q and k are rotated by position in every layer.
      this.sub.textContent = `${meta.model.name} · rotary position embedding (RoPE)`;
      this.message.textContent =
        'This model rotates each pair of q and k dimensions by position × θ_i in every layer, ' +
        'so attention scores depend on relative distance. Hover the charts for values.';
      this.rope.render(meta, runId, open);
      this.body.appendChild(this.rope.root);
      return;
    }
    if (!shape) {
      this.sub.textContent = `${meta.model.name} · ${meta.model.architecture}`;
      this.message.textContent =
        meta.model.architecture === 'rnn-seq2seq'
          ? 'This model has no positional encoding: a recurrent network reads tokens in order, so position is implicit in its state.'
          : 'This model has no fixed positional encoding (it learns its position embeddings, or uses none), so there is no formula-given matrix to show.';
      return;
    }
    this.sub.textContent = `${shape.scheme} · ${shape.positions} positions × ${shape.dims} dimensions`;
    this.message.textContent = 'Loading…';
    const t = ++this.ticket;
    this.requests.send<PositionalMessage>({ type: 'requestPositional', runId }).then(
      (pe) => {
        if (t !== this.ticket) return;
        this.pe = pe;
        this.message.textContent = '';
        this.slider.max = String(pe.positions - 1);
        this.position = Math.min(position, pe.positions - 1);
        this.render();
      },
      (e: Error) => {
        if (t === this.ticket) this.message.textContent = e.message;
      },
    );
  }

  private setPosition(p: number, user: boolean): void {
    const pe = this.pe;
    if (!pe) return;
    this.position = Math.max(0, Math.min(pe.positions - 1, p));
    if (user) this.onPosition(this.position);
    this.renderDots();
  }

  private render(): void {
    const pe = this.pe;
    if (!pe) return;
    clear(this.body);
    const width = Math.max(200, Math.min(900, (this.root.clientWidth || 1200) - 220));
    this.matrix.render(
      {
        rows: pe.positions,
        cols: pe.dims,
        data: pe.data,
        rowLabels: Array.from({ length: pe.positions }, (_, i) => `pos ${i}`),
        colLabels: Array.from({ length: pe.dims }, (_, d) => `d${d}`),
        rowTitle: 'position',
        colTitle: 'dimension',
        scale: 'div',
        max: 1,
        maxCell: 16,
        ariaLabel: `Positional encoding, ${pe.positions} positions by ${pe.dims} dimensions`,
        tipTitle: 'Positional encoding',
        tip: (i, j) => [
          { label: 'position', value: String(i) },
          {
            label: 'dimension',
            value: `${j} (${pe.scheme === 'sinusoidal' ? (j % 2 === 0 ? 'sin' : 'cos') : j < Math.ceil(pe.dims / 2) ? 'sin' : 'cos'})`,
          },
          { label: 'value', value: fmt(pe.data[i * pe.dims + j], 4), kind: 'prob' },
        ],
      },
      width,
    );
    this.body.append(
      legend(this.theme, 'div', 1, 'value', (v) => fmt(v, 0)),
      this.matrix.root,
      el('div', { className: 'controls' }, [
        el('label', { className: 'control' }, [el('span', { text: 'position' }), this.slider]),
        this.posText,
      ]),
      this.dots,
    );
    this.slider.value = String(this.position);
    this.renderDots();
  }

  private renderDots(): void {
    const pe = this.pe;
    if (!pe) return;
    const d = positionDots(pe, this.position);
    this.slider.value = String(this.position);
    const p = this.position;
    this.posText.textContent = `position ${p}: PE[${p}]·PE[k] for every k (max ${fmt(d[p], 2)} at k = ${p} = |PE|²)`;
    clear(this.dots);
    let max = 0;
    for (const v of d) max = Math.max(max, Math.abs(v));
    const c = el('canvas', { className: 'dots-chart', attrs: { role: 'img', 'aria-label': `dot products of position ${this.position}` } });
    c.width = BAR_W + 60;
    c.height = pe.positions * ROW_H;
    c.style.width = `${BAR_W + 60}px`;
    const ctx = c.getContext('2d');
    const zero = BAR_W / 2;
    for (let k = 0; ctx && k < pe.positions; k++) {
      const w = (Math.abs(d[k]) / (max || 1)) * (BAR_W / 2 - 2);
      ctx.fillStyle = k === this.position ? this.theme.css.focus : d[k] < 0 ? rgbCss(this.theme.muted) : this.theme.css.accent;
      ctx.fillRect(d[k] < 0 ? zero - w : zero, k * ROW_H + 2, Math.max(1, w), ROW_H - 4);
    }
    const labels = el('div', { className: 'dots-labels' });
    for (let k = 0; k < pe.positions; k++)
      labels.appendChild(el('div', { className: 'dots-label', text: `pos ${k}  ${fmt(d[k], 2)}`, attrs: { 'data-index': String(k) } }));
    this.dots.append(
      el('div', { className: 'axis-title', text: `dot product with position ${this.position} (negative ← 0 → positive)` }),
      el('div', { className: 'dots-row' }, [labels, c]),
    );
  }
}
