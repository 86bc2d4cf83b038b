// Cases about what the detail view shows: labels, hover numbers, masked cells, pixels, lines.
// Expected numbers come from the RunResult or from closed forms, never from the webview.
import {
  assertClean,
  cellPixel,
  check,
  chooseOption,
  colourDistance,
  equal,
  hoverCell,
  screenshot,
  texts,
  waitForHead,
  withInspector,
  type Case,
} from './helpers';
import { DIAGONAL_SCORE, HEADS, LAYERS, largeResult, prob, SOURCE, syntheticResult, TARGET } from './synthetic';

const near = (p: number) => p.toFixed(3);
const QUERY_AXIS_TITLE = 'query = token attending';
const KEY_AXIS_TITLE = 'key = token attended to';

export const VIEW_CASES: Case[] = [
  {
    name: 'first paint: grid, axis titles and token labels as text',
    run: (ctx) =>
      withInspector(ctx, syntheticResult(), async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        equal(ins.received.length >= 2, true, 'webview posted ready + headShown');
        equal(JSON.stringify(ins.received[0]), JSON.stringify({ type: 'ready' }), 'first message');
        // The first head comes with the run: the page opens it without asking, and says so.
        const shown = await ins.waitForPosted((m) => m.type === 'headShown');
        equal(`${shown.part}/${shown.layer}/${shown.head}`, 'encoder/0/0', 'default head opened');
        equal(
          ins.received.filter((m) => (m as { type?: string }).type === 'requestHead').length,
          0,
          'no request for the head that came with the run',
        );
        const titles = await texts(page, '.heatmap .axis-title');
        check(titles.includes(QUERY_AXIS_TITLE) && titles.includes(KEY_AXIS_TITLE), `axis titles: ${titles.join(' | ')}`);
        equal((await texts(page, '.query-label')).join(' '), SOURCE.join(' '), 'query labels');
        equal((await texts(page, '.key-label')).join(' '), SOURCE.join(' '), 'key labels');
        equal(await page.locator('.grid-cell').count(), LAYERS * HEADS, 'grid tiles');
        equal((await texts(page, '.col-label')).join(','), 'H0,H1,H2', 'head labels on columns');
        equal((await texts(page, '.row-label')).join(','), 'L0,L1', 'layer labels on rows');
        check((await page.locator('.run-model').textContent()) === 'synthetic-enc-dec', 'model name in header');
        await screenshot(page, ctx.artifacts, 'overview-dark');
        await assertClean(ins);
      }),
  },
  {
    name: 'hover on a uniform head shows exactly 1/keys',
    run: (ctx) =>
      withInspector(ctx, syntheticResult(), async (ins) => {
        await waitForHead(ins.page, 0, 0);
        const tip = await hoverCell(ins.page, 2, 4);
        equal(tip.probability, near(1 / SOURCE.length), 'probability of a uniform row');
        equal(tip.query, 'cat  (#2)', 'query token');
        equal(tip.key, 'sat  (#4)', 'key token');
        equal(tip['score q·k/√d_k'], '0.000', 'raw score');
        equal(await ins.page.locator('.legend-max').textContent(), near(1 / SOURCE.length), 'legend max');
        await assertClean(ins);
      }),
  },
  {
    name: 'diagonal head: hover numbers match the closed form and pixels differ',
    run: (ctx) =>
      withInspector(ctx, syntheticResult(), async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        await page.click('.grid-cell[data-layer="1"][data-head="2"]');
        const req = await ins.waitForPosted((m) => m.type === 'requestHead' && m.layer === 1);
        equal(`${req.part}/${req.layer}/${req.head}`, 'encoder/1/2', 'requestHead after clicking the L1 H2 tile');
        await waitForHead(page, 1, 2);
        const e4 = Math.exp(DIAGONAL_SCORE);
        const k = SOURCE.length;
        const high = await hoverCell(page, 3, 3);
        equal(high.probability, near(e4 / (e4 + k - 1)), 'p(i,i) = e⁴/(e⁴+k−1)');
        equal(high['score q·k/√d_k'], DIAGONAL_SCORE.toFixed(3), 'raw score on the diagonal');
        const low = await hoverCell(page, 3, 1);
        equal(low.probability, near(1 / (e4 + k - 1)), 'p(i,j≠i) = 1/(e⁴+k−1)');
        const d = colourDistance(await cellPixel(page, 3, 3), await cellPixel(page, 3, 1));
        check(d > 80, `high and low cells should look different (colour distance ${d.toFixed(1)})`);
        await hoverCell(page, 3, 3);
        await screenshot(page, ctx.artifacts, 'diagonal-hover');
        await assertClean(ins);
      }),
  },
  {
    name: 'causal decoder: masked cells say "masked", others show the result probability',
    run: (ctx) => {
      const result = syntheticResult();
      return withInspector(ctx, result, async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        await chooseOption(page, '.part-select', 'decoder');
        const req = await ins.waitForPosted((m) => m.type === 'requestHead' && m.part === 'decoder');
        equal(`${req.layer}/${req.head}`, '0/0', 'first decoder head requested');
        await waitForHead(page, 0, 0);
        await page.click('.grid-cell[data-layer="1"][data-head="1"]');
        await waitForHead(page, 1, 1);
        equal((await texts(page, '.query-label')).join(' '), TARGET.join(' '), 'decoder query labels');
        const masked = await hoverCell(page, 1, 3);
        check(masked.probability.includes('masked'), `masked cell tooltip: ${JSON.stringify(masked)}`);
        const open = await hoverCell(page, 3, 1);
        equal(open.probability, near(prob(result, 'decoder', 1, 1, 3, 1)), 'unmasked probability');
        check(!open.probability.includes('masked'), 'unmasked cell not reported as masked');
        check(await page.locator('.legend-mask').isVisible(), 'masked legend visible');
        const first = await hoverCell(page, 0, 0);
        equal(first.probability, near(1), 'first query can only see itself');
        const hatched = await cellPixel(page, 0, 4);
        const zeroish = await cellPixel(page, 4, 4);
        check(colourDistance(hatched, zeroish) > 10, 'masked cell drawn differently from an attended cell');
        await hoverCell(page, 1, 3);
        await screenshot(page, ctx.artifacts, 'decoder-causal-masked-hover');
        await assertClean(ins);
      });
    },
  },
  {
    name: 'hostile token renders literally and runs nothing',
    run: (ctx) =>
      withInspector(ctx, syntheticResult(), async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        const hostile = SOURCE[3];
        check((await texts(page, '.query-label')).includes(hostile), 'hostile token shown as text in query labels');
        check((await texts(page, '.chip')).includes(hostile), 'hostile token shown as text in the header');
        equal(await page.locator('img').count(), 0, 'no <img> element created');
        const tip = await hoverCell(page, 3, 0);
        equal(tip.query, `${hostile}  (#3)`, 'tooltip shows the token literally');
        await page.waitForTimeout(200);
        await assertClean(ins);
      }),
  },
  {
    name: 'lines view: hover a query shows its probabilities on the keys',
    run: (ctx) => {
      const result = syntheticResult();
      return withInspector(ctx, result, async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        await page.click('.grid-cell[data-layer="0"][data-head="1"]');
        await waitForHead(page, 0, 1);
        await page.click('vscode-radio[value="lines"]');
        await page.waitForSelector('.lines-view', { timeout: 3000 });
        const titles = await texts(page, '.lines-view .axis-title');
        check(titles.includes(QUERY_AXIS_TITLE) && titles.includes(KEY_AXIS_TITLE), 'axis titles in the lines view');
        await page.hover('.lines-tokens.left .token-label[data-index="2"]');
        const weights = await texts(page, '.lines-tokens.right .weight');
        const expected = SOURCE.map((_, j) => prob(result, 'encoder', 0, 1, 2, j).toFixed(2));
        equal(weights.join(' '), expected.join(' '), 'weights next to the keys');
        await screenshot(page, ctx.artifacts, 'lines-view-hover');
        await assertClean(ins);
      });
    },
  },
  {
    name: 'light theme: same page, readable colours',
    run: (ctx) =>
      withInspector(
        ctx,
        syntheticResult(),
        async (ins) => {
          const { page } = ins;
          await waitForHead(page, 0, 0);
          await page.click('.grid-cell[data-layer="1"][data-head="2"]');
          await waitForHead(page, 1, 2);
          const d = colourDistance(await cellPixel(page, 2, 2), await cellPixel(page, 2, 0));
          check(d > 80, `high and low cells differ in the light theme (distance ${d.toFixed(1)})`);
          const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
          equal(bg, 'rgb(255, 255, 255)', 'light theme background');
          await screenshot(page, ctx.artifacts, 'overview-light');
          await assertClean(ins);
        },
        { light: true },
      ),
  },
  {
    name: 'high-contrast theme: black page, white text, cells still ordered by colour, hover box bordered',
    run: (ctx) =>
      withInspector(
        ctx,
        syntheticResult(),
        async (ins) => {
          const { page } = ins;
          await waitForHead(page, 0, 0);
          await page.click('.grid-cell[data-layer="1"][data-head="2"]');
          await waitForHead(page, 1, 2);
          equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgb(0, 0, 0)', 'high-contrast background');
          equal(
            await page.evaluate(() => getComputedStyle(document.querySelector('.detail-pane h2, .detail-pane .axis-title, h2')!).color),
            'rgb(255, 255, 255)',
            'headings are white',
          );
          // The strongest cell must stand out from the weakest one (and from the black page).
          const hi = await cellPixel(page, 2, 2);
          const lo = await cellPixel(page, 2, 0);
          check(colourDistance(hi, lo) > 80, `high and low cells differ (distance ${colourDistance(hi, lo).toFixed(1)})`);
          check(colourDistance(hi, [0, 0, 0]) > 80, 'the strongest cell is visible on black');
          const tip = await hoverCell(page, 2, 2);
          check(Object.keys(tip).length > 0, 'hover box shows values');
          const border = await page.evaluate(() => {
            const t = document.querySelector('.tooltip') as HTMLElement | null;
            return t ? getComputedStyle(t).borderTopColor : '';
          });
          check(border !== '' && border !== 'rgba(0, 0, 0, 0)' && border !== 'rgb(0, 0, 0)', `hover box has a visible border (${border})`);
          await screenshot(page, ctx.artifacts, 'overview-high-contrast');
          await assertClean(ins);
        },
        { theme: 'high-contrast' },
      ),
  },
];

VIEW_CASES.push({
  name: 'large run (12 × 12 heads, 64 tokens): grid, thinned labels, heatmap fits the pane',
  run: (ctx) =>
    withInspector(ctx, largeResult(), async (ins) => {
      const { page } = ins;
      await waitForHead(page, 0, 0);
      equal(await page.locator('.grid-cell').count(), 144, 'tiles');
      const labels = await texts(page, '.query-label');
      equal(labels.length, 64, 'one label element per token');
      check(labels.includes('[CLS]'), 'first token labelled');
      const pane = await page.locator('.detail-pane').boundingBox();
      const canvas = await page.locator('.heatmap-canvas').boundingBox();
      check(pane && canvas && canvas.x + canvas.width <= pane.x + pane.width + 1, 'heatmap inside the detail pane');
      const started = Date.now();
      await page.click('.grid-cell[data-layer="11"][data-head="11"]');
      await waitForHead(page, 11, 11);
      check(Date.now() - started < 3000, `opening a 64×64 head took ${Date.now() - started} ms`);
      await hoverCell(page, 10, 20);
      await screenshot(page, ctx.artifacts, 'large-12x12-64-tokens');
      await assertClean(ins);
    }),
});
