// Architecture views of the Universal Transformer and T-DMCA, fed by the real engine on the
// fixtures of test/fixtures/gen_universal.py / gen_tdmca.py; what the page shows is compared with
// the independent PyTorch reference (expected/*.json), not with the engine's own numbers.
import * as fs from 'fs';
import * as path from 'path';
import type { Page } from 'playwright-core';
import { loadModel, runModel } from '../../src/engine/run';
import { ROOT } from './harness';
import { assertClean, check, equal, screenshot, texts, tooltip, waitForHead, withInspector, type Case } from './helpers';

const FIXTURES = path.join(ROOT, 'test', 'fixtures');
const readExpected = <T>(name: string): T => JSON.parse(fs.readFileSync(path.join(FIXTURES, 'expected', `${name}.json`), 'utf8')) as T;

async function box(page: Page, selector: string): Promise<{ x: number; y: number; width: number; height: number }> {
  const b = await page.locator(selector).boundingBox();
  check(b, `${selector} not visible`);
  return b;
}

const universalCase: Case = {
  name: 'universal view: bars = ACT halting steps and ponder of the PyTorch reference; grid layers = recurrence steps',
  run: async (ctx) => {
    const exp = readExpected<{ fixture: string; ids: number[]; act: { steps: number; haltingStep: number[]; ponder: number[] } }>(
      'universal-post',
    );
    const result = runModel(loadModel(path.join(FIXTURES, exp.fixture)), { ids: exp.ids });
    await withInspector(
      ctx,
      result,
      async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        await page.waitForSelector('.ut-col', { timeout: 5000 });
        equal(await page.locator('.grid-cell').count(), exp.act.steps * 2, 'head grid: one row of 2 heads per recurrence step');
        check((await texts(page, '.ut-legend'))[0].includes('Layer n = recurrence step n + 1'), 'the legend labels grid layers as steps');
        equal((await texts(page, '.ut-token')).join(' '), result.tokens.source.join(' '), 'token labels');
        equal((await texts(page, '.ut-steps')).join(','), exp.act.haltingStep.join(','), 'halting step per token');
        equal((await texts(page, '.ut-ponder')).join(','), exp.act.ponder.map((p) => p.toFixed(2)).join(','), 'ponder per token');
        // Bar heights are proportional to the steps: the tallest and the shortest differ as N does.
        const heights = await page.$$eval('.ut-bar', (bars) => bars.map((b) => b.getBoundingClientRect().height));
        const unit = heights[0] / exp.act.haltingStep[0];
        heights.forEach((h, i) =>
          check(Math.abs(h - unit * exp.act.haltingStep[i]) < 1.5, `bar ${i}: ${h}px for ${exp.act.haltingStep[i]} steps`),
        );
        const most = exp.act.haltingStep.indexOf(Math.max(...exp.act.haltingStep));
        await page.locator(`.ut-col[data-token="${most}"]`).hover(); // scrolls the view into the viewport first
        const tip = await tooltip(page);
        equal(tip.title, result.tokens.source[most], 'tooltip title is the token');
        equal(tip['ponder N + R'], exp.act.ponder[most].toFixed(4), 'tooltip ponder (PyTorch)');
        check(tip['steps N'].startsWith(`${exp.act.haltingStep[most]} of at most 6`), `tooltip steps: ${tip['steps N']}`);
        await screenshot(page, ctx.artifacts, 'app-universal');
        await assertClean(ins);
      },
      { title: 'universal-post (fixture)' },
    );
  },
};

const tdmcaCase: Case = {
  name: 'tdmca view: compressed keys drawn under the tokens they summarise, shaded by the PyTorch attention of the chosen query',
  run: async (ctx) => {
    const exp = readExpected<{ fixture: string; ids: number[]; attentions: { decoder: number[][][][] } }>('tdmca-lmlml');
    const result = runModel(loadModel(path.join(FIXTURES, exp.fixture)), { ids: exp.ids });
    const n = exp.ids.length; // 11 tokens → 4 compressed keys, the last one partial
    await withInspector(
      ctx,
      result,
      async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        await page.waitForSelector('.tdmca-key', { timeout: 5000 });
        equal(await page.locator('.tdmca-key').count(), Math.ceil(n / 3), 'one bar per compressed key');
        equal(await page.locator('.tdmca-block').count(), Math.ceil(n / 4), 'one bracket per local block of 4');
        equal((await texts(page, '.tdmca-token')).join(' '), result.tokens.source.join(' '), 'token strip');
        // Geometry: key j spans exactly tokens 3j … min(3j+3, n)−1.
        for (let j = 0; j < Math.ceil(n / 3); j++) {
          const k = await box(page, `.tdmca-key[data-key="${j}"]`);
          const first = await box(page, `.tdmca-token[data-position="${3 * j}"]`);
          const last = await box(page, `.tdmca-token[data-position="${Math.min(n, 3 * j + 3) - 1}"]`);
          check(
            Math.abs(k.x - first.x) <= 3 && Math.abs(k.x + k.width - (last.x + last.width)) <= 3,
            `key ${j} spans tokens ${3 * j}…: key [${k.x}, ${k.x + k.width}] tokens [${first.x}, ${last.x + last.width}]`,
          );
          check(k.y > first.y, `key ${j} is drawn under the tokens`);
        }
        // Default query = last token; layer 1 (first compressed), head 0.
        const row = (layer: number, head: number, q: number) => exp.attentions.decoder[layer][head][q];
        const shown = async () =>
          page.$$eval('.tdmca-key', (ks) => ks.map((k) => ({ text: k.textContent ?? '', masked: k.classList.contains('masked') })));
        let keys = await shown();
        equal(keys.map((k) => k.masked).join(','), 'false,false,false,true', 'query 10: the partial last block is hidden');
        keys.slice(0, 3).forEach((k, j) => equal(k.text, row(1, 0, n - 1)[j].toFixed(2), `query ${n - 1} key ${j}`));
        await page.locator('.tdmca-key[data-key="1"]').hover();
        const tip = await tooltip(page);
        equal(tip.attention, row(1, 0, n - 1)[1].toFixed(4), 'tooltip probability (PyTorch)');
        equal(tip.summarises, `tokens 3–5: ${result.tokens.source.slice(3, 6).join(' ')}`, 'tooltip span');
        // Query 4 sees only key 0 (tokens 0–2): its whole attention.
        await page.click('.tdmca-token[data-position="4"]');
        keys = await shown();
        equal(keys.map((k) => k.masked).join(','), 'false,true,true,true', 'query 4: only the first complete block');
        equal(keys[0].text, row(1, 0, 4)[0].toFixed(2), 'query 4 key 0');
        check((await page.locator('.tdmca-block.query-block').getAttribute('data-block')) === '1', 'query 4 lies in local block 1');
        // Second compressed layer (3), head 1, query 8.
        await page.selectOption('.tdmca-layer', '1');
        await page.selectOption('.tdmca-head', '1');
        await page.click('.tdmca-token[data-position="8"]');
        keys = await shown();
        equal(keys.map((k) => k.masked).join(','), 'false,false,false,true', 'query 8 sees keys 0–2');
        keys.slice(0, 3).forEach((k, j) => equal(k.text, row(3, 1, 8)[j].toFixed(2), `layer 3 head 1 query 8 key ${j}`));
        await screenshot(page, ctx.artifacts, 'app-tdmca');
        await assertClean(ins);
      },
      { title: 'tdmca-lmlml (fixture)' },
    );
  },
};

const trainedCase: Case = {
  name: 'trained examples: ut-fill-blanks bars are taller for blanks; tdmca-repeat layer 1 head 1 lights up the first-occurrence key',
  run: async (ctx) => {
    const ut = loadModel(path.join(ROOT, 'examples', 'ut-fill-blanks.model.json'));
    await withInspector(
      ctx,
      runModel(ut, ut.examples[0]),
      async (ins) => {
        const { page } = ins;
        await page.waitForSelector('.ut-col', { timeout: 5000 });
        const toks = await texts(page, '.ut-token');
        const heights = await page.$$eval('.ut-bar', (bars) => bars.map((b) => b.getBoundingClientRect().height));
        const mean = (blank: boolean) => {
          const h = heights.filter((_, i) => (toks[i] === '?') === blank);
          return h.reduce((a, b) => a + b, 0) / h.length;
        };
        check(mean(true) > mean(false), `blank bars ${mean(true)}px vs letter bars ${mean(false)}px`);
        await screenshot(page, ctx.artifacts, 'app-ut-fill-blanks');
        await assertClean(ins);
      },
      { title: 'ut-fill-blanks' },
    );
    const td = loadModel(path.join(ROOT, 'examples', 'tdmca-repeat.model.json'));
    await withInspector(
      ctx,
      runModel(td, td.examples[0]),
      async (ins) => {
        const { page } = ins;
        await page.waitForSelector('.tdmca-key', { timeout: 5000 });
        await page.selectOption('.tdmca-layer', '0'); // layer 1, the first memory-compressed layer
        await page.selectOption('.tdmca-head', '1');
        await page.click('.tdmca-token[data-position="11"]'); // "over": the next word "the" is in key 0
        const shown = await page.$$eval('.tdmca-key', (ks) =>
          ks.map((k) => ({ p: Number((k as HTMLElement).dataset.probability || 0), bg: getComputedStyle(k).backgroundColor })),
        );
        const best = shown.reduce((b, k, j) => (k.p > shown[b].p ? j : b), 0);
        equal(best, 0, 'strongest compressed key for "over"');
        check(shown[0].p > 0.9 && shown[0].bg !== shown[1].bg, `key 0 stands out: ${JSON.stringify(shown.slice(0, 2))}`);
        await screenshot(page, ctx.artifacts, 'app-tdmca-repeat');
        await assertClean(ins);
      },
      { title: 'tdmca-repeat' },
    );
  },
};

export const UT_TDMCA_CASES: Case[] = [universalCase, tdmcaCase, trainedCase];
