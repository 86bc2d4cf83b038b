// The Q·K tab in the real workbench: the page asks for one head's q and k, the extension host asks
// the engine worker, and the vectors come back through VS Code's postMessage as typed arrays.
import { frameWith, pickInQuickOpen, waitForPaletteItems, type UiCheck } from '../harness';

export const checks: UiCheck[] = [
  {
    name: 'Q·K tab: q·k per dimension from the engine worker; the printed score is the heatmap’s',
    timeoutMs: 90_000,
    async run({ page, steps }) {
      await page.keyboard.press('Escape');
      await waitForPaletteItems(page, 'Attention: Open Model…', ['Attention: Open Model…']);
      await page.locator('.quick-input-list .monaco-list-row').filter({ hasText: 'Open Model…' }).first().click();
      await page
        .locator('.quick-input-widget input[placeholder="A model of this workspace"]')
        .waitFor({ state: 'visible', timeout: 15_000 });
      await pickInQuickOpen(page, 'transformer-reverse');
      const f = await frameWith(page, '.run-model', 60_000);
      await f.waitForFunction(() => document.querySelector('.run-model')?.textContent === 'transformer-reverse', undefined, {
        timeout: 60_000,
      });
      await f.locator('.view-tab[data-view="qk"]').click();
      await f.locator('.qk-dot-sum').waitFor({ timeout: 30_000 });
      const title = (await f.locator('.qk-dot-title').textContent()) ?? '';
      const score = (await f.locator('.qk-dot-score .qk-text').textContent()) ?? '';
      console.log(`      ${title}\n      ${score}`);
      const m = /= (-?[\d.]+) {2}\(heatmap: (-?[\d.]+)\)$/.exec(score);
      if (!m || m[1] !== m[2]) throw new Error(`score from q·k is not the heatmap's: "${score}"`);
      if (!title.includes('(d = 8)')) throw new Error(`transformer-reverse has d_k = 32/4 = 8; title says "${title}"`);
      await steps.screenshot('qk-vectors');
    },
  },
];
