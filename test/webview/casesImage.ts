// The Show, Attend and Tell and Image Transformer views on the real page, fed by the real engine on
// the show-attend-tell-small and image-transformer-2d fixtures: the pixels must show PyTorch's
// attention (test/fixtures/gen_show_attend_tell.py, gen_image_transformer.py) and the text its values.
import * as fs from 'fs';
import * as path from 'path';
import type { Page } from 'playwright-core';
import { loadModel, runModel } from '../../src/engine/run';
import { ROOT } from './harness';
import { assertClean, check, colourDistance, equal, screenshot, texts, tooltip, waitForHead, withInspector, type Case } from './helpers';

type RGB = [number, number, number];
const FIXTURES = path.join(ROOT, 'test', 'fixtures');
const reference = <T>(name: string): T[] =>
  (JSON.parse(fs.readFileSync(path.join(FIXTURES, 'expected', 'models', `${name}.json`), 'utf8')) as { cases: T[] }).cases;
const close = (shown: string, ref: number, digits: number, what: string): void =>
  check(Math.abs(Number(shown) - ref) <= 0.5 * 10 ** -digits + 1e-5, `${what}: shown ${shown}, PyTorch ${ref.toFixed(6)}`);

/** RGB of a canvas at CSS-pixel (x, y). */
async function canvasPixel(page: Page, selector: string, x: number, y: number): Promise<RGB> {
  return page.$eval(
    selector,
    (c, [x, y]) => {
      const canvas = c as HTMLCanvasElement;
      const dpr = canvas.width / canvas.clientWidth;
      const d = canvas.getContext('2d')?.getImageData(Math.floor(x * dpr), Math.floor(y * dpr), 1, 1).data ?? [0, 0, 0];
      return [d[0], d[1], d[2]] as RGB;
    },
    [x, y],
  );
}

/** The editor background the page's theme sets, as RGB. */
async function background(page: Page): Promise<RGB> {
  return page.evaluate(() => {
    const c = document.createElement('canvas').getContext('2d')!;
    c.fillStyle = getComputedStyle(document.documentElement).getPropertyValue('--vscode-editor-background').trim() || '#000';
    c.fillRect(0, 0, 1, 1);
    const d = c.getImageData(0, 0, 1, 1).data;
    return [d[0], d[1], d[2]] as RGB;
  });
}

interface SatRef {
  text: string;
  probs: number[][];
  predicted: number[];
  beta: number[];
  image: number[];
}

const satCase: Case = {
  name: 'real engine: show-attend-tell-small dims the image by PyTorch’s α for the chosen caption word',
  run: async (ctx) => {
    const ref = reference<SatRef>('show-attend-tell-small')[0];
    const file = path.join(FIXTURES, 'project', 'show-attend-tell-small.model.json');
    const words = (JSON.parse(fs.readFileSync(file, 'utf8')) as { vocab: { target_tokens: string[] } }).vocab.target_tokens;
    const result = runModel(loadModel(file), { text: ref.text });
    await withInspector(
      ctx,
      result,
      async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        await page.waitForSelector('.app-pane .sat-image', { timeout: 5000 });
        equal(await page.locator('.app-pane h2').textContent(), 'Caption attention over the image', 'view title');
        equal((await texts(page, '.sat-word')).join(' '), ref.predicted.map((i) => words[i]).join(' '), 'one button per generated word');
        const data = await page.$eval('.sat-image', (c) => ({ ...(c as HTMLElement).dataset }));
        const scale = Number(data.scale);
        const grid = Number(data.cols);
        const cell = (12 * scale) / grid;
        const bg = await background(page);
        for (const t of [1, ref.predicted.length - 1]) {
          await page.click(`.sat-word[data-step="${t}"]`);
          equal(await page.getAttribute(`.sat-word[data-step="${t}"]`, 'aria-pressed'), 'true', `word ${t} pressed`);
          const alpha = ref.probs[t];
          const max = Math.max(...alpha);
          const top = alpha.indexOf(max);
          equal(await page.getAttribute('.sat-image', 'data-top'), String(top), `word ${t}: ringed location`);
          const caption = (await page.locator('.sat-caption').textContent()) ?? '';
          close(/α = (\d+\.\d+)/.exec(caption)?.[1] ?? 'NaN', max, 3, `word ${t}: caption α`);
          close(/β = (\d+\.\d+)/.exec(caption)?.[1] ?? 'NaN', ref.beta[t], 3, `word ${t}: caption β`);
          // Every location: the pixel at its centre is the image pixel dimmed by 0.8 · (1 − α/max α).
          for (let i = 0; i < alpha.length; i++) {
            const r = Math.floor(i / grid);
            const c = i % grid;
            const px = Math.floor(((c + 0.5) * cell) / scale);
            const py = Math.floor(((r + 0.5) * cell) / scale);
            const img = ref.image.slice((py * 12 + px) * 3, (py * 12 + px) * 3 + 3) as RGB;
            const k = 0.8 * (1 - alpha[i] / max);
            const want = img.map((v, ch) => v * (1 - k) + bg[ch] * k) as RGB;
            const got = await canvasPixel(page, '.sat-image', (px + 0.5) * scale, (py + 0.5) * scale);
            check(colourDistance(got, want) <= 4, `word ${t}, location ${i}: ${got} vs ${want.map(Math.round)} (α ${alpha[i].toFixed(3)})`);
          }
          // Hover the least attended location: the tooltip gives its α.
          const low = alpha.indexOf(Math.min(...alpha));
          await page.locator('.sat-image').scrollIntoViewIfNeeded();
          const box = (await page.locator('.sat-image').boundingBox())!;
          await page.mouse.move(box.x + ((low % grid) + 0.5) * cell, box.y + (Math.floor(low / grid) + 0.5) * cell);
          const tip = await tooltip(page);
          equal(tip.title, `location ${low}`, 'tooltip title');
          close(tip[`α for “${words[ref.predicted[t]]}”`], alpha[low], 4, `word ${t}: tooltip α`);
        }
        // Keyboard: Home, then → selects the second word.
        await page.focus('.sat-image');
        await page.keyboard.press('Home');
        await page.keyboard.press('ArrowRight');
        equal(await page.getAttribute('.sat-image', 'data-selected'), '1', 'Home then → selects word 1');
        await screenshot(page, ctx.artifacts, 'engine-show-attend-tell-small');
        await assertClean(ins);
      },
      { title: 'show-attend-tell-small (fixture case 0)' },
    );
  },
};

interface ItxRef {
  ids: number[];
  probs: number[][][][];
  order: number[];
  predicted: number[];
}

const itxCase: Case = {
  name: 'real engine: image-transformer-2d paints PyTorch’s local attention of the clicked pixel over the image',
  run: async (ctx) => {
    const ref = reference<ItxRef>('image-transformer-2d')[0];
    const file = path.join(FIXTURES, 'project', 'image-transformer-2d.model.json');
    const palette = (JSON.parse(fs.readFileSync(file, 'utf8')) as { config: { palette: RGB[] } }).config.palette;
    const result = runModel(loadModel(file), { ids: ref.ids });
    const W = 6;
    const seqOf = (y: number, x: number) => ref.order.indexOf(y * W + x);
    await withInspector(
      ctx,
      result,
      async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        await page.waitForSelector('.app-pane .itx-image', { timeout: 5000 }).catch(async (e) => {
          throw new Error(`${e}: pane says ${await page.locator('.app-pane').textContent()}`);
        });
        equal(await page.locator('.app-pane h2').textContent(), 'Local attention over the image', 'view title');
        const scale = Number(await page.getAttribute('.itx-image', 'data-scale'));
        await page.locator('.itx-image').scrollIntoViewIfNeeded();
        const box = (await page.locator('.itx-image').boundingBox())!;
        // Pixel (3, 4): query block rows 2–3 × cols 3–5; memory rows 0–3 × cols 2–5.
        await page.mouse.click(box.x + 4.5 * scale, box.y + 3.5 * scale);
        const s = seqOf(3, 4);
        equal(await page.getAttribute('.itx-image', 'data-selected'), String(s), 'clicked pixel selected');
        const L = ref.probs.length - 1;
        const heads = ref.probs[L].length;
        const mean = ref.probs[L][0][s].map((_, j) => ref.probs[L].reduce((a, h) => a + h[s][j], 0) / heads);
        const top = mean.indexOf(Math.max(...mean));
        const caption = (await page.locator('.itx-caption').textContent()) ?? '';
        check(
          caption.includes(`row ${Math.floor(ref.order[top] / W)}, column ${ref.order[top] % W}`),
          `caption names the top key: ${caption}`,
        );
        close(/\(([\d.]+)\)\./.exec(caption)?.[1] ?? 'NaN', mean[top], 3, 'caption weight (mean of heads)');
        const centre = (y: number, x: number) => canvasPixel(page, '.itx-image', (x + 0.5) * scale, (y + 0.5) * scale);
        const corner = (y: number, x: number) => canvasPixel(page, '.itx-image', (x + 0.2) * scale, (y + 0.2) * scale); // inside any outline
        const colourAt = (y: number, x: number) => palette[ref.ids[seqOf(y, x)]];
        // Outside the memory block (0, 0) and later in generation order (3, 5): the image, untouched.
        check(colourDistance(await centre(0, 0), colourAt(0, 0)) <= 2, 'pixel (0, 0) is outside the memory block: image colour');
        check(colourDistance(await centre(3, 5), colourAt(3, 5)) <= 2, 'pixel (3, 5) comes later: image colour');
        // The most attended key carries the brightest square; a weak key only a small one (its cell corner keeps the image colour).
        const ty = Math.floor(ref.order[top] / W);
        const tx = ref.order[top] % W;
        check(colourDistance(await centre(ty, tx), colourAt(ty, tx)) > 30, 'top key painted over');
        const painted = mean
          .map((w, j) => [w, j])
          .filter(([w]) => w > 0)
          .sort((a, b) => a[0] - b[0]);
        const [wLow, jLow] = painted[0];
        const ly = Math.floor(ref.order[jLow] / W);
        const lx = ref.order[jLow] % W;
        if (wLow / mean[top] < 0.3)
          check(colourDistance(await corner(ly, lx), colourAt(ly, lx)) <= 2, 'weak key: the cell corner shows the image');
        // Head 1 alone: the tooltip over a key in the memory block gives PyTorch's weight.
        await page.selectOption('.itx-head', '1');
        const key = seqOf(2, 2);
        await page.mouse.move(box.x + 2.5 * scale, box.y + 2.5 * scale);
        const tip = await tooltip(page);
        close(tip[`attention from position ${s}`], ref.probs[L][1][s][key], 4, 'tooltip weight, head 1');
        await page.mouse.move(box.x + 0.5 * scale, box.y + 0.5 * scale);
        equal((await tooltip(page))[`attention from position ${s}`], 'outside the memory block (masked)', 'tooltip outside the memory');
        // Keyboard: ↑ moves to the pixel above.
        await page.focus('.itx-image');
        await page.keyboard.press('ArrowUp');
        equal(await page.getAttribute('.itx-image', 'data-selected'), String(seqOf(2, 4)), '↑ selects the pixel above');
        equal((await texts(page, '.itx-legend-item')).length, 4, 'legend: ramp, query block, memory block, geometry');
        await screenshot(page, ctx.artifacts, 'engine-image-transformer-2d');
        await assertClean(ins);
      },
      { title: 'image-transformer-2d (fixture case 0)' },
    );
  },
};

const satTrainedCase: Case = {
  name: 'trained example: show-attend-tell-shapes lights up the red circle for “red” and the blue square for “square”',
  run: async (ctx) => {
    const model = loadModel(path.join(ROOT, 'examples', 'show-attend-tell-shapes.model.json'));
    const ex = model.examples[0];
    equal(ex.text, 'red circle top-left blue square bottom-right', 'the first one-click example');
    const result = runModel(model, ex);
    await withInspector(
      ctx,
      result,
      async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        await page.waitForSelector('.app-pane .sat-image', { timeout: 5000 });
        equal((await texts(page, '.sat-word')).join(' '), 'a red circle above a blue square </s>', 'the caption');
        const scale = Number(await page.getAttribute('.sat-image', 'data-scale'));
        const bg = await background(page);
        const image = (result.app!.data as { image: Uint8Array }).image; // [24, 24, 3], the drawn input
        /** How much of an object shows through at its clearest pixel: max of |shown − bg| / |image − bg|. */
        const visibility = async (qy: number, qx: number): Promise<number> => {
          const all = await page.$eval('.sat-image', (c) => {
            const canvas = c as HTMLCanvasElement;
            const g = canvas.getContext('2d')!;
            return Array.from(g.getImageData(0, 0, canvas.width, canvas.height).data);
          });
          const dpr = await page.$eval('.sat-image', (c) => (c as HTMLCanvasElement).width / (c as HTMLCanvasElement).clientWidth);
          const width = Math.round(24 * scale * dpr);
          let best = 0;
          for (let y = qy * 12; y < qy * 12 + 12; y++) {
            for (let x = qx * 12; x < qx * 12 + 12; x++) {
              const img = Array.from(image.subarray((y * 24 + x) * 3, (y * 24 + x) * 3 + 3)) as RGB;
              if (img[0] + img[1] + img[2] === 0) continue; // background pixel, not the object
              const o = (Math.floor((y + 0.5) * scale * dpr) * width + Math.floor((x + 0.5) * scale * dpr)) * 4;
              best = Math.max(best, colourDistance([all[o], all[o + 1], all[o + 2]], bg) / colourDistance(img, bg));
            }
          }
          return best;
        };
        // The red circle fills the top-left quadrant, the blue square the bottom-right one.
        for (const [word, lit, dark] of [
          ['red', [0, 0], [1, 1]],
          ['circle', [0, 0], [1, 1]],
          ['blue', [1, 1], [0, 0]],
          ['square', [1, 1], [0, 0]],
        ] as const) {
          const t = (await texts(page, '.sat-word')).indexOf(word);
          await page.click(`.sat-word[data-step="${t}"]`);
          const top = Number(await page.getAttribute('.sat-image', 'data-top'));
          const [r, c] = [Math.floor(top / 6), top % 6];
          check(
            Math.floor(r / 3) === lit[0] && Math.floor(c / 3) === lit[1],
            `“${word}”: most attended location (${r}, ${c}) is in its object's quadrant`,
          );
          const shown = await visibility(lit[0], lit[1]);
          const other = await visibility(dark[0], dark[1]);
          // The attention is peaked on part of the object (an edge or corner the CNN responds to): that part
          // shows at full colour while every pixel of the other object stays dimmed.
          check(
            shown > 0.9 && other < 0.6,
            `“${word}”: its object shows up to ${shown.toFixed(2)} of its colour, the other object ${other.toFixed(2)}`,
          );
        }
        await screenshot(page, ctx.artifacts, 'example-show-attend-tell-shapes');
        await assertClean(ins);
      },
      { title: 'show-attend-tell-shapes (example 1)' },
    );
  },
};

export const IMAGE_CASES: Case[] = [satCase, itxCase, satTrainedCase];
