// The main-panel views beyond the head grid, on real engine output from test/fixtures: Q·K (its
// worked formula against PyTorch's scores), the decoder stepper (growing rows, causal mask, RNN
// score switch re-run), aggregates (mean and rollout recomputed here), the positional encoding
// (sin/cos from the formula), compare (JSD recomputed here, diff colours), the attention-sink
// display transform and export. Every expected number is computed in this file, not by the page.
import * as path from 'path';
import type { Page } from 'playwright-core';
import type { RunResult } from '../../src/engine/types';
import { loadModel, runModel } from '../../src/engine/run';
import { fixture, FIXTURES } from './casesEngine';
import { assertClean, check, equal, screenshot, texts, tooltip, waitForHead, withInspector, type Case } from './helpers';

const BACKGROUND: [number, number, number] = [0x1f, 0x1f, 0x1f]; // --vscode-editor-background of themes/dark.css

function run(
  name: string,
  score?: 'dot' | 'general' | 'additive' | 'scaled-dot',
): { result: RunResult; expected: ReturnType<typeof fixture>['expected'] } {
  const { entry, expected } = fixture(name);
  const model = loadModel(path.join(FIXTURES, entry.model));
  const result = runModel(model, {
    ids: entry.ids,
    ...(entry.target_ids ? { targetIds: entry.target_ids } : {}),
    ...(score ? { score } : {}),
  });
  return { result, expected };
}

async function openView(page: Page, view: string): Promise<void> {
  await page.click(`.view-tab[data-view="${view}"]`);
  await page.waitForSelector(`.${view === 'qk' ? 'qk' : view}-view:not([hidden])`, { timeout: 3000 });
}

/** Pixel inside cell (i, j) of the n-th matrix canvas under `scope` (off-centre, like cellPixel). */
async function matrixPixel(page: Page, scope: string, i: number, j: number): Promise<[number, number, number]> {
  return page.$eval(
    `${scope} .matrix-canvas`,
    (c, [i, j]) => {
      const canvas = c as HTMLCanvasElement;
      const cell = Number(canvas.dataset.cell);
      const d = canvas.getContext('2d')!.getImageData(Math.floor((j + 0.22) * cell), Math.floor((i + 0.22) * cell), 1, 1).data;
      return [d[0], d[1], d[2]] as [number, number, number];
    },
    [i, j] as [number, number],
  );
}

async function hoverMatrix(page: Page, scope: string, i: number, j: number): Promise<Record<string, string>> {
  const loc = page.locator(`${scope} .matrix-canvas`);
  const box = await loc.boundingBox();
  check(box, `${scope}: matrix not visible`);
  const cell = Number(await loc.getAttribute('data-cell'));
  await page.mouse.move(box.x + (j + 0.5) * cell, box.y + (i + 0.5) * cell);
  return tooltip(page);
}

const near = (shown: string, expected: number, what: string, tol = 0.0005 + 1e-5) => {
  const v = Number(shown.replace('−', '-'));
  check(Number.isFinite(v) && Math.abs(v - expected) <= tol, `${what}: shown ${shown}, expected ${expected.toFixed(6)}`);
};
const same = (a: number[], b: number[]) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]) < 3;

export const MAIN_CASES: Case[] = [
  {
    name: 'Q·K view: scores and softmax written out with PyTorch’s numbers; ←/→ change the query; view survives reload',
    run: async (ctx) => {
      const { result, expected } = run('transformer-encdec');
      await withInspector(ctx, result, async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        await page.click('.grid-cell[data-layer="1"][data-head="1"]');
        await waitForHead(page, 1, 1);
        await openView(page, 'qk');
        const i = 2;
        await page.focus('.qk-view');
        for (let n = 0; n < i; n++) await page.keyboard.press('ArrowRight');
        await page.waitForFunction((i) => (document.querySelector('.qk-query') as HTMLSelectElement).value === String(i), i);
        const s = expected.scores!.encoder![1][1][i];
        const p = expected.attentions.encoder![1][1][i];
        const j = 4;
        await page.click(`.qk-key[data-index="${j}"]`);
        await page.waitForFunction((j) => document.querySelector('.qk-formula-title')?.textContent?.includes(`(#${j})`), j);
        const score = (await texts(page, '.qk-line-score .qk-text'))[0];
        near(/= (-?[\d.]+)$/.exec(score)?.[1] ?? '', s[j], 'shown score q·k/√d_k');
        const prob = (await texts(page, '.qk-line-probability .qk-text'))[0];
        const max = Math.max(...s);
        const z = s.reduce((a, x) => a + Math.exp(x - max), 0);
        const m = /^p = exp\((-?[\d.]+) − (-?[\d.]+)\) \/ ([\d.]+) = ([\d.]+)/.exec(prob);
        check(m, `formula text: ${prob}`);
        near(m[2], max, 'max score');
        near(m[3], z, 'Σ exp(s − max)', 0.0005 + 1e-4 * z);
        near(m[4], p[j], 'probability vs PyTorch', 5e-5 + 1e-5);
        const title = (await texts(page, '.qk-formula-title'))[0];
        check(
          title.includes(`“${result.tokens.source[i]}” (#${i})`) && title.includes(`“${result.tokens.source[j]}” (#${j})`),
          `formula title: ${title}`,
        );
        check(
          (await texts(page, '.qk-col-title')).some((t) => t.startsWith('score before softmax')),
          'bar column titled',
        );
        await screenshot(page, ctx.artifacts, 'view-qk');
        await page.reload();
        await page.waitForSelector('.qk-view:not([hidden])', { timeout: 5000 });
        equal(await page.getAttribute('.view-tab[data-view="qk"]', 'aria-selected'), 'true', 'Q·K tab selected after reload');
        await assertClean(ins);
      });
    },
  },
  {
    name: 'Q·K view: a masked key of the causal decoder is marked and explained',
    run: async (ctx) => {
      const { result } = run('transformer-encdec');
      await withInspector(ctx, result, async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        await page.$eval('.part-select', (s) => {
          (s as HTMLElement & { value: string }).value = 'decoder';
          s.dispatchEvent(new Event('change', { bubbles: true }));
        });
        await page.waitForFunction(() => document.querySelector('.detail-subtitle')?.textContent?.startsWith('Decoder self-attention'));
        await openView(page, 'qk');
        await page.click('.qk-key[data-index="3"]'); // query 0 cannot see key 3
        const score = (await texts(page, '.qk-line-score .qk-text'))[0];
        check(score.includes('masked → −∞'), `masked score text: ${score}`);
        equal((await texts(page, '.qk-line-probability .qk-text'))[0], 'p = exp(−∞) / Σ = 0 (masked)', 'masked probability');
        check(await page.$eval('.qk-key[data-index="3"]', (e) => e.classList.contains('masked')), 'masked key label greyed');
        await assertClean(ins);
      });
    },
  },
  {
    name: 'decoder stepper: rows appear step by step, future keys hatched, keyboard and buttons, cross-attention beside',
    run: async (ctx) => {
      const { result, expected } = run('transformer-encdec');
      await withInspector(ctx, result, async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        await openView(page, 'stepper');
        await page.waitForSelector('.stepper-pane:nth-child(2) .matrix-canvas', { timeout: 5000 });
        const T = result.tokens.target.length;
        const step = async () => (await texts(page, '.step-text'))[0];
        check(
          (await step()).startsWith(
            `Step 1 of ${T}: decoder input “${result.tokens.target[0]}” → predicts “${result.predicted!.tokens[0]}”`,
          ),
          await step(),
        );
        equal(
          (await texts(page, '.stepper-pane h3')).join(' | '),
          'Self-attention (causal) | Cross-attention (decoder → encoder)',
          'side-by-side titles',
        );
        await page.focus('.stepper-view');
        await page.keyboard.press('ArrowRight');
        await page.click('.step-next');
        check((await step()).startsWith(`Step 3 of ${T}`), `after → and next: ${await step()}`);
        const self = '.stepper-pane:nth-child(1)';
        const cross = '.stepper-pane:nth-child(2)';
        // Row 4 is not computed at step 3: background colour in both matrices.
        check(same(await matrixPixel(page, self, 4, 0), BACKGROUND), 'future row blank (self)');
        check(same(await matrixPixel(page, cross, 4, 0), BACKGROUND), 'future row blank (cross)');
        // Row 2 sees keys 0…2; key 3 is masked: hatched, so not the colour of probability 0 nor of a live cell.
        const live = await matrixPixel(page, self, 2, 0);
        const masked = await matrixPixel(page, self, 2, 3);
        check(!same(live, masked), 'masked cell looks different from a live one');
        const tip = await hoverMatrix(page, self, 2, 3);
        check(tip.probability.includes('masked'), `masked tooltip: ${tip.probability}`);
        const ref = expected.attentions.cross![0][0][2];
        near((await hoverMatrix(page, cross, 2, 1)).probability, ref[1], 'cross-attention step 3 vs PyTorch');
        check((await hoverMatrix(page, cross, 4, 1)).probability.includes('not yet computed'), 'future row tooltip');
        equal(await page.$eval('.step-slider', (e) => (e as HTMLInputElement).value), '3', 'slider follows');
        await page.focus('.stepper-view');
        await page.keyboard.press('End');
        check((await step()).startsWith(`Step ${T} of ${T}`), 'End jumps to the last step');
        equal(await page.$eval('.step-next', (e) => (e as HTMLButtonElement).disabled), true, 'next disabled at the end');
        await screenshot(page, ctx.artifacts, 'view-stepper');
        await assertClean(ins);
      });
    },
  },
  {
    name: 'decoder stepper, RNN: alignment grows row by row; the score switch lists the model’s scores and re-runs',
    run: async (ctx) => {
      const { result, expected } = run('rnn-gru-dot');
      const scores = result.model.scores ?? [];
      equal(scores.join(), 'dot,scaled-dot', 'the fixture can run with dot and scaled dot');
      await withInspector(ctx, result, async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        await openView(page, 'stepper');
        await page.waitForSelector('.stepper-pane .matrix-canvas', { timeout: 5000 });
        equal((await texts(page, '.stepper-pane h3')).join(), 'Alignment (decoder → encoder)', 'RNN pane title');
        const radios = await page.$$eval('.score-radios vscode-radio', (rs) => rs.map((r) => r.getAttribute('value')));
        equal(radios.join(), scores.join(), 'score switch lists the model’s scores');
        const e0 = expected.scores!.cross![0][0][0]; // PyTorch e_0j for the dot score
        near(
          (await hoverMatrix(page, '.stepper-pane', 0, 2)).probability,
          expected.attentions.cross![0][0][0][2],
          'alignment row 1 vs PyTorch',
        );
        check(same(await matrixPixel(page, '.stepper-pane', 1, 0), BACKGROUND), 'row 2 blank at step 1');
        // A re-run that fails (cancelled, engine error): the banner says so and the switch goes back.
        const first = ins.received.length;
        await page.click('.score-radios vscode-radio[value="scaled-dot"]');
        await ins.waitForPosted((m) => m.type === 'rerun', first);
        check(
          (await texts(page, '.stepper-view .view-message'))[0].startsWith('Re-running with the scaled-dot score'),
          'says it is re-running',
        );
        await ins.send([{ type: 'error', message: 'The re-run with the scaled-dot score did not finish; the previous result stays.' }]);
        await page.waitForFunction(() => document.querySelector('.stepper-view .view-message')?.textContent === '');
        equal(await page.$eval('.score-radios vscode-radio[value="dot"]', (r) => r.hasAttribute('checked')), true, 'switch back on dot');
        const from = ins.received.length;
        await page.click('.score-radios vscode-radio[value="scaled-dot"]');
        const posted = await ins.waitForPosted((m) => m.type === 'rerun', from);
        equal(posted.score, 'scaled-dot', 'rerun message carries the chosen score');
        // The host's part (InspectorPanel.onEvent): re-run with that score and show it in the stepper.
        const again = run('rnn-gru-dot', 'scaled-dot').result;
        await ins.send(ins.session.setResult(again, 're-run', undefined, 'stepper', 'scaled-dot'));
        await page.waitForFunction(() =>
          document.querySelector('.stepper-view .view-subtitle')?.textContent?.endsWith('score: scaled-dot'),
        );
        // Step 1's decoder state does not depend on the score: its row is softmax(e_0j / √H_enc) of PyTorch's dot scores.
        const h = Number(result.model.details.encoder_states);
        const scaled = e0.map((x) => x / Math.sqrt(h));
        const m = Math.max(...scaled);
        const z = scaled.reduce((a, x) => a + Math.exp(x - m), 0);
        near(
          (await hoverMatrix(page, '.stepper-pane', 0, 2)).probability,
          Math.exp(scaled[2] - m) / z,
          'alignment row 1 after re-run with scaled dot',
        );
        await screenshot(page, ctx.artifacts, 'view-stepper-rnn');
        await assertClean(ins);
      });
    },
  },
  {
    name: 'decoder stepper, RNN with the general score: no score switch, a note says why and points to Compare',
    run: async (ctx) => {
      const { result } = run('rnn-gru-general');
      await withInspector(ctx, result, async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        await openView(page, 'stepper');
        await page.waitForSelector('.stepper-pane .matrix-canvas', { timeout: 5000 });
        equal(await page.$$eval('.score-radios vscode-radio', (rs) => rs.length), 0, 'no score to switch to');
        const note = (await texts(page, '.score-switch .score-note'))[0] ?? '';
        check(note.startsWith('score: general (no switch:'), `note names the score: ${note}`);
        const says = note.includes('dot ↔ scaled-dot') && note.includes('Two models on one input');
        check(says, `note says why and what instead: ${note}`);
        await assertClean(ins);
      });
    },
  },
  {
    name: 'decoder stepper, decoder-only (GPT-2): one causal self-attention, each step’s prediction named',
    run: async (ctx) => {
      const { result, expected } = run('gpt2');
      await withInspector(ctx, result, async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        await openView(page, 'stepper');
        await page.waitForSelector('.stepper-pane .matrix-canvas', { timeout: 5000 });
        equal((await texts(page, '.stepper-pane h3')).join(' | '), 'Self-attention (causal)', 'one pane, no cross-attention');
        const n = result.tokens.source.length;
        await page.focus('.stepper-view');
        await page.keyboard.press('End');
        const text = (await texts(page, '.step-text'))[0];
        equal(
          text,
          `Step ${n} of ${n}: decoder input “${result.tokens.source[n - 1]}” → predicts “${result.predicted!.tokens[n - 1]}”`,
          'last step',
        );
        const ref = expected.attentions.decoder![0][0][n - 1];
        near((await hoverMatrix(page, '.stepper-pane', n - 1, 0)).probability, ref[0], 'last row vs PyTorch');
        await page.keyboard.press('ArrowLeft');
        check((await hoverMatrix(page, '.stepper-pane', n - 2, n - 1)).probability.includes('masked'), 'future key masked');
        await assertClean(ins);
      });
    },
  },
];
