// Issue 20's robustness in the real workbench: the extension host killed (VS Code starts a new
// one), and Developer: Reload Window. The inspector must say what happened and offer Run again,
// never stay "Running…" or open a second panel beside a dead one; a reload brings the last run
// and the Run view's model and input back. Runs last (it kills the host the other checks use).
//
// Its own VS Code server, with the extension installed (linked into the extensions folder), not
// loaded for development: VS Code restarts a killed extension host only outside development
// (a development host that exits ends the session instead).
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Frame, Page } from 'playwright-core';
import {
  findInstall,
  frameWith,
  launchBrowser,
  newPage,
  pickInQuickOpen,
  repoRoot,
  runCommand,
  sleep,
  startServer,
  waitForPaletteItems,
  waitForWorkbench,
  workbenchUrl,
  type RunningServer,
  type Steps,
  type UiCheck,
} from '../harness';
import { writeBertFolder } from '../../../bench/e2e/bertFolder';

const MODEL = 'transformer-reverse';

/** The extension hosts of this server: processes of its group started with --type=extensionHost. */
function extensionHosts(server: RunningServer): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,pgid=,args='], { encoding: 'utf8' });
  return out.split('\n').flatMap((line) => {
    const m = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    return m && Number(m[2]) === server.pid && m[3].includes('--type=extensionHost') ? [Number(m[1])] : [];
  });
}

/** Editor tabs of the inspector (its title starts with "Attention"). */
async function inspectorTabs(page: Page): Promise<string[]> {
  const labels = await page.locator('.tabs-container .tab').evaluateAll((es) => es.map((e) => e.getAttribute('aria-label') ?? ''));
  return labels.filter((l) => l.startsWith('Attention'));
}

async function openModel(page: Page, name = MODEL): Promise<Frame | undefined> {
  await waitForPaletteItems(page, 'Attention: Open Model…', ['Attention: Open Model…'], 60_000);
  await page.locator('.quick-input-list .monaco-list-row').filter({ hasText: 'Open Model…' }).first().click();
  await page.locator('.quick-input-widget input[placeholder="A model of this workspace"]').waitFor({ state: 'visible', timeout: 30_000 });
  await pickInQuickOpen(page, name);
  return name === MODEL ? shownRun(page, 90_000) : undefined;
}

/** The inspector frame once it shows a run of MODEL with a heatmap. */
async function shownRun(page: Page, timeoutMs: number): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const f of page.frames()) {
      const ok = await f
        .evaluate(
          (m) => document.querySelector('.run-model')?.textContent === m && !!document.querySelector('canvas.heatmap-canvas'),
          MODEL,
        )
        .catch(() => false);
      if (ok) return f;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `no inspector shows a run of ${MODEL} after ${timeoutMs / 1000} s; inspectors show ${JSON.stringify(await inspectorTexts(page))}`,
      );
    }
    await sleep(250);
  }
}

/** The header and banner text of every inspector frame (a dead one included). */
async function inspectorTexts(page: Page): Promise<string[]> {
  const texts: string[] = [];
  for (const f of page.frames()) {
    const t = await f
      .evaluate(() =>
        document.querySelector('.run-header')
          ? `${document.querySelector('.run-header')?.textContent ?? ''} | ${document.querySelector('.error-banner')?.textContent ?? ''}`
          : '',
      )
      .catch(() => '');
    if (t) texts.push(t.replace(/\s+/g, ' ').slice(0, 300));
  }
  return texts;
}

/** An extensions folder holding this clone's build as an installed extension (a copy: VS Code serves no webview file through a link). */
function installedExtensions(root: string): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    publisher: string;
    name: string;
    version: string;
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attention-recover-ext-'));
  const ext = path.join(dir, `${manifest.publisher}.${manifest.name}-${manifest.version}`);
  fs.mkdirSync(ext);
  for (const f of ['package.json', 'dist', 'media', 'README.md']) fs.cpSync(path.join(root, f), path.join(ext, f), { recursive: true });
  return dir;
}

/** Polls `probe` until it gives a value; throws with `what` after `timeoutMs`. */
async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not seen after ${timeoutMs / 1000} s`);
    await sleep(200);
  }
}

/** A frame that says its run was lost and offers Run again, if one does. */
async function lostPanel(page: Page): Promise<Frame | undefined> {
  for (const f of page.frames()) {
    const ok = await f
      .evaluate(
        () =>
          /stopped unexpectedly/.test(document.querySelector('.empty-message')?.textContent ?? '') &&
          !!document.querySelector('button.run-again'),
      )
      .catch(() => false);
    if (ok) return f;
  }
  return undefined;
}

/**
 * Open Model… on a model without examples, up to the prompt for its input: its placeholder, and a
 * way to run `n` ids below `vocab` from it.
 */
async function askInput(page: Page, name: string): Promise<{ placeholder: string; runIds(n: number, vocab: number): Promise<void> }> {
  await openModel(page, name);
  const box = page.locator('.quick-input-widget input');
  const placeholder = await until('the input prompt', 60_000, async () => {
    const p = (await box.getAttribute('placeholder').catch(() => null)) ?? '';
    return /Type an input/.test(p) ? p : undefined;
  });
  return {
    placeholder,
    async runIds(n, vocab) {
      await box.fill(`ids: ${Array.from({ length: n }, (_, i) => (i * 7) % vocab).join(', ')}`);
      await page.locator('.quick-input-list .monaco-list-row').filter({ hasText: 'run this text' }).first().click();
    },
  };
}

/** What an inspector that shows no run says, if one is open. */
async function waitingText(page: Page): Promise<string | undefined> {
  for (const f of page.frames()) {
    const text = await f.evaluate(() => document.querySelector('.empty-message')?.textContent ?? undefined).catch(() => undefined);
    if (text) return text;
  }
  return undefined;
}

async function runViewFrame(page: Page): Promise<Frame> {
  await runCommand(page, 'Attention: Focus on Run View', 60_000);
  return frameWith(page, 'textarea.input', 30_000);
}

/** 12 layers × 12 heads, no tokenizer: the grid of a BERT-base-size model, small enough to run at once. */
const WIDE = { name: 'bert12x12', size: { layers: 12, d: 48, heads: 12, dFf: 48, vocab: 100, positions: 600 } };

/** 12 layers at 1024 positions and d 256: a 1024-id run takes seconds here, long enough to cancel midway. */
const LONG = { name: 'bertlong', size: { layers: 12, d: 256, heads: 4, dFf: 1024, vocab: 100, positions: 1024 } };

/** One VS Code server for the checks below (the first starts it, the last stops it). */
let session: { server: RunningServer; page: Page; mainPage: Page | undefined; workspace: string } | undefined;

async function start(steps: Steps): Promise<NonNullable<typeof session>> {
  if (session) return session;
  const root = repoRoot();
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'attention-recover-ws-'));
  for (const f of fs.readdirSync(path.join(root, 'examples')).filter((f) => f.startsWith(`${MODEL}.`))) {
    fs.copyFileSync(path.join(root, 'examples', f), path.join(workspace, f));
  }
  writeBertFolder(path.join(workspace, WIDE.name), WIDE.size);
  writeBertFolder(path.join(workspace, LONG.name), LONG.size);
  const server = await startServer(findInstall(), { kind: 'vscode-server', label: 'recover', extensionsDir: installedExtensions(root) });
  const page = await newPage(await launchBrowser());
  session = { server, page, mainPage: steps.page, workspace };
  steps.page = page;
  if (process.env.AI_VERBOSE === '1') page.on('console', (m) => console.log(`[recover browser ${m.type()}] ${m.text()}`));
  await page.goto(workbenchUrl(server, workspace), { timeout: 90_000 });
  await waitForWorkbench(page, 90_000);
  return session;
}

async function stop(steps: Steps, failed: boolean): Promise<void> {
  const s = session;
  session = undefined;
  if (!s) return;
  if (failed) {
    await steps.screenshot('recover-FAILED');
    console.log(`      server log (tail):\n${s.server.logTail(15)}`);
  }
  steps.page = s.mainPage;
  await s.page.context().browser()?.close();
  await s.server.stop();
  fs.rmSync(s.workspace, { recursive: true, force: true });
  fs.rmSync(s.server.extensionsDir, { recursive: true, force: true });
}

export const checks: UiCheck[] = [
  {
    name: 'a 12 × 12 model without a tokenizer: the prompt asks for ids and their range; the heatmap starts above the fold',
    timeoutMs: 300_000,
    async run({ steps }) {
      const { page } = await start(steps);
      try {
        // The inspector opens on the model while its input is asked for, and goes on Escape.
        await askInput(page, WIDE.name);
        const waiting = await until('the inspector naming the model while its input is asked for', 30_000, () => waitingText(page));
        console.log(`      while the prompt is up, the inspector says: "${waiting}"`);
        await steps.screenshot('recover-waiting-for-input');
        if (!waiting.includes('encoder 12 × 12') || !(await page.locator('.quick-input-widget input').isVisible()))
          throw new Error(`the prompt or the model's layers × heads are not on screen: "${waiting}"`);
        await page.keyboard.press('Escape');
        await until('the inspector opened for the prompt to close on Escape', 30_000, async () =>
          (await waitingText(page)) ? undefined : true,
        );
        const prompt = await askInput(page, WIDE.name);
        console.log(`      input prompt: "${prompt.placeholder}"`);
        if (!prompt.placeholder.includes(`token ids 0…${WIDE.size.vocab - 1}`))
          throw new Error(`the prompt does not say ids 0…${WIDE.size.vocab - 1}: "${prompt.placeholder}"`);
        await prompt.runIds(500, WIDE.size.vocab);
        const canvas = await until('the heatmap of the 500-id run', 120_000, async () => {
          for (const f of page.frames()) {
            const c = f.locator('canvas.heatmap-canvas[aria-label^="Attention of layer"]');
            if (await c.count().catch(() => 0)) return c.first();
          }
          return undefined;
        });
        await sleep(500);
        const at = await canvas.boundingBox();
        console.log(`      heatmap top at y = ${at?.y.toFixed(0)} of the 900 px window`);
        await steps.screenshot('recover-12x12-fold');
        if (!at || at.y > 900 - 100) throw new Error(`the heatmap starts at y = ${at?.y} (the window is 900 px high): below the fold`);
      } catch (e) {
        await stop(steps, true);
        throw e;
      }
    },
  },
  {
    name: "a long run cancelled on the inspector's line: it says Cancelling at once, then that the run was cancelled; the previous run is back",
    timeoutMs: 300_000,
    async run({ steps }) {
      const { page } = await start(steps);
      try {
        // The first check left the 12 × 12 model's 500-id run on screen.
        const ins = await frameWith(page, '#app .run-header', 30_000);
        const label = () => ins.locator('.run-header .token-row-label').first().textContent();
        const before = await label();
        await (await askInput(page, LONG.name)).runIds(1024, LONG.size.vocab);
        const cancel = ins.locator('.run-cancel:not([disabled])').first();
        await cancel.waitFor({ timeout: 60_000 });
        const t0 = Date.now();
        await cancel.click({ timeout: 5000 });
        const line = () =>
          ins
            .locator('.run-pending-text, .run-status-text')
            .allTextContents()
            .then((t) => t.join(' | '));
        const says = await line();
        console.log(`      right after the click: "${says}" (${Date.now() - t0} ms)`);
        if (!/Cancelling/.test(says)) throw new Error(`after Cancel the inspector says "${says}"`);
        const done = await until('the inspector says the run was cancelled', 60_000, async () => {
          const t = await line();
          return /Run cancelled/.test(t) && !/Running|Cancelling/.test(t) ? t : undefined;
        });
        console.log(`      then: "${done}" (${Date.now() - t0} ms)`);
        await steps.screenshot('recover-cancelled');
        const after = await label();
        if (after !== before) throw new Error(`the inspector shows "${after}", not the previous run's "${before}"`);
        for (const t of await inspectorTexts(page)) if (/Running/.test(t)) throw new Error(`a panel still says Running: ${t}`);
      } catch (e) {
        await stop(steps, true);
        throw e;
      }
    },
  },
  {
    name: 'extension host killed, then Reload Window: the inspector says so and runs again; one panel; the run and the Run view come back',
    timeoutMs: 420_000,
    async run({ steps }) {
      let failed = true;
      try {
        const { page, server } = await start(steps);
        await openModel(page);
        const hosts = extensionHosts(server);
        if (hosts.length !== 1) throw new Error(`expected one extension host, found ${JSON.stringify(hosts)}`);

        // kill -9: VS Code starts a new host; the old panel must not stay, dead, beside a new one.
        const t0 = Date.now();
        process.kill(hosts[0], 'SIGKILL');
        const lost = await until('a panel saying the run was lost, with Run again', 90_000, () => lostPanel(page));
        const lostMs = Date.now() - t0;
        const newHost = extensionHosts(server);
        console.log(`      kill -9 → "stopped unexpectedly" + Run again: ${lostMs} ms (new host ${JSON.stringify(newHost)})`);
        await steps.screenshot('recover-lost');
        const tabs = await inspectorTabs(page);
        if (tabs.length !== 1) throw new Error(`inspector tabs after the crash: ${JSON.stringify(tabs)}`);
        for (const t of await inspectorTexts(page)) if (/Running/.test(t)) throw new Error(`a panel still says Running: ${t}`);
        const t1 = Date.now();
        await lost.locator('button.run-again').click();
        await shownRun(page, 60_000);
        console.log(`      Run again → heatmap: ${Date.now() - t1} ms`);
        await openModel(page);
        const after = await inspectorTabs(page);
        if (after.length !== 1) throw new Error(`inspector tabs after Open Model: ${JSON.stringify(after)}`);

        // The Run view's own input, then Developer: Reload Window: both come back.
        const rv = await runViewFrame(page);
        const box = rv.locator('textarea.input:not([disabled])');
        await box.waitFor({ timeout: 30_000 });
        await box.fill('');
        await box.pressSequentially('d c b 7', { delay: 40 });
        await box.press('Enter');
        await until('the Run view shows the tokens of "d c b 7"', 60_000, async () =>
          (await rv.locator('.token-row').first().locator('.token').allTextContents()).join(' ') === 'd c b 7' ? true : undefined,
        );
        await until('the inspector shows "d c b 7"', 60_000, async () =>
          (await inspectorTexts(page)).some((t) => t.includes('d c b 7')) ? true : undefined,
        );
        await sleep(1500); // the workspace state is written by the workbench shortly after
        const t2 = Date.now();
        await runCommand(page, 'Developer: Reload Window', 30_000, { navigates: true });
        await page.waitForLoadState('domcontentloaded');
        await waitForWorkbench(page, 90_000);
        const f = await shownRun(page, 120_000);
        const tokens = (await f.locator('.run-header .chips').first().locator('.chip').allTextContents()).join(' ');
        console.log(`      Reload Window → last run shown again: ${Date.now() - t2} ms (tokens ${tokens})`);
        if (tokens !== 'd c b 7') throw new Error(`after the reload the inspector shows tokens "${tokens}", not the last run's "d c b 7"`);
        const rv2 = await runViewFrame(page);
        const model = await until('the Run view names its model', 30_000, async () => {
          const t = await rv2.locator('.model-name').textContent();
          return t && t !== 'No model' ? t : undefined;
        });
        const input = await rv2.locator('textarea.input').inputValue();
        console.log(`      Run view after the reload: model "${model}", input "${input}"`);
        if (model !== MODEL || input !== 'd c b 7') throw new Error(`the Run view has model "${model}" and input "${input}"`);
        if ((await inspectorTabs(page)).length !== 1)
          throw new Error(`inspector tabs after the reload: ${JSON.stringify(await inspectorTabs(page))}`);
        await steps.screenshot('recover-reloaded');
        failed = false;
      } finally {
        await stop(steps, failed);
      }
    },
  },
];
