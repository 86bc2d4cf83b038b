// Compare with different token counts: both runs are shown, each heatmap on its own tokens; the
// JSD ranking and B − A exist only for the parts whose shapes match, and the page says why.
import type { Page } from 'playwright-core';
import { hoverMatrix } from './casesMain2';
import { assertClean, check, equal, screenshot, texts, waitForHead, withInspector, type Case } from './helpers';
import { DIAGONAL_SCORE, SOURCE, syntheticResult } from './synthetic';

const LONGER = ['[CLS]', 'a', 'dog', 'ran', 'far', 'away', '[SEP]'];
const diagonal = (keys: number) => Math.exp(DIAGONAL_SCORE) / (Math.exp(DIAGONAL_SCORE) + keys - 1);

async function labels(page: Page, pane: string, axis: 'key' | 'query'): Promise<string[]> {
  return page.$$eval(`.compare-${pane} .${axis}-label`, (els) => els.map((e) => e.getAttribute('title') ?? ''));
}

export const COMPARE_CASES: Case[] = [
  {
    name: 'compare: different token counts show A and B side by side on their own tokens, ranked only where shapes match',
    run: async (ctx) => {
      const a = syntheticResult(); // 6 source tokens
      const b = syntheticResult(LONGER); // 7 source tokens, the same 5 target tokens
      await withInspector(ctx, a, async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        const [sideA, sideB] = [
          { result: a, label: 'six tokens' },
          { result: b, label: 'seven tokens' },
        ];
        await ins.send(ins.session.setCompare(sideA, sideB, 'six vs seven'));
        await page.waitForSelector('.compare-view:not([hidden]) .compare-diff .matrix-canvas', { timeout: 5000 });
        // Decoder self-attention is 5 × 5 in both runs: ranked, with its difference drawn.
        const ranked = await texts(page, '.jsd-ranking:not(.jsd-unranked) .jsd-head');
        check(ranked.length === 6 && ranked.every((t) => t.startsWith('decoder')), `ranked: ${ranked}`);
        const unranked = await texts(page, '.jsd-unranked .jsd-head');
        equal(unranked.length, 12, 'encoder and cross heads listed, unranked');
        check(await page.isVisible('.jsd-unranked-title'), 'the unranked list is titled');
        const message = (await texts(page, '.compare-view .view-message'))[0];
        const why = 'encoder attention is 6 × 6 tokens (queries × keys) in six tokens but 7 × 7 in seven tokens';
        check(message.includes(why), message);
        check(message.includes('no JSD ranking and no B − A difference'), message);

        // Encoder L1 H2 is a diagonal head: p(i,i) = e⁴/(e⁴ + keys − 1), a different number on each side.
        await page.click('.jsd-unranked .jsd-item:has-text("encoder L1 H2")');
        await page.waitForSelector('.compare-shape-note', { timeout: 5000 });
        check(await page.isVisible('.compare-a .matrix-canvas'), 'A heatmap');
        check(await page.isVisible('.compare-b .matrix-canvas'), 'B heatmap');
        equal(await page.$('.compare-diff'), null, 'no B − A pane');
        const note = (await texts(page, '.compare-shape-note'))[0];
        check(note.includes('A has 6 × 6 and B has 7 × 7 tokens'), note);
        check(note.includes('no JSD ranking and no B − A difference'), note);
        equal((await labels(page, 'a', 'key')).join(' '), SOURCE.map((t, i) => `${i}: ${t}`).join(' '), 'A key labels');
        equal((await labels(page, 'b', 'key')).join(' '), LONGER.map((t, i) => `${i}: ${t}`).join(' '), 'B key labels');
        equal((await labels(page, 'b', 'query')).length, 7, 'B query labels');
        const tipA = await hoverMatrix(page, '.compare-a', 3, 3);
        check(Math.abs(Number(tipA.A) - diagonal(6)) < 1e-3, `A diagonal ${tipA.A} vs ${diagonal(6)}`);
        const tipB = await hoverMatrix(page, '.compare-b', 6, 6);
        check(Math.abs(Number(tipB.B) - diagonal(7)) < 1e-3, `B diagonal ${tipB.B} vs ${diagonal(7)}`);
        check(tipB.key.includes('[SEP]') && tipB.key.includes('#6'), `B's own last key: ${tipB.key}`);
        await screenshot(page, ctx.artifacts, 'view-compare-unequal');
        await assertClean(ins);
      });
    },
  },
];
