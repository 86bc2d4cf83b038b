// Attention diff (issue 9.1): heads of two runs ranked by Jensen–Shannon divergence; the chosen
// head of each run side by side and their difference B − A on a diverging scale with a legend.
// Where the runs' token counts differ, heads are listed unranked and A and B are shown each on its
// own tokens, with no difference: query i of one run is not query i of the other.
import type {
  CompareAxis,
  CompareHeadMessage,
  CompareHeadRef,
  CompareHeadSide,
  CompareMessage,
  CompareRank,
} from '../../../common/webview';
import { clear, displayToken, el, fmt } from '../../shared/dom';
import type { ThemeColors } from '../../shared/theme';
import { legend, MatrixView } from '../matrix';
import type { Requests } from '../requests';
import { applySink, sinkBadge, type SinkApplied } from '../sink';
import type { Tooltip } from '../tooltip';

const RANK_ROWS = 30;
const headName = (r: CompareHeadRef) => `${r.part} L${r.layer} H${r.head}`;
const isRank = (r: CompareHeadRef): r is CompareRank => 'jsd' in r;

export class CompareView {
  readonly root = el('section', { className: 'compare-view view', attrs: { 'aria-label': 'Compare runs' } });
  private readonly sub = el('div', { className: 'view-subtitle' });
  private readonly message = el('p', { className: 'view-message', attrs: { role: 'status' } });
  private readonly ranking = el('ol', { className: 'jsd-ranking', attrs: { 'aria-label': 'Heads ranked by Jensen–Shannon divergence' } });
  private readonly unranked = el('ol', {
    className: 'jsd-ranking jsd-unranked',
    attrs: { 'aria-label': 'Heads not ranked: token counts differ' },
  });
  private readonly unrankedTitle = el('h3', {
    className: 'jsd-unranked-title',
    text: 'Not ranked (token counts differ)',
  });
  private readonly panes = el('div', { className: 'compare-panes' });
  private readonly a: MatrixView;
  private readonly b: MatrixView;
  private readonly diff: MatrixView;
  private data: CompareMessage | undefined;
  private head: CompareHeadMessage | undefined;
  private selected: CompareHeadRef | undefined;
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
    const lists = el('div', { className: 'compare-lists' }, [this.ranking, this.unrankedTitle, this.unranked]);
    lists.addEventListener('keydown', (e) => {
      const items = Array.from(lists.querySelectorAll<HTMLElement>('.jsd-item'));
      const i = items.indexOf(document.activeElement as HTMLElement);
      const d = { ArrowDown: 1, ArrowUp: -1 }[e.key];
      if (!d || i < 0) return;
      items[Math.max(0, Math.min(items.length - 1, i + d))]?.focus();
      e.preventDefault();
    });
    this.root.append(
      el('h2', { text: 'Compare (attention diff)' }),
      this.sub,
      el('p', {
        className: 'explain',
        text: 'Heads of run A and run B, ranked by Jensen–Shannon divergence (bits, 0 = identical, 1 = disjoint) between their attention rows, averaged over query rows. Query i of A is compared with query i of B, so the ranking and the difference need the same number of tokens in both runs; otherwise A and B are shown side by side. Pick a head to see A, B and the difference B − A (blue = more attention in B, red = more in A).',
      }),
      this.message,
      el('div', { className: 'compare-layout' }, [lists, this.panes]),
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
    clear(this.unranked);
    clear(this.panes);
    this.unrankedTitle.hidden = !data?.unranked.length;
    if (!data) {
      this.sub.textContent = '';
      this.message.textContent =
        'Nothing to compare. Use “Attention: Compare Inputs…” to compare two inputs on one model or two models on one input.';
      return;
    }
    this.sub.textContent = `A: ${data.a.label} (${data.a.model})  ·  B: ${data.b.label} (${data.b.model})`;
    this.message.textContent = data.message ?? '';
    const all: CompareHeadRef[] = [...data.ranking, ...data.unranked];
    const fill = (list: HTMLElement, heads: CompareHeadRef[], first: number) => {
      heads.slice(0, RANK_ROWS).forEach((r, n) => list.appendChild(this.item(r, first + n)));
      const more = heads.length - RANK_ROWS;
      if (more > 0) list.appendChild(el('li', { className: 'jsd-more', text: `… ${more} more heads` }));
    };
    fill(this.ranking, data.ranking, 0);
    fill(this.unranked, data.unranked, data.ranking.length);
    if (all[0]) this.select(all[0]);
  }

  private item(r: CompareHeadRef, rank: number): HTMLElement {
    const attrs = { tabindex: rank === 0 ? '0' : '-1', role: 'button', 'data-rank': String(rank) };
    const item = el('li', { className: `jsd-item${isRank(r) ? '' : ' unranked'}`, attrs }, [
      el('span', { className: 'jsd-head', text: headName(r) }),
      ...(isRank(r) ? [el('span', { className: 'jsd-value', text: `JSD ${fmt(r.jsd, 4)}` })] : []),
    ]);
    item.addEventListener('click', () => this.select(r));
    item.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        this.select(r);
        e.preventDefault();
      }
    });
    return item;
  }

  private select(r: CompareHeadRef): void {
    const data = this.data;
    if (!data) return;
    this.selected = r;
    for (const li of Array.from(this.root.querySelectorAll('.jsd-item'))) {
      li.classList.toggle('selected', li.querySelector('.jsd-head')?.textContent === headName(r));
    }
    const t = ++this.ticket;
    this.requests
      .send<CompareHeadMessage>({ type: 'requestCompareHead', compareId: data.compareId, part: r.part, layer: r.layer, head: r.head })
      .then(
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
    const A = applySink(this.sink, h.a.probs, h.a.queries, h.a.keys, part.a.keyTokens);
    const B = applySink(this.sink, h.b.probs, h.b.queries, h.b.keys, part.b.keyTokens);
    const ranked = part.sameShape && isRank(r);
    const room = (this.panes.clientWidth || this.root.clientWidth || 1200) - 60;
    const width = Math.max(120, room / (ranked ? 3 : 2) - 160);
    const title = `${h.part} layer ${h.layer} · head ${h.head}${isRank(r) ? ` · JSD ${fmt(r.jsd, 4)} bits` : ''}`;
    type Tip = (k: number, i: number, j: number) => { label: string; value: string; kind?: 'token' | 'prob' }[];
    // One heatmap: `side` gives its shape and mask, `axes` its token labels, `values` what is drawn.
    const pane = (
      view: MatrixView,
      label: string,
      cls: string,
      axes: CompareAxis,
      side: CompareHeadSide,
      values: SinkApplied,
      max: number,
      tip: Tip,
    ) => {
      view.render(
        {
          rows: side.queries,
          cols: side.keys,
          data: values.probs,
          rowLabels: axes.queryTokens,
          colLabels: axes.keyTokens,
          rowTitle: 'query = token attending',
          colTitle: 'key = token attended to',
          scale: cls === 'diff' ? 'div' : 'seq',
          max,
          mask: side.mask,
          hiddenCols: values.hidden,
          maxCell: 24,
          ariaLabel: `${label}: ${title}`,
          tipTitle: label,
          tip: (i, j) => tip(i * side.keys + j, i, j),
        },
        width,
      );
      const lg =
        cls === 'diff'
          ? legend(this.theme, 'div', max, 'B − A', (v) => (v > 0 ? `+${fmt(v, 3)}` : fmt(v, 3)))
          : legend(this.theme, 'seq', 1, 'probability', (v) => fmt(v, 0));
      const title3 = el('h3', { text: label });
      this.panes.appendChild(el('div', { className: `compare-pane compare-${cls}` }, [title3, lg, view.root]));
    };
    if (!ranked) {
      // Different token counts: each run on its own axes, no row-by-row difference.
      if (A.hidden.size > 0) this.panes.appendChild(sinkBadge(A.hidden, part.a.keyTokens));
      if (B.hidden.size > 0) this.panes.appendChild(sinkBadge(B.hidden, part.b.keyTokens));
      const own =
        (x: CompareAxis, S: SinkApplied, name: string): Tip =>
        (k, i, j) => [
          { label: 'query', value: `${displayToken(x.queryTokens[i])} (#${i})`, kind: 'token' },
          { label: 'key', value: `${displayToken(x.keyTokens[j])} (#${j})`, kind: 'token' },
          { label: name, value: fmt(S.probs[k]), kind: 'prob' },
        ];
      this.panes.appendChild(
        el('p', {
          className: 'compare-shape-note',
          attrs: { role: 'note' },
          text:
            `A has ${h.a.queries} × ${h.a.keys} and B has ${h.b.queries} × ${h.b.keys} tokens (queries × keys) ` +
            `in ${h.part} attention. Query i of A is not query i of B, so this head has no JSD ranking and no ` +
            'B − A difference: A and B are shown side by side, each with its own tokens.',
        }),
      );
      pane(this.a, `A: ${data.a.label}`, 'a', part.a, h.a, A, 1, own(part.a, A, 'A'));
      pane(this.b, `B: ${data.b.label}`, 'b', part.b, h.b, B, 1, own(part.b, B, 'B'));
      return;
    }
    const hidden = new Set([...A.hidden, ...B.hidden]);
    const keys = h.a.keys;
    const d = new Float32Array(h.a.probs.length); // [queries, keys] B − A
    let dmax = 0;
    for (let k = 0; k < d.length; k++) {
      d[k] = hidden.has(k % keys) ? 0 : B.probs[k] - A.probs[k];
      dmax = Math.max(dmax, Math.abs(d[k]));
    }
    if (hidden.size > 0) this.panes.appendChild(sinkBadge(hidden, part.a.keyTokens));
    const pair = (a: string[], b: string[], i: number) => `A ${displayToken(a[i])} / B ${displayToken(b[i])} (#${i})`;
    const both: Tip = (k, i, j) => [
      { label: 'query', value: pair(part.a.queryTokens, part.b.queryTokens, i), kind: 'token' },
      { label: 'key', value: pair(part.a.keyTokens, part.b.keyTokens, j), kind: 'token' },
      { label: 'A', value: fmt(A.probs[k]) },
      { label: 'B', value: fmt(B.probs[k]) },
      { label: 'B − A', value: fmt(B.probs[k] - A.probs[k]), kind: 'prob' },
    ];
    const same = { ...h.a, mask: h.a.mask ?? h.b.mask }; // one shape: both runs' heads line up row by row
    pane(this.a, `A: ${data.a.label}`, 'a', part.a, same, { probs: A.probs, hidden }, 1, both);
    pane(this.b, `B: ${data.b.label}`, 'b', part.b, same, { probs: B.probs, hidden }, 1, both);
    pane(this.diff, 'Difference B − A', 'diff', part.a, same, { probs: d, hidden }, dmax || 1, both);
  }
}
