// Aggregates: the mean over heads of one layer, the attention rollout up to that layer (Abnar &
// Zuidema), and every head's entropy as a bar chart. The matrices are computed by the host and
// arrive one [n, n] at a time; the entropies come with the run's statistics.
import type { Part } from '../../../src/engine/types';
import type { AggregateMessage, PartMeta, RunMeta } from '../../../common/webview';
import { clear, el, fmt } from '../../shared/dom';
import { makeRamp, rgbCss, type ThemeColors } from '../../shared/theme';
import { legend, MatrixView } from '../matrix';
import { partLabel } from '../labels';
import type { Requests } from '../requests';
import { applySink, sinkBadge } from '../sink';
import type { Tooltip } from '../tooltip';

const BAR_W = 10;
const CHART_H = 120;

export class AggregatesView {
  readonly root = el('section', { className: 'aggregates-view view', attrs: { 'aria-label': 'Aggregates' } });
  private readonly partSelect = el('select', { className: 'agg-part', attrs: { 'aria-label': 'Attention part' } });
  private readonly layerSelect = el('select', { className: 'agg-layer', attrs: { 'aria-label': 'Layer' } });
  private readonly meanBox = el('div', { className: 'agg-mean' });
  private readonly rollBox = el('div', { className: 'agg-rollout' });
  private readonly entropyBox = el('div', { className: 'agg-entropy' });
  private readonly mean: MatrixView;
  private readonly roll: MatrixView;
  private meta: RunMeta | undefined;
  private runId = 0;
  private part: Part = 'encoder';
  private layer = 0;
  private sink = false;
  private ticket = 0;
  private last: { mean?: AggregateMessage; roll?: AggregateMessage | string } = {};

  constructor(
    private readonly tooltip: Tooltip,
    private theme: ThemeColors,
    private readonly requests: Requests,
    private readonly onChoose: (part: Part, layer: number) => void,
  ) {
    this.mean = new MatrixView(tooltip, theme);
    this.roll = new MatrixView(tooltip, theme);
    this.partSelect.addEventListener('change', () => this.choose(this.partSelect.value as Part, this.layer));
    this.layerSelect.addEventListener('change', () => this.choose(this.part, Number(this.layerSelect.value)));
    this.root.append(
      el('h2', { text: 'Aggregates' }),
      el('p', {
        className: 'explain',
        text: 'Mean over heads: the average of all heads of one layer. Rollout (Abnar & Zuidema): each layer’s head-mean mixed with the residual connection, 0.5·A + 0.5·I, rows renormalised, multiplied through the layers up to this one — how much each input token flows into each position. Entropy: how spread out each head’s attention is (0 = one key per query).',
      }),
      el('div', { className: 'controls' }, [
        el('label', { className: 'control' }, [el('span', { text: 'attention' }), this.partSelect]),
        el('label', { className: 'control' }, [el('span', { text: 'layer' }), this.layerSelect]),
      ]),
      el('div', { className: 'agg-panes' }, [this.meanBox, this.rollBox]),
      this.entropyBox,
    );
  }

  setTheme(theme: ThemeColors): void {
    this.theme = theme;
    this.mean.setTheme(theme); // its own copy: zero drew in the old background until reopened
    this.roll.setTheme(theme);
    this.render();
  }

  setSink(on: boolean): void {
    this.sink = on;
    this.render();
  }

  show(meta: RunMeta, runId: number, part: Part | undefined, layer: number | undefined, sink: boolean): void {
    const fresh = this.meta !== meta;
    this.meta = meta;
    this.runId = runId;
    this.sink = sink;
    if (!fresh) return;
    clear(this.partSelect);
    for (const p of meta.parts) this.partSelect.appendChild(el('option', { text: partLabel(p.part, meta), attrs: { value: p.part } }));
    const pm = meta.parts.find((p) => p.part === part) ?? meta.parts[0];
    if (!pm) return;
    this.last = {};
    this.choose(pm.part, layer ?? pm.layers[0].layer, true);
  }

  private pm(): PartMeta | undefined {
    return this.meta?.parts.find((p) => p.part === this.part);
  }

  private choose(part: Part, layer: number, quiet = false): void {
    const pm = this.meta?.parts.find((p) => p.part === part);
    if (!pm) return;
    if (part !== this.part || this.layerSelect.options.length === 0 || quiet) {
      clear(this.layerSelect);
      for (const l of pm.layers)
        this.layerSelect.appendChild(el('option', { text: `layer ${l.layer}`, attrs: { value: String(l.layer) } }));
    }
    this.part = part;
    this.layer = pm.layers.some((l) => l.layer === layer) ? layer : pm.layers[0].layer;
    this.partSelect.value = part;
    this.layerSelect.value = String(this.layer);
    if (!quiet) this.onChoose(part, this.layer);
    void this.load();
  }

  private async load(): Promise<void> {
    const t = ++this.ticket;
    const base = { runId: this.runId, part: this.part, layer: this.layer };
    this.last = {};
    this.render();
    const [mean, roll] = await Promise.all([
      this.requests.send<AggregateMessage>({ type: 'requestAggregate', ...base, kind: 'mean' }).catch((e: Error) => e.message),
      this.requests.send<AggregateMessage>({ type: 'requestAggregate', ...base, kind: 'rollout' }).catch((e: Error) => e.message),
    ]);
    if (t !== this.ticket) return;
    this.last = { mean: typeof mean === 'string' ? undefined : mean, roll };
    this.render();
  }

  private render(): void {
    const pm = this.pm();
    clear(this.meanBox);
    clear(this.rollBox);
    if (!pm) return;
    const width = Math.max(160, (this.root.clientWidth || 1200) / 2 - 220);
    const box = (into: HTMLElement, view: MatrixView, m: AggregateMessage | string | undefined, title: string, sinkable: boolean) => {
      into.appendChild(el('h3', { text: title }));
      if (m === undefined) return void into.appendChild(el('p', { className: 'view-message', text: 'Loading…' }));
      if (typeof m === 'string') return void into.appendChild(el('p', { className: 'view-message', text: m }));
      const { probs, hidden } = applySink(this.sink && sinkable, m.data, m.queries, m.keys, pm.keyTokens);
      if (hidden.size > 0) into.appendChild(sinkBadge(hidden, pm.keyTokens));
      let max = 0;
      for (const v of probs) max = Math.max(max, v);
      into.appendChild(legend(this.theme, 'seq', max, m.kind === 'mean' ? 'mean probability' : 'rollout share', (v) => fmt(v, 3)));
      view.render(
        {
          rows: m.queries,
          cols: m.keys,
          data: probs,
          rowLabels: pm.queryTokens,
          colLabels: pm.keyTokens,
          rowTitle: m.kind === 'rollout' ? 'position (after this layer)' : 'query = token attending',
          colTitle: m.kind === 'rollout' ? 'input token flowing in' : 'key = token attended to',
          scale: 'seq',
          max,
          hiddenCols: hidden,
          maxCell: 24,
          ariaLabel: `${title} of ${pm.part} layer ${m.layer}`,
          tipTitle: title,
          tip: (i, j) => [
            { label: 'row', value: `${pm.queryTokens[i]} (#${i})`, kind: 'token' },
            { label: 'column', value: `${pm.keyTokens[j]} (#${j})`, kind: 'token' },
            hidden.has(j)
              ? { label: 'value', value: `hidden by display transform (${fmt(m.data[i * m.keys + j])})`, kind: 'masked' }
              : { label: 'value', value: fmt(probs[i * m.keys + j]), kind: 'prob' },
          ],
        },
        width,
      );
      into.appendChild(view.root);
    };
    box(this.meanBox, this.mean, this.last.mean, `Mean over heads · layer ${this.layer}`, true);
    // Rollout is a flow of mass through layers; hiding columns would break that reading, so no sink transform.
    box(this.rollBox, this.roll, this.last.roll, `Rollout · layers 0…${this.layer}`, false);
    this.drawEntropy(pm);
  }

  /** One bar per head, grouped by layer; height = mean row entropy (nats), scaled to the largest. */
  private drawEntropy(pm: PartMeta): void {
    clear(this.entropyBox);
    this.entropyBox.appendChild(el('h3', { text: `Entropy per head (nats) · ${pm.part}` }));
    const heads = pm.layers.flatMap((l) => l.stats.map((s, h) => ({ layer: l.layer, head: h, e: s.entropy })));
    const gap = 8;
    const W = heads.length * BAR_W + (pm.layers.length - 1) * gap;
    const c = el('canvas', { className: 'entropy-chart', attrs: { role: 'img', 'aria-label': `Entropy of ${heads.length} heads` } });
    c.width = W;
    c.height = CHART_H;
    c.style.width = `${W}px`;
    const ctx = c.getContext('2d');
    const max = Math.max(1e-9, ...heads.map((h) => h.e));
    const ramp = makeRamp(this.theme);
    const xs: { x: number; layer: number; head: number; e: number }[] = [];
    let x = 0;
    const labels = el('div', { className: 'entropy-labels' });
    for (const l of pm.layers) {
      const lab = el('span', { className: 'entropy-layer', text: `L${l.layer}` });
      lab.style.width = `${l.heads * BAR_W + gap}px`; // CSSOM, not a style attribute: the CSP forbids inline styles
      labels.appendChild(lab);
      for (let h = 0; h < l.heads; h++) {
        const e = l.stats[h].entropy;
        const bh = (e / max) * (CHART_H - 4);
        if (ctx) {
          ctx.fillStyle = rgbCss(ramp(0.35 + 0.65 * (1 - e / max)));
          ctx.fillRect(x + 1, CHART_H - bh, BAR_W - 2, bh);
        }
        xs.push({ x, layer: l.layer, head: h, e });
        x += BAR_W;
      }
      x += gap;
    }
    c.addEventListener('mousemove', (ev) => {
      const px = ev.clientX - c.getBoundingClientRect().left;
      const hit = xs.find((b) => px >= b.x && px < b.x + BAR_W);
      if (!hit) return this.tooltip.hide();
      this.tooltip.show(`Layer ${hit.layer} · Head ${hit.head}`, [{ label: 'entropy (nats)', value: fmt(hit.e) }], ev.clientX, ev.clientY);
    });
    c.addEventListener('mouseleave', () => this.tooltip.hide());
    this.entropyBox.append(el('div', { className: 'entropy-axis', text: `0 … ${fmt(max, 2)} nats (lower = more focused)` }), c, labels);
  }
}
