// Attention diff (issue 9.1): heads of two runs ranked by Jensen–Shannon divergence; the chosen
// head of each run side by side and their difference B − A on a diverging scale with a legend.
import type { CompareHeadMessage, CompareMessage, CompareRank } from '../../../src/protocol/webview';
import { clear, displayToken, el, fmt } from '../../shared/dom';
import type { ThemeColors } from '../../shared/theme';
import { legend, MatrixView } from '../matrix';
import type { Requests } from '../requests';
import { applySink, sinkBadge } from '../sink';
import type { Tooltip } from '../tooltip';

const RANK_ROWS = 30;

export class CompareView {
  readonly root = el('section', { className: 'compare-view view', attrs: { 'aria-label': 'Compare runs' } });
  private readonly sub = el('div', { className: 'view-subtitle' });
  private readonly message = el('p', { className: 'view-message', attrs: { role: 'status' } });
  private readonly ranking = el('ol', { className: 'jsd-ranking', attrs: { 'aria-label': 'Heads ranked by Jensen–Shannon divergence' } });
  private readonly panes = el('div', { className: 'compare-panes' });
  private readonly a: MatrixView;
  private readonly b: MatrixView;
  private readonly diff: MatrixView;
  private data: CompareMessage | undefined;
  private head: CompareHeadMessage | undefined;
  private selected: CompareRank | undefined;
  private sink = false;
  private ticket = 0;

  constructor(
    private readonly tooltip: Tooltip,
    private theme: ThemeColors,
    private readonly requests: Requests,
  ) {
    this.a = new MatrixView(tooltip, theme);
    this.b = new MatrixView(tooltip, theme);
    this.diff = new MatrixView(tooltip, theme);
    this.ranking.addEventListener('keydown', (e) => {
      const items = Array.from(this.ranking.querySelectorAll<HTMLElement>('.jsd-item'));
      const i = items.indexOf(document.activeElement as HTMLElement);
      const d = { ArrowDown: 1, ArrowUp: -1 }[e.key];
      if (!d || i < 0) return;
      items[Math.max(0, Math.min(items.length - 1, i + d))]?.focus();
      e.preventDefault();
    });
    this.root.append(
      el('h2', { text: 'Compare (attention diff)' }),
      this.sub,
      el('p', { className: 'explain', text: 'Heads of run A and run B, ranked by Jensen–Shannon divergence (bits, 0 = identical, 1 = disjoint) between their attention rows, averaged over query rows. Query i of A is compared with query i of B, so both runs must have the same number of tokens. Pick a head to see A, B and the difference B − A (blue = more attention in B, red = more in A).' }),
      this.message,
      el('div', { className: 'compare-layout' }, [this.ranking, this.panes]),
    );
  }

  setTheme(theme: ThemeColors): void {
    this.theme = theme;
    this.a.setTheme(theme); // its own copy: zero drew in the old background until reopened
    this.b.setTheme(theme);
    this.diff.setTheme(theme);
    this.render();
  }

  setSink(on: boolean): void {
    this.sink = on;
    this.render();
  }

  hasData(): boolean {
    return this.data !== undefined;
  }

  set(data: CompareMessage | undefined, sink: boolean): void {
    this.data = data;
    this.head = undefined;
    this.sink = sink;
    clear(this.ranking);
    clear(this.panes);
    if (!data) {
      this.sub.textContent = '';
      this.message.textContent = 'Nothing to compare. Use “Attention: Compare Inputs…” to compare two inputs on one model or two models on one input.';
      return;
    }
    this.sub.textContent = `A: ${data.a.label} (${data.a.model})  ·  B: ${data.b.label} (${data.b.model})`;
    this.message.textContent = data.message ?? '';
    data.ranking.slice(0, RANK_ROWS).forEach((r, n) => {
      const item = el('li', { className: 'jsd-item', attrs: { tabindex: n === 0 ? '0' : '-1', role: 'button', 'data-rank': String(n) } }, [
        el('span', { className: 'jsd-head', text: `${r.part} L${r.layer} H${r.head}` }),
        el('span', { className: 'jsd-value', text: `JSD ${fmt(r.jsd, 4)}` }),
      ]);
      item.addEventListener('click', () => this.select(r));
      item.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          this.select(r);
          e.preventDefault();
        }
      });
      this.ranking.appendChild(item);
    });
    if (data.ranking.length > RANK_ROWS) this.ranking.appendChild(el('li', { className: 'jsd-more', text: `… ${data.ranking.length - RANK_ROWS} more heads` }));
    if (data.ranking[0]) this.select(data.ranking[0]);
  }

  private select(r: CompareRank): void {
    const data = this.data;
    if (!data) return;
    this.selected = r;
    for (const li of Array.from(this.ranking.querySelectorAll('.jsd-item'))) {
      li.classList.toggle('selected', li.querySelector('.jsd-head')?.textContent === `${r.part} L${r.layer} H${r.head}`);
    }
    const t = ++this.ticket;
    this.requests.send<CompareHeadMessage>({ type: 'requestCompareHead', compareId: data.compareId, part: r.part, layer: r.layer, head: r.head }).then(
      (h) => {
        if (t !== this.ticket) return;
        this.head = h;
        this.render();
      },
      (e: Error) => {
        if (t === this.ticket) this.message.textContent = e.message;
      },
    );
  }

  private render(): void {
    const h = this.head;
    const data = this.data;
    const r = this.selected;
    clear(this.panes);
    if (!h || !data || !r) return;
    const part = data.parts.find((p) => p.part === h.part);
    if (!part) return;
    const A = applySink(this.sink, h.a, h.queries, h.keys, part.a.keyTokens);
    const B = applySink(this.sink, h.b, h.queries, h.keys, part.b.keyTokens);
    const hidden = new Set([...A.hidden, ...B.hidden]);
    const d = new Float32Array(h.a.length); // [queries, keys] B − A
    let dmax = 0;
    for (let k = 0; k < d.length; k++) {
      d[k] = hidden.has(k % h.keys) ? 0 : B.probs[k] - A.probs[k];
      dmax = Math.max(dmax, Math.abs(d[k]));
    }
    const width = Math.max(120, ((this.panes.clientWidth || this.root.clientWidth || 1200) - 60) / 3 - 160);
    const title = `${h.part} layer ${h.layer} · head ${h.head} · JSD ${fmt(r.jsd, 4)} bits`;
    if (hidden.size > 0) this.panes.appendChild(sinkBadge(hidden, part.a.keyTokens));
    const pane = (view: MatrixView, label: string, side: 'a' | 'b' | 'diff', values: Float32Array, max: number) => {
      const tok = side === 'b' ? part.b : part.a;
      view.render({
        rows: h.queries, cols: h.keys, data: values, rowLabels: tok.queryTokens, colLabels: tok.keyTokens,
        rowTitle: 'query = token attending', colTitle: 'key = token attended to',
        scale: side === 'diff' ? 'div' : 'seq', max, mask: h.mask, hiddenCols: hidden, maxCell: 24,
        ariaLabel: `${label}: ${title}`, tipTitle: label,
        tip: (i, j) => {
          const k = i * h.keys + j;
          return [
            { label: 'query', value: `A ${displayToken(part.a.queryTokens[i])} / B ${displayToken(part.b.queryTokens[i])} (#${i})`, kind: 'token' },
            { label: 'key', value: `A ${displayToken(part.a.keyTokens[j])} / B ${displayToken(part.b.keyTokens[j])} (#${j})`, kind: 'token' },
            { label: 'A', value: fmt(A.probs[k]) },
            { label: 'B', value: fmt(B.probs[k]) },
            { label: 'B − A', value: fmt(B.probs[k] - A.probs[k]), kind: 'prob' },
          ];
        },
      }, width);
      this.panes.appendChild(el('div', { className: `compare-pane compare-${side}` }, [
        el('h3', { text: label }),
        side === 'diff' ? legend(this.theme, 'div', dmax, 'B − A', (v) => (v > 0 ? `+${fmt(v, 3)}` : fmt(v, 3))) : legend(this.theme, 'seq', 1, 'probability', (v) => fmt(v, 0)),
        view.root,
      ]));
    };
    pane(this.a, `A: ${data.a.label}`, 'a', A.probs, 1);
    pane(this.b, `B: ${data.b.label}`, 'b', B.probs, 1);
    pane(this.diff, 'Difference B − A', 'diff', d, dmax || 1);
  }
}
