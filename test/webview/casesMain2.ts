// More main-panel views on real engine output: aggregates (mean and rollout recomputed here from
// PyTorch's attention), positional encoding (from the sinusoid formula), compare (JSD recomputed
// here), the attention-sink display transform, export, and the speed of a BERT-base-sized run.
import * as os from 'os';
import * as path from 'path';
import type { Page } from 'playwright-core';
import type { AttentionLayer, RunResult } from '../../src/engine/types';
import { loadModel, runModel } from '../../src/engine/run';
import { fixture, FIXTURES } from './casesEngine';
import { assertClean, check, equal, hoverCell, screenshot, texts, tooltip, waitForHead, withInspector, type Case } from './helpers';
import { syntheticResult } from './synthetic';

function engineRun(name: string): { result: RunResult; expected: ReturnType<typeof fixture>['expected'] } {
  const { entry, expected } = fixture(name);
  const result = runModel(loadModel(path.join(FIXTURES, entry.model)), {
    ids: entry.ids,
    ...(entry.target_ids ? { targetIds: entry.target_ids } : {}),
  });
  return { result, expected };
}

export async function openView(page: Page, view: string): Promise<void> {
  await page.click(`.view-tab[data-view="${view}"]`);
  await page.waitForSelector(`.${view}-view:not([hidden])`, { timeout: 3000 });
}

export async function hoverMatrix(page: Page, scope: string, i: number, j: number): Promise<Record<string, string>> {
  const loc = page.locator(`${scope} .matrix-canvas`);
  await loc.waitFor({ timeout: 5000 });
  const box = await loc.boundingBox();
  check(box, `${scope}: matrix not visible`);
  const cell = Number(await loc.getAttribute('data-cell'));
  await page.mouse.move(box.x + (j + 0.5) * cell, box.y + (i + 0.5) * cell);
  return tooltip(page);
}

async function matrixPixel(page: Page, scope: string, i: number, j: number): Promise<[number, number, number]> {
  return page.$eval(
    `${scope} .matrix-canvas`,
    (c, [i, j]) => {
      const canvas = c as HTMLCanvasElement;
      const cell = Number(canvas.dataset.cell);
      const d = canvas.getContext('2d')!.getImageData(Math.floor((j + 0.5) * cell), Math.floor((i + 0.5) * cell), 1, 1).data;
      return [d[0], d[1], d[2]] as [number, number, number];
    },
    [i, j] as [number, number],
  );
}

function near(shown: string, expected: number, what: string, tol = 0.0005 + 1e-5): void {
  const v = Number(shown.replace('−', '-'));
  check(Number.isFinite(v) && Math.abs(v - expected) <= tol, `${what}: shown ${shown}, expected ${expected.toFixed(6)}`);
}

/** Independent rollout in plain arrays: Â = rownorm(½·mean_h A + ½·I), R = Â_L · … · Â_0. */
function rolloutRef(layers: number[][][][]): number[][] {
  let r: number[][] | undefined;
  for (const heads of layers) {
    const n = heads[0].length;
    const a = Array.from({ length: n }, (_, i) => {
      const row = Array.from({ length: n }, (_, j) => (0.5 * heads.reduce((s, h) => s + h[i][j], 0)) / heads.length + (i === j ? 0.5 : 0));
      const sum = row.reduce((x, y) => x + y, 0);
      return row.map((v) => v / sum);
    });
    r = r ? a.map((row) => r![0].map((_, j) => row.reduce((s, v, k) => s + v * r![k][j], 0))) : a;
  }
  return r!;
}

const jsdBits = (p: number[], q: number[]) =>
  p.reduce((s, a, j) => {
    const b = q[j];
    const m = (a + b) / 2;
    return s + (a > 0 ? 0.5 * a * Math.log2(a / m) : 0) + (b > 0 ? 0.5 * b * Math.log2(b / m) : 0);
  }, 0);

/** BERT-base shape: 12 layers × 12 heads over n tokens, random rows (each sums to 1); built fast, not a model. */
function bertBaseShaped(n: number): RunResult {
  const base = syntheticResult();
  const tokens = Array.from({ length: n }, (_, i) => (i === 0 ? '[CLS]' : i === n - 1 ? '[SEP]' : `w${i}`));
  let seed = 12345;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
  const scores = new Float32Array(12 * n * n); // shared by all layers: only its shape matters here
  const attentions: AttentionLayer[] = [];
  for (let l = 0; l < 12; l++) {
    const probs = new Float32Array(12 * n * n); // [heads, n, n]
    for (let r = 0; r < 12 * n; r++) {
      const row = probs.subarray(r * n, (r + 1) * n);
      let sum = 0;
      for (let j = 0; j < n; j++) sum += row[j] = rnd() ** 8;
      for (let j = 0; j < n; j++) row[j] /= sum;
    }
    attentions.push({ part: 'encoder', layer: l, heads: 12, queries: n, keys: n, probs, scores });
  }
  return {
    ...base,
    model: { ...base.model, name: 'bert-base-shaped', kind: 'encoder' },
    tokens: { source: tokens, target: [] },
    ids: { source: tokens.map((_, i) => i), target: [] },
    attentions,
  };
}

export const MAIN_CASES_2: Case[] = [
  {
    name: 'aggregates: mean over heads and rollout match PyTorch’s attention; entropy bars per head; cross has no rollout',
    run: async (ctx) => {
      const { result, expected } = engineRun('transformer-encdec');
      const enc = expected.attentions.encoder!;
      await withInspector(ctx, result, async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        await openView(page, 'aggregates');
        await page.selectOption('.agg-layer', '1');
        await page.waitForFunction(
          () =>
            document.querySelector('.agg-rollout h3')?.textContent === 'Rollout · layers 0…1' &&
            !!document.querySelector('.agg-rollout .matrix-canvas'),
        );
        const i = 3;
        const j = 1;
        const mean = enc[1].reduce((s, h) => s + h[i][j], 0) / enc[1].length;
        near((await hoverMatrix(page, '.agg-mean', i, j)).value, mean, 'mean over heads, layer 1');
        const roll = rolloutRef(enc.slice(0, 2));
        near((await hoverMatrix(page, '.agg-rollout', i, j)).value, roll[i][j], 'rollout layers 0…1');
        near((await hoverMatrix(page, '.agg-rollout', 0, 0)).value, roll[0][0], 'rollout [0,0]');
        const bars = await page.$eval('.entropy-chart', (c) => (c as HTMLCanvasElement).width);
        check(bars >= 8 * 10, `entropy chart has a bar per head (${bars}px)`);
        equal((await texts(page, '.entropy-layer')).join(), 'L0,L1', 'layer labels under the entropy bars');
        // Entropy of encoder L1 H2 from PyTorch: mean over rows of −Σ p ln p.
        const ent = enc[1][2].reduce((s, row) => s - row.reduce((a, p) => a + (p > 0 ? p * Math.log(p) : 0), 0), 0) / enc[1][2].length;
        const box = (await page.locator('.entropy-chart').boundingBox())!;
        await page.mouse.move(box.x + (4 * 10 + 8) + 2 * 10 + 5, box.y + box.height - 2);
        near((await tooltip(page))['entropy (nats)'], ent, 'entropy tooltip of L1 H2');
        await screenshot(page, ctx.artifacts, 'view-aggregates');
        await page.selectOption('.agg-part', 'cross');
        await page.waitForFunction(() =>
          document.querySelector('.agg-rollout .view-message')?.textContent?.includes('cross-attention has no such chain'),
        );
        await assertClean(ins);
      });
    },
  },
  {
    name: 'positional encoding: the sinusoid matrix with labelled axes, dot products of a chosen position; none for RNNs',
    run: async (ctx) => {
      const { result } = engineRun('transformer-encdec');
      const d = result.positional!.dims;
      const pe = (p: number, k: number) => {
        const i = Math.floor(k / 2);
        const a = p / Math.pow(10000, (2 * i) / d);
        return k % 2 === 0 ? Math.sin(a) : Math.cos(a);
      };
      await withInspector(ctx, result, async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        await openView(page, 'positional');
        await page.waitForSelector('.positional-view .matrix-canvas', { timeout: 5000 });
        const titles = await texts(page, '.positional-view .axis-title');
        check(titles.includes('position') && titles.includes('dimension'), `axis titles: ${titles.join(' | ')}`);
        const tip = await hoverMatrix(page, '.positional-view', 3, 5);
        near(tip.value, pe(3, 5), 'PE[3, 5] = cos(3 / 10000^(4/d))', 1e-4);
        check(tip.dimension.includes('cos'), 'odd dimension is a cosine');
        await page.focus('.positional-view');
        await page.keyboard.press('ArrowRight');
        await page.keyboard.press('ArrowRight');
        const dot = (p: number, k: number) => Array.from({ length: d }, (_, x) => pe(p, x) * pe(k, x)).reduce((a, b) => a + b, 0);
        const label = (await texts(page, '.dots-label[data-index="5"]'))[0];
        near(label.split(/\s+/).pop()!, dot(2, 5), 'PE[2]·PE[5]', 0.006);
        check((await texts(page, '.position-text'))[0].startsWith('position 2:'), 'chosen position shown');
        await screenshot(page, ctx.artifacts, 'view-positional');
        await assertClean(ins);
      });
      const rnn = engineRun('rnn-gru-additive').result;
      await withInspector(ctx, rnn, async (ins) => {
        await waitForHead(ins.page, 0, 0);
        await openView(ins.page, 'positional');
        check((await texts(ins.page, '.positional-view .view-message'))[0].includes('has no positional encoding'), 'RNN says so');
      });
    },
  },
  {
    name: 'compare: heads ranked by JSD (recomputed here), A / B / B − A with a diverging legend',
    run: async (ctx) => {
      const a = syntheticResult();
      const b = syntheticResult();
      const l1 = b.attentions.find((l) => l.part === 'encoder' && l.layer === 1)!;
      const n = l1.queries * l1.keys;
      for (let i = 0; i < l1.queries; i++) for (let j = 0; j < l1.keys; j++) l1.probs[n + i * l1.keys + j] = j === 1 ? 1 : 0; // head 1 → key 1
      const rows = (l: AttentionLayer, h: number) =>
        Array.from({ length: l.queries }, (_, i) => Array.from(l.probs.subarray(h * n + i * l.keys, h * n + (i + 1) * l.keys)));
      const la = a.attentions.find((l) => l.part === 'encoder' && l.layer === 1)!;
      const ra = rows(la, 1);
      const rb = rows(l1, 1);
      const jsd = ra.reduce((s, r, i) => s + jsdBits(r, rb[i]), 0) / ra.length;
      await withInspector(ctx, a, async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        await ins.send(ins.session.setCompare({ result: a, label: 'first input' }, { result: b, label: 'edited copy' }, 'first vs edited'));
        await page.waitForSelector('.compare-view:not([hidden]) .compare-diff .matrix-canvas', { timeout: 5000 });
        equal((await texts(page, '.jsd-item .jsd-head'))[0], 'encoder L1 H1', 'largest divergence first');
        near((await texts(page, '.jsd-item .jsd-value'))[0].replace('JSD ', ''), jsd, 'JSD in bits', 1e-4);
        check(
          (await texts(page, '.compare-diff .legend-min'))[0].startsWith('-') &&
            (await texts(page, '.compare-diff .legend-max'))[0].startsWith('+'),
          'diverging legend −…+',
        );
        const i = 2;
        const tip = await hoverMatrix(page, '.compare-diff', i, 1);
        near(tip['B − A'], 1 - ra[i][1], 'B − A at the key B moved to');
        const pos = await matrixPixel(page, '.compare-diff', i, 1);
        const neg = await matrixPixel(page, '.compare-diff', i, 2);
        check(pos[2] > pos[0] + 40, `more attention in B is blue: ${pos}`);
        check(neg[0] > neg[2], `less attention in B is red: ${neg}`);
        await page.focus('.jsd-item[data-rank="0"]');
        await page.keyboard.press('ArrowDown');
        await page.keyboard.press('Enter');
        await page.waitForFunction(() => document.querySelector('.jsd-item[data-rank="1"]')?.classList.contains('selected'));
        await screenshot(page, ctx.artifacts, 'view-compare');
        await assertClean(ins);
      });
    },
  },
  {
    name: 'attention-sink toggle: first token and [SEP] hidden, rows renormalised, labelled as a display transform',
    run: async (ctx) => {
      const result = syntheticResult();
      await withInspector(ctx, result, async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        await page.click('.grid-cell[data-layer="1"][data-head="2"]'); // diagonal head: p(i,i) = e⁴/(e⁴+5)
        await waitForHead(page, 1, 2);
        await page.click('.sink-toggle');
        await page.waitForSelector('.detail-badge .transform-badge', { timeout: 3000 });
        const badge = (await texts(page, '.detail-badge .transform-badge'))[0];
        check(badge.startsWith('Display transform') && badge.includes('[CLS] (#0)') && badge.includes('[SEP] (#5)'), badge);
        // Row 2 without keys 0 and 5: e⁴ / (e⁴ + 3).
        const e4 = Math.exp(4);
        const tip = await hoverCell(page, 2, 2);
        near(tip.probability, e4 / (e4 + 3), 'renormalised probability');
        near(tip['model probability'].split(' ')[0], e4 / (e4 + 5), 'model’s own probability next to it');
        check((await hoverCell(page, 2, 0)).probability.startsWith('hidden by display transform'), 'hidden column explained');
        await screenshot(page, ctx.artifacts, 'sink-transform');
        await page.reload();
        await page.waitForSelector('.detail-badge .transform-badge', { timeout: 5000 });
        // Where else it applies, it says so: the stepper's cross-attention over the source.
        await openView(page, 'stepper');
        await page.waitForSelector('.stepper-view .transform-badge', { timeout: 5000 });
        const tip2 = await hoverMatrix(page, '.stepper-pane:nth-child(2)', 0, 0);
        check(tip2.probability.startsWith('hidden by display transform'), `stepper hides [CLS] too: ${tip2.probability}`);
        await assertClean(ins);
      });
    },
  },
  {
    name: 'speed: BERT-base shape (12×12 heads, 512 tokens) — grid paints < 250 ms, a head switch renders < 50 ms',
    run: async (ctx) => {
      const result = bertBaseShaped(512);
      await withInspector(ctx, result, async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        equal(await page.locator('.grid-cell').count(), 144, 'all 144 heads in the grid');
        // The grid is painted when the thumbnails arrive (data-grid-ms is set once the tiles show
        // them); re-send them twice for three samples.
        const gridMs = async () =>
          Number(
            await (
              await page.waitForFunction(() => document.getElementById('app')?.getAttribute('data-grid-ms'), undefined, { timeout: 5000 })
            ).jsonValue(),
          );
        const grids = [await gridMs()];
        for (let n = 0; n < 2; n++) {
          await page.evaluate(() => document.getElementById('app')?.removeAttribute('data-grid-ms'));
          await ins.send(ins.session.snapshot().filter((m) => m.type === 'thumbnails'));
          grids.push(await gridMs());
        }
        const fastestGrid = Math.min(...grids);
        const heads: number[] = [];
        const roundTrips: number[] = [];
        for (const [l, h] of [
          [5, 7],
          [11, 11],
          [0, 3],
          [7, 1],
          [3, 9],
          [9, 0],
          [2, 2],
        ]) {
          const t0 = Date.now();
          await page.click(`.grid-cell[data-layer="${l}"][data-head="${h}"]`);
          await waitForHead(page, l, h);
          roundTrips.push(Date.now() - t0);
          heads.push(Number(await page.getAttribute('#app', 'data-head-ms')));
        }
        // Wall-clock on a shared, often oversubscribed 2-core machine: the fastest of 7 switches is the
        // render's own cost (as timeit reports the minimum); the median and all samples are printed too.
        const sorted = [...heads].sort((a, b) => a - b);
        const median = sorted[3];
        const best = sorted[0];
        console.log(
          `      grid of 144 heads painted in ${grids.map((x) => x.toFixed(1)).join(', ')} ms (fastest ${fastestGrid.toFixed(1)}); head render ${heads.map((x) => x.toFixed(1)).join(', ')} ms (fastest ${best.toFixed(1)}, median ${median.toFixed(1)}); click → drawn incl. the test harness's base64 transport ${roundTrips.join(', ')} ms; load average ${os.loadavg()[0].toFixed(1)}`,
        );
        check(fastestGrid > 0 && fastestGrid < 250, `grid paint ${fastestGrid} ms ≥ 250 ms`);
        check(best < 50, `head render ${best} ms ≥ 50 ms even in the fastest of 7 switches`);
        equal(
          ins.received.filter((m) => (m as { type?: string }).type === 'requestHead').length,
          7,
          'one request per clicked head, nothing else (the first came with the run)',
        );
        await assertClean(ins);
      });
    },
  },
  {
    name: 'light theme: the diff scale and the stepper’s blank rows follow the theme; view texts readable',
    run: async (ctx) => {
      const a = syntheticResult();
      const b = syntheticResult();
      const l0 = b.attentions.find((l) => l.part === 'cross' && l.layer === 0)!;
      for (let i = 0; i < l0.queries; i++) for (let j = 0; j < l0.keys; j++) l0.probs[i * l0.keys + j] = j === 0 ? 1 : 0; // head 0 → key 0
      await withInspector(
        ctx,
        a,
        async (ins) => {
          const { page } = ins;
          await waitForHead(page, 0, 0);
          await openView(page, 'stepper');
          await page.waitForSelector('.stepper-pane .matrix-canvas', { timeout: 5000 });
          const blank = await matrixPixel(page, '.stepper-pane:nth-child(1)', 3, 0);
          check(
            blank.every((c) => c > 250),
            `future row is the white editor background: ${blank}`,
          );
          await ins.send(ins.session.setCompare({ result: a, label: 'A' }, { result: b, label: 'B' }, 'A vs B'));
          await page.waitForSelector('.compare-view:not([hidden]) .compare-diff .matrix-canvas', { timeout: 5000 });
          equal((await texts(page, '.jsd-item .jsd-head'))[0], 'cross L0 H0', 'changed head first');
          const pos = await matrixPixel(page, '.compare-diff', 1, 0);
          const la = a.attentions.find((l) => l.part === 'cross' && l.layer === 0)!;
          const row1 = Array.from(la.probs.subarray(la.keys, 2 * la.keys));
          const lost = row1.indexOf(Math.max(...row1.slice(1))); // the key A attended most and B not at all
          const neg = await matrixPixel(page, '.compare-diff', 1, lost);
          check(pos[2] > pos[0] + 40, `more in B: blue on white (${pos})`);
          check(neg[0] > neg[2] + 20, `less in B: red on white (${neg})`);
          const colour = await page.$eval('.compare-view h2', (e) => getComputedStyle(e).color);
          check(colour !== 'rgb(255, 255, 255)', `heading not white on white: ${colour}`);
          await screenshot(page, ctx.artifacts, 'view-compare-light');
          await assertClean(ins);
        },
        { light: true },
      );
    },
  },
];
