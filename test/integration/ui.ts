// Drives the real workbench like a person: command palette, activity bar, screenshots.
// Same VS Code server as the integration suite, but no extensionTestsPath: the extension is
// loaded for development and nothing runs inside it except what a user triggers.
//
//   node out/test/integration/ui.js        (after `node esbuild.js`)
//
// Screenshots go to artifacts/ui/. The last line printed is `N passed, N failed`.
//
// Adding checks: create test/integration/ui/<topic>.ui.ts exporting `checks: UiCheck[]` (types
// and an example in harness/checks.ts); every
// out/test/integration/ui/*.ui.js is loaded (sorted by name) and run after the core checks
// below, on the same page. Each check is one named step (timed, screenshotted, counted). For
// webview content use `webviewFrame(ctx.page)` (two iframes deep) and `runCommand(ctx.page, title)`
// from ./harness. Environment: AI_VERBOSE=1 prints the browser console; AI_EXTENSION_PATH and
// AI_CS_DIR as in runCodeServer.ts; AI_UI_ONLY=<regexp> runs only matching checks (plus the
// workbench check).

import * as fs from 'fs';
import * as path from 'path';
import type { Page } from 'playwright-core';
import {
  runDriver,
  findInstall,
  launchBrowser,
  newPage,
  notifications,
  paletteTitles,
  repoRoot,
  runCommand,
  sleep,
  startServer,
  Steps,
  waitForPaletteItems,
  waitForWorkbench,
  workbenchUrl,
  type Manifest,
  type RunningServer,
  type UiCheck,
} from './harness';

export const coreChecks: UiCheck[] = [
  {
    name: 'command palette lists every Attention command',
    async run({ page, manifest }) {
      // Internal commands (menus.commandPalette when: false) are meant to be absent.
      const titles = paletteTitles(manifest);
      const items = await waitForPaletteItems(page, 'Attention: ', titles);
      console.log(`      listed: ${items.join(' | ')}`);
    },
  },
  {
    name: 'Attention: Restart Engine runs without an error notification',
    async run({ page }) {
      await runCommand(page, 'Attention: Restart Engine');
      await sleep(1500); // an activation or command error would be reported by now
      const all = await notifications(page);
      for (const n of all) console.log(`      notification: ${n.severity}: ${n.message}`);
      const errors = all.filter((n) => n.severity === 'Error');
      if (errors.length) throw new Error(`error notification: ${errors.map((n) => n.message).join(' / ')}`);
    },
  },
  {
    name: 'the Attention activity bar container opens with its views',
    async run({ page, manifest }) {
      const container = manifest.contributes.viewsContainers?.activitybar?.[0];
      if (!container) throw new Error('package.json contributes no activity bar container');
      // aria-label is the title, plus " (keybinding)" once one is bound.
      const t = container.title;
      await page
        .locator(`.activitybar a.action-label[aria-label="${t}"], .activitybar a.action-label[aria-label^="${t} ("]`)
        .first()
        .click();
      const title = page.locator('.sidebar .composite.title h2, .sidebar .composite.title .title-label');
      await title
        .filter({ hasText: new RegExp(container.title, 'i') })
        .first()
        .waitFor({ state: 'visible', timeout: 10_000 });
      for (const view of manifest.contributes.views?.[container.id] ?? []) {
        await page
          .locator('.sidebar .pane-header, .sidebar .composite.title')
          .filter({ hasText: new RegExp(view.name, 'i') })
          .first()
          .waitFor({ state: 'visible', timeout: 10_000 });
      }
    },
  },
];

/** Checks contributed by test/integration/ui/*.ui.ts (bundled next to this file). */
function contributedChecks(): UiCheck[] {
  const dir = path.join(__dirname, 'ui');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.ui.js'))
    .sort()
    .flatMap((f) => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(path.join(dir, f)) as { checks?: UiCheck[] };
      if (!Array.isArray(mod.checks)) throw new Error(`${f} exports no \`checks\` array`);
      return mod.checks.map((c) => ({ ...c, name: `${f.replace(/\.ui\.js$/, '')}: ${c.name}` }));
    });
}

async function main(): Promise<number> {
  const t0 = Date.now();
  const root = repoRoot();
  const extensionPath = path.resolve(process.env.AI_EXTENSION_PATH || root);
  const manifest = JSON.parse(fs.readFileSync(path.join(extensionPath, 'package.json'), 'utf8')) as Manifest;
  const steps = new Steps(path.join(root, 'artifacts', 'ui'));
  const only = process.env.AI_UI_ONLY ? new RegExp(process.env.AI_UI_ONLY) : undefined;
  let server: RunningServer | undefined;
  let page: Page | undefined;

  console.log('UI checks (screenshots in artifacts/ui/)');
  await steps.step(
    'workbench loads with the extension under development',
    async () => {
      server = await startServer(findInstall(), { kind: 'vscode-server', label: 'ui' });
      page = await newPage(await launchBrowser());
      steps.page = page;
      if (process.env.AI_VERBOSE === '1') page.on('console', (m) => console.log(`[browser ${m.type()}] ${m.text()}`));
      await page.goto(workbenchUrl(server, path.join(root, 'examples'), [['extensionDevelopmentPath', extensionPath]]), {
        timeout: 90_000,
      });
      await waitForWorkbench(page);
    },
    { critical: true, screenshot: true },
  );

  let checks: UiCheck[] = [];
  await steps.step('load checks from test/integration/ui/*.ui.ts', async () => {
    checks = [...coreChecks, ...contributedChecks()].filter((c) => !only || only.test(c.name));
  });
  for (const check of checks) {
    await steps.step(check.name, () => check.run({ page: page!, server: server!, root, manifest, steps }), {
      timeoutMs: check.timeoutMs,
      screenshot: check.screenshot ?? true,
      critical: check.critical,
    });
    await page?.keyboard.press('Escape').catch(() => undefined);
  }

  console.log(`ui: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (steps.failed && server) console.log(`server log (tail):\n${server.logTail(20)}\nserver files kept: ${server.tempDir}`);
  else await server?.stop();
  console.log(steps.summary());
  return steps.failed ? 1 : 0;
}

if (require.main === module) {
  runDriver(main);
}
