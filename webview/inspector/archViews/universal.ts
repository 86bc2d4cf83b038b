// Universal Transformer view: one column per token, its bar as tall as the number of recurrence
// steps ACT let it take, split into one segment per step shaded by that step's weight in the
// token's output (the last segment is the remainder R). Ponder ρ = N + R printed under each token.
// The head grid above already shows the attention of every step: "Layer n" there is step n + 1 (steps count from 1 here).
import { isUniversalData, type UniversalData } from '../../../common/archViews/universal';
import { displayToken, el } from '../../shared/dom';
import { luminance, makeRamp, rgbCss } from '../../shared/theme';
import { AppDataError, type AppContext, type AppRenderer, type ArchView } from './types';

const STEP_PX = 18;

export const universalRenderer: AppRenderer = {
  render(container, data, ctx) {
    if (!isUniversalData(data))
      throw new AppDataError('the Universal Transformer data has no consistent halting steps, remainders and per-step weights.');
    const d: UniversalData = data;
    const n = d.haltingStep.length;
    const segments: { el: HTMLElement; w: number }[] = [];
    const columns = d.haltingStep.map((N, i) => {
      const token = displayToken(ctx.tokens.source[i] ?? `#${i}`);
      const bar = el('div', { className: 'ut-bar', attrs: { 'data-steps': String(N) } });
      bar.style.height = `${N * STEP_PX}px`;
      for (let t = N - 1; t >= 0; t--) {
        const seg = el('div', { className: 'ut-seg', attrs: { 'data-step': String(t + 1) } });
        seg.style.height = `${STEP_PX}px`;
        segments.push({ el: seg, w: d.weights[t][i] });
        bar.append(seg);
      }
      const track = el('div', { className: 'ut-track' }, [bar]);
      track.style.height = `${d.steps * STEP_PX}px`; // as tall as the longest-running token
      const col = el(
        'div',
        {
          className: 'ut-col',
          attrs: { tabindex: '0', 'data-token': String(i), 'aria-label': `${token}: ${N} steps, ponder ${d.ponder[i].toFixed(2)}` },
        },
        [
          el('span', { className: 'ut-steps', text: String(N) }),
          track,
          el('span', { className: 'ut-token', text: token }),
          el('span', { className: 'ut-ponder', text: d.ponder[i].toFixed(2) }),
        ],
      );
      const rows = [
        { label: 'steps N', value: `${N} of at most ${d.maxSteps}` },
        { label: 'remainder R', value: d.remainder[i].toFixed(4) },
        { label: 'ponder N + R', value: d.ponder[i].toFixed(4) },
        ...Array.from({ length: N }, (_, t) => ({
          label: `step ${t + 1}`,
          value: `p ${d.halting[t][i].toFixed(3)} · weight ${d.weights[t][i].toFixed(3)}`,
          kind: 'prob',
        })),
      ];
      const show = (x: number, y: number) => ctx.tooltip.show(token, rows, x, y);
      col.addEventListener('mousemove', (ev) => show(ev.clientX, ev.clientY));
      col.addEventListener('mouseleave', () => ctx.tooltip.hide());
      col.addEventListener('focus', () => {
        const r = col.getBoundingClientRect();
        show(r.right, r.top);
      });
      col.addEventListener('blur', () => ctx.tooltip.hide());
      return col;
    });
    const paint = (c: AppContext): void => {
      const ramp = makeRamp(c.theme);
      for (const s of segments) {
        const rgb = ramp(0.15 + 0.85 * s.w);
        s.el.style.background = rgbCss(rgb);
        s.el.style.borderTopColor = c.theme.css.background;
        s.el.style.color = luminance(rgb) > 0.5 ? rgbCss([0, 0, 0]) : rgbCss([255, 255, 255]);
      }
    };
    paint(ctx);
    const mean = d.ponder.reduce((s, v) => s + v, 0) / n;
    container.append(
      el('p', {
        className: 'ut-legend',
        text: `Head grid: Layer n = recurrence step n + 1 of the one shared layer (${d.steps} step${d.steps === 1 ? '' : 's'} run, at most ${d.maxSteps}). Bars: steps per token; segment shade = that step's weight in the token's output. Numbers under the tokens: ponder N + R (mean ${mean.toFixed(2)}).`,
      }),
      el('div', { className: 'ut-chart', attrs: { role: 'group', 'aria-label': 'recurrence steps per token' } }, columns),
    );
    return { redraw: paint };
  },
};

/** Found by the build (esbuild.js archViewsPlugin): RunResult.app.kind 'universal' is drawn here. */
export const view: ArchView = { kind: 'universal', renderer: universalRenderer };
