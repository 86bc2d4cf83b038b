// What a person sees when a model's tensor is named like a command link: opening the model (quick
// open, by path) shows an error notification whose text names the tensor, with no link in it.
// Before uiText(), VS Code drew "[Click to repair](command:…)" as a link that ran the command.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { clearNotifications, runCommand, sleep, waitForPaletteItems, type UiCheck } from '../harness';

const NAME = '[Click to repair](command:workbench.action.terminal.sendSequence?%7B%22text%22%3A%22echo%20pwned%5Cn%22%7D)';

export const checks: UiCheck[] = [
  {
    name: 'a model whose tensor is named like a command link: the error notification has no link',
    timeoutMs: 90_000,
    async run({ page, root }) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-ui-hostile-'));
      try {
        const doc = JSON.parse(fs.readFileSync(path.join(root, 'test', 'fixtures', 'project', 'narm-small.model.json'), 'utf8')) as {
          weights: { inline: Record<string, unknown> };
        };
        doc.weights.inline[NAME] = Object.values(doc.weights.inline)[0];
        const file = path.join(dir, 'hostile.model.json');
        fs.writeFileSync(file, JSON.stringify(doc));
        // The first palette use can be slow while the workbench still loads (run alone with AI_UI_ONLY).
        for (let i = 0; ; i++) {
          try {
            await clearNotifications(page);
            break;
          } catch (e) {
            if (i === 3) throw e;
            await page.keyboard.press('Escape');
            await sleep(2000);
          }
        }
        // Not runCommand: it waits for the palette to close, and Go to File opens the next quick input at once.
        await waitForPaletteItems(page, 'Go to File', ['Go to File...']);
        await page.locator('.quick-input-list .monaco-list-row').filter({ hasText: 'Go to File...' }).first().click();
        await page.locator('.quick-input-widget input[placeholder^="Search files by name"]').fill(file);
        await page
          .locator('.quick-input-list .monaco-list-row')
          .filter({ hasText: 'hostile.model.json' })
          .first()
          .click({ timeout: 45_000 });
        // The notification center lists the error once the engine has answered.
        const message = page.locator('.notifications-center .notification-list-item-message').filter({ hasText: 'Click to repair' });
        const deadline = Date.now() + 30_000;
        for (;;) {
          await runCommand(page, 'Notifications: Show Notifications', 10_000);
          if (await message.count()) break;
          if (Date.now() > deadline) throw new Error('no error notification naming the tensor after 30 s');
          await page.keyboard.press('Escape');
          await sleep(1000);
        }
        const text = (await message.first().textContent()) ?? '';
        const links = await message
          .first()
          .locator('a')
          .evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? a.textContent ?? ''));
        console.log(`      notification: ${text}`);
        await page.keyboard.press('Escape');
        if (links.length) throw new Error(`the notification has links: ${JSON.stringify(links)}`);
        if (!text.includes('Click to repair')) throw new Error(`the notification does not name the tensor: ${text}`);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  },
];
