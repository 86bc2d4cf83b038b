// (a) the head grid of a BERT-base-shaped run (144 heads, n = 512) from the run being posted to
// the grid painted, and (b) switching heads by click and by keyboard until the heatmap is painted.
// The page is the real inspector (buildWebviewHtml + dist/webview/inspector.js) answered by the real
// InspectorSession through the webview test harness.
import type { Browser } from 'playwright-core';
import type { RunResult } from '../../src/engine/types';
import { openInspector, type Inspector } from '../../test/webview/harness';
import { sliceHead } from '../../common/headData';
import { markBefore, Probe, typedArraysOf, type Posted } from './probe';

export interface GridTrial {
  /** Host: InspectorSession.setResult (run meta, per-head statistics, thumbnails). */
  hostPrepMs: number;
  /** Page clock: the 'run' message reaching the page → the grid's frame painted. */
  postedToPaintedMs: number;
  /** hostPrepMs + postedToPaintedMs: the whole path but the transport of the typed arrays. */
  hostPlusPageMs: number;
  /** The page's own grid drawing (data-grid-ms), without style, layout and paint. */
  drawMs: number;
  /** Page clock: the 'run' message → the first head's heatmap painted. */
  firstHeatmapMs: number;
  /** Typed-array bytes that crossed in the timed path through the slow harness way (should be 0). */
  unstagedBytes: number;
  posted: Posted[];
  /** The page's marks in ms after the run message reached it (where the time goes). */
  timeline: string[];
}

export interface SwitchTrial {
  how: 'click' | 'keyboard';
  layer: number;
  head: number;
  /** Page clock: the click / Enter → the heatmap's frame painted (request to the host and its reply through the harness, the page). */
  inputToPaintedMs: number;
  /** Page clock: the 'head' message dispatched (decoded) → painted: the page's own cost. */
  messageToPaintedMs: number;
  drawMs: number;
  unstagedBytes: number;
}

export async function openPage(browser: Browser, origin: string): Promise<{ ins: Inspector; probe: Probe }> {
  const ins = await openInspector(browser, origin, undefined, 'UI bench');
  await ins.page.waitForSelector('#app');
  const probe = await Probe.attach(ins);
  return { ins, probe };
}

/** The typed arrays of the session's answer to a request for this head (to stage them). */
export function headArrays(result: RunResult, layer: number, head: number): (Float32Array | Uint8Array | undefined)[] {
  const s = sliceHead(result.attentions[layer], head);
  return [s.probs, s.scores, s.mask];
}

/** Posts `result` as a new run and waits until the grid and the first heatmap are painted. */
export async function gridTrial(ins: Inspector, probe: Probe, shared: RunResult, title: string): Promise<GridTrial> {
  // New probability arrays each trial (untimed), as each run has: the host keeps per-array
  // summaries (headSummaries), and a repeat of the same arrays would time only its cache.
  const result: RunResult = { ...shared, attentions: shared.attentions.map((a) => ({ ...a, probs: a.probs.slice() })) };
  await probe.takeMarks();
  probe.posted = [];
  probe.unstagedBytes = 0;
  const from = probe.cursor;
  const heat = probe.nextPaint('head', from);
  const t0 = performance.now();
  const messages = ins.session.setResult(result, title);
  const hostPrepMs = performance.now() - t0;
  // Untimed: the run's thumbnails and the head the page will ask for (the selected one, L0 H0).
  await probe.stage([...typedArraysOf(messages), ...headArrays(result, 0, 0)]);
  await probe.send(messages);
  const grid = await probe.nextPaint('grid', from);
  const head = await heat;
  const marks = await probe.takeMarks();
  const runAt = markBefore(marks, 'deliver:run', grid.page);
  return {
    hostPrepMs,
    postedToPaintedMs: grid.page - runAt,
    hostPlusPageMs: hostPrepMs + grid.page - runAt,
    drawMs: grid.js,
    firstHeatmapMs: head.page - runAt,
    unstagedBytes: probe.unstagedBytes,
    posted: probe.posted,
    timeline: marks.map((m) => `${(m.t - runAt).toFixed(1)} ${m.name}`),
  };
}

/**
 * `count` switches alternating a click on a tile and the keyboard (arrow keys to a neighbour,
 * then Enter), each to a different head than the one open. Starts from the selected head (0, 0).
 */
export async function switchTrials(
  ins: Inspector,
  probe: Probe,
  result: RunResult,
  count: number,
  layers = 12,
  heads = 12,
): Promise<SwitchTrial[]> {
  const { page } = ins;
  const out: SwitchTrial[] = [];
  let seed = 99;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
  let at = 0; // grid index of the focused tile (layer * heads + head)
  for (let i = 0; i < count; i++) {
    const how = i % 2 === 0 ? 'click' : 'keyboard';
    // Keyboard: one row down (or up at the bottom) and one tile right (or left at the end).
    const down = at + heads < layers * heads;
    const right = at % heads < heads - 1;
    let target = at + (down ? heads : -heads) + (right ? 1 : -1);
    if (how === 'click') {
      do target = Math.floor(rnd() * layers * heads);
      while (target === at);
    }
    await probe.stage(headArrays(result, Math.floor(target / heads), target % heads)); // untimed
    await probe.takeMarks();
    probe.unstagedBytes = 0;
    const from = probe.cursor;
    const painted = probe.nextPaint('head', from);
    if (how === 'click') {
      await page.click(`.grid-cell[data-layer="${Math.floor(target / heads)}"][data-head="${target % heads}"]`);
    } else {
      await page.keyboard.press(down ? 'ArrowDown' : 'ArrowUp');
      await page.keyboard.press(right ? 'ArrowRight' : 'ArrowLeft');
      await page.keyboard.press('Enter');
    }
    at = target;
    const p = await painted;
    const marks = await probe.takeMarks();
    const layer = Math.floor(target / heads);
    const head = target % heads;
    const title = await page.locator('.detail-title').textContent();
    if (title !== `Layer ${layer} · Head ${head}`)
      throw new Error(`switch ${i} (${how}) opened “${title}”, expected layer ${layer} head ${head}`);
    const input = markBefore(marks, how === 'click' ? 'input:click' : 'input:enter', p.page);
    if (process.env.DEBUG) console.log(marks.map((m) => `${(m.t - input).toFixed(1)} ${m.name}`).join(' | '));
    out.push({
      how,
      layer,
      head,
      inputToPaintedMs: p.page - input,
      messageToPaintedMs: p.page - markBefore(marks, 'message:head', p.page),
      drawMs: p.js,
      unstagedBytes: probe.unstagedBytes,
    });
    await page.waitForTimeout(50); // let the tooltip and focus settle; not timed
  }
  return out;
}
