// A live theme switch: every open view redraws in the new theme at once. The positional-encoding
// matrix used to keep drawing zero in the old background (black on a now white page) while its
// legend showed the new one, until the panel was reopened.
import * as path from 'path';
import type { Page } from 'playwright-core';
import { loadModel, runModel } from '../../src/engine/run';
import { fixture, FIXTURES } from './casesEngine';
import { assertClean, check, waitForHead, withInspector, type Case } from './helpers';

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

export const THEME_CASES: Case[] = [
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
