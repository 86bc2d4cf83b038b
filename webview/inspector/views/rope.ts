// Rotary position embedding in the Positional tab: the frequency θ_i of each rotated dimension pair
// (after the model's scaling, beside the unscaled 1/base^(2i/r)), and how q·k falls off with the
// relative distance Δ for a head's q and k with equal pair norms: mean_i cos(Δ·θ_i) (common/rope.ts);
// then, for one head of the run, the same dependence from its own q and k (ropeHead.ts).
import type { RunMeta } from '../../../common/webview';
import { ropeCosCurve, ropeWavelength } from '../../../common/rope';
import { clear, el, fmt } from '../../shared/dom';
import type { ThemeColors } from '../../shared/theme';
import type { Tooltip } from '../tooltip';
import type { Requests } from '../requests';
import { RopeHeadChart, type OpenHead } from './ropeHead';

type Rope = NonNullable<RunMeta['rope']>[number];
const W = 420,
  H = 160,
  PAD = 36;

export class RopeView {
  readonly root = el('div', { className: 'rope-view' });
  private group = 0;
  private readonly headChart: RopeHeadChart;
  private run: { runId: number; open?: OpenHead } | undefined;

  constructor(
    private readonly tooltip: Tooltip,
    private theme: ThemeColors,
    requests: Requests,
  ) {
    this.headChart = new RopeHeadChart(tooltip, theme, requests);
  }

  setTheme(theme: ThemeColors, meta: RunMeta | undefined): void {
    this.theme = theme;
    this.headChart.setTheme(theme);
    if (meta) this.render(meta);
  }

  /** `runId`: the run whose q and k the head chart asks for; `open`: the head to start on. */
  render(meta: RunMeta, runId = this.run?.runId, open = this.run?.open): void {
    const moved = open && (open.layer !== this.run?.open?.layer || open.head !== this.run?.open?.head || runId !== this.run?.runId);
    this.run = runId === undefined ? undefined : { runId, open };
    clear(this.root);
    const groups = meta.rope ?? [];
    if (!groups.length) return;
    const home = moved ? groups.findIndex((r) => r.layers.includes(open.layer)) : -1;
    if (home >= 0) this.group = home; // a newly opened head shows its own layers' RoPE
    this.group = Math.min(this.group, groups.length - 1);
    const g = groups[this.group];
    if (groups.length > 1) {
      const select = el('select', { className: 'rope-group', attrs: { 'aria-label': 'Layers' } });
      groups.forEach((r, k) =>
        select.appendChild(el('option', { text: `layers ${r.layers.join(', ')} (base ${r.theta})`, attrs: { value: String(k) } })),
      );
      select.value = String(this.group);
      select.addEventListener('change', () => {
        this.group = Number(select.value);
        this.render(meta);
      });
      this.root.appendChild(el('label', { className: 'control' }, [el('span', { text: 'RoPE of ' }), select]));
    }
    const partial = g.rotaryDim < g.headDim ? ` · partial rotary: ${g.rotaryDim} of ${g.headDim} dims rotated, the rest pass through` : '';
    const scaled = g.type === 'default' ? '' : ` · ${g.type} scaling${g.factor !== undefined ? ` × ${g.factor}` : ''}`;
    this.root.append(
      el('p', {
        className: 'rope-summary',
        text: `Rotary (RoPE), base ${g.theta}, ${g.invFreq.length} pairs (dim i with i + ${g.rotaryDim / 2})${scaled}${partial}`,
      }),
      this.freqChart(g),
      this.distanceChart(g, Math.max(64, meta.tokens.source.length - 1)),
    );
    if (this.run) {
      this.headChart.show(meta, g, this.run.runId, this.run.open);
      this.root.appendChild(this.headChart.root);
    }
  }

  /** θ_i per pair on a log axis; with scaling, the unscaled frequencies as hollow marks. */
  private freqChart(g: Rope): HTMLElement {
    const n = g.invFreq.length;
    const base = g.invFreq.map((_, i) => 1 / Math.pow(g.theta, (2 * i) / g.rotaryDim));
    const all = [...g.invFreq, ...base];
    const lo = Math.log10(Math.min(...all)),
      hi = Math.log10(Math.max(...all));
    const x = (i: number) => PAD + ((i + 0.5) / n) * (W - PAD - 8);
    const y = (v: number) => 8 + (1 - (Math.log10(v) - lo) / (hi - lo || 1)) * (H - 16);
    const c = canvas('rope-freq-chart', `rotary frequency per dimension pair, ${n} pairs`);
    const ctx = c.getContext('2d');
    if (ctx) {
      axes(ctx, this.theme);
      for (let i = 0; i < n; i++) {
        if (g.type !== 'default') {
          ctx.strokeStyle = this.theme.css.foreground;
          ctx.strokeRect(x(i) - 3, y(base[i]) - 3, 6, 6);
        }
        ctx.fillStyle = this.theme.css.accent;
        ctx.fillRect(x(i) - 3, y(g.invFreq[i]) - 3, 6, 6);
      }
    }
    this.hover(
      c,
      n,
      x,
      (i) => [
        { label: 'pair', value: `${i} (dims ${i} and ${i + g.rotaryDim / 2})` },
        { label: 'θ_i (rad / position)', value: fmt(g.invFreq[i], 6) },
        ...(g.type !== 'default' ? [{ label: 'unscaled θ_i', value: fmt(base[i], 6) }] : []),
        { label: 'wavelength (positions)', value: fmt(ropeWavelength(g.invFreq[i]), 1) },
      ],
      'Rotary frequency',
    );
    return figure(
      c,
      `θ_i, log scale (${fmt(10 ** hi, 3)} … ${fmt(10 ** lo, 6)})`,
      'dimension pair i (fast → slow)',
      'Rotary frequency θ_i per dimension pair',
    );
  }

  /** mean_i cos(Δ·θ_i) for Δ = 0…maxDelta: 1 at Δ = 0, falling and oscillating with distance. */
  private distanceChart(g: Rope, maxDelta: number): HTMLElement {
    const curve = ropeCosCurve(g.invFreq, maxDelta);
    const x = (d: number) => PAD + (d / maxDelta) * (W - PAD - 8);
    const y = (v: number) => 8 + ((1 - v) / 2) * (H - 16); // −1 … 1
    const c = canvas('rope-distance-chart', `q·k against relative distance, 0 to ${maxDelta}`);
    const ctx = c.getContext('2d');
    if (ctx) {
      axes(ctx, this.theme);
      ctx.strokeStyle = this.theme.css.foreground;
      ctx.globalAlpha = 0.4;
      ctx.beginPath();
      ctx.moveTo(PAD, y(0));
      ctx.lineTo(W - 8, y(0));
      ctx.stroke();
      ctx.globalAlpha = 1;
      ctx.strokeStyle = this.theme.css.accent;
      ctx.beginPath();
      curve.forEach((v, d) => (d ? ctx.lineTo(x(d), y(v)) : ctx.moveTo(x(d), y(v))));
      ctx.stroke();
    }
    this.hover(
      c,
      maxDelta + 1,
      (d) => x(d),
      (d) => [
        { label: 'relative distance Δ', value: String(d) },
        { label: 'q·k / |q|²', value: fmt(curve[d], 4) },
      ],
      'q·k at distance Δ',
    );
    return figure(
      c,
      'q·R(Δ)k / |q|² = mean cos(Δ·θ_i) (−1 … 1)',
      'relative distance Δ = key position − query position',
      'How q·k depends on relative distance, for a head whose q and k have equal pair norms (k = q)',
    );
  }

  private hover(
    c: HTMLCanvasElement,
    n: number,
    x: (i: number) => number,
    rows: (i: number) => { label: string; value: string }[],
    title: string,
  ): void {
    c.addEventListener('mousemove', (e) => {
      const r = c.getBoundingClientRect();
      const px = ((e.clientX - r.left) / r.width) * W;
      let best = 0;
      for (let i = 1; i < n; i++) if (Math.abs(x(i) - px) < Math.abs(x(best) - px)) best = i;
      c.dataset.hover = String(best);
      this.tooltip.show(title, rows(best), e.clientX, e.clientY);
    });
    c.addEventListener('mouseleave', () => this.tooltip.hide());
  }
}

function canvas(className: string, label: string): HTMLCanvasElement {
  const c = el('canvas', { className, attrs: { role: 'img', 'aria-label': label } });
  c.width = W;
  c.height = H;
  c.style.width = `${W}px`;
  return c;
}

function axes(ctx: CanvasRenderingContext2D, theme: ThemeColors): void {
  ctx.strokeStyle = theme.css.foreground;
  ctx.beginPath();
  ctx.moveTo(PAD, 4);
  ctx.lineTo(PAD, H - 4);
  ctx.lineTo(W - 4, H - 4);
  ctx.stroke();
}

function figure(c: HTMLCanvasElement, yTitle: string, xTitle: string, caption: string): HTMLElement {
  return el('figure', { className: 'rope-figure' }, [
    el('figcaption', { text: caption }),
    el('div', { className: 'axis-title rope-y', text: `↑ ${yTitle}` }),
    c,
    el('div', { className: 'axis-title rope-x', text: `→ ${xTitle}` }),
  ]);
}
