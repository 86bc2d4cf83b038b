// The NARM and piano-roll views on the real page, fed by the real engine on the narm-small and
// attention-rnn-long fixtures; what is shown must be the PyTorch reference's numbers
// (test/fixtures/gen_narm.py, gen_attention_rnn.py), and the pixels must show the attention.
import * as fs from 'fs';
import * as path from 'path';
import type { Page } from 'playwright-core';
import { loadModel, runModel } from '../../src/engine/run';
import { pitchOf } from '../../common/archViews/music';
import { ROOT } from './harness';
import { assertClean, check, colourDistance, equal, screenshot, texts, tooltip, waitForHead, withInspector, type Case } from './helpers';

const FIXTURES = path.join(ROOT, 'test', 'fixtures');
const reference = <T>(name: string): T[] =>
  (JSON.parse(fs.readFileSync(path.join(FIXTURES, 'expected', 'models', `${name}.json`), 'utf8')) as { cases: T[] }).cases;
const close = (shown: string, ref: number, digits: number, what: string): void =>
  check(Math.abs(Number(shown) - ref) <= 0.5 * 10 ** -digits + 1e-5, `${what}: shown ${shown}, PyTorch ${ref.toFixed(6)}`);

const narmCase: Case = {
  name: 'real engine: narm-small shows PyTorch’s α per clicked item and its top-k recommendations',
  run: async (ctx) => {
    const ref = reference<{ ids: number[]; probs: number[][]; item_probs: number[][] }>('narm-small')[0];
    const model = loadModel(path.join(FIXTURES, 'project', 'narm-small.model.json'));
    const result = runModel(model, { ids: ref.ids });
    const alpha = ref.probs[ref.probs.length - 1];
    const items = ref.item_probs[ref.item_probs.length - 1];
    const top = items
      .map((p, i) => [p, i])
      .sort((a, b) => b[0] - a[0])
      .slice(0, 4);
    await withInspector(
      ctx,
      result,
      async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        await page.waitForSelector('.app-pane .narm-view', { timeout: 5000 });
        equal(await page.locator('.app-pane h2').textContent(), 'Session attention and recommendations', 'view title');
        equal(
          (await texts(page, '.narm-clicked .narm-token')).join(' '),
          ref.ids.map((i, j) => `${j + 1}. item${i}`).join(' '),
          'clicked items in order',
        );
        (await texts(page, '.narm-clicked .narm-value')).forEach((s, j) => close(s, alpha[j], 3, `α of click ${j + 1}`));
        equal(
          (await texts(page, '.narm-recommended .narm-token')).join(' '),
          top.map(([, i], r) => `${r + 1}. item${i}`).join(' '),
          'top-4 in PyTorch order',
        );
        (await texts(page, '.narm-recommended .narm-value')).forEach((s, r) =>
          close(String(Number(s.replace('%', '')) / 100), top[r][0], 3, `P of rank ${r + 1}`),
        );
        // Bars: proportional to α, and the most attended click stands out in colour.
        const bars = await page.$$eval('.narm-clicked .narm-bar', (bs) =>
          bs.map((b) => ({ w: b.getBoundingClientRect().width, bg: getComputedStyle(b).backgroundColor })),
        );
        const track = await page.$eval('.narm-clicked .narm-track', (t) => t.getBoundingClientRect().width);
        const best = alpha.indexOf(Math.max(...alpha));
        bars.forEach((b, j) =>
          check(Math.abs(b.w - Math.max(0.005, alpha[j]) * track) <= 1.5, `bar ${j}: ${b.w}px for α ${alpha[j].toFixed(3)} of ${track}px`),
        );
        check(
          bars.every((b, j) => j === best || b.bg !== bars[best].bg),
          'the highest-α bar has its own colour',
        );
        // Hover gives the value with more digits.
        const row = page.locator(`.narm-clicked .narm-row[data-position="${best}"] .narm-track`);
        await row.hover();
        const tip = await tooltip(page);
        equal(tip.title, `item${ref.ids[best]}`, 'tooltip title');
        close(tip['α (last click)'], alpha[best], 4, 'tooltip α');
        await screenshot(page, ctx.artifacts, 'engine-narm-small');
        await assertClean(ins);
      },
      { title: 'narm-small (fixture session 0)' },
    );
  },
};

/** RGB of the roll canvas at roll column i, pitch row r (0 = top), inset from the cell's corner. */
async function rollPixel(page: Page, i: number, r: number, fx = 0.5, fy = 0.5): Promise<[number, number, number]> {
  return page.$eval(
    '.music-roll',
    (c, [i, r, fx, fy]) => {
      const canvas = c as HTMLCanvasElement;
      const d = canvas.dataset;
      const dpr = canvas.width / canvas.clientWidth;
      const x = (Number(d.left) + (i + fx) * Number(d.col)) * dpr;
      const y = (Number(d.top) + (r + fy) * Number(d.row)) * dpr;
      const px = canvas.getContext('2d')?.getImageData(Math.floor(x), Math.floor(y), 1, 1).data ?? [0, 0, 0];
      return [px[0], px[1], px[2]] as [number, number, number];
    },
    [i, r, fx, fy],
  );
}

const musicCase: Case = {
  name: 'real engine: attention-rnn-long piano roll shades the previous steps by PyTorch’s attention',
  run: async (ctx) => {
    const ref = reference<{ primer: number[]; ids: number[]; probs: number[][]; probability: number[] }>('attention-rnn-long')[0];
    const model = loadModel(path.join(FIXTURES, 'project', 'attention-rnn-long.model.json'));
    const tokens = (
      JSON.parse(fs.readFileSync(path.join(FIXTURES, 'project', 'attention-rnn-long.model.json'), 'utf8')) as {
        vocab: { tokens: string[] };
      }
    ).vocab.tokens;
    const result = runModel(model, { ids: ref.primer });
    const m = ref.primer.length;
    await withInspector(
      ctx,
      result,
      async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        await page.waitForSelector('.app-pane .music-roll', { timeout: 5000 });
        equal(
          (await texts(page, '.music-legend-item')).join(' | '),
          'primer note | generated note | selected note | attention over the previous 8 steps (0 → 1)',
          'legend',
        );
        const caption = async (): Promise<string> => (await page.locator('.music-caption').textContent()) ?? '';
        const expectSelected = async (k: number): Promise<void> => {
          equal(await page.locator('.music-roll').getAttribute('data-selected'), String(k), 'selected step');
          const row = ref.probs[k - 1];
          const top = row.indexOf(Math.max(...row));
          const text = await caption();
          check(text.startsWith(`Step ${k}: ${tokens[ref.ids[k]]} (generated, P = `), `caption of step ${k}: ${text}`);
          close(/P = ([\d.]+)/.exec(text)?.[1] ?? '', ref.probability[k], 3, `P(step ${k})`);
          check(
            text.includes(`attends most to step ${top} (${tokens[ref.ids[top]]}, ${k - 1 - top} step`),
            `caption names PyTorch's most attended step ${top}: ${text}`,
          );
          close(/: ([\d.]+)\.$/.exec(text)?.[1] ?? '', row[top], 3, 'top weight');
        };
        await expectSelected(m); // the first generated note is selected at first
        // Primer notes are outlined (background inside), generated ones filled.
        const lowest = Number(await page.locator('.music-roll').getAttribute('data-lowest'));
        const pitches = Number(await page.locator('.music-roll').getAttribute('data-pitches'));
        const rowOf = (id: number): number => {
          const p = pitchOf(tokens[id]);
          return p === null ? pitches : pitches - 1 - (p - lowest);
        };
        const gen = m + 1;
        const inner = (i: number) => rollPixel(page, i, rowOf(ref.ids[i]));
        const bg = await rollPixel(page, m - 1, rowOf(ref.ids[m - 1]));
        check(colourDistance(await inner(gen), bg) > 60, 'a generated note is filled, a primer note is not');
        // Column shading: the most attended column vs a column outside the window (top row has no notes).
        // The generated step after the first whose row is most peaked (random weights: some rows are flat).
        const peak = (s: number): number => Math.max(...ref.probs[s - 1]);
        const k = ref.ids
          .map((_, s) => s)
          .filter((s) => s > m)
          .reduce((a, b) => (peak(b) > peak(a) ? b : a));
        await page.locator('.music-roll').click({ position: { x: 0, y: 0 } }); // focus only: x = 0 is the gutter
        for (let s = m; s < k; s++) await page.keyboard.press('ArrowRight');
        await expectSelected(k);
        const row = ref.probs[k - 1];
        const top = row.indexOf(Math.max(...row));
        check(row[top] > 0.3, `fixture row ${k - 1} has a clear maximum`);
        const far = k - 1 - 8 - 1; // just outside the window
        const d = colourDistance(await rollPixel(page, top, 0), await rollPixel(page, far, 0));
        check(d > 40, `attended column ${top} is shaded, column ${far} outside the window is not (distance ${d.toFixed(1)})`);
        // Click selects another generated note; primer notes cannot be selected.
        const box = await page.locator('.music-roll').boundingBox();
        const col = Number(await page.locator('.music-roll').getAttribute('data-col'));
        const left = Number(await page.locator('.music-roll').getAttribute('data-left'));
        check(box, 'roll visible');
        const last = ref.ids.length - 1;
        await page.mouse.click(box.x + left + (last + 0.5) * col, box.y + 20);
        await expectSelected(last);
        await page.mouse.click(box.x + left + 2.5 * col, box.y + 20);
        await expectSelected(last);
        // Hover: the attention of the selected note's step on a column, as in the reference.
        const r = ref.probs[last - 1];
        const j = r.indexOf(Math.max(...r));
        await page.mouse.move(box.x + left + (j + 0.5) * col, box.y + 20);
        const tip = await tooltip(page);
        equal(tip.title, tokens[ref.ids[j]], 'tooltip title');
        close(tip[`attention from step ${last}`], r[j], 4, `tooltip α (${last - 1} → ${j})`);
        await page.mouse.move(box.x + left + 0.5 * col, box.y + 20);
        equal((await tooltip(page))[`attention from step ${last}`], 'outside the window', 'a masked column says so');
        await screenshot(page, ctx.artifacts, 'engine-attention-rnn-long');
        await assertClean(ins);
      },
      { title: 'attention-rnn-long (fixture primer)' },
    );
  },
};

const EXAMPLES = path.join(ROOT, 'examples');

const melodyCase: Case = {
  name: 'trained melody-lookback: the shading of a generated note repeats with the motif (columns L = 4 apart)',
  run: async (ctx) => {
    const exp = JSON.parse(fs.readFileSync(path.join(EXAMPLES, 'melody-lookback.expected.json'), 'utf8')) as {
      ids: number[];
      attentions: { decoder: number[][][][] };
    };
    const model = loadModel(path.join(EXAMPLES, 'melody-lookback.model.json'));
    const result = runModel(model, model.examples[0]); // "C4 E4 G4 rest" twice: L = 4
    const m = exp.ids.length;
    const k = m + 4; // a generated note with two motif lengths of history in its window
    const row = exp.attentions.decoder[0][0][k - 1];
    const order = row.map((_, i) => i).sort((a, b) => row[b] - row[a]);
    equal(Math.abs(order[0] - order[1]), 4, 'PyTorch: the two most attended steps are one motif length apart');
    await withInspector(
      ctx,
      result,
      async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        await page.waitForSelector('.app-pane .music-roll', { timeout: 5000 });
        await page.locator('.music-roll').click({ position: { x: 0, y: 0 } });
        for (let s = m; s < k; s++) await page.keyboard.press('ArrowRight');
        equal(await page.locator('.music-roll').getAttribute('data-selected'), String(k), 'selected step');
        const weakest = order.filter((i) => i >= k - 1 - 8 && i < k - 1).pop() ?? 0;
        const base = await rollPixel(page, weakest, 0);
        for (const i of order.slice(0, 2)) {
          const d = colourDistance(await rollPixel(page, i, 0), base);
          check(
            d > 40,
            `column ${i} (α ${row[i].toFixed(2)}) is shaded clearly more than column ${weakest} (α ${row[weakest].toFixed(2)}): distance ${d.toFixed(1)}`,
          );
        }
        await screenshot(page, ctx.artifacts, 'trained-melody-lookback');
        await assertClean(ins);
      },
      { title: 'melody-lookback (examples[0])' },
    );
  },
};

export const NARM_MUSIC_CASES: Case[] = [narmCase, musicCase, melodyCase];
