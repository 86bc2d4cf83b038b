// Masked-LM view: one card per [MASK] position with the sentence (the mask filled by the best
// guess) and the top-5 guesses as bars with their probabilities.
import { isMlmData, MLM_KIND } from '../../../common/archViews/mlm';
import { displayToken, el } from '../../shared/dom';
import { AppDataError, type AppRenderer, type ArchView } from './types';

function percent(p: number): string {
  return `${(100 * p).toFixed(p >= 0.995 || p < 0.001 ? 2 : 1)}%`;
}

export const mlmRenderer: AppRenderer = {
  render(container, data, ctx) {
    if (!isMlmData(data)) throw new AppDataError('the masked-LM data is not a list of mask positions with their top guesses.');
    if (data.masks.length === 0) {
      container.append(
        el('p', { className: 'app-message', text: `The input has no ${data.maskToken}: put one where a word should be guessed.` }),
      );
      return;
    }
    const source = ctx.tokens.source;
    for (const m of data.masks) {
      const best = m.guesses[0];
      // The sentence with this mask replaced by the best guess, the guess highlighted.
      const sentence = el(
        'p',
        { className: 'mlm-sentence' },
        source.map((t, i) =>
          i === m.position
            ? el('mark', { className: 'mlm-fill', text: displayToken(best.token) })
            : el('span', { text: `${displayToken(t)}` }),
        ),
      );
      const rows = m.guesses.map((g, rank) => {
        const bar = el('span', { className: 'mlm-bar' });
        bar.style.width = `${Math.max(0.5, 100 * g.probability)}%`;
        return el('li', { className: 'mlm-guess', attrs: { 'data-rank': String(rank), 'data-id': String(g.id) } }, [
          el('span', { className: 'mlm-token', text: displayToken(g.token) }),
          el('span', { className: 'mlm-track' }, [bar]),
          el('span', { className: 'mlm-prob', text: percent(g.probability) }),
        ]);
      });
      container.append(
        el('div', { className: 'mlm-mask', attrs: { 'data-position': String(m.position) } }, [
          el('h3', { text: `${data.maskToken} at position ${m.position}` }),
          sentence,
          el(
            'ol',
            { className: 'mlm-guesses', attrs: { 'aria-label': `top ${m.guesses.length} guesses for position ${m.position}` } },
            rows,
          ),
        ]),
      );
    }
  },
};

/** Found by the build (esbuild.js archViewsPlugin): RunResult.app.kind 'mlm' is drawn here. */
export const view: ArchView = { kind: MLM_KIND, renderer: mlmRenderer };
