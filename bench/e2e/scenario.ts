// The end-to-end scenario of issue 20, driven in the real VS Code server (code-server's) with
// Chromium: a random BERT-size folder is opened from the Run view, run with n ids (cold), run
// again from the Run view's box (warm) while heads are switched, then run from the palette and
// stopped midway (stops.ts). Every figure runs from the input event to the painted
// change, both timestamped inside the frames (probe.ts); the extension host's event-loop delay and
// memory come from its loop monitor (src/loopMonitor.ts), reconnects from the server's logs
// (hostLog.ts).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import {
  findInstall,
  frameWith,
  launchBrowser,
  newPage,
  repoRoot,
  runCommand,
  sleep,
  startServer,
  waitForWorkbench,
  workbenchUrl,
} from '../../test/integration/harness';
import { LOOP_MONITOR_ENV } from '../../src/loopMonitor';
import { HostLog, type HostFigures, type PageLoadFigures } from './hostLog';
import { installProbe, Marks, type Mark } from './probe';
import { writeBertFolder, type BertSize } from './bertFolder';
import { answerQuickPick, debug, INSPECTOR_RUNNING } from './driver';
import {
  timeCancel,
  timeInspectorCancel,
  timeRestart,
  type CancelFigures,
  type InspectorCancelFigures,
  type RestartFigures,
} from './stops';

export interface ScenarioOptions {
  size: BertSize;
  /** Tokens (ids) per run. */
  n: number;
  /** Tokens of the run that is cancelled (long enough to still be going when Cancel is clicked). */
  cancelN?: number;
  warmRuns: number;
  /** Head switches during each warm run and after it. */
  switches: number;
  /** Run the Cancel and Restart Engine phases (default true). */
  cancel?: boolean;
  /** How long one run may take before the scenario gives up on it. */
  runTimeoutMs: number;
  log?: (line: string) => void;
}

export interface RunFigures {
  /** Enter → the inspector marks the shown result as out of date (a running status or stale mark). */
  staleMs?: number;
  firstHeatmapMs?: number;
  finishedMs?: number;
  /** The inspector's "ran in" badge at the end. */
  ranIn?: string;
  /** Head switches (click → that head's heatmap painted) while running, and after: clicked at once. */
  switchDuringMs: number[];
  switchAfterMs: number[];
  /** The same, with the pointer resting on the tile for POINTED_MS before the click, as a person's does. */
  switchPointedDuringMs: number[];
  switchPointedAfterMs: number[];
  /** Click → the head's numbers are there (hover), for every switch; the heatmap may come first from a preview. */
  switchValuesMs: number[];
  /** Status lines the inspector showed, in order (to see progress and what it said). */
  statuses: string[];
  /** The Run view's progress bar during the run (done/total), as it changed. */
  runViewProgress: string[];
  host: HostFigures;
}

export interface ScenarioResult {
  size: BertSize;
  n: number;
  cold: RunFigures;
  coldPage: PageLoadFigures;
  warm: RunFigures[];
  cancel?: CancelFigures;
  inspectorCancel?: InspectorCancelFigures;
  restart?: RestartFigures;
  idleHost: HostFigures;
  problems: string[];
}

function ids(n: number, vocab: number): string {
  return `ids: ${Array.from({ length: n }, (_, i) => 1 + ((i * 37 + 11) % (vocab - 1))).join(', ')}`;
}

/** The workspace with the model folder (cached between bench runs: writing 346 MB takes a while). */
function modelWorkspace(size: BertSize): { workspace: string; name: string } {
  const workspace = path.join(os.tmpdir(), 'attention-e2e-models', `bert-L${size.layers}-d${size.d}`);
  const name = 'bert-random';
  writeBertFolder(path.join(workspace, name), size);
  return { workspace, name };
}

export async function runScenario(o: ScenarioOptions): Promise<ScenarioResult> {
  const log = o.log ?? (() => undefined);
  const root = repoRoot();
  const { workspace, name } = modelWorkspace(o.size);
  const loopFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'attention-e2e-')), 'loop.jsonl');
  const server = await startServer(findInstall(), {
    kind: 'vscode-server',
    label: 'e2e',
    env: { [LOOP_MONITOR_ENV]: loopFile },
    // AI_E2E_SETTINGS='{"attentionInspector.engineThreads": 1}': the same scenario with other settings.
    settings: process.env.AI_E2E_SETTINGS ? (JSON.parse(process.env.AI_E2E_SETTINGS) as Record<string, unknown>) : undefined,
    // AI_E2E_SERVER_ARGS='--disable-websocket-compression': the same scenario with other server arguments.
    serverArgs: process.env.AI_E2E_SERVER_ARGS?.split(' ').filter(Boolean),
  });
  const host = new HostLog(loopFile, server);
  const problems: string[] = [];
  const page = await newPage(await launchBrowser());
  page.setDefaultTimeout(30_000);
  await installProbe(page);
  const marks = new Marks(page);
  marks.start();
  const input = ids(o.n, o.size.vocab);
  const inspector = (kind: string) => (m: Mark) => m.role === 'inspector' && m.kind === kind;
  try {
    await page.goto(workbenchUrl(server, workspace, [['extensionDevelopmentPath', root]]));
    await waitForWorkbench(page);
    await runCommand(page, 'Attention: Focus on Run View', 60_000);
    const sidebar = await frameWith(page, 'textarea.input');
    await sleep(2000);
    const idleFrom = Date.now();
    await sleep(2000);
    const idleHost = host.figures(idleFrom, Date.now(), host.reconnects());

    // Cold: the model chosen in the Run view; it has no examples, so the input is asked for.
    log('cold run');
    const chosenAt = Date.now();
    await sidebar.locator('button.choose').click();
    await answerQuickPick(page, /model/i, name, name);
    await page.keyboard.press('Enter');
    await answerQuickPick(page, /Type an input/, input, 'run this text');
    // AI_E2E_TRACE_COLD=<file>: a Chromium trace of the cold run.
    const coldTrace = process.env.AI_E2E_TRACE_COLD;
    if (coldTrace) await page.context().browser()!.startTracing(page, { path: coldTrace, categories: TRACE_CATEGORIES });
    const cold = await timeRun(page, marks, host, o, async () => page.keyboard.press('Enter'), 'workbench', false);
    if (coldTrace) await page.context().browser()!.stopTracing();
    const coldPage = host.pageLoad(chosenAt, Date.now());

    const warm: RunFigures[] = [];
    for (let i = 0; i < o.warmRuns; i++) {
      log(`warm run ${i + 1}`);
      const box = sidebar.locator('textarea.input');
      await box.fill(input);
      // AI_E2E_TRACE=<file>: a Chromium trace of the last warm run (chrome://tracing, Perfetto).
      const trace = process.env.AI_E2E_TRACE && i === o.warmRuns - 1 ? process.env.AI_E2E_TRACE : undefined;
      if (trace)
        await page.context().browser()!.startTracing(page, {
          path: trace,
          categories: TRACE_CATEGORIES,
        });
      warm.push(await timeRun(page, marks, host, o, () => box.press('Enter'), 'sidebar', true));
      if (trace) await page.context().browser()!.stopTracing();
    }

    // The runs stopped midway: a failed phase is a problem in the table, not the end of the bench.
    const stopInput = o.cancelN ? ids(o.cancelN, o.size.vocab) : input;
    const phase = async <T>(name: string, time: () => Promise<T>): Promise<T | undefined> => {
      if (o.cancel === false) return undefined;
      log(name);
      return time().catch((e: Error) => {
        problems.push(`${name}: ${e.message}`);
        return undefined;
      });
    };
    const cancel = await phase('cancel', () => timeCancel(page, marks, host, stopInput));
    const inspectorCancel = await phase("cancel on the inspector's line", () => timeInspectorCancel(page, marks, host, stopInput));
    const restart = await phase('restart engine', () => timeRestart(page, marks, host, stopInput));
    for (const m of marks.all.filter(inspector('banner')).filter((m) => m.value)) problems.push(`inspector banner: ${m.value}`);
    return { size: o.size, n: o.n, cold, coldPage, warm, cancel, inspectorCancel, restart, idleHost, problems };
  } finally {
    marks.stop();
    // The host's samples and marks (debugMark), to see where a long delay falls.
    if (fs.existsSync(loopFile)) {
      const dir = path.join(root, 'artifacts', 'bench'); // absent on a fresh clone
      fs.mkdirSync(dir, { recursive: true });
      fs.copyFileSync(loopFile, path.join(dir, `e2e-host-L${o.size.layers}.jsonl`));
    }
    if (process.env.AI_E2E_KEEP) log(`server files kept: ${server.tempDir}`);
    await server.stop(!!process.env.AI_E2E_KEEP);
  }
}

const TRACE_CATEGORIES = [
  'devtools.timeline',
  'v8',
  'disabled-by-default-devtools.timeline',
  'toplevel',
  'blink',
  'ServiceWorker',
  'loading',
  'navigation',
];

/** Switches timed during runs so far: clicked at once and pointed at first take turns across runs. */
let duringSwitches = 0;

/** The part of a run after the Enter: stale mark, first heatmap, head switches, the end. */
async function timeRun(
  page: Page,
  marks: Marks,
  host: HostLog,
  o: ScenarioOptions,
  enter: () => Promise<void>,
  from: Mark['role'],
  switches: boolean,
): Promise<RunFigures> {
  const before = Date.now();
  const rc = host.reconnects();
  await enter();
  const t0 = (await marks.next((m) => m.role === from && m.kind === 'input:enter', before, 5000))?.t ?? before;
  const isInspector = (k: string) => (m: Mark) => m.role === 'inspector' && m.kind === k;
  const finished = (m: Mark) => isInspector('status')(m) && !INSPECTOR_RUNNING.test(m.value) && /ran in/.test(m.value);
  // Waited for together: a short run may finish before anything says it is running.
  const ending = marks.next(finished, t0, o.runTimeoutMs);
  const staleP = marks.next((m) => isInspector('status')(m) && INSPECTOR_RUNNING.test(m.value), t0, o.runTimeoutMs);
  // The new run's first heatmap. On a page that was already open, a head painted before the new
  // run message reached it is the previous run's (the numbers of its last switch arriving).
  const pageOpen = marks.all.some((m) => m.role === 'inspector' && m.t < t0);
  const runArrived = pageOpen
    ? await marks.next((m) => isInspector('msg')(m) && m.value.startsWith('run ('), t0, o.runTimeoutMs)
    : undefined;
  const first = pageOpen && !runArrived ? undefined : await marks.next(isInspector('head'), runArrived?.t ?? t0, o.runTimeoutMs);
  const during: number[] = [];
  const after: number[] = [];
  const pointedDuring: number[] = [];
  const pointedAfter: number[] = [];
  const values: number[] = [];
  if (switches && first) {
    // Clicked at once and pointed at first, in turn, for as long as the run goes on.
    for (let i = 0; i < 2 * o.switches && !marks.all.some((m) => m.t > t0 && finished(m)); i++) {
      // In turn, over all runs: a run may end after one switch.
      const pointed = duringSwitches++ % 2 === 1;
      const ms = await switchHead(page, marks, host, i, o.size, pointed ? POINTED_MS : 0);
      if (ms) (pointed ? pointedDuring : during).push(ms.painted);
      if (ms?.values !== undefined) values.push(ms.values);
    }
  }
  const end = await ending;
  const stale = end
    ? marks.all
        .filter((m) => isInspector('status')(m) && INSPECTOR_RUNNING.test(m.value) && m.t >= t0 && m.t <= end.t)
        .sort((a, b) => a.t - b.t)[0]
    : await staleP;
  const tEnd = end?.t ?? Date.now();
  const began = host.marks(t0, tEnd).find((m) => m.mark.startsWith('begin '));
  const until = first?.t ?? stale?.t;
  if (until)
    debug(
      `until the first heatmap: host posts ${host
        .marks(t0, until)
        .filter((m) => m.mark.startsWith('post '))
        .map((m) => `${m.mark.slice(5)} +${Math.round(m.t - t0)}`)
        .join(', ')}; page got ${marks.all
        .filter((m) => m.role === 'inspector' && m.kind === 'msg' && m.t >= t0 && m.t <= until)
        .map((m) => `${m.value} +${Math.round(m.t - t0)}`)
        .join(', ')}`,
    );
  if (!switches)
    debug(
      `frames: ${marks.all
        .filter((m) => (m.kind === 'boot' || m.kind === 'parsed') && m.t >= t0 && m.t <= (first?.t ?? tEnd))
        .sort((a, b) => a.t - b.t)
        .map((m) => `${m.kind} ${m.value || '?'} (${m.role}) +${Math.round(m.t - t0)}`)
        .join(', ')}; host: ${host
        .marks(t0, first?.t ?? tEnd)
        .filter((m) => m.mark.startsWith('page: ') || m.mark === 'panel created')
        .map((m) => `${m.mark} +${Math.round(m.t - t0)}`)
        .join(', ')}`,
    );
  debug(
    `stale: the host began the run +${began ? Math.round(began.t - t0) : '?'} ms after Enter, the page dimmed +${stale ? Math.round(stale.t - t0) : '?'} ms`,
  );
  debug(
    `run: host ${host
      .marks(t0, tEnd)
      .filter((m) => !m.mark.startsWith('post ') && !m.mark.startsWith('head '))
      .map((m) => `${m.mark} +${Math.round(m.t - t0)}`)
      .join(', ')}`,
  );
  for (const m of marks.all.filter((m) => m.kind === 'loaf' && m.t >= t0 - 100 && m.t <= (first?.t ?? tEnd)))
    debug(`long frame (${m.role} ${m.where}) +${Math.round(m.t - t0)}: ${m.value}`);
  if (switches && end) {
    await sleep(300);
    for (let i = 0; i < 2 * o.switches; i++) {
      const pointed = i >= o.switches;
      const ms = await switchHead(page, marks, host, 100 + i, o.size, pointed ? POINTED_MS : 0);
      if (ms) (pointed ? pointedAfter : after).push(ms.painted);
      if (ms?.values !== undefined) values.push(ms.values);
    }
  }
  const statuses = marks.all
    .filter((m) => isInspector('status')(m) && m.t >= t0 && m.t <= tEnd)
    .sort((a, b) => a.t - b.t)
    .map((m) => `${Math.round(m.t - t0)} ms: ${m.value}`);
  return {
    staleMs: stale && stale.t - t0,
    firstHeatmapMs: first && first.t - t0,
    finishedMs: end && end.t - t0,
    ranIn: end && /ran in ([\d.]+ m?s)/.exec(end.value)?.[1],
    switchDuringMs: during,
    switchAfterMs: after,
    switchPointedDuringMs: pointedDuring,
    switchPointedAfterMs: pointedAfter,
    switchValuesMs: values,
    statuses,
    runViewProgress: marks.all
      .filter((m) => m.role === 'sidebar' && m.kind === 'progress' && m.value && m.t >= t0 && m.t <= tEnd)
      .sort((a, b) => a.t - b.t)
      .map((m) => m.value),
    host: host.figures(t0, Math.max(Date.now(), tEnd), rc),
  };
}

/**
 * How long the pointer rests on a tile before the click, for the "pointed" switches: a person's
 * pointer reaches a tile and stops before the button goes down (a bot's click has no such pause).
 */
export const POINTED_MS = 150;

/**
 * Clicks a tile of the inspector's grid (one of the layers shown), after resting the pointer on it
 * for `pointMs`, and times it from the click until that head is painted, and until it is painted
 * with its numbers (after a preview's colours).
 */
async function switchHead(
  page: Page,
  marks: Marks,
  host: HostLog,
  k: number,
  size: BertSize,
  pointMs: number,
): Promise<{ painted: number; values?: number } | undefined> {
  const ins = await frameWith(page, '#app .run-header');
  const layers = await ins
    .locator('.grid-cell[data-layer]')
    .evaluateAll((es) => [...new Set(es.map((e) => Number(e.getAttribute('data-layer'))))]);
  const title = await ins.locator('.detail-title').textContent();
  if (!layers.length) return undefined;
  let layer = layers[(k * 7) % layers.length];
  let head = (k * 5 + 3) % size.heads;
  if (title === `Layer ${layer} · Head ${head}`) head = (head + 1) % size.heads;
  layer = layers.includes(layer) ? layer : layers[0];
  const tile = ins.locator(`.grid-cell[data-layer="${layer}"][data-head="${head}"]`);
  let before = Date.now();
  try {
    if (pointMs) {
      await tile.hover({ timeout: 10_000 });
      await sleep(pointMs);
      before = Date.now();
    }
    await tile.click({ timeout: 10_000 });
  } catch (e) {
    debug(`switch to ${layer}/${head}: click failed: ${(e as Error).message.split('\n')[0]}`);
    return undefined; // the grid was redrawn under the click (a new layer arrived)
  }
  const click = await marks.next((m) => m.role === 'inspector' && m.kind === 'input:click' && m.value === `${layer}/${head}`, before, 5000);
  if (!click) {
    debug(`switch to ${layer}/${head}: no click mark`);
    return undefined;
  }
  const shown = await marks.next(
    (m) => m.role === 'inspector' && m.kind === 'head' && m.value === `Layer ${layer} · Head ${head}`,
    click.t,
    60_000,
  );
  const last = (kind: string) =>
    shown && marks.all.filter((m) => m.role === 'inspector' && m.kind === kind && m.t >= click.t && m.t <= shown.t).pop();
  const full = await marks.next(
    (m) => m.role === 'inspector' && m.kind === 'headValues' && m.value === `Layer ${layer} · Head ${head}`,
    click.t,
    10_000,
  );
  const hostMarks = shown
    ? host
        .marks(click.t - pointMs, (full ?? shown).t)
        .filter((m) => m.mark.startsWith('head '))
        .map((m) => `${m.mark.startsWith(`head ${layer}/${head}:`) ? m.mark.split(': ')[1] : m.mark} +${Math.round(m.t - click.t)}`)
        .join(', ')
    : '';
  debug(
    `switch to ${layer}/${head}${pointMs ? ` (pointed ${pointMs} ms)` : ''}: ${shown ? Math.round(shown.t - click.t) : 'never'} ms; ` +
      `page waited ${last('headWaitMs')?.value ?? '?'} ms, ` +
      `drew ${last('headDrawMs')?.value ?? '?'} ms; page got ${marks.all
        .filter(
          (m) =>
            m.role === 'inspector' && m.kind === 'msg' && /^head/.test(m.value) && m.t >= click.t && m.t <= (shown?.t ?? click.t) + 1000,
        )
        .map((m) => `${m.value} +${Math.round(m.t - click.t)}`)
        .join(', ')}; host (ms after the click): ${hostMarks}${marks.all
        .filter(
          (m) => m.role === 'inspector' && m.kind === 'banner' && m.value && m.t >= click.t && m.t <= (full ?? shown ?? click).t + 1000,
        )
        .map((m) => `; banner: ${m.value}`)
        .join('')}`,
  );
  if (shown && shown.t - click.t > 100)
    for (const m of marks.all.filter((m) => m.kind === 'loaf' && m.t >= click.t - 50 && m.t <= shown.t))
      debug(`  long frame (${m.role} ${m.where}) +${Math.round(m.t - click.t)}: ${m.value}`);
  if (!shown) return { painted: 60_000 };
  return { painted: shown.t - click.t, values: full && full.t - click.t };
}
