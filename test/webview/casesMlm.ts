// The masked-LM view on the real page: the bundled bert-tiny-mlm example is run by the engine and
// the page must list, under the heads, PyTorch's top-5 guesses at the [MASK] with their
// probabilities (examples/bert-tiny-mlm.expected.json, written by scripts/train_examples.py).
import * as fs from 'fs';
import * as path from 'path';
import { loadModel, runModel } from '../../src/engine/run';
import { ROOT } from './harness';
import { assertClean, check, equal, screenshot, texts, waitForHead, withInspector, type Case } from './helpers';

const EXAMPLES = path.join(ROOT, 'examples');

interface Expected {
  mlm: { position: number; ids: number[]; probabilities: number[] }[];
}

const mlmCase: Case = {
  name: 'real engine: bert-tiny-mlm shows PyTorch’s top-5 [MASK] guesses next to the heads',
  run: async (ctx) => {
    const model = loadModel(path.join(EXAMPLES, 'bert-tiny-mlm.model.json'));
    const vocab = (JSON.parse(fs.readFileSync(path.join(EXAMPLES, 'bert-tiny-mlm.model.json'), 'utf8')) as { vocab: { tokens: string[] } })
      .vocab.tokens;
    const exp = JSON.parse(fs.readFileSync(path.join(EXAMPLES, 'bert-tiny-mlm.expected.json'), 'utf8')) as Expected;
    const result = runModel(model, model.examples[0]);
    await withInspector(
      ctx,
      result,
      async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        await page.waitForSelector('.app-pane .mlm-mask', { timeout: 5000 });
        equal(await page.locator('.app-pane h2').textContent(), 'Masked-LM guesses for [MASK]', 'view title');
        equal(await page.locator('.mlm-mask').count(), exp.mlm.length, 'one card per [MASK]');
        const ref = exp.mlm[0];
        equal(await page.locator('.mlm-mask h3').first().textContent(), `[MASK] at position ${ref.position}`, 'card heading');
        const shownTokens = await texts(page, '.mlm-mask >> nth=0 >> .mlm-token');
        equal(shownTokens.join(' '), ref.ids.map((i) => vocab[i]).join(' '), 'top-5 tokens in PyTorch order');
        const shownProbs = await texts(page, '.mlm-mask >> nth=0 >> .mlm-prob');
        shownProbs.forEach((s, k) => {
          const v = Number(s.replace('%', '')) / 100;
          check(
            Math.abs(v - ref.probabilities[k]) <= 0.0005 + 1e-5,
            `guess ${k}: shown ${s}, PyTorch ${(100 * ref.probabilities[k]).toFixed(3)}%`,
          );
        });
        // The sentence is shown with the mask filled in by the best guess.
        equal(await page.locator('.mlm-mask >> nth=0 >> .mlm-fill').textContent(), vocab[ref.ids[0]], 'filled-in word');
        // Bars: what a person compares. The best guess's bar is the longest, and proportional.
        const widths = await page.$$eval('.mlm-mask:first-child .mlm-bar', (bars) => bars.map((b) => b.getBoundingClientRect().width));
        const track = await page.$eval('.mlm-mask:first-child .mlm-track', (t) => t.getBoundingClientRect().width);
        check(widths[0] > 0.5 * track * ref.probabilities[0] && widths[0] <= track + 0.5, `best bar ${widths[0]}px of ${track}px`);
        for (let k = 1; k < widths.length; k++) check(widths[k] <= widths[k - 1] + 0.5, `bar ${k} not longer than bar ${k - 1}`);
        // The [MASK] is a key of the heads above, so its row/column can be opened next to the guesses.
        check((await texts(page, '.key-label')).includes('[MASK]'), 'the heatmap labels the [MASK] token');
        await screenshot(page, ctx.artifacts, 'engine-bert-tiny-mlm');
        await assertClean(ins);
      },
      { title: 'bert-tiny-mlm (examples[0])' },
    );
  },
};

export const MLM_CASES: Case[] = [mlmCase];
