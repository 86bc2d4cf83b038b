// What a person reads around a heatmap: single-character column labels stand upright (a sideways
// "a" reads as a squiggle) while longer ones stay sideways to fit; the attention-sink toggle is
// offered only on the views it changes.
import * as fs from 'fs';
import * as path from 'path';
import type { Page } from 'playwright-core';
import { loadModel, runModel } from '../../src/engine/run';
import { ROOT } from './harness';
import { assertClean, check, equal, hoverCell, waitForHead, withInspector, type Case } from './helpers';
import { syntheticResult } from './synthetic';

const writingMode = (page: Page, sel: string) => page.$eval(sel, (e) => getComputedStyle(e).writingMode);
const sinkShown = (page: Page) => page.$eval('.sink-toggle', (e) => !(e as HTMLElement).hidden && (e as HTMLElement).offsetParent !== null);

/** The input of the show-attend-tell-small reference case (a scene description from its vocabulary). */
const satText = (fx: string): string =>
  (
    JSON.parse(fs.readFileSync(path.join(fx, 'expected', 'models', 'show-attend-tell-small.json'), 'utf8')) as {
      cases: { text: string }[];
    }
  ).cases[0].text;

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
    name: 'sink toggle: not offered where key 0 is an image location (show-attend-tell), offered for ViT’s [CLS]',
    run: async (ctx) => {
      const fx = path.join(ROOT, 'test', 'fixtures');
      const text = syntheticResult();
      const sat = runModel(loadModel(path.join(fx, 'project', 'show-attend-tell-small.model.json')), { text: satText(fx) });
      const vit = runModel(loadModel(path.join(fx, 'hf-vision', 'deit')), { image: path.join(fx, 'hf-vision', 'image.png') });
      const cross = sat.attentions.find((a) => a.part === 'cross')!;
      await withInspector(ctx, text, async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        await page.click('.sink-toggle');
        await page.waitForSelector('.detail-badge .transform-badge', { timeout: 3000 });
        await ins.send(ins.session.setResult(sat, 'show-attend-tell'));
        await page.waitForSelector('.app-pane .sat-image', { timeout: 5000 });
        await waitForHead(page, 0, 0);
        for (const view of ['heads', 'stepper', 'aggregates']) {
          await page.click(`.view-tab[data-view="${view}"]`);
          equal(await sinkShown(page), false, `image keys: sink toggle on the ${view} view`);
        }
        await page.click('.view-tab[data-view="heads"]');
        equal(await page.$$eval('.detail-badge .transform-badge', (b) => b.length), 0, 'no display-transform badge');
        const tip = await hoverCell(page, 0, 0);
        check(
          Object.values(tip).some((v) => v.includes('(0,0)')),
          `key 0 is the image cell (0,0): ${JSON.stringify(tip)}`,
        );
        check(
          Math.abs(Number(tip.probability) - cross.probs[0]) < 1e-3,
          `key (0,0) shows the model's α ${cross.probs[0]}: ${tip.probability}`,
        );
        await ins.send(ins.session.setResult(vit, 'deit'));
        await page.waitForSelector('.app-pane .vit-image', { timeout: 5000 });
        check(await sinkShown(page), 'ViT: key 0 is [CLS], a token, so the toggle is offered');
        await page.waitForSelector('.detail-badge .transform-badge', { timeout: 3000 }); // the saved choice applies again
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
