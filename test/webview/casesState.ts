// Cases about the grid, keyboard, sorting, persisted state, errors and the message guards.
import * as path from 'path';
import { loadModel, runModel } from '../../src/engine/run';
import { ROOT } from './harness';
import { LOADING_DELAY_MS } from '../../webview/inspector/headLoader';
import type { RunResult } from '../../src/engine/types';
import {
  assertClean,
  cellPixel,
  check,
  chooseOption,
  colourDistance,
  equal,
  screenPixels,
  screenshot,
  texts,
  tooltip,
  waitForHead,
  withInspector,
  type Case,
} from './helpers';
import { HEADS, LAYERS, SOURCE, syntheticResult } from './synthetic';

/** Mean attention to key 0 of one encoder head, computed here from the result. */
function toFirst(result: RunResult, layer: number, head: number): number {
  const a = result.attentions.find((x) => x.part === 'encoder' && x.layer === layer)!;
  let s = 0;
  for (let i = 0; i < a.queries; i++) s += a.probs[(head * a.queries + i) * a.keys];
  return s / a.queries;
}

export const STATE_CASES: Case[] = [
  {
    name: 'head ↔ weights: the head’s ‖W_Q‖…‖W_O‖ slices show with its statistics (worked example: all √2)',
    run: (ctx) => {
      const result = runModel(loadModel(path.join(ROOT, 'docs', 'worked-example.model.json')), { text: 'a b c' });
      return withInspector(ctx, result, async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        const subtitle = await page.textContent('.detail-subtitle');
        check(
          /weights ‖W_Q‖ 1\.41\d*, ‖W_K‖ 1\.41\d*, ‖W_V‖ 1\.41\d*, ‖W_O‖ 1\.41\d*/.test(subtitle ?? ''),
          `subtitle names the weight norms: ${subtitle}`,
        );
        await page.hover('.grid-cell[data-layer="0"][data-head="0"]');
        const tip = await tooltip(page);
        equal(tip['‖W_O‖ head slice'], Math.SQRT2.toFixed(3), 'tooltip ‖W_O‖');
        await assertClean(ins);
      });
    },
  },
  {
    name: 'grid tooltip shows the head statistics (entropy of the diagonal head, closed form)',
    run: (ctx) =>
      withInspector(ctx, syntheticResult(), async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        await page.hover('.grid-cell[data-layer="1"][data-head="2"]');
        const tip = await tooltip(page);
        equal(tip.title, 'Layer 1 · Head 2', 'tooltip title');
        const e4 = Math.exp(4);
        const z = e4 + SOURCE.length - 1;
        const entropy = -((e4 / z) * Math.log(e4 / z) + (SOURCE.length - 1) * (1 / z) * Math.log(1 / z));
        equal(tip['entropy (nats)'], entropy.toFixed(3), 'entropy');
        equal(tip['max probability'], (e4 / z).toFixed(3), 'max');
        equal(tip['→ self'], (e4 / z).toFixed(3), 'attention to self');
        // [SEP] is the last key: five rows give it 1/z, its own row gives it e⁴/z.
        equal(tip['→ [SEP] / end'], ((5 / z + e4 / z) / 6).toFixed(3), 'attention to [SEP]');
        await screenshot(page, ctx.artifacts, 'grid-tooltip');
        await assertClean(ins);
      }),
  },
  {
    name: 'keyboard: arrows move between tiles, Enter opens the head',
    run: (ctx) =>
      withInspector(ctx, syntheticResult(), async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        await page.focus('.grid-cell[data-layer="0"][data-head="0"]');
        const from = ins.received.length;
        await page.keyboard.press('ArrowRight');
        await page.keyboard.press('ArrowDown');
        const focused = await page.evaluate(
          () => `${document.activeElement?.getAttribute('data-layer')}/${document.activeElement?.getAttribute('data-head')}`,
        );
        equal(focused, '1/1', 'focused tile after → ↓');
        await page.keyboard.press('Enter');
        // The focused head is asked for: ahead of Enter when the focus rested on its tile for POINT_MS
        // (a slow machine between the key presses), else on Enter; either way the host hears it opened.
        const req = await ins.waitForPosted((m) => m.type === 'requestHead' && m.layer === 1 && m.head === 1, from);
        equal(`${req.part}/${req.layer}/${req.head}`, 'encoder/1/1', 'the focused head is requested');
        await ins.waitForPosted(
          (m) =>
            (m.type === 'requestHead' && !m.prefetch && m.layer === 1 && m.head === 1) ||
            (m.type === 'headShown' && m.layer === 1 && m.head === 1),
          from,
        );
        const asked = ins.received
          .slice(from)
          .filter((m): m is { type: string; layer: number; head: number } => (m as { type?: string }).type === 'requestHead')
          .map((m) => `${m.layer}/${m.head}`);
        check(
          asked.every((h) => h === '0/1' || h === '1/1'),
          `only the tiles the focus passed are asked for: ${asked.join(', ')}`,
        );
        await waitForHead(page, 1, 1);
        equal(await page.locator('.grid-cell.selected').getAttribute('data-head'), '1', 'selected tile marked');
        await assertClean(ins);
      }),
  },
  {
    name: 'loading line: a slow head answer says “Loading layer … head …”, a fast one never flashes it',
    run: (ctx) =>
      withInspector(ctx, syntheticResult(), async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        // Every text the status line shows, as a person would see it change.
        await page.evaluate(() => {
          const status = document.querySelector('.detail-status')!;
          const log: string[] = ((window as unknown as { __statusLog: string[] }).__statusLog = []);
          new MutationObserver(() => log.push(status.textContent ?? '')).observe(status, {
            childList: true,
            characterData: true,
            subtree: true,
          });
        });
        const statusLog = () => page.evaluate(() => (window as unknown as { __statusLog: string[] }).__statusLog.splice(0));
        await page.click('.grid-cell[data-layer="1"][data-head="1"]');
        await waitForHead(page, 1, 1);
        await page.waitForTimeout(LOADING_DELAY_MS + 100);
        equal((await statusLog()).filter((t) => t.startsWith('Loading')).length, 0, 'loading lines shown for an answer within the delay');
        // The host takes 1.5 s for the next head.
        const handle = ins.session.handle.bind(ins.session);
        ins.session.handle = (raw) => {
          const h = handle(raw);
          const all = (h.later ?? Promise.resolve([])).then((later) => [...h.replies, ...later]);
          return { replies: [], later: new Promise((r) => setTimeout(() => r(all), 1500)) };
        };
        const clicked = Date.now();
        await page.click('.grid-cell[data-layer="0"][data-head="2"]');
        await page.waitForFunction(() => document.querySelector('.detail-status')?.textContent === 'Loading layer 0 · head 2…', undefined, {
          timeout: 1400,
        });
        check(Date.now() - clicked >= LOADING_DELAY_MS - 20, `loading line shown only after the delay (${Date.now() - clicked} ms)`);
        await waitForHead(page, 0, 2);
        equal((await statusLog()).at(-1), '', 'status line empty once the head is drawn');
        await assertClean(ins);
      }),
  },
  {
    name: 'grid tiles show each head’s pattern: on screen, a tile’s cells have the colours of its heatmap (square and 7×6 cross heads)',
    run: (ctx) =>
      withInspector(ctx, syntheticResult(), async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        await page.waitForFunction(() => !!document.querySelector('#app')?.getAttribute('data-grid-ms'), undefined, { timeout: 5000 });
        for (const [part, layer, head] of [
          ['encoder', 1, 1],
          ['encoder', 1, 2],
          ['cross', 0, 1],
        ] as const) {
          if ((await page.$eval('.part-select', (s) => (s as HTMLElement & { value: string }).value)) !== part) {
            await chooseOption(page, '.part-select', part);
            await page.waitForFunction(() => !!document.querySelector('.grid-cell .thumb[style*="url"]'), undefined, { timeout: 5000 });
          }
          await page.click(`.grid-cell[data-layer="${layer}"][data-head="${head}"]`);
          await waitForHead(page, layer, head);
          const rows =
            Number(await page.getAttribute('.heatmap-canvas', 'height')) / Number(await page.getAttribute('.heatmap-canvas', 'data-cell'));
          const cols =
            Number(await page.getAttribute('.heatmap-canvas', 'width')) / Number(await page.getAttribute('.heatmap-canvas', 'data-cell'));
          const thumb = page.locator(`.grid-cell[data-layer="${layer}"][data-head="${head}"] .thumb`);
          const box = await thumb.boundingBox();
          check(box, 'tile picture not on screen');
          // The head keeps its shape in the tile: a 7×6 cross head is wider than tall by 6/7.
          check(
            Math.abs(box.width / box.height - cols / rows) < 0.03,
            `${part} L${layer} H${head}: tile ${box.width}×${box.height} for ${rows}×${cols} cells`,
          );
          const at: { x: number; y: number }[] = [];
          for (let i = 0; i < rows; i++)
            for (let j = 0; j < cols; j++)
              at.push({ x: box.x + ((j + 0.5) * box.width) / cols, y: box.y + ((i + 0.5) * box.height) / rows });
          const tile = await screenPixels(page, box, at);
          let worst = 0;
          for (let i = 0; i < rows; i++) {
            for (let j = 0; j < cols; j++) worst = Math.max(worst, colourDistance(tile[i * cols + j], await cellPixel(page, i, j)));
          }
          check(worst <= 4, `${part} L${layer} H${head}: a tile cell differs from its heatmap cell by ${worst.toFixed(1)} (RGB distance)`);
          const spread = Math.max(...tile.map((c) => colourDistance(c, tile[0])));
          check(spread > 40, `${part} L${layer} H${head}: tile shows a pattern, not one colour (spread ${spread.toFixed(0)})`);
        }
        await assertClean(ins);
      }),
  },
  {
    name: 'sort by attention to the first token ranks heads across layers',
    run: (ctx) => {
      const result = syntheticResult();
      return withInspector(ctx, result, async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        await chooseOption(page, '.sort-select', 'toFirst');
        await page.waitForSelector('.head-grid.sorted', { timeout: 3000 });
        const ranked: { l: number; h: number; v: number }[] = [];
        for (let l = 0; l < LAYERS; l++) for (let h = 0; h < HEADS; h++) ranked.push({ l, h, v: toFirst(result, l, h) });
        ranked.sort((a, b) => b.v - a.v || a.l - b.l || a.h - b.h);
        const shown = await page.$$eval('.grid-cell', (cells) =>
          cells.map((c) => `${c.getAttribute('data-layer')}/${c.getAttribute('data-head')}`),
        );
        equal(shown.join(' '), ranked.map((r) => `${r.l}/${r.h}`).join(' '), 'order of tiles');
        equal((await texts(page, '.cell-value'))[0], ranked[0].v.toFixed(2), 'value on the first tile');
        await screenshot(page, ctx.artifacts, 'grid-sorted-to-first');
        await assertClean(ins);
      });
    },
  },
  {
    name: 'state restore after reload: part, head and view come back',
    run: (ctx) =>
      withInspector(ctx, syntheticResult(), async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        await chooseOption(page, '.part-select', 'cross');
        await waitForHead(page, 0, 0);
        await page.click('.grid-cell[data-layer="1"][data-head="2"]');
        await waitForHead(page, 1, 2);
        await page.click('vscode-radio[value="lines"]');
        await page.waitForSelector('.lines-view', { timeout: 3000 });
        const from = ins.received.length;
        await page.reload();
        await ins.waitForPosted((m) => m.type === 'ready', from);
        const req = await ins.waitForPosted((m) => m.type === 'requestHead' || m.type === 'headShown', from);
        equal(`${req.part}/${req.layer}/${req.head}`, 'cross/1/2', 'restored head opened after reload');
        await waitForHead(page, 1, 2);
        check(await page.locator('.lines-view').isVisible(), 'lines view restored');
        equal(await page.$eval('.part-select', (s) => (s as HTMLElement & { value: string }).value), 'cross', 'part select restored');
        check((await page.locator('.detail-subtitle').textContent())?.startsWith('Cross-attention'), 'subtitle names cross-attention');
        await assertClean(ins);
      }),
  },
  {
    name: 'a new run keeps the open head and brings its data along (no request); the page opens the head the host sends, the host alone decides',
    run: (ctx) =>
      withInspector(ctx, syntheticResult(), async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        await page.click('.grid-cell[data-layer="1"][data-head="2"]');
        await waitForHead(page, 1, 2);
        const requests = () => ins.received.filter((m) => (m as { type?: string }).type === 'requestHead').length;
        const before = requests();
        let from = ins.received.length;
        await ins.send(ins.session.setResult(syntheticResult(), 'second run'));
        const shown = await ins.waitForPosted((m) => m.type === 'headShown', from);
        equal(
          `${shown.part}/${shown.layer}/${shown.head}/${shown.runId}`,
          `encoder/1/2/${ins.session.runId}`,
          'the open head of the new run, opened from the run message',
        );
        await waitForHead(page, 1, 2);
        equal(requests(), before, 'no request for it');
        // The diagonal head's heatmap is drawn from that data: its brightest cells are the diagonal.
        const diag = await cellPixel(page, 3, 3);
        const off = await cellPixel(page, 3, 0);
        check(colourDistance(diag, off) > 60, `diagonal ${diag} vs off-diagonal ${off}`);
        // One side decides which head opens: the host. When its selection is another head, the
        // page opens that one, from the run message, and keeps no rule of its own.
        ins.session.handle({ type: 'headShown', runId: ins.session.runId, part: 'encoder', layer: 0, head: 1 });
        from = ins.received.length;
        await ins.send(ins.session.setResult(syntheticResult(), 'third run'));
        const next = await ins.waitForPosted((m) => m.type === 'headShown', from);
        equal(`${next.part}/${next.layer}/${next.head}`, 'encoder/0/1', 'the page opens the head the host decided');
        await waitForHead(page, 0, 1);
        equal(requests(), before, 'still no request');
        check(
          await page.$eval('.grid-cell[data-layer="0"][data-head="1"]', (e) => e.classList.contains('selected')),
          'the grid selects it',
        );
        await assertClean(ins);
      }),
  },
  {
    name: 'host error shows a banner and keeps the current head on screen',
    run: (ctx) =>
      withInspector(ctx, syntheticResult(), async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        const message = 'model.json: config.heads: expected a positive integer <b>bold?</b>';
        await ins.send([ins.session.setError(message)]);
        await page.waitForSelector('.error-banner:not([hidden])', { timeout: 3000 });
        equal(await page.locator('.error-text').textContent(), message, 'error text shown literally');
        equal(await page.locator('.error-banner b').count(), 0, 'no markup from the message');
        await waitForHead(page, 0, 0);
        check(await page.locator('.heatmap-canvas').isVisible(), 'previous result still visible');
        await screenshot(page, ctx.artifacts, 'error-banner');
        await page.click('.error-dismiss');
        check(await page.locator('.error-banner').isHidden(), 'banner dismissed');
        await assertClean(ins);
      }),
  },
  {
    name: 'a new run with a focus head opens that head (switching part)',
    run: (ctx) =>
      withInspector(ctx, syntheticResult(), async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        const from = ins.received.length;
        await ins.send(ins.session.setResult(syntheticResult(), 'second run', { part: 'decoder', layer: 1, head: 2 }));
        // The head came with the run: the page opens it from there (after its saved one, at the
        // focusHead message) and says so instead of asking.
        const shown = await ins.waitForPosted((m) => m.type === 'headShown' && m.part === 'decoder', from);
        equal(`${shown.layer}/${shown.head}`, '1/2', 'focused head opened');
        await waitForHead(page, 1, 2);
        const asked = ins.received
          .slice(from)
          .filter((m) => (m as { type?: string; part?: string }).type === 'requestHead' && (m as { part?: string }).part === 'decoder');
        equal(asked.length, 0, 'no request for the focused head');
        equal(ins.session.snapshot().filter((m) => m.type === 'focusHead').length, 0, 'the host’s focus is done');
        equal(await page.$eval('.part-select', (s) => (s as HTMLElement & { value: string }).value), 'decoder', 'part switched');
        equal(await page.locator('.grid-cell.selected').getAttribute('data-layer'), '1', 'focused tile selected');
        check((await page.locator('.run-title').textContent()) === 'second run', 'new title shown');
        await assertClean(ins);
      }),
  },
  {
    name: 'restored panel without a run shows a message, then fills on a new run',
    run: (ctx) =>
      withInspector(ctx, undefined, async (ins) => {
        const { page } = ins;
        await page.waitForSelector('.empty-message', { timeout: 3000 });
        check((await page.locator('.empty-message').textContent())?.startsWith('No run to show'), 'empty message');
        check(await page.locator('.layout').isHidden(), 'no grid without a run');
        await screenshot(page, ctx.artifacts, 'no-run');
        await ins.send(ins.session.setResult(syntheticResult(), 'after revive'));
        await waitForHead(page, 0, 0);
        equal(await page.locator('.grid-cell').count(), LAYERS * HEADS, 'grid after the run arrives');
        await assertClean(ins);
      }),
  },
  {
    name: 'malformed host data is refused and reported, not drawn',
    run: (ctx) =>
      withInspector(ctx, syntheticResult(), async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        const from = ins.received.length;
        await ins.send([
          {
            type: 'head',
            runId: 1,
            requestId: 99,
            part: 'encoder',
            layer: 0,
            head: 0,
            queries: 6,
            keys: 6,
            probs: new Float32Array(5),
            scores: new Float32Array(36),
          },
        ]);
        const err = await ins.waitForPosted((m) => m.type === 'webviewError', from);
        check(String(err.message).includes('malformed'), 'webviewError names the problem');
        const handled = ins.session.handle({ type: 'requestHead', requestId: -1, runId: 1, part: 'encoder', layer: 0, head: 0 });
        equal(handled.replies.length, 0, 'host ignores an invalid request');
        const bad = ins.session.handle({ type: 'requestHead', requestId: 5, runId: 1, part: 'encoder', layer: 0, head: 7 });
        equal(bad.replies[0]?.type, 'headError', 'host answers an out-of-range head with headError');
        await waitForHead(page, 0, 0);
        await assertClean(ins);
      }),
  },
];
