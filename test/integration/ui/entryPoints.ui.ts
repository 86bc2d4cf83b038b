// A person's first minutes: the palette's Open Model… on a bundled example shows the heatmap; the
// side panel's Run view re-runs as they type and shows the tokens; clicking a head opens it.
import type { Frame } from 'playwright-core';
import { frameWith, pickInQuickOpen, runCommand, sleep, waitForPaletteItems, type UiCheck } from '../harness';
import { pngPixels } from '../../helpers/pngPixels';

const EXAMPLE = 'rnn-reverse-additive';

/**
 * The first tile under `selector` shows its thumbnail: the atlas (a blob: image, allowed by the
 * webview's CSP) as its background, and several colours on screen.
 */
async function checkTile(f: Frame, selector: string, where: string): Promise<void> {
  const tile = f.locator(selector).first();
  const deadline = Date.now() + 15_000;
  let bg: string;
  while (!(bg = await tile.evaluate((e) => getComputedStyle(e).backgroundImage)).startsWith('url("blob:') && Date.now() < deadline)
    await sleep(100);
  if (!bg.startsWith('url("blob:')) throw new Error(`${where}: tile background is ${bg}`);
  const shot = await pngPixels(f, await tile.screenshot());
  const seen = new Set<number>();
  for (let i = 0; i < shot.data.length; i += 4) seen.add((shot.data[i] << 16) | (shot.data[i + 1] << 8) | shot.data[i + 2]);
  const colours = seen.size;
  console.log(`      ${where}: first tile on screen has ${colours} colours`);
  if (colours < 3) throw new Error(`${where}: the first tile shows ${colours} colour(s), its thumbnail is not drawn`);
}

export const checks: UiCheck[] = [
  {
    name: 'Open Model… from the palette, pick a bundled example, see its heatmap',
    timeoutMs: 90_000,
    async run({ page, steps }) {
      // Not runCommand: it waits for the palette to close, but this command opens the next quick pick at once.
      await waitForPaletteItems(page, 'Attention: Open Model…', ['Attention: Open Model…']);
      await page.locator('.quick-input-list .monaco-list-row').filter({ hasText: 'Open Model…' }).first().click();
      await page
        .locator('.quick-input-widget input[placeholder="A model of this workspace"]')
        .waitFor({ state: 'visible', timeout: 15_000 });
      await pickInQuickOpen(page, EXAMPLE);
      const f = await frameWith(page, 'canvas.heatmap-canvas[aria-label^="Attention of layer"]', 60_000);
      const label = await f.locator('canvas.heatmap-canvas').first().getAttribute('aria-label');
      console.log(`      heatmap: ${label}`);
      const title = await f.locator('.detail-title').first().textContent();
      if (!/Layer .* Head /.test(title ?? '')) throw new Error(`detail title is "${title}"`);
      // The grid's tiles show their thumbnails: one blob: image (the atlas) under the webview's CSP.
      await f.waitForFunction(() => !!document.getElementById('app')?.getAttribute('data-grid-ms'), undefined, { timeout: 15_000 });
      await checkTile(f, '.grid-cell .thumb', 'inspector grid');
      await steps.screenshot('entry-open-model-heatmap');
    },
  },
  {
    name: 'side panel: type an input, see its tokens; click a head to open it',
    timeoutMs: 90_000,
    async run({ page, steps }) {
      // Not the activity bar icon: a click on the active container's icon hides the side bar.
      await runCommand(page, 'Attention: Focus on Run View');
      const f = await frameWith(page, 'textarea.input');
      if ((await f.locator('button.choose').textContent())?.includes('Choose model')) {
        await f.locator('button.choose').click();
        await pickInQuickOpen(page, EXAMPLE);
      }
      const box = f.locator('textarea.input');
      await box.waitFor({ state: 'visible' });
      await f.locator('textarea.input:not([disabled])').waitFor({ timeout: 30_000 });
      await box.fill('');
      // "zebra" is not in the example's vocabulary: it becomes <unk>, which the strip marks.
      await box.pressSequentially('d c b 7 zebra', { delay: 60 });
      // The run starts after a 400 ms pause and replaces the tokens.
      const want = ['d', 'c', 'b', '7', '<unk>'];
      const deadline = Date.now() + 30_000;
      let shown: string[] = [];
      while (Date.now() < deadline) {
        shown = (await f.locator('.token-row').first().locator('.token').allTextContents()).map((t) => t.trim());
        if (want.every((w) => shown.includes(w)) && !(await f.locator('.status.running').count())) break;
        await sleep(300);
      }
      console.log(`      tokens: ${shown.join(' ')}`);
      if (!want.every((w) => shown.includes(w))) throw new Error(`tokens shown: ${JSON.stringify(shown)}`);
      // Only the unknown word is marked: a dashed outline, and a title that says why.
      const unk = f.locator('.token-row').first().locator('.token.unk');
      const marked = (await unk.allTextContents()).map((t) => t.trim());
      if (marked.join(' ') !== '<unk>') throw new Error(`tokens marked unknown: ${JSON.stringify(marked)}`);
      const look = await unk.first().evaluate((e) => ({ outline: getComputedStyle(e).outlineStyle, title: e.getAttribute('title') ?? '' }));
      if (look.outline !== 'dashed' || !/not in the vocabulary/.test(look.title)) throw new Error(`<unk> shown as ${JSON.stringify(look)}`);
      const heads = await f.locator('button.head').count();
      if (!heads) throw new Error('no head in the side panel grid');
      await checkTile(f, 'button.head .thumb', 'side panel grid');
      await steps.screenshot('entry-side-panel-tokens');
      await f.locator('button.head').first().click();
      await frameWith(page, 'canvas.heatmap-canvas[aria-label^="Attention of layer"]', 30_000);
    },
  },
  {
    name: 'opening a model file shows its model page; Reopen as Text gives the JSON back',
    timeoutMs: 90_000,
    async run({ page, steps }) {
      await page.keyboard.press('Escape');
      await page.keyboard.press('Control+P');
      await pickInQuickOpen(page, 'rnn-reverse-dot.model.json');
      const f = await frameWith(page, '.model-page h2', 30_000);
      const title = await f.locator('.model-page h2').first().textContent();
      if (title !== 'rnn-reverse-dot') throw new Error(`model page title is "${title}"`);
      const examples = await f.locator('button.example').count();
      if (!examples) throw new Error('the model page lists no examples');
      await steps.screenshot('entry-model-page');
      await f.locator('button', { hasText: 'Reopen as Text' }).click();
      await page
        .locator('.editor-instance .monaco-editor .view-lines')
        .filter({ hasText: '"architecture"' })
        .first()
        .waitFor({ timeout: 15_000 });
    },
  },
];
