// The pretrained Universal Sentence Encoder Lite (imported from its npm package, as
// `npm run import:pretrained` does) on the real page: under its heads, the sentence-embedding
// view draws one cell per dimension coloured by sign and size, prints the norms, and the tooltip
// gives each dimension's value.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Page } from 'playwright-core';
import { loadModel, runModel } from '../../src/engine/run';
import { DEFAULT_DIST, importEnergeticAi, writeImported } from '../../scripts/import/energeticAi';
import type { SentenceEmbeddingData } from '../../common/archViews/sentence-embedding';
import { ROOT } from './harness';
import { assertClean, check, colourDistance, equal, screenshot, tooltip, waitForHead, withInspector, type Case } from './helpers';

type RGB = [number, number, number];
const COLS = 64;
const CELL = 9;

async function pixel(page: Page, x: number, y: number): Promise<RGB> {
  return page.$eval(
    '.sentence-embedding-strip',
    (c, [x, y]) => {
      const canvas = c as HTMLCanvasElement;
      const dpr = canvas.width / canvas.clientWidth;
      const d = canvas.getContext('2d')?.getImageData(Math.floor(x * dpr), Math.floor(y * dpr), 1, 1).data ?? [0, 0, 0];
      return [d[0], d[1], d[2]] as RGB;
    },
    [x, y],
  );
}

const useLiteCase: Case = {
  name: 'real engine: pretrained USE-lite shows its 512-d sentence embedding under the heads (cells by sign and size, norms, tooltip values)',
  run: async (ctx) => {
    const dist = path.join(ROOT, DEFAULT_DIST);
    // A devDependency: missing means `npm install` was not run, a failure rather than a skip.
    check(fs.existsSync(path.join(dist, 'model.json')), `${dist} is missing (npm install: it is a devDependency)`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'use-lite-web-'));
    try {
      const model = loadModel(writeImported(importEnergeticAi(dist), dir)[0]);
      const result = runModel(model, model.examples[0]);
      const d = result.app!.data as SentenceEmbeddingData;
      const e = d.embedding;
      await withInspector(
        ctx,
        result,
        async (ins) => {
          const { page } = ins;
          await waitForHead(page, 0, 0);
          await page.waitForSelector('.app-pane .sentence-embedding-strip', { timeout: 5000 });
          equal(await page.locator('.app-pane h2').textContent(), 'Sentence embedding (512 dimensions)', 'view title');
          const norms = (await page.locator('.sentence-embedding-norms').textContent()) ?? '';
          check(
            norms.includes('‖embedding‖ = 1.0000') && norms.includes(`over ${result.tokens.source.length} tokens`),
            `norms line: ${norms}`,
          );
          check(norms.includes(`‖tanh layer‖ = ${d.tanhNorm.toFixed(4)}`), `tanh norm shown: ${norms}`);
          const box = (await page.locator('.sentence-embedding-strip').boundingBox())!;
          equal(
            `${Math.round(box.width)} × ${Math.round(box.height)}`,
            `${COLS * CELL} × ${(512 / COLS) * CELL}`,
            'strip size in CSS px: 64 × 8 cells',
          );
          const centre = (j: number): [number, number] => [((j % COLS) + 0.5) * CELL, (Math.floor(j / COLS) + 0.5) * CELL];
          const bg = await pixel(page, CELL - 0.5, 0.5); // the 1-px gap between cells
          const argBy = (f: (v: number) => number) => e.reduce((b, v, j) => (f(v) > f(e[b]) ? j : b), 0);
          const jPos = argBy((v) => v);
          const jNeg = argBy((v) => -v);
          const jZero = argBy((v) => -Math.abs(v));
          const pPos = await pixel(page, ...centre(jPos));
          const pNeg = await pixel(page, ...centre(jNeg));
          const pZero = await pixel(page, ...centre(jZero));
          check(
            colourDistance(pPos, bg) > 60,
            `largest value (dim ${jPos}, ${e[jPos].toFixed(4)}) stands out: ${pPos} vs background ${bg}`,
          );
          check(colourDistance(pNeg, bg) > 40, `most negative (dim ${jNeg}, ${e[jNeg].toFixed(4)}) stands out: ${pNeg} vs ${bg}`);
          check(colourDistance(pPos, pNeg) > 60, `positive and negative cells differ in colour: ${pPos} vs ${pNeg}`);
          check(
            colourDistance(pZero, bg) <= 10,
            `the value nearest zero (dim ${jZero}, ${e[jZero].toExponential(2)}) is near the background: ${pZero} vs ${bg}`,
          );
          const [x, y] = centre(jNeg);
          await page.locator('.sentence-embedding-strip').scrollIntoViewIfNeeded();
          const seen = (await page.locator('.sentence-embedding-strip').boundingBox())!;
          await page.mouse.move(seen.x + x, seen.y + y);
          const tip = await tooltip(page);
          equal(tip.title, `dimension ${jNeg}`, 'tooltip title');
          equal(tip.value, e[jNeg].toFixed(5), 'tooltip value');
          await screenshot(page, ctx.artifacts, 'engine-use-lite-embedding');
          await assertClean(ins);
        },
        { title: 'use-lite-en (examples[0])' },
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};

export const SENTENCE_EMBEDDING_CASES: Case[] = [useLiteCase];
