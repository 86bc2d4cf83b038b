// Page helpers for the webview cases: read what a person sees (text, tooltips, pixels).
import * as path from 'path';
import type { Browser, Page } from 'playwright-core';
import type { RunResult } from '../../src/engine/types';
import type { KeptSource } from '../../src/protocol/inspectorSession';
import { openInspector, type Inspector, type ThemeName } from './harness';
import { pngPixels } from '../helpers/pngPixels';

export function check(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(message);
}

export function equal<T>(actual: T, expected: T, what: string): void {
  if (actual !== expected) throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

/** Waits until the detail pane shows `Layer l · Head h` and its heatmap or lines are drawn. */
export async function waitForHead(page: Page, layer: number, head: number): Promise<void> {
  await page.waitForFunction(
    (t) =>
      document.querySelector('.detail-title')?.textContent === t &&
      !!document.querySelector('.detail-body canvas') &&
      document.querySelector('.detail-status')?.textContent === '',
    `Layer ${layer} · Head ${head}`,
    { timeout: 5000 },
  );
}

export async function texts(page: Page, selector: string): Promise<string[]> {
  return page.$$eval(selector, (els) => els.map((e) => e.textContent ?? ''));
}

/** Centre of heatmap cell (i = query row, j = key column) in page coordinates. */
export async function cellCenter(page: Page, i: number, j: number): Promise<{ x: number; y: number }> {
  const box = await page.locator('.heatmap-canvas').boundingBox();
  check(box, 'heatmap canvas not visible');
  const cell = Number(await page.locator('.heatmap-canvas').getAttribute('data-cell'));
  return { x: box.x + (j + 0.5) * cell, y: box.y + (i + 0.5) * cell };
}

/** Hovers a heatmap cell and returns the tooltip as label → value. */
export async function hoverCell(page: Page, i: number, j: number): Promise<Record<string, string>> {
  const { x, y } = await cellCenter(page, i, j);
  await page.mouse.move(x, y);
  return tooltip(page);
}

export async function tooltip(page: Page): Promise<Record<string, string>> {
  await page.waitForSelector('.tooltip:not([hidden])', { timeout: 3000 });
  return page.$eval('.tooltip', (t) => {
    const out: Record<string, string> = { title: t.querySelector('.tooltip-title')?.textContent ?? '' };
    const labels = Array.from(t.querySelectorAll('.tooltip-label'));
    const values = Array.from(t.querySelectorAll('.tooltip-value'));
    labels.forEach((l, n) => (out[l.textContent || `row${n}`] = values[n]?.textContent ?? ''));
    return out;
  });
}

/** RGB inside a heatmap cell (off-centre: big cells print their value in the middle). */
export async function cellPixel(page: Page, i: number, j: number): Promise<[number, number, number]> {
  return page.$eval(
    '.heatmap-canvas',
    (c, [i, j]) => {
      const canvas = c as HTMLCanvasElement;
      const cell = Number(canvas.dataset.cell);
      const dpr = canvas.width / canvas.clientWidth;
      const ctx = canvas.getContext('2d');
      if (!ctx) return [0, 0, 0] as [number, number, number];
      const d = ctx.getImageData(Math.floor((j + 0.22) * cell * dpr), Math.floor((i + 0.22) * cell * dpr), 1, 1).data;
      return [d[0], d[1], d[2]] as [number, number, number];
    },
    [i, j],
  );
}

/**
 * RGB of on-screen pixels as a person sees them: a screenshot of the box, decoded by the page
 * (the page's CSP allows data: images). `at` lists points in page coordinates inside the box.
 */
export async function screenPixels(
  page: Page,
  box: { x: number; y: number; width: number; height: number },
  at: { x: number; y: number }[],
): Promise<[number, number, number][]> {
  const shot = await pngPixels(page, await page.screenshot({ clip: box }));
  const sx = shot.width / box.width; // screenshot pixels per CSS pixel
  return at.map(({ x, y }) => {
    const o = 4 * (Math.floor((y - box.y) * sx) * shot.width + Math.floor((x - box.x) * sx));
    return [shot.data[o], shot.data[o + 1], shot.data[o + 2]];
  });
}

export function colourDistance(a: [number, number, number], b: [number, number, number]): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

/** Picks an option of a vscode-single-select by value, as a change from the user would. */
export async function chooseOption(page: Page, selector: string, value: string): Promise<void> {
  await page.$eval(
    selector,
    (s, v) => {
      (s as HTMLElement & { value: string }).value = v;
      s.dispatchEvent(new Event('change', { bubbles: true }));
    },
    value,
  );
}

export async function screenshot(page: Page, dir: string, name: string): Promise<string> {
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Fails when the page logged an error, hit a CSP violation or ran the hostile token's script. */
export async function assertClean(ins: Inspector): Promise<void> {
  const state = await ins.page.evaluate(() => {
    const w = window as unknown as { __cspViolations: string[]; __pwned?: unknown };
    return { csp: w.__cspViolations, pwned: w.__pwned ?? null };
  });
  equal(state.pwned, null, 'window.__pwned (hostile token script ran)');
  check(state.csp.length === 0, `CSP violations: ${state.csp.join('; ')}`);
  check(ins.errors.length === 0, `page errors: ${ins.errors.join('; ')}`);
}

export interface CaseContext {
  browser: Browser;
  origin: string;
  artifacts: string;
}

export interface Case {
  name: string;
  run(ctx: CaseContext): Promise<void>;
}

/** Opens the page, runs `body`, always closes the context. */
export async function withInspector(
  ctx: CaseContext,
  result: RunResult | undefined,
  body: (ins: Inspector) => Promise<void>,
  opts: { light?: boolean; theme?: ThemeName; title?: string; kept?: KeptSource } = {},
): Promise<void> {
  const theme = opts.theme ?? opts.light ?? false;
  const ins = await openInspector(ctx.browser, ctx.origin, result, opts.title ?? 'synthetic run', theme, opts.kept);
  try {
    await body(ins);
  } finally {
    await ins.close();
  }
}
