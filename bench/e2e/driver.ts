// Driving the workbench for the end-to-end scenario: what the inspector's status line says while a
// run goes on, the debug lines (AI_E2E_DEBUG=1), and answering a quick pick.
import type { Page } from 'playwright-core';
import { sleep } from '../../test/integration/harness';

export const INSPECTOR_RUNNING = /Running|stale/;
export const CANCELLING = /Cancelling/;
export const debug = (line: string) => process.env.AI_E2E_DEBUG && console.log(`    [debug] ${line}`);

/** Answers a quick pick: type `text`, wait for a row, Enter. */
export async function answerQuickPick(page: Page, placeholder: RegExp, text: string, row?: string): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 20_000 });
  const deadline = Date.now() + 20_000;
  while (!placeholder.test((await input.getAttribute('placeholder')) ?? '')) {
    if (Date.now() > deadline) throw new Error(`quick pick placeholder is "${await input.getAttribute('placeholder')}"`);
    await sleep(100);
  }
  await input.fill(text);
  if (row)
    await page
      .locator('.quick-input-list .monaco-list-row')
      .filter({ hasText: row })
      .first()
      .waitFor({ state: 'visible', timeout: 10_000 });
  else await sleep(300);
}
