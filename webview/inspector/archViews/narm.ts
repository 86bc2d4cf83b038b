// NARM view: the clicked items in order with a bar for the local encoder's attention α (query =
// the last click), and the top-k recommended next items with their probabilities. Bars take the
// theme's accent; every label is set as text.
import { isNarmData, type NarmData } from '../../../common/archViews/narm';
import { displayToken, el } from '../../shared/dom';
import { mix, rgbCss } from '../../shared/theme';
import { AppDataError, type AppContext, type AppRenderer, type ArchView } from './types';

function percent(p: number): string {
  return `${(100 * p).toFixed(p >= 0.995 || p < 0.001 ? 2 : 1)}%`;
}

/** One row of a bar list: label, a bar of width value (0…1), the value as text. */
function barRow(label: string, value: number, text: string, attrs: Record<string, string>): { row: HTMLElement; bar: HTMLElement } {
  const bar = el('span', { className: 'narm-bar' });
  bar.style.width = `${Math.max(0.5, 100 * value)}%`;
  const row = el('li', { className: 'narm-row', attrs: { tabindex: '0', ...attrs } }, [
    el('span', { className: 'narm-token', text: label }),
    el('span', { className: 'narm-track' }, [bar]),
    el('span', { className: 'narm-value', text }),
  ]);
  return { row, bar };
}

export const narmRenderer: AppRenderer = {
  render(container, data, ctx) {
    if (!isNarmData(data)) throw new AppDataError('the NARM data is not a list of clicked items with α and a list of recommended items.');
    const d: NarmData = data;
    const bars: HTMLElement[] = [];
    const paint = (c: AppContext): void => {
      // The most attended click is lighter (toward the foreground), so it stands out in any theme.
      const top = rgbCss(mix(c.theme.accent, c.theme.foreground, 0.5));
      for (const b of bars) b.style.background = b.classList.contains('top') ? top : c.theme.css.accent;
    };
    const best = d.clicked.reduce((b, e, j) => (e.alpha > d.clicked[b].alpha ? j : b), 0);
    const hover = (row: HTMLElement, title: string, rows: { label: string; value: string; kind?: string }[]): void => {
      const show = (x: number, y: number) => ctx.tooltip.show(title, rows, x, y);
      row.addEventListener('mousemove', (ev) => show(ev.clientX, ev.clientY));
      row.addEventListener('mouseleave', () => ctx.tooltip.hide());
      row.addEventListener('focus', () => {
        const r = row.getBoundingClientRect();
        show(r.right, r.top);
      });
      row.addEventListener('blur', () => ctx.tooltip.hide());
    };

    const clicked = d.clicked.map((e, j) => {
      const { row, bar } = barRow(`${j + 1}. ${displayToken(e.token)}`, e.alpha, e.alpha.toFixed(3), {
        'data-position': String(j),
        'data-id': String(e.id),
      });
      if (j === best) bar.classList.add('top');
      bars.push(bar);
      hover(row, displayToken(e.token), [
        { label: 'click', value: `${j + 1} of ${d.clicked.length}` },
        { label: 'α (last click)', value: e.alpha.toFixed(4), kind: 'prob' },
      ]);
      return row;
    });
    const recommended = d.recommended.map((e, rank) => {
      const { row, bar } = barRow(`${rank + 1}. ${displayToken(e.token)}`, e.probability, percent(e.probability), {
        'data-rank': String(rank),
        'data-id': String(e.id),
      });
      bars.push(bar);
      hover(row, displayToken(e.token), [
        { label: 'rank', value: String(rank + 1) },
        { label: 'P(next click)', value: e.probability.toFixed(4), kind: 'prob' },
      ]);
      return row;
    });
    paint(ctx);
    container.append(
      el('div', { className: 'narm-view' }, [
        el('div', { className: 'narm-column' }, [
          el('h3', { text: 'Clicked items · attention α' }),
          el('ol', { className: 'narm-list narm-clicked', attrs: { 'aria-label': 'clicked items with their attention weight' } }, clicked),
        ]),
        el('div', { className: 'narm-column' }, [
          el('h3', { text: `Recommended next · top ${d.recommended.length}` }),
          el(
            'ol',
            { className: 'narm-list narm-recommended', attrs: { 'aria-label': 'recommended items with their probability' } },
            recommended,
          ),
        ]),
      ]),
    );
    return { redraw: paint };
  },
};

/** Found by the build (esbuild.js archViewsPlugin): RunResult.app.kind 'narm' is drawn here. */
export const view: ArchView = { kind: 'narm', renderer: narmRenderer };
