// The Q·K view's dot product per dimension (issue 19.8): the page asks the host for one head's q
// and k (the session computes them with the engine, as the extension's worker does), draws q, k
// and q×k per dimension and prints Σ, the scale, the score and p. The printed numbers must be
// the heatmap's (hovered in the Heads view first) and PyTorch's; products are re-added here.
import * as path from 'path';
import type { Page } from 'playwright-core';
import type { RunResult } from '../../src/engine/types';
import { loadModel, runModel } from '../../src/engine/run';
import { fixture, FIXTURES } from './casesEngine';
import { assertClean, check, equal, hoverCell, screenshot, texts, tooltip, waitForHead, withInspector, type Case } from './helpers';
import { ROOT } from './harness';

const num = (s: string | undefined) => Number((s ?? '').replace('−', '-'));

async function openQk(page: Page): Promise<void> {
  await page.click('.view-tab[data-view="qk"]');
  await page.waitForSelector('.qk-view:not([hidden])', { timeout: 3000 });
}

/** The printed lines of the dot-product pane, once it shows key `j`. */
async function dotLines(page: Page, j: number): Promise<{ title: string; sum: string; scale: string; score: string; prob: string }> {
  await page.waitForFunction(
    (j) => document.querySelector('.qk-dot-title')?.textContent?.includes(`(#${j})`) && !!document.querySelector('.qk-dot-sum'),
    j,
    { timeout: 10_000 },
  );
  const one = async (sel: string) => (await texts(page, sel))[0] ?? '';
  return {
    title: await one('.qk-dot-title'),
    sum: await one('.qk-dot-sum .qk-text'),
    scale: await one('.qk-dot-scale .qk-text'),
    score: await one('.qk-dot-score .qk-text'),
    prob: await one('.qk-dot-prob .qk-text'),
  };
}

/** Hovers dimension c of the strip and returns its tooltip. */
async function hoverDim(page: Page, c: number, dims: number): Promise<Record<string, string>> {
  const box = await page.locator('.qk-dot-strip').boundingBox();
  check(box, 'vector strip not visible');
  const label = 56; // the strip's row-label column (qkVectors.ts LABEL_W)
  const cell = (box.width - label) / dims;
  await page.mouse.move(box.x + label + (c + 0.5) * cell, box.y + box.height - 5);
  const tip = await tooltip(page);
  equal(tip.title, `dimension ${c}`, 'strip tooltip title');
  return tip;
}

export const QK_CASES: Case[] = [
  {
    name: 'Q·K view: q, k and q×k per dimension; Σ × 1/√d_k is the heatmap’s score; clicking a key selects it',
    run: async (ctx) => {
      const { entry, expected } = fixture('transformer-encdec');
      const result = runModel(loadModel(path.join(FIXTURES, entry.model)), { ids: entry.ids, targetIds: entry.target_ids! });
      const dHead = Number(result.model.details.d_model) / Number(result.model.details.heads);
      await withInspector(ctx, result, async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        await page.click('.grid-cell[data-layer="1"][data-head="1"]');
        await waitForHead(page, 1, 1);
        const i = 2,
          j = 4;
        const cellTip = await hoverCell(page, i, j);
        const heatScore = cellTip[Object.keys(cellTip).find((k) => k.startsWith('score'))!];
        const heatProb = cellTip.probability;
        await openQk(page);
        await page.focus('.qk-view');
        for (let n = 0; n < i; n++) await page.keyboard.press('ArrowRight');
        await page.click(`.qk-key[data-index="${j}"]`);
        const l = await dotLines(page, j);
        check(l.title.includes(`query “${result.tokens.source[i]}” (#${i})`) && l.title.includes(`(d = ${dHead})`), `title: ${l.title}`);
        const sum = num(/= (-?[\d.]+)$/.exec(l.sum)?.[1]);
        equal(l.scale, `÷ √d_k = ÷ √${dHead} = × ${(1 / Math.sqrt(dHead)).toFixed(4)}`, 'scale line');
        const m = /^s = -?[\d.]+ × [\d.]+ = (-?[\d.]+) {2}\(heatmap: (-?[\d.]+)\)$/.exec(l.score);
        check(m, `score line: ${l.score}`);
        equal(m[1], heatScore, 'score from q·k as printed vs the heatmap’s hover');
        equal(m[2], heatScore, 'heatmap score quoted');
        const s = expected.scores!.encoder![1][1][i][j];
        check(Math.abs(sum / Math.sqrt(dHead) - s) <= 0.00005 / Math.sqrt(dHead) + 1e-5, `Σ ${sum} / √${dHead} vs PyTorch ${s}`);
        const pm = /= (-?[\d.]+) {2}\(heatmap: (-?[\d.]+)\)$/.exec(l.prob);
        check(pm && pm[1] === heatProb && pm[2] === heatProb, `probability line ${l.prob} vs heatmap ${heatProb}`);
        // Each dimension's tooltip: q_c × k_c = the product shown, and the products add up to Σ.
        let added = 0;
        for (let c = 0; c < dHead; c++) {
          const tip = await hoverDim(page, c, dHead);
          const p = num(tip['q_c·k_c']);
          check(
            Math.abs(num(tip.q_c) * num(tip.k_c) - p) <= 1e-4 * (1 + Math.abs(num(tip.q_c)) + Math.abs(num(tip.k_c))),
            `dimension ${c}: ${JSON.stringify(tip)}`,
          );
          added += p;
        }
        check(Math.abs(added - sum) <= dHead * 0.00005 + 0.0001, `products add to ${added}, Σ printed ${sum}`);
        await screenshot(page, ctx.artifacts, 'view-qk-vectors');
        // Another key: same vectors (no new request), that key's score.
        await page.click('.qk-key[data-index="1"]');
        const l1 = await dotLines(page, 1);
        const s1 = expected.scores!.encoder![1][1][i][1];
        check(
          Math.abs(num(/ = (-?[\d.]+) {2}\(heatmap/.exec(l1.score)?.[1]) - s1) <= 0.0005 + 1e-5,
          `key 1 score ${l1.score} vs PyTorch ${s1}`,
        );
        equal(ins.received.filter((x) => (x as { type?: string }).type === 'requestQk').length, 1, 'q and k requests for one head');
        await assertClean(ins);
      });
    },
  },
  {
    name: 'Q·K view on RNNs: general shows q = sᵀW against h; additive says it is no dot product',
    run: async (ctx) => {
      const runExample = (name: string): RunResult => {
        const model = loadModel(path.join(ROOT, 'examples', `${name}.model.json`));
        return runModel(model, { text: model.examples[0].text });
      };
      const general = runExample('rnn-reverse-general');
      await withInspector(ctx, general, async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        const tip = await hoverCell(page, 1, 2);
        await openQk(page);
        await page.focus('.qk-view');
        await page.keyboard.press('ArrowRight');
        await page.click('.qk-key[data-index="2"]');
        const l = await dotLines(page, 2);
        check(l.title.startsWith('q = sᵀW of query') && l.title.includes('k = h of key'), `title: ${l.title}`);
        equal(l.scale, '× 1 (the general score is not scaled)', 'general: no scale');
        equal(
          / = (-?[\d.]+) {2}\(heatmap/.exec(l.score)?.[1],
          tip[Object.keys(tip).find((k) => k.startsWith('score'))!],
          'general score vs heatmap',
        );
        await screenshot(page, ctx.artifacts, 'view-qk-rnn-general');
        await assertClean(ins);
      });
      await withInspector(ctx, runExample('rnn-reverse-additive'), async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        await openQk(page);
        await page.waitForFunction(() => document.querySelector('.qk-dot-message')?.textContent?.includes('not a dot product'), undefined, {
          timeout: 10_000,
        });
        check(await page.$eval('.qk-dot-strip', (c) => (c as HTMLElement).hidden), 'no strip for the additive score');
        await assertClean(ins);
      });
    },
  },
];
