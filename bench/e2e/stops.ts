// The scenario's phases that stop a run midway (bench/e2e/scenario.ts): Cancel on the progress
// notification, Cancel on the inspector's running line, and Attention: Restart Engine from the
// palette, each during a palette run, timed from the click to what the inspector then says.
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { frameWith, repoRoot, runCommand, sleep, waitForPaletteItems } from '../../test/integration/harness';
import type { Mark, Marks } from './probe';
import { answerQuickPick, CANCELLING, debug, INSPECTOR_RUNNING } from './driver';
import type { HostFigures, HostLog } from './hostLog';

export interface CancelFigures {
  firstHeatmapMs?: number;
  /** Cancel click → the inspector no longer says "Running". */
  inspectorMs?: number;
  /** Cancel click → the "run cancelled" notification is on screen (polled, ±50 ms). */
  notificationMs?: number;
  /** What the inspector said after Cancel. */
  after: string;
  host: HostFigures;
}

export interface InspectorCancelFigures {
  /** The running line's Cancel click → the line says "Cancelling" (the page's own answer). */
  saysMs?: number;
  /** Click → the engine worker stopped the run (its reply to the cancelled run reached the host). */
  stoppedMs?: number;
  /** Click → the inspector no longer says "Running" or "Cancelling" (the host's answer painted). */
  inspectorMs?: number;
  after: string;
  host: HostFigures;
}

export interface RestartFigures {
  /** Attention: Restart Engine chosen in the palette during a run → the inspector no longer says "Running". */
  inspectorMs?: number;
  /** What the inspector said after it. */
  after: string;
  host: HostFigures;
}

/** The inspector's first status line after `t` that no longer says the run goes on (or is being cancelled). */
const notRunning = (marks: Marks, t: number) =>
  marks.next(
    (m) => m.role === 'inspector' && m.kind === 'status' && !INSPECTOR_RUNNING.test(m.value) && !CANCELLING.test(m.value),
    t,
    60_000,
  );

/** What the host and the page did between a click that stops a run and the page saying so. */
function debugStop(what: string, host: HostLog, marks: Marks, click: number, settled: Mark | undefined): void {
  if (!settled) {
    debug(`${what}: the inspector still says Running`);
    return;
  }
  const atHost = host.marks(click - 50, settled.t).map((m) => `${m.mark} +${Math.round(m.t - click)}`);
  const page = marks.all
    .filter((m) => m.role === 'inspector' && m.kind === 'msg' && m.t >= click && m.t <= settled.t)
    .map((m) => `${m.value} +${Math.round(m.t - click)}`);
  debug(`${what}: host ${atHost.join(', ')}; page got ${page.join(', ')}; shown +${Math.round(settled.t - click)}: ${settled.value}`);
}

/**
 * Run with Input… from the palette; resolves a second into the run, while the engine works (a small
 * run may not stream before it ends).
 */
async function startPaletteRun(page: Page, marks: Marks, input: string): Promise<{ t0: number; first?: Mark }> {
  // Not runCommand: it waits for the palette to close, but this command opens its quick pick at once.
  await waitForPaletteItems(page, 'Attention: Run with Input…', ['Attention: Run with Input…']);
  await page.locator('.quick-input-list .monaco-list-row').filter({ hasText: 'Run with Input…' }).first().click();
  await answerQuickPick(page, /Type an input/, input, 'run this text');
  const before = Date.now();
  await page.keyboard.press('Enter');
  const t0 = (await marks.next((m) => m.role === 'workbench' && m.kind === 'input:enter', before, 5000))?.t ?? before;
  await marks.next((m) => m.role === 'inspector' && m.kind === 'status' && INSPECTOR_RUNNING.test(m.value), t0, 10_000);
  await sleep(Math.max(0, t0 + 1000 - Date.now()));
  const first = marks.all.filter((m) => m.role === 'inspector' && m.kind === 'head' && m.t >= t0).sort((a, b) => a.t - b.t)[0];
  return { t0, first };
}

/** Run with Input… from the palette, then Cancel on the inspector's running line. */
export async function timeInspectorCancel(page: Page, marks: Marks, host: HostLog, input: string): Promise<InspectorCancelFigures> {
  const rc = host.reconnects();
  const { t0 } = await startPaletteRun(page, marks, input);
  const ins = await frameWith(page, '#app .run-header');
  const before = Date.now();
  // The line is redrawn with each streamed layer: Playwright's click finds it again until one lands.
  await ins.locator('.run-cancel:not([disabled])').first().click({ timeout: 10_000 });
  const clicked = await marks.next((m) => m.role === 'inspector' && m.kind === 'input:click' && m.value === 'Cancel', before, 2000);
  if (!clicked) throw new Error("the click on the inspector's Cancel was not seen");
  const click = clicked.t;
  const says = await marks.next((m) => m.role === 'inspector' && m.kind === 'status' && CANCELLING.test(m.value), click, 10_000);
  const settled = await notRunning(marks, click);
  debugStop("cancel on the inspector's line", host, marks, click, settled);
  // The worker's reply may come after the page says so: wait for it.
  let stopped: { t: number } | undefined;
  for (const until = Date.now() + 5000; !stopped && Date.now() < until; await sleep(50))
    stopped = host.marks(click, Date.now()).find((m) => /^engine: cancelled run \d+ stopped/.test(m.mark));
  await sleep(500);
  return {
    saysMs: says && says.t - click,
    stoppedMs: stopped && stopped.t - click,
    inspectorMs: settled && settled.t - click,
    after: settled?.value ?? '(no change)',
    host: host.figures(t0, Date.now(), rc),
  };
}

/** Run with Input… from the palette, then Attention: Restart Engine from the palette while it runs. */
export async function timeRestart(page: Page, marks: Marks, host: HostLog, input: string): Promise<RestartFigures> {
  const rc = host.reconnects();
  const { t0 } = await startPaletteRun(page, marks, input);
  const before = Date.now();
  await runCommand(page, 'Attention: Restart Engine');
  // The palette row's click is the only click in the workbench after `before`.
  const click = (await marks.next((m) => m.role === 'workbench' && m.kind === 'input:click', before, 5000))?.t;
  if (click === undefined) throw new Error('the click on Restart Engine in the palette was not seen');
  const settled = await notRunning(marks, click);
  debugStop('restart engine', host, marks, click, settled);
  await sleep(500);
  return { inspectorMs: settled && settled.t - click, after: settled?.value ?? '(no change)', host: host.figures(t0, Date.now(), rc) };
}

/** Run with Input… from the palette, then Cancel on its progress notification. */
export async function timeCancel(page: Page, marks: Marks, host: HostLog, input: string): Promise<CancelFigures> {
  const rc = host.reconnects();
  const { t0, first } = await startPaletteRun(page, marks, input);
  // Toasts are not shown in this headless setup: Cancel from the notification center (status bar bell).
  await page.locator('[id="status.notifications"] a, [id="status.notifications"]').first().click();
  const center = page.locator('.notifications-center');
  const cancelButton = center
    .locator('.notification-list-item')
    .filter({ hasText: 'Attention: running' })
    .locator('.monaco-button')
    .filter({ hasText: 'Cancel' })
    .first();
  try {
    await cancelButton.waitFor({ state: 'visible', timeout: 10_000 });
  } catch {
    await page.screenshot({ path: path.join(repoRoot(), 'artifacts', 'bench', 'e2e-cancel-missing.png') });
    return {
      firstHeatmapMs: first && first.t - t0,
      after: 'no Cancel button (the run had finished?)',
      host: host.figures(t0, Date.now(), rc),
    };
  }
  const beforeClick = Date.now();
  // The notification is redrawn at each progress report, under a pointer click's stability checks
  // (they time out): the click is dispatched on the button as found, again until one lands.
  let clicked: Mark | undefined;
  for (let tries = 0; !clicked && tries < 20; tries++) {
    await cancelButton.dispatchEvent('click', undefined, { timeout: 2000 }).catch((e: Error) => debug(`cancel click: ${e.message}`));
    clicked = await marks.next((m) => m.role === 'workbench' && m.kind === 'input:click' && /Cancel/.test(m.value), beforeClick, 300);
  }
  if (!clicked) throw new Error('the Cancel button could not be clicked');
  const click = clicked.t;
  const settled = await notRunning(marks, click);
  debugStop('cancel', host, marks, click, settled);
  let notificationMs: number | undefined;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    // In the center (still open from the Cancel) or as a toast, if the center closed once empty.
    if (await page.locator('.notification-list-item').filter({ hasText: 'run cancelled' }).count()) {
      notificationMs = Date.now() - click;
      break;
    }
    await sleep(50);
  }
  await sleep(500);
  return {
    firstHeatmapMs: first && first.t - t0,
    inspectorMs: settled && settled.t - click,
    notificationMs,
    after: settled?.value ?? '(no change)',
    host: host.figures(t0, Date.now(), rc),
  };
}
