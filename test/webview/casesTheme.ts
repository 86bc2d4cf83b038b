// A live theme switch: every open view redraws in the new theme at once. The positional-encoding
// matrix used to keep drawing zero in the old background (black on a now white page) while its
// legend showed the new one, until the panel was reopened.
import * as path from 'path';
import type { Page } from 'playwright-core';
import { loadModel, runModel } from '../../src/engine/run';
import { fixture, FIXTURES } from './casesEngine';
import { assertClean, cellPixel, check, colourDistance, waitForHead, withInspector, type Case } from './helpers';
import { chroma, deltaE, rgbToOklab } from '../../webview/shared/oklab';
import type { RunResult } from '../../src/engine/types';

/** What VS Code does on a theme switch: new --vscode-* variables, then the body's theme class. */
async function switchTheme(page: Page, to: 'light' | 'dark'): Promise<void> {
  await page.evaluate(async (to) => {
    const old = document.querySelector<HTMLLinkElement>('link[href*="/themes/"]')!;
    const link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = old.href.replace(/themes\/[\w-]+\.css/, `themes/${to}.css`);
    await new Promise((resolve, reject) => {
      link.onload = resolve;
      link.onerror = reject;
      document.head.append(link);
    });
    old.remove();
    document.body.classList.remove('vscode-dark', 'vscode-light', 'vscode-high-contrast');
    document.body.classList.add(`vscode-${to}`);
  }, to);
  await page.waitForTimeout(200); // the views redraw on the class change (a MutationObserver)
}

async function matrixPixel(page: Page, scope: string, i: number, j: number): Promise<number[]> {
  return page.$eval(
    `${scope} .matrix-canvas`,
    (c, [i, j]) => {
      const canvas = c as HTMLCanvasElement;
      const cell = Number(canvas.dataset.cell);
      return Array.from(
        canvas
          .getContext('2d')!
          .getImageData(Math.floor((j + 0.5) * cell), Math.floor((i + 0.5) * cell), 1, 1)
          .data.slice(0, 3),
      );
    },
    [i, j] as [number, number],
  );
}

const white = (px: number[]) => px.every((c) => c > 245);
const dark = (px: number[]) => px.every((c) => c < 60);

type Rgb = [number, number, number];

/** Pixel x (a fraction of the width) of the visible legend bar under `scope`. */
async function legendPixel(page: Page, scope: string, f: number): Promise<Rgb> {
  return page.$eval(
    `${scope} .legend-bar`,
    (c, f) => {
      const canvas = c as HTMLCanvasElement;
      const d = canvas.getContext('2d')!.getImageData(Math.round(f * (canvas.width - 1)), Math.floor(canvas.height / 2), 1, 1).data;
      return [d[0], d[1], d[2]] as Rgb;
    },
    f,
  );
}

const editorBackground = (page: Page) =>
  page.evaluate(() => {
    const h = getComputedStyle(document.body).getPropertyValue('--vscode-editor-background').trim();
    return [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16)) as Rgb;
  });

/**
 * What a person sees of the ramp in the open theme: layer 0 head 0's most attended cell is painted in the
 * colour of the legend's top, that colour is the farthest of all cells from the background (OKLab ΔE) and
 * vivid, and the legend's bottom is the background.
 */
async function checkRamp(page: Page, result: RunResult, theme: string): Promise<void> {
  const att = result.attentions.find((a) => a.part === 'encoder' && a.layer === 0)!;
  const n = att.keys;
  let best = 0;
  for (let c = 1; c < att.queries * n; c++) if (att.probs[c] > att.probs[best]) best = c;
  const bg = rgbToOklab(await editorBackground(page));
  const top = await legendPixel(page, '.detail-pane', 1);
  check(
    colourDistance(await legendPixel(page, '.detail-pane', 0), await editorBackground(page)) < 12,
    `${theme}: legend 0 is the background`,
  );
  const topCell = await cellPixel(page, Math.floor(best / n), best % n);
  check(colourDistance(topCell, top) < 12, `${theme}: the most attended cell ${topCell} is the legend's top ${top}`);
  let far = 0;
  for (let i = 0; i < att.queries; i++)
    for (let j = 0; j < n; j++) far = Math.max(far, deltaE(rgbToOklab(await cellPixel(page, i, j)), bg));
  const topE = deltaE(rgbToOklab(topCell), bg);
  check(topE >= far - 1e-3, `${theme}: the top cell is the colour farthest from the background (ΔE ${topE} vs ${far})`);
  check(chroma(rgbToOklab(topCell)) > 0.1, `${theme}: the top is vivid (chroma ${chroma(rgbToOklab(topCell)).toFixed(3)})`);
}

/** The positional matrix's PE[0, 0] = 0 is drawn in the colour the legend gives 0 (the middle of the diverging bar). */
async function checkPositionalZero(page: Page, theme: string): Promise<void> {
  const zero = await matrixPixel(page, '.positional-view', 0, 0);
  const legendZero = await legendPixel(page, '.positional-view', 0.5);
  check(colourDistance(zero as Rgb, legendZero) < 16, `${theme}: PE = 0 drawn ${zero}, its legend says ${legendZero}`);
}

/** Pixels of the RoPE head chart painted in the legend's line colour, and that colour. */
async function ropeLine(page: Page): Promise<{ colour: Rgb; pixels: number; stale: number }> {
  return page.$eval('.rope-head-chart', (c) => {
    const canvas = c as HTMLCanvasElement;
    const swatch = getComputedStyle(document.querySelector('.rope-head-legend .rope-swatch.line')!).backgroundColor;
    const colour = (swatch.match(/\d+/g) ?? []).map(Number) as Rgb;
    const old = JSON.parse(canvas.dataset.testOld ?? '[-999,-999,-999]') as Rgb;
    const d = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let pixels = 0,
      stale = 0;
    const near = (i: number, [r, g, b]: Rgb) => Math.abs(d[i] - r) + Math.abs(d[i + 1] - g) + Math.abs(d[i + 2] - b) < 12;
    for (let i = 0; i < d.length; i += 4) {
      if (near(i, colour)) pixels++;
      else if (near(i, old)) stale++;
    }
    return { colour, pixels, stale };
  });
}

export const THEME_CASES: Case[] = [
  {
    name: 'live theme switch: the RoPE charts and the aggregates legend redraw in the new theme',
    run: async (ctx) => {
      const result = runModel(loadModel(path.join(FIXTURES, 'hf-families', 'llama')), {
        ids: [13, 59, 42, 17, 40, 16, 86, 68, 77, 90],
      });
      await withInspector(ctx, result, async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        await page.click('.view-tab[data-view="positional"]');
        await page.waitForSelector('.positional-view .rope-head-chart', { timeout: 10000 });
        const dark = await ropeLine(page);
        check(dark.pixels > 300, `dark: the head curve is painted in its legend colour (${dark.pixels} px)`);
        await page.$eval('.rope-head-chart', (c, old) => ((c as HTMLElement).dataset.testOld = JSON.stringify(old)), dark.colour);
        await switchTheme(page, 'light');
        await page.waitForSelector('.positional-view .rope-head-chart', { timeout: 10000 });
        await page.$eval('.rope-head-chart', (c, old) => ((c as HTMLElement).dataset.testOld = JSON.stringify(old)), dark.colour);
        const light = await ropeLine(page);
        check(light.colour.join() !== dark.colour.join(), `the legend's line colour follows the theme (${dark.colour} → ${light.colour})`);
        check(light.pixels > 300 && light.stale < 20, `light: curve in the new colour (${light.pixels} px), old colour ${light.stale} px`);
        await page.click('.view-tab[data-view="aggregates"]');
        await page.waitForSelector('.aggregates-view:not([hidden]) .legend-bar', { timeout: 10000 });
        for (const theme of ['dark', 'light'] as const) {
          await switchTheme(page, theme);
          const zero = await legendPixel(page, '.aggregates-view', 0);
          const bg = await editorBackground(page);
          check(colourDistance(zero, bg) < 12, `${theme}: the aggregates legend's 0 is the new background (${zero} vs ${bg})`);
        }
        await assertClean(ins);
      });
    },
  },
  {
    name: 'colour ramp in both themes, and a live switch: heatmap, legends and positional matrix all in the new theme',
    run: async (ctx) => {
      const { entry } = fixture('transformer-encdec');
      const result = runModel(loadModel(path.join(FIXTURES, entry.model)), {
        ids: entry.ids,
        ...(entry.target_ids ? { targetIds: entry.target_ids } : {}),
      });
      await withInspector(ctx, result, async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        await checkRamp(page, result, 'dark');
        await page.click('.view-tab[data-view="positional"]');
        await page.waitForSelector('.positional-view:not([hidden]) .matrix-canvas', { timeout: 5000 });
        await checkPositionalZero(page, 'dark');
        await switchTheme(page, 'light');
        await checkPositionalZero(page, 'light after the switch');
        await page.click('.view-tab[data-view="heads"]');
        await checkRamp(page, result, 'light after the switch');
        await switchTheme(page, 'dark');
        await checkRamp(page, result, 'dark again');
        await assertClean(ins);
      });
    },
  },
  {
    name: 'live theme switch: the positional encoding and compare matrices redraw in the new theme',
    run: async (ctx) => {
      const { entry } = fixture('transformer-encdec');
      const result = runModel(loadModel(path.join(FIXTURES, entry.model)), {
        ids: entry.ids,
        ...(entry.target_ids ? { targetIds: entry.target_ids } : {}),
      });
      await withInspector(ctx, result, async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        await page.click('.view-tab[data-view="positional"]');
        await page.waitForSelector('.positional-view:not([hidden]) .matrix-canvas', { timeout: 5000 });
        // PE[0, 0] = sin(0) = 0: the diverging scale's middle, the editor background.
        check(dark(await matrixPixel(page, '.positional-view', 0, 0)), 'dark theme: PE = 0 is the dark background');
        await switchTheme(page, 'light');
        const zero = await matrixPixel(page, '.positional-view', 0, 0);
        check(white(zero), `light theme: PE = 0 is the white background, drawn ${zero}`);

        await ins.send(ins.session.setCompare({ result, label: 'A' }, { result, label: 'B' }, 'A vs A'));
        await page.waitForSelector('.compare-view:not([hidden]) .compare-diff .matrix-canvas', { timeout: 5000 });
        await switchTheme(page, 'dark');
        const diff = await matrixPixel(page, '.compare-diff', 0, 0);
        check(dark(diff), `dark theme: B − A = 0 is the dark background, drawn ${diff}`);

        await assertClean(ins);
      });
    },
  },
];
