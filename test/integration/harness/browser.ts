// Headless Chromium (Debian's, via playwright-core) pointed at a running VS Code server, and the
// few workbench gestures the tests need: wait for the workbench, use the command palette, reach
// into a webview.

import * as fs from 'fs';
import { chromium, type Browser, type Frame, type FrameLocator, type Page } from 'playwright-core';
import { onCleanup } from './cleanup';
import { makeTempHome, sleep, type RunningServer } from './server';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM=/path)`);
  }
  // Chromium writes crash-report and dconf folders under XDG_CONFIG_HOME/XDG_CACHE_HOME: keep them out of ~.
  const home = makeTempHome('browser');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    env: home.env as Record<string, string>,
    // Our cleanup closes it (harness/cleanup.ts); Playwright still kills it if the process dies.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  onCleanup('close browser', async () => {
    try {
      await browser.close();
    } finally {
      fs.rmSync(home.dir, { recursive: true, force: true });
    }
  });
  return browser;
}

/** vscode-remote URI of a path on the server machine (used for the test payload). */
export function remoteUri(server: RunningServer, absPath: string): string {
  return `vscode-remote://127.0.0.1:${server.port}${absPath}`;
}

/** Workbench URL opening `folder`; `payload` entries such as extensionDevelopmentPath take server paths. */
export function workbenchUrl(server: RunningServer, folder: string, payload: [string, string][] = []): string {
  const q = new URLSearchParams({ folder });
  const remote = payload.map(([k, p]) => [k, remoteUri(server, p)]);
  if (remote.length) q.set('payload', JSON.stringify(remote));
  return `${server.origin}/?${q.toString()}`;
}

export async function newPage(browser: Browser): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(15_000);
  return page;
}

export async function waitForWorkbench(page: Page, timeoutMs = 60_000): Promise<void> {
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: timeoutMs });
}

const PALETTE_INPUT = '.quick-input-widget input';
const PALETTE_ROWS = '.quick-input-list .monaco-list-row';

/** Opens the command palette, types `text`, and returns the labels it lists. */
export async function paletteItems(page: Page, text: string): Promise<string[]> {
  await page.keyboard.press('Escape');
  await page.keyboard.press('F1');
  const input = page.locator(PALETTE_INPUT);
  await input.waitFor({ state: 'visible', timeout: 5000 });
  await input.fill(`>${text}`);
  await sleep(300); // the list filters asynchronously
  const labels = await page.locator(`${PALETTE_ROWS} .label-name`).allTextContents();
  return labels.map((l) => l.replace(/\s+/g, ' ').trim()).filter(Boolean);
}

/**
 * Retries until every title in `titles` is listed for `text` (the development extension loads a
 * few seconds after the workbench). Leaves the palette open. Returns the last listing.
 */
export async function waitForPaletteItems(page: Page, text: string, titles: string[], timeoutMs = 30_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // A busy machine can take longer than paletteItems' 5 s to show the palette: try again.
    const items = await paletteItems(page, text).catch((e: Error) => {
      if (Date.now() > deadline) throw e;
      return [] as string[];
    });
    const missing = titles.filter((t) => !items.includes(t));
    if (!missing.length) return items;
    if (Date.now() > deadline) {
      throw new Error(`palette for "${text}" lacks ${JSON.stringify(missing)}; it lists ${JSON.stringify(items)}`);
    }
    await sleep(1000);
  }
}

/**
 * Runs a command the way a person does: F1, type its full title, Enter on the matching row. A
 * command that reloads the page (`navigates`) is done when the new page has loaded: the palette of
 * the page being left cannot be waited on while the navigation goes on.
 */
export async function runCommand(page: Page, title: string, timeoutMs = 30_000, opts: { navigates?: boolean } = {}): Promise<void> {
  await waitForPaletteItems(page, title, [title], timeoutMs);
  const loaded = opts.navigates ? page.waitForEvent('load', { timeout: 120_000 }) : undefined;
  await page
    .locator(PALETTE_ROWS)
    .filter({ has: page.locator('.label-name', { hasText: title }) })
    .first()
    .click();
  if (loaded) await loaded;
  else await page.locator(PALETTE_INPUT).waitFor({ state: 'hidden', timeout: 5000 });
}

export interface Notification {
  severity: 'Error' | 'Warning' | 'Info' | string;
  message: string;
}

/**
 * All notifications so far, read from the notification center (toasts are not reliably shown
 * in this headless setup). Leaves the center closed.
 */
export async function notifications(page: Page): Promise<Notification[]> {
  await runCommand(page, 'Notifications: Show Notifications', 10_000);
  const rows = page.locator('.notifications-center .monaco-list-row');
  await page.locator('.notifications-center').waitFor({ state: 'visible', timeout: 5000 });
  const labels = await rows.evaluateAll((es) => es.map((e) => e.getAttribute('aria-label') ?? ''));
  await page.keyboard.press('Escape');
  return labels.map((l) => {
    const m = /^(\w+): ([\s\S]*?)(, source: [^,]*)?, notification(,|$)/.exec(l);
    return m ? { severity: m[1], message: m[2].replace(/\s+/g, ' ') } : { severity: '?', message: l };
  });
}

export async function clearNotifications(page: Page): Promise<void> {
  await runCommand(page, 'Notifications: Clear All Notifications', 10_000);
}

/** The content document of the focused webview (two iframes deep). */
export function webviewFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
}

/** The webview frame (any depth) that has `selector`: the inspector and the side panel each have one. */
export async function frameWith(page: Page, selector: string, timeoutMs = 30_000): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const f of page.frames()) {
      if (
        await f
          .locator(selector)
          .count()
          .catch(() => 0)
      )
        return f;
    }
    if (Date.now() > deadline) throw new Error(`no webview shows ${selector} after ${timeoutMs / 1000} s`);
    await sleep(300);
  }
}

/** Answers the model quick pick like a person: type the name, Enter on the row. */
export async function pickInQuickOpen(page: Page, text: string): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(text);
  const row = page.locator('.quick-input-list .monaco-list-row').filter({ hasText: text }).first();
  await row.waitFor({ state: 'visible', timeout: 10_000 });
  await row.click();
}
