// A long run shown before it ends: the partial result (the engine's first finished layers, as
// EngineHost hands them over) fills the grid with those layers and says the run is going on;
// the final result replaces it and keeps the head the person opened meanwhile.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadModel, runModel } from '../../src/engine/run';
import type { RunResult } from '../../src/engine/types';
import { writeRandomTransformer } from '../helpers/randomModel';
import {
  assertClean,
  cellPixel,
  check,
  colourDistance,
  equal,
  hoverCell,
  screenPixels,
  screenshot,
  waitForHead,
  withInspector,
  type Case,
  type CaseContext,
} from './helpers';
import type { Inspector } from './harness';

/** A 4-layer encoder run, and the partial result the host shows after its second layer. */
function runWithPartial(): { final: RunResult; partial: RunResult; partial3: RunResult } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-stream-view-'));
  try {
    const file = writeRandomTransformer(dir, { kind: 'encoder', dModel: 16, heads: 2, layers: 4 });
    const at = new Map<number, RunResult>();
    const final = runModel(loadModel(file), { ids: [3, 4, 5, 6, 7] }, undefined, (p) => {
      const copy = p.attentions.map((a) => ({ ...a, probs: a.probs.slice(), scores: a.scores.slice() }));
      at.set(p.attentions.length, {
        model: p.model,
        tokens: p.tokens,
        ids: p.ids,
        attentions: copy,
        addNorm: [],
        running: { ...p.progress },
      });
    });
    const partial = at.get(2);
    const partial3 = at.get(3);
    check(partial && partial3, 'the engine handed out the first two and three layers');
    return { final, partial, partial3 };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A case that opens on the partial run, its first head drawn, with the run's other results at hand. */
const onPartial =
  (body: (ins: Inspector, runs: ReturnType<typeof runWithPartial>, ctx: CaseContext) => Promise<void>) =>
  (ctx: CaseContext): Promise<void> => {
    const runs = runWithPartial();
    return withInspector(ctx, runs.partial, async (ins) => {
      await waitForHead(ins.page, 0, 0);
      await body(ins, runs, ctx);
    });
  };

const tiles = (page: import('playwright-core').Page) =>
  page.$$eval('.grid-cell', (cells) => cells.map((c) => `${(c as HTMLElement).dataset.layer}.${(c as HTMLElement).dataset.head}`));

export const STREAMING_CASES: Case[] = [
  {
    name: 'streaming: a partial run shows its finished layers and a progress line; the final result replaces it, keeping the open head',
    run: onPartial(async (ins, { final }, ctx) => {
      const { page } = ins;
      equal((await tiles(page)).join(' '), '0.0 0.1 1.0 1.1', 'only the two finished layers are tiles');
      const status = await page.textContent('.run-status');
      check(
        /Running \(encoder layer 3\/4\)… Showing the 2 layers finished so far; the rest appear when the run ends\./.test(status ?? ''),
        `status line: ${status}`,
      );
      equal(await page.getAttribute('.run-progress', 'value'), '2', 'progress value');
      equal(await page.getAttribute('.run-progress', 'max'), '4', 'progress max');
      check((await page.$('.run-engine')) === null, 'no run time while the run goes on');
      await screenshot(page, ctx.artifacts, 'streaming-partial');
      // The person opens layer 1 head 1 while the run goes on…
      await page.click('.grid-cell[data-layer="1"][data-head="1"]');
      await waitForHead(page, 1, 1);
      // …and the final result arrives, with how the worker ran it.
      await ins.send(ins.session.setResult({ ...final, engine: { kernels: 'native AVX-512', threads: 2, ms: 116.5 } }, 'final'));
      await page.waitForFunction(() => document.querySelectorAll('.grid-cell').length === 8, undefined, { timeout: 5000 });
      await waitForHead(page, 1, 1);
      check((await page.$('.run-status')) === null, 'the progress line is gone');
      equal(await page.textContent('.run-engine'), 'ran in 117 ms', 'run time badge');
      equal(
        await page.getAttribute('.run-engine', 'title'),
        'The engine ran this on the native AVX-512 kernels, 2 threads (setting attentionInspector.engineThreads).',
        'badge tooltip',
      );
      // What the detail shows is the final run's number for that cell.
      const a = final.attentions[1];
      const tip = await hoverCell(page, 2, 3);
      const want = a.probs[(1 * a.queries + 2) * a.keys + 3];
      check(
        Math.abs(Number(tip.probability) - want) <= 0.0005,
        `cell (2, 3) of layer 1 head 1: shown ${tip.probability}, run ${want.toFixed(6)}`,
      );
      await assertClean(ins);
    }),
  },
  {
    name: 'streaming: a run cancelled after a partial result says so and keeps the finished layers',
    run: (ctx) => {
      const { partial } = runWithPartial();
      const stopped: RunResult = { ...partial, running: { ...partial.running!, stopped: 'cancelled' } };
      return withInspector(ctx, stopped, async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        const status = await page.textContent('.run-status.stopped');
        check(
          /The run was cancelled \(at encoder layer 3\/4\): only the 2 layers finished before it stopped are shown\./.test(status ?? ''),
          `status line: ${status}`,
        );
        equal((await tiles(page)).length, 4, 'the two finished layers stay');
        await assertClean(ins);
      });
    },
  },
  {
    name: 'streaming: a new run marks the shown result out of date at once; Cancel says the previous run is back; its result clears the mark',
    run: (ctx) => {
      const { final } = runWithPartial();
      return withInspector(ctx, final, async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        check((await page.$('.stale')) === null, 'a finished run is not marked');
        await ins.send([
          ins.session.setRunStatus('running', 'Running m (encoder layer 1/4)… The heads below are from the previous run.', {
            done: 1,
            total: 4,
          }),
        ]);
        await page.waitForSelector('.run-pending.stale', { timeout: 5000 });
        // A bar of the layers done: determinate (an indeterminate one animates every frame).
        equal(
          await page.$eval('.run-pending progress', (e) => `${e.getAttribute('value')}/${e.getAttribute('max')}`),
          '1/4',
          'the running line’s bar: layers done / total',
        );
        equal(
          await page.textContent('.run-pending-text'),
          'Running m (encoder layer 1/4)… The heads below are from the previous run.',
          'running line',
        );
        check(await page.$eval('main.layout', (e) => e.classList.contains('stale-content')), 'the previous heads are dimmed');
        await screenshot(page, ctx.artifacts, 'streaming-stale');
        // A reload in the middle gets the line again with the snapshot.
        const again = ins.session.snapshot();
        check(
          again.some((m) => m.type === 'runStatus' && m.state === 'running'),
          'the snapshot carries the running line',
        );
        // Cancel: the line and the previous run put back come together (as the host sends them); the
        // line is painted before the page handles the run (a whole run took it 100–400 ms in VS Code).
        await page.evaluate(() => {
          const w = window as unknown as { __firstFrame?: Promise<{ line: string; title: string }> };
          w.__firstFrame = new Promise((resolve) => {
            new MutationObserver((_, obs) => {
              if (!document.querySelector('.run-pending.cancelled')) return;
              obs.disconnect();
              const text = (s: string) => document.querySelector(s)?.textContent ?? '';
              requestAnimationFrame(() => resolve({ line: text('.run-pending-text'), title: text('.run-title') }));
            }).observe(document.body, { subtree: true, childList: true, attributes: true });
          });
        });
        const titleBefore = await page.textContent('.run-title');
        await ins.sendInOneTask([
          ins.session.setRunStatus('cancelled', 'Run cancelled. The panel shows the previous run.'),
          ...ins.session.setResult(final, 'put back'),
          ins.session.setRunStatus('cancelled', 'Run cancelled. The panel shows the previous run.'),
        ]);
        const first = await page.evaluate(
          () => (window as unknown as { __firstFrame: Promise<{ line: string; title: string }> }).__firstFrame,
        );
        equal(first.line, 'Run cancelled. The panel shows the previous run.', 'the line, in the first frame after it');
        equal(first.title, titleBefore ?? '', 'that frame still shows the run it had: the put-back run waits for the paint');
        await page.waitForFunction(() => document.querySelector('.run-title')?.textContent === 'put back', undefined, { timeout: 5000 });
        await page.waitForSelector('.run-pending.cancelled', { timeout: 5000 });
        check((await page.$('.stale')) === null, 'no longer marked out of date');
        check(!(await page.$eval('main.layout', (e) => e.classList.contains('stale-content'))), 'no longer dimmed');
        await ins.send([ins.session.setRunStatus('running', 'Running m (starting)… The heads below are from the previous run.')]);
        await page.waitForSelector('.run-pending.stale', { timeout: 5000 });
        await ins.send(ins.session.setResult(final, 'next'));
        await page.waitForFunction(() => !document.querySelector('.run-pending'), undefined, { timeout: 5000 });
        check(!(await page.$eval('main.layout', (e) => e.classList.contains('stale-content'))), 'the new result is not dimmed');
        check(!ins.session.snapshot().some((m) => m.type === 'runStatus'), 'the new result forgets the line');
        await assertClean(ins);
      });
    },
  },
  {
    name: "streaming: the running line's Cancel says 'Cancelling…' in the click's frame, asks the host once, and keeps saying it until the run stops",
    run: onPartial(async (ins, { final, partial3 }) => {
      const { page } = ins;
      const cancelPosts = () => ins.received.filter((m) => (m as { type?: string }).type === 'cancelRun').length;
      // The frame after the click already says so: the host's answer crosses the workbench.
      const firstFrame = () =>
        page.evaluate(
          (sel) =>
            new Promise<string>((resolve) => {
              const b = document.querySelector(`${sel} .run-cancel`) as HTMLButtonElement;
              b.click();
              requestAnimationFrame(() => resolve(`${document.querySelector(`${sel}-text`)?.textContent}|${b.disabled}`));
            }),
          '.run-status',
        );
      equal(await page.textContent('.run-status .run-cancel'), 'Cancel', 'the streamed run’s line has a Cancel button');
      const saysAtOnce = 'Cancelling the run… Showing the 2 layers finished so far.|true'; // the line's text | the button is off
      equal(await firstFrame(), saysAtOnce, 'the line, in the frame after the click');
      await ins.waitForPosted((m) => m.type === 'cancelRun');
      // More layers came before the run stopped: the line still says Cancelling, the button stays off.
      await ins.send(ins.session.extendResult(partial3, 'more'));
      await page.waitForFunction(() => document.querySelectorAll('.grid-cell').length === 6, undefined, { timeout: 5000 });
      equal(await page.textContent('.run-status-text'), 'Cancelling the run… Showing the 3 layers finished so far.', 'after more layers');
      check(await page.$eval('.run-status .run-cancel', (b) => (b as HTMLButtonElement).disabled), 'Cancel stays disabled');
      await page.click('.run-status .run-cancel', { force: true });
      equal(cancelPosts(), 1, 'the host is asked once');
      // The host stopped it: it says so, then sends the run to show instead (here: the stopped run,
      // which says so and has no Cancel). The "Running…" line is gone in the frame after the status.
      await page.evaluate(() => {
        const w = window as unknown as { __afterStatus?: Promise<string> };
        w.__afterStatus = new Promise((resolve) => {
          new MutationObserver((_, obs) => {
            if (!document.querySelector('.run-pending.cancelled')) return;
            obs.disconnect();
            requestAnimationFrame(() => resolve(document.querySelector('.run-status-text')?.textContent ?? '(none)'));
          }).observe(document.body, { subtree: true, childList: true });
        });
      });
      const stopped: RunResult = { ...partial3, running: { ...partial3.running!, stopped: 'cancelled' } };
      await ins.sendInOneTask([ins.session.setRunStatus('cancelled', 'Run cancelled.'), ...ins.session.setResult(stopped, 'stopped')]);
      equal(
        await page.evaluate(() => (window as unknown as { __afterStatus: Promise<string> }).__afterStatus),
        '(none)',
        'no line says the run goes on in the frame after the status',
      );
      await page.waitForSelector('.run-status.stopped', { timeout: 5000 });
      check(/The run was cancelled/.test((await page.textContent('.run-status-text')) ?? ''), 'the stopped run says it was cancelled');
      check((await page.$('.run-cancel')) === null, 'no Cancel on a stopped run');

      // Before a new run's first layers, its line above the previous result has a Cancel too.
      await ins.send(ins.session.setResult(final, 'finished'));
      await page.waitForFunction(() => !document.querySelector('.run-status'), undefined, { timeout: 5000 });
      const running = (done: number) =>
        ins.session.setRunStatus('running', `Running m (encoder layer ${done}/4)… The heads below are from the previous run.`, {
          done,
          total: 4,
        });
      await ins.send([running(1)]);
      await page.waitForSelector('.run-pending.stale .run-cancel', { timeout: 5000 });
      const asked = ins.received.length;
      const pendingFrame = await page.evaluate(
        () =>
          new Promise<string>((resolve) => {
            (document.querySelector('.run-pending .run-cancel') as HTMLButtonElement).click();
            requestAnimationFrame(() => resolve(document.querySelector('.run-pending-text')?.textContent ?? ''));
          }),
      );
      equal(pendingFrame, 'Cancelling the run… The heads below are from the previous run.', 'the line above the previous run');
      await ins.waitForPosted((m) => m.type === 'cancelRun', asked);
      await ins.send([running(2)]);
      await page.waitForFunction(() => document.querySelector('.run-pending progress')?.getAttribute('value') === '2', undefined, {
        timeout: 5000,
      });
      equal(
        await page.textContent('.run-pending-text'),
        'Cancelling the run… The heads below are from the previous run.',
        'progress after',
      );
      equal(cancelPosts(), 2, 'one ask per run');
      await ins.send([ins.session.setRunStatus('cancelled', 'Run cancelled. The panel shows the previous run.')]);
      await page.waitForSelector('.run-pending.cancelled', { timeout: 5000 });
      check((await page.$('.run-cancel')) === null, 'no Cancel once the run stopped');
      // The next run starts afresh: its line says Running, with a Cancel that works.
      await ins.send([running(1)]);
      await page.waitForSelector('.run-pending.stale .run-cancel:not([disabled])', { timeout: 5000 });
      equal(
        await page.textContent('.run-pending-text'),
        'Running m (encoder layer 1/4)… The heads below are from the previous run.',
        'the next run',
      );
      await assertClean(ins);
    }),
  },
  {
    name: 'streaming: more layers of the same run redraw the grid but keep the open head, without asking for it again',
    run: onPartial(async (ins, { partial3 }) => {
      const { page } = ins;
      await page.click('.grid-cell[data-layer="1"][data-head="1"]');
      await waitForHead(page, 1, 1);
      const asked = ins.received.length;
      const runId = ins.session.runId;
      const sent = ins.session.extendResult(partial3, 'more');
      equal(sent.map((m) => m.type).join(' '), 'runUpdate thumbnails', 'only the metadata and the thumbnails are sent');
      // The rows on screen stay the same elements: only the new layer's row is built. So do the header's
      // token chips and the running line's Cancel (a click straddling an update must land).
      for (const sel of ['.grid-cell[data-layer="0"][data-head="0"]', '.run-header .chip', '.run-status .run-cancel'])
        await page.$eval(sel, (e) => ((e as HTMLElement & { __kept?: boolean }).__kept = true));
      await ins.send(sent);
      await page.waitForFunction(() => document.querySelectorAll('.grid-cell').length === 6, undefined, { timeout: 5000 });
      check(
        await page.$eval('.grid-cell[data-layer="0"][data-head="0"]', (e) => (e as HTMLElement & { __kept?: boolean }).__kept === true),
        'the first layer’s tiles were kept, not rebuilt',
      );
      equal((await tiles(page)).join(' '), '0.0 0.1 1.0 1.1 2.0 2.1', 'the new layer’s row comes after the others, in order');
      for (const sel of ['.run-header .chip', '.run-status .run-cancel'])
        check(
          await page.$eval(sel, (e) => (e as HTMLElement & { __kept?: boolean }).__kept === true),
          `${sel}: the same element after the update`,
        );
      equal(await page.getAttribute('.run-status .run-progress', 'value'), '3', 'the bar moved on');
      await waitForHead(page, 1, 1);
      equal(ins.session.runId, runId, 'the same run goes on');
      check(
        !ins.received.slice(asked).some((m) => (m as { type?: string }).type === 'requestHead'),
        'the open head is not asked for again',
      );
      check(
        /Running \(encoder layer 4\/4\)… Showing the 3 layers/.test((await page.textContent('.run-status')) ?? ''),
        'the progress line moved on',
      );
      check(
        await page.$eval('.grid-cell[data-layer="1"][data-head="1"]', (e) => e.classList.contains('selected')),
        'the open head stays selected',
      );
      await assertClean(ins);
    }),
  },
  {
    name: "streaming: the end of the run on screen is a delta too: the last layers' tiles join the grid, the open head stays, the run time shows",
    run: onPartial(async (ins, { final, partial3 }) => {
      const { page } = ins;
      await page.click('.grid-cell[data-layer="1"][data-head="0"]');
      await waitForHead(page, 1, 0);
      await ins.send(ins.session.extendResult(partial3, 'more'));
      await page.waitForFunction(() => document.querySelectorAll('.grid-cell').length === 6, undefined, { timeout: 5000 });
      const asked = ins.received.length;
      const sent = ins.session.extendResult({ ...final, engine: { kernels: 'WASM SIMD', threads: 1, ms: 42 } }, 'final');
      const thumbs = sent.flatMap((m) => (m.type === 'thumbnails' ? m.thumbnails.map((t) => `${t.layer}.${t.head}`) : []));
      equal(thumbs.join(' '), '3.0 3.1', "only the last layer's thumbnails cross");
      await ins.send(sent);
      await page.waitForFunction(() => document.querySelectorAll('.grid-cell').length === 8, undefined, { timeout: 5000 });
      await page.waitForFunction(() => !document.querySelector('.run-status'), undefined, { timeout: 5000 });
      equal(await page.textContent('.run-engine'), 'ran in 42 ms', 'run time badge');
      await waitForHead(page, 1, 0);
      check(
        !ins.received.slice(asked).some((m) => (m as { type?: string }).type === 'requestHead'),
        'the open head is not asked for again',
      );
      // Every tile shows its own head: each layer's tile cells have the colours of its heatmap.
      for (const layer of [0, 2, 3]) {
        await page.click(`.grid-cell[data-layer="${layer}"][data-head="1"]`);
        await waitForHead(page, layer, 1);
        const box = await page.locator(`.grid-cell[data-layer="${layer}"][data-head="1"] .thumb`).boundingBox();
        check(box, 'tile picture on screen');
        const n = 5;
        const at = Array.from({ length: n * n }, (_, k) => ({
          x: box.x + ((k % n) + 0.5) * (box.width / n),
          y: box.y + (Math.floor(k / n) + 0.5) * (box.height / n),
        }));
        const tile = await screenPixels(page, box, at);
        let worst = 0;
        for (let k = 0; k < n * n; k++) worst = Math.max(worst, colourDistance(tile[k], await cellPixel(page, Math.floor(k / n), k % n)));
        check(worst <= 4, `layer ${layer} head 1: a tile cell differs from its heatmap cell by ${worst.toFixed(1)}`);
      }
      await assertClean(ins);
    }),
  },
];
