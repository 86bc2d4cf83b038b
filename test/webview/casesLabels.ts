// What a person reads around a heatmap: single-character column labels stand upright (a sideways
// "a" reads as a squiggle) while longer ones stay sideways to fit; the attention-sink toggle is
// offered only on the views it changes.
import type { Page } from 'playwright-core';
import { assertClean, check, equal, waitForHead, withInspector, type Case } from './helpers';
import { syntheticResult } from './synthetic';

const writingMode = (page: Page, sel: string) => page.$eval(sel, (e) => getComputedStyle(e).writingMode);
const sinkShown = (page: Page) => page.$eval('.sink-toggle', (e) => !(e as HTMLElement).hidden && (e as HTMLElement).offsetParent !== null);

export const LABEL_CASES: Case[] = [
  {
    name: 'key labels: one character upright, longer tokens sideways; the sink toggle only where it applies',
    run: async (ctx) => {
      const result = syntheticResult();
      result.tokens.source[1] = 'a'; // [CLS] a cat …
      await withInspector(ctx, result, async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        equal(await writingMode(page, '.heatmap .key-label[data-index="1"]'), 'horizontal-tb', '"a" reads upright');
        equal(await writingMode(page, '.heatmap .key-label[data-index="2"]'), 'sideways-lr', '"cat" stays sideways');
        check(await sinkShown(page), 'the sink toggle is offered on the heads view');
        for (const [view, offered] of [
          ['qk', false],
          ['positional', false],
          ['stepper', true],
          ['aggregates', true],
        ] as const) {
          await page.click(`.view-tab[data-view="${view}"]`);
          await page.waitForSelector(`.${view}-view:not([hidden])`, { timeout: 3000 });
          equal(await sinkShown(page), offered, `sink toggle on the ${view} view`);
        }
        // Compare (two runs' heads and B − A): the sink transform changes it, so it is offered; its
        // matrices' one-character column label reads upright too.
        await ins.send(ins.session.setCompare({ result, label: 'A' }, { result, label: 'B' }, 'A vs B'));
        await page.waitForSelector('.compare-view:not([hidden]) .matrix-canvas', { timeout: 5000 });
        check(await sinkShown(page), 'the sink toggle is offered on the compare view');
        const modes = await page.$$eval('.compare-view .key-label', (ls) =>
          ls.filter((l) => l.textContent === 'a').map((l) => getComputedStyle(l).writingMode),
        );
        check(modes.length > 0 && modes.every((m) => m === 'horizontal-tb'), `compare: "a" reads upright (${modes.join(', ')})`);
        await assertClean(ins);
      });
    },
  },
  {
    name: 'token strip: the unknown-word token is marked and says why',
    run: async (ctx) => {
      const result = syntheticResult();
      result.tokens.source[2] = '[UNK]'; // "[CLS] the [UNK] …": a word the vocabulary lacks
      result.model.unkToken = '[UNK]';
      await withInspector(ctx, result, async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        const chips = await page.$$eval('.token-rows .chip', (cs) =>
          cs.map((c) => ({ text: c.textContent, unk: c.classList.contains('unk'), title: c.getAttribute('title') })),
        );
        const marked = chips.filter((c) => c.unk);
        equal(marked.map((c) => c.text).join(' '), '[UNK]', 'only the unknown-word token is marked');
        check(/not in the vocabulary/.test(marked[0].title ?? ''), `its title says why: ${marked[0].title}`);
        const style = await page.$eval('.chip.unk', (e) => getComputedStyle(e).borderTopStyle);
        equal(style, 'dashed', 'drawn with a dashed border');
        await assertClean(ins);
      });
    },
  },
];
