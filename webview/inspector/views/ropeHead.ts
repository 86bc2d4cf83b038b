// One head's score against relative distance, from the run's own q and k (the Q·K view's request): the
// head's mean q and mean k before rotation, scored d positions apart (key d before the query), beside the
// run's actual scores averaged over the query–key pairs d apart (common/rope.ts ropeHeadCurve).
import type { QkMessage, RunMeta } from '../../../common/webview';
import { ropeHeadCurve, type RopeHeadCurve } from '../../../common/rope';
import { clear, el, fmt } from '../../shared/dom';
import type { ThemeColors } from '../../shared/theme';
import type { Requests } from '../requests';
import type { Tooltip } from '../tooltip';

type Rope = NonNullable<RunMeta['rope']>[number];
/** The head the inspector has open, when it says. */
export type OpenHead = { layer: number; head: number };

const W = 420,
  H = 180,
  PAD = 44;

export class RopeHeadChart {
  readonly root = el('div', { className: 'rope-head' });
  private layer: number | undefined;
  private head = 0;
  private fetched: { key: string; qk?: QkMessage; error?: string } | undefined;
  private shown: { meta: RunMeta; g: Rope; runId: number } | undefined;
  /** The last open head taken (run/layer/head): a head chosen here stays until the grid opens another. */
  private taken: string | undefined;

  constructor(
    private readonly tooltip: Tooltip,
    private theme: ThemeColors,
    private readonly requests: Requests,
  ) {}

  setTheme(theme: ThemeColors): void {
    this.theme = theme;
  }

  /** Draws the chart for group g's layer (the open one when it is in g and newly opened) and head. */
  show(meta: RunMeta, g: Rope, runId: number, open?: OpenHead): void {
    const openKey = open && `${runId}/${open.layer}/${open.head}`;
    if (open && g.layers.includes(open.layer) && openKey !== this.taken) {
      [this.layer, this.head, this.taken] = [open.layer, open.head, openKey];
    }
    if (this.layer === undefined || !g.layers.includes(this.layer)) this.layer = g.layers[0];
    const heads = meta.parts.find((p) => p.part === 'decoder')?.layers.find((l) => l.layer === this.layer)?.heads ?? 1;
    this.head = Math.min(this.head, heads - 1);
    this.shown = { meta, g, runId };
    const key = `${runId}/${this.layer}/${this.head}`;
    if (this.fetched?.key !== key) this.fetch(key, runId, this.layer, this.head);
    this.draw(heads);
  }

  private fetch(key: string, runId: number, layer: number, head: number): void {
    const entry: NonNullable<RopeHeadChart['fetched']> = { key };
    this.fetched = entry;
    this.requests
      .send<QkMessage>({ type: 'requestQk', runId, part: 'decoder', layer, head })
      .then(
        (v) => void (entry.qk = v),
        (e: unknown) => void (entry.error = e instanceof Error ? e.message : String(e)),
      )
      .finally(() => {
        if (this.fetched === entry && this.shown) this.show(this.shown.meta, this.shown.g, this.shown.runId);
      });
  }

  private draw(heads: number): void {
    const s = this.shown!;
    clear(this.root);
    const layerSelect = el('select', { className: 'rope-head-layer', attrs: { 'aria-label': 'Layer' } });
    for (const l of s.g.layers) layerSelect.appendChild(el('option', { text: String(l), attrs: { value: String(l) } }));
    layerSelect.value = String(this.layer);
    const headSelect = el('select', { className: 'rope-head-head', attrs: { 'aria-label': 'Head' } });
    for (let h = 0; h < heads; h++) headSelect.appendChild(el('option', { text: String(h), attrs: { value: String(h) } }));
    headSelect.value = String(this.head);
    const pick = () => {
      this.layer = Number(layerSelect.value);
      this.head = Number(headSelect.value);
      this.show(s.meta, s.g, s.runId);
    };
    layerSelect.addEventListener('change', pick);
    headSelect.addEventListener('change', pick);
    const controls = el('div', { className: 'control rope-head-controls' }, [
      el('span', { text: 'This head: layer ' }),
      layerSelect,
      el('span', { text: ' head ' }),
      headSelect,
    ]);
    const f = this.fetched;
    const message = el('p', { className: 'view-message rope-head-message', attrs: { role: 'status' } });
    this.root.append(controls, message);
    if (!f?.qk) {
      message.textContent = f?.error ? `q and k unavailable: ${f.error}` : `Loading q and k of layer ${this.layer} · head ${this.head}…`;
      return;
    }
    const v = f.qk;
    const maxD = Math.max(1, v.keys - 1);
    const curve = ropeHeadCurve(v.q, v.k, v.queries, v.keys, v.dims, s.g.invFreq, v.scale, maxD);
    this.root.appendChild(this.figure(curve, maxD, v));
  }

  private figure(curve: RopeHeadCurve, maxD: number, v: QkMessage): HTMLElement {
    const g = this.shown!.g;
    const values = [...curve.expected, ...curve.actual].filter(Number.isFinite);
    let lo = Math.min(0, ...values),
      hi = Math.max(0, ...values);
    if (hi - lo < 1e-9) [lo, hi] = [lo - 1, hi + 1];
    const x = (d: number) => PAD + (d / maxD) * (W - PAD - 8);
    const y = (val: number) => 8 + ((hi - val) / (hi - lo)) * (H - 24);
    const c = el('canvas', {
      className: 'rope-head-chart',
      attrs: { role: 'img', 'aria-label': `layer ${v.layer} head ${v.head}: score against distance 0 to ${maxD}` },
    });
    c.width = W;
    c.height = H;
    c.style.width = `${W}px`;
    const ctx = c.getContext('2d');
    const css = this.theme.css;
    if (ctx) {
      ctx.strokeStyle = css.foreground;
      ctx.beginPath();
      ctx.moveTo(PAD, 4);
      ctx.lineTo(PAD, H - 16);
      ctx.lineTo(W - 4, H - 16);
      ctx.stroke();
      ctx.fillStyle = css.foreground;
      ctx.font = '10px sans-serif';
      ctx.textAlign = 'right';
      for (const t of [hi, 0, lo]) ctx.fillText(fmt(t, 3), PAD - 4, y(t) + 3);
      ctx.textAlign = 'center';
      for (const d of [0, maxD]) ctx.fillText(String(d), x(d), H - 4);
      ctx.globalAlpha = 0.4;
      ctx.beginPath();
      ctx.moveTo(PAD, y(0));
      ctx.lineTo(W - 8, y(0));
      ctx.stroke();
      ctx.globalAlpha = 1;
      ctx.strokeStyle = css.accent;
      ctx.lineWidth = 2;
      ctx.beginPath();
      curve.expected.forEach((val, d) => (d ? ctx.lineTo(x(d), y(val)) : ctx.moveTo(x(d), y(val))));
      ctx.stroke();
      ctx.fillStyle = css.foreground;
      curve.actual.forEach((val, d) => {
        if (!Number.isFinite(val)) return;
        ctx.beginPath();
        ctx.arc(x(d), y(val), 3, 0, 2 * Math.PI);
        ctx.fill();
      });
    }
    const partial = g.rotaryDim < g.headDim;
    c.addEventListener('mousemove', (e) => {
      const r = c.getBoundingClientRect();
      const d = Math.max(0, Math.min(maxD, Math.round(((((e.clientX - r.left) / r.width) * W - PAD) / (W - PAD - 8)) * maxD)));
      c.dataset.hover = String(d);
      const rows = [
        { label: 'distance d (key d tokens before the query)', value: String(d) },
        { label: 'expected score, mean q · R(−d) mean k', value: fmt(curve.expected[d], 5) },
        { label: 'run mean score of pairs d apart', value: curve.pairs[d] ? fmt(curve.actual[d], 5) : '—' },
        { label: 'pairs', value: String(curve.pairs[d]) },
        ...(partial ? [{ label: 'of which unrotated dims (constant)', value: fmt(curve.passThrough, 5) }] : []),
      ];
      this.tooltip.show(`Layer ${v.layer} · head ${v.head}`, rows, e.clientX, e.clientY);
    });
    c.addEventListener('mouseleave', () => this.tooltip.hide());
    const swatch = (cls: string, colour: string) => {
      const sw = el('span', { className: `rope-swatch ${cls}` });
      sw.style.background = colour; // CSSOM, not a style attribute: the page's CSP allows only this
      return sw;
    };
    const legendRow = el('div', { className: 'rope-head-legend' }, [
      swatch('line', css.accent),
      el('span', { text: ' expected: the head’s mean q and mean k (before rotation), rotated d apart   ' }),
      swatch('dot', css.foreground),
      el('span', { text: ' this run: mean score of its query–key pairs d apart' }),
    ]);
    const notes = [
      g.type === 'default' ? '' : `θ_i after ${g.type} scaling${g.factor !== undefined ? ` × ${g.factor}` : ''}`,
      partial
        ? `partial rotary: ${g.rotaryDim} of ${g.headDim} dims rotated, the other ${g.headDim - g.rotaryDim} add ${fmt(curve.passThrough, 4)} at every d`
        : '',
    ].filter(Boolean);
    return el('figure', { className: 'rope-figure rope-head-figure' }, [
      el('figcaption', { text: `Layer ${v.layer} · head ${v.head}: how this head’s score q·k × ${fmt(v.scale, 4)} depends on distance` }),
      ...(notes.length ? [el('p', { className: 'rope-head-notes', text: notes.join(' · ') })] : []),
      el('div', { className: 'axis-title rope-y', text: `↑ score before softmax (${fmt(lo, 3)} … ${fmt(hi, 3)})` }),
      c,
      el('div', { className: 'axis-title rope-x', text: '→ distance d = query position − key position' }),
      legendRow,
    ]);
  }
}
