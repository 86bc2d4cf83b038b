// T-DMCA view: the tokens in a strip, brackets above them for the local-attention blocks, and
// under them one bar per compressed key spanning exactly the tokens its strided convolution
// summarises, shaded by the chosen query's attention to it (memory-compressed layer, head chosen
// in the selects). Keys that still contain tokens after the query are hatched: the causal mask
// hides them. Click a token to make it the query.
import { isTdmcaData, type TdmcaData } from '../../../common/archViews/tdmca';
import { clear, displayToken, el } from '../../shared/dom';
import { luminance, makeRamp, rgbCss } from '../../shared/theme';
import { AppDataError, type AppContext, type AppRenderer, type ArchView } from './types';

export const tdmcaRenderer: AppRenderer = {
  render(container, data, ctx) {
    if (!isTdmcaData(data)) throw new AppDataError('the T-DMCA data has no consistent key spans and compressed-attention rows.');
    const d: TdmcaData = data;
    if (d.compressed.length === 0) throw new AppDataError('this model has no memory-compressed layer to show.');
    const n = d.spans[d.spans.length - 1][1];
    const m = d.spans.length;
    const tokens = Array.from({ length: n }, (_, i) => displayToken(ctx.tokens.source[i] ?? `#${i}`));
    const state = { query: n - 1, layer: 0, head: 0 };
    let theme = ctx.theme;

    const layerSelect = el('select', { className: 'tdmca-layer', attrs: { 'aria-label': 'memory-compressed layer' } });
    d.compressed.forEach((c, k) =>
      layerSelect.append(el('option', { text: `Layer ${c.layer} (memory-compressed)`, attrs: { value: String(k) } })),
    );
    const headSelect = el('select', { className: 'tdmca-head', attrs: { 'aria-label': 'head' } });
    const fillHeads = () => {
      clear(headSelect);
      for (let h = 0; h < d.compressed[state.layer].heads; h++)
        headSelect.append(el('option', { text: `Head ${h}`, attrs: { value: String(h) } }));
      headSelect.value = String(state.head);
    };
    const queryLabel = el('span', { className: 'tdmca-query-label' });

    const strip = el('div', {
      className: 'tdmca-strip',
      attrs: { role: 'group', 'aria-label': 'tokens, local blocks and compressed keys' },
    });
    strip.style.gridTemplateColumns = `repeat(${n}, minmax(2.6em, max-content))`;
    const place = (e: HTMLElement, row: number, start: number, end: number) => {
      e.style.gridRow = String(row);
      e.style.gridColumn = `${start + 1} / ${end + 1}`;
    };
    const blocks: HTMLElement[] = [];
    for (let b = 0; b * d.blockSize < n; b++) {
      const start = b * d.blockSize;
      const e = el('div', { className: 'tdmca-block', text: `block ${b}`, attrs: { 'data-block': String(b) } });
      place(e, 1, start, Math.min(n, start + d.blockSize));
      blocks.push(e);
    }
    const cells = tokens.map((t, i) => {
      const e = el('button', { className: 'tdmca-token', text: t, attrs: { type: 'button', 'data-position': String(i) } });
      if (i % d.blockSize === 0) e.classList.add('block-start');
      place(e, 2, i, i + 1);
      e.addEventListener('click', () => {
        state.query = i;
        paint(theme);
      });
      return e;
    });
    const keys = d.spans.map(([s, e], j) => {
      const k = el('div', {
        className: 'tdmca-key',
        attrs: { tabindex: '0', 'data-key': String(j), 'data-start': String(s), 'data-end': String(e) },
      });
      place(k, 3, s, e);
      const show = (x: number, y: number) => {
        const p = prob(j);
        ctx.tooltip.show(
          `compressed key ${j}`,
          [
            { label: 'summarises', value: `tokens ${s}–${e - 1}: ${tokens.slice(s, e).join(' ')}`, kind: 'token' },
            { label: 'query', value: `${state.query}: ${tokens[state.query]}`, kind: 'token' },
            hidden(j)
              ? { label: 'attention', value: 'masked (contains tokens after the query)', kind: 'masked' }
              : { label: 'attention', value: p.toFixed(4), kind: 'prob' },
          ],
          x,
          y,
        );
      };
      k.addEventListener('mousemove', (ev) => show(ev.clientX, ev.clientY));
      k.addEventListener('mouseleave', () => ctx.tooltip.hide());
      k.addEventListener('focus', () => {
        const r = k.getBoundingClientRect();
        show(r.right, r.top);
      });
      k.addEventListener('blur', () => ctx.tooltip.hide());
      return k;
    });
    strip.append(...blocks, ...cells, ...keys);

    const prob = (j: number): number => {
      const c = d.compressed[state.layer];
      return c.probs[(state.head * n + state.query) * m + j];
    };
    /** The causal rule of the engine: key j is visible once its last real token is ≤ the query. */
    const hidden = (j: number): boolean => j * d.compression + d.compression - 1 > state.query;

    const paint = (c: AppContext['theme']): void => {
      theme = c;
      const ramp = makeRamp(c);
      const qBlock = Math.floor(state.query / d.blockSize);
      cells.forEach((e, i) => {
        e.classList.toggle('query', i === state.query);
        e.setAttribute('aria-pressed', String(i === state.query));
      });
      blocks.forEach((e, b) => e.classList.toggle('query-block', b === qBlock));
      keys.forEach((k, j) => {
        const masked = hidden(j);
        k.classList.toggle('masked', masked);
        k.textContent = masked ? '—' : prob(j).toFixed(2);
        k.dataset.probability = masked ? '' : String(prob(j));
        if (masked) {
          k.style.background = '';
          k.style.color = '';
          return;
        }
        const rgb = ramp(prob(j));
        k.style.background = rgbCss(rgb);
        k.style.color = luminance(rgb) > 0.5 ? '#000' : '#fff';
      });
      const visible = keys.filter((_, j) => !hidden(j)).length;
      queryLabel.textContent = `Query: ${tokens[state.query]} (position ${state.query}) · sees ${visible} of ${m} compressed keys · its local block: ${qBlock}`;
    };

    layerSelect.addEventListener('change', () => {
      state.layer = Number(layerSelect.value);
      state.head = Math.min(state.head, d.compressed[state.layer].heads - 1);
      fillHeads();
      paint(theme);
    });
    headSelect.addEventListener('change', () => {
      state.head = Number(headSelect.value);
      paint(theme);
    });
    fillHeads();
    paint(theme);
    container.append(
      el('div', { className: 'tdmca-controls' }, [layerSelect, headSelect, queryLabel]),
      el('p', {
        className: 'tdmca-legend',
        text: `Each bar under the tokens is one compressed key (kernel = stride = ${d.compression}); its shade is the query's attention to it. Hatched: hidden from this query. Brackets above: local blocks of ${d.blockSize}. Click a token to query from it.`,
      }),
      el('div', { className: 'tdmca-scroll' }, [strip]),
    );
    return { redraw: (c: AppContext) => paint(c.theme) };
  },
};

/** Found by the build (esbuild.js archViewsPlugin): RunResult.app.kind 'tdmca' is drawn here. */
export const view: ArchView = { kind: 'tdmca', renderer: tdmcaRenderer };
