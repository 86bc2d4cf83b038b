// The ViT/DeiT view on the real page, fed by the real engine on the hf-vision DeiT fixture and its
// PNG: every patch must be dimmed by transformers' attention of [CLS] / [DIST]
// (test/fixtures/gen_hf_vision.py), the grid drawn, and the hover give the value.
import * as fs from 'fs';
import * as path from 'path';
import type { Page } from 'playwright-core';
import { loadModel, runModel } from '../../src/engine/run';
import { ROOT } from './harness';
import { assertClean, check, colourDistance, equal, screenshot, tooltip, waitForHead, withInspector, type Case } from './helpers';

type RGB = [number, number, number];
const FIX = path.join(ROOT, 'test', 'fixtures', 'hf-vision');

async function canvasPixel(page: Page, x: number, y: number): Promise<RGB> {
  return page.$eval(
    '.vit-image',
    (c, [x, y]) => {
      const canvas = c as HTMLCanvasElement;
      const dpr = canvas.width / canvas.clientWidth;
      const d = canvas.getContext('2d')?.getImageData(Math.floor(x * dpr), Math.floor(y * dpr), 1, 1).data ?? [0, 0, 0];
      return [d[0], d[1], d[2]] as RGB;
    },
    [x, y],
  );
}

async function background(page: Page): Promise<RGB> {
  return page.evaluate(() => {
    const c = document.createElement('canvas').getContext('2d')!;
    c.fillStyle = getComputedStyle(document.documentElement).getPropertyValue('--vscode-editor-background').trim() || '#000';
    c.fillRect(0, 0, 1, 1);
    const d = c.getImageData(0, 0, 1, 1).data;
    return [d[0], d[1], d[2]] as RGB;
  });
}

interface Reference {
  pixel_values: number[][][];
  attentions: number[][][][];
}

function reference(): { ref: Reference; prep: { image_mean: number[]; image_std: number[] } } {
  const exp = JSON.parse(fs.readFileSync(path.join(FIX, 'deit', 'expected.json'), 'utf8')) as { images: Record<string, Reference> };
  const prep = JSON.parse(fs.readFileSync(path.join(FIX, 'deit', 'preprocessor_config.json'), 'utf8')) as {
    image_mean: number[];
    image_std: number[];
  };
  return { ref: exp.images['image.png'], prep };
}

/** Every patch of the canvas dimmed by 0.8 · (1 − w / max w), w = transformers' row of `query` for (layer, head). */
async function checkDrawn(page: Page, query: number, layer: number, head: number, what: string): Promise<number[]> {
  const { ref, prep } = reference();
  const data = await page.$eval('.vit-image', (c) => ({ ...(c as HTMLElement).dataset }));
  const scale = Number(data.scale);
  const grid = Number(data.grid);
  const patch = Number(data.patch);
  equal(grid * patch, 24, 'grid covers the 24-pixel input');
  const bg = await background(page);
  // The image pixel the processor made, back to bytes.
  const imagePixel = (x: number, y: number): RGB =>
    [0, 1, 2].map((c) => Math.round((ref.pixel_values[c][y][x] * prep.image_std[c] + prep.image_mean[c]) * 255)) as RGB;
  const w = ref.attentions[layer][head][query].slice(2); // the row without [CLS], [DIST]
  const max = Math.max(...w);
  equal(await page.getAttribute('.vit-image', 'data-top'), String(w.indexOf(max)), `${what}: ringed patch`);
  for (let i = 0; i < w.length; i++) {
    // A pixel inside patch i, off its centre (the ring and the grid lines stay clear of it).
    const px = (i % grid) * patch + 1;
    const py = Math.floor(i / grid) * patch + 2;
    const k = 0.8 * (1 - w[i] / max);
    const want = imagePixel(px, py).map((v, ch) => v * (1 - k) + bg[ch] * k) as RGB;
    const got = await canvasPixel(page, (px + 0.5) * scale, (py + 0.5) * scale);
    check(colourDistance(got, want) <= 4, `${what}, patch ${i}: ${got} vs ${want.map(Math.round)} (w ${w[i].toFixed(3)})`);
  }
  return w;
}

const deitCase: Case = {
  name: 'real engine: DeiT on a PNG dims each patch by transformers’ [CLS] and [DIST] attention',
  run: async (ctx) => {
    const result = runModel(loadModel(path.join(FIX, 'deit')), { image: path.join(FIX, 'image.png') });
    await withInspector(
      ctx,
      result,
      async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        await page.waitForSelector('.app-pane .vit-image', { timeout: 5000 });
        equal(await page.locator('.app-pane h2').textContent(), 'Attention of [CLS] over the image', 'view title');
        for (const [query, layer, head] of [
          [0, 1, 3],
          [1, 0, 2],
        ]) {
          if (query === 1) await page.selectOption('.vit-query', '1');
          await page.selectOption('.vit-layer', String(layer));
          await page.selectOption('.vit-head', String(head));
          const w = await checkDrawn(page, query, layer, head, `query ${query}`);
          const data = await page.$eval('.vit-image', (c) => ({ ...(c as HTMLElement).dataset }));
          const grid = Number(data.grid);
          const cell = Number(data.patch) * Number(data.scale);
          const low = w.indexOf(Math.min(...w));
          await page.locator('.vit-image').scrollIntoViewIfNeeded();
          const box = (await page.locator('.vit-image').boundingBox())!;
          await page.mouse.move(box.x + ((low % grid) + 0.5) * cell, box.y + (Math.floor(low / grid) + 0.5) * cell);
          const tip = await tooltip(page);
          equal(tip.title, `patch (${Math.floor(low / grid)},${low % grid})`, 'tooltip title');
          const name = query === 0 ? '[CLS]' : '[DIST]';
          const shown = Number(tip[`attention of ${name}`]);
          check(Math.abs(shown - w[low]) <= 0.5e-4 + 1e-5, `tooltip ${shown} vs ${w[low]}`);
        }
        await screenshot(page, ctx.artifacts, 'engine-deit-image');
        await assertClean(ins);
      },
      { title: 'deit (image.png)' },
    );
  },
};

const followCase: Case = {
  name: 'real engine: the DeiT image view follows the head opened in the grid, and still offers the mean',
  run: async (ctx) => {
    const result = runModel(loadModel(path.join(FIX, 'deit')), { image: path.join(FIX, 'image.png') });
    await withInspector(
      ctx,
      result,
      async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        await page.waitForSelector('.app-pane .vit-image', { timeout: 5000 });
        await checkDrawn(page, 0, 0, 0, 'opened with layer 0 head 0');
        for (const [layer, head] of [
          [1, 2],
          [0, 3],
        ]) {
          await page.click(`.grid-cell[data-layer="${layer}"][data-head="${head}"]`);
          await waitForHead(page, layer, head);
          equal(await page.inputValue('.vit-layer'), String(layer), 'layer chooser follows the grid');
          equal(await page.inputValue('.vit-head'), String(head), 'head chooser follows the grid');
          await checkDrawn(page, 0, layer, head, `grid head L${layer} H${head}`);
        }
        await page.selectOption('.vit-head', '-1');
        check((await page.textContent('.vit-caption'))?.includes('the mean of the heads'), 'the mean of the heads is still offered');
        // Q·K of the open head (layer 0 head 3) on the run's own image: [CLS] against patch 0 is the run's score.
        await page.click('.view-tab[data-view="qk"]');
        await page.click('.qk-key[data-index="2"]');
        await page.waitForFunction(() => document.querySelector('.qk-dot-title')?.textContent?.includes('(#2)'), null, { timeout: 10_000 });
        const score = (await page.textContent('.qk-dot-score .qk-text')) ?? '';
        const l0 = result.attentions.find((a) => a.part === 'encoder' && a.layer === 0)!;
        const want = l0.scores[(3 * l0.queries + 0) * l0.keys + 2];
        const m = /^s = (-?[\d.]+) × ([\d.]+) = (-?[\d.]+)/.exec(score.replace(/−/g, '-'));
        check(m && Math.abs(Number(m[3]) - want) <= 0.5e-3 + 1e-5, `Q·K score line "${score}" vs the run's ${want}`);
        await assertClean(ins);
      },
      { title: 'deit (image.png)' },
    );
  },
};

export const VIT_CASES: Case[] = [deitCase, followCase];
