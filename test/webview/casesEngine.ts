// Cases fed by the real engine: a fixture model from test/fixtures is loaded and run by
// src/engine/run.ts, and the page must show the probabilities that the independent PyTorch
// reference (test/fixtures/expected/*.json) computed for the same ids.
import * as fs from 'fs';
import * as path from 'path';
import type { Part } from '../../src/engine/types';
import { loadModel, runModel } from '../../src/engine/run';
import { axisTokens } from '../../common/headData';
import { ROOT } from './harness';
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

export const FIXTURES = path.join(ROOT, 'test', 'fixtures');

interface IndexEntry {
  case: string;
  model: string;
  ids: number[];
  target_ids: number[] | null;
  expected: string;
}

export interface Expected {
  /** part → [layer][head][query][key], float64 from the PyTorch reference. */
  attentions: Partial<Record<Part, number[][][][]>>;
  /** part → [layer][head][query][key] pre-softmax scores (q·k/√d_k, or e_tj). */
  scores?: Partial<Record<Part, number[][][][]>>;
  predicted_ids?: number[];
}

export function fixture(name: string): { entry: IndexEntry; expected: Expected } {
  const index = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'expected', 'index.json'), 'utf8')) as IndexEntry[];
  const entry = index.find((e) => e.case === name);
  if (!entry) throw new Error(`fixture case ${name} not in test/fixtures/expected/index.json`);
  const expected = JSON.parse(fs.readFileSync(path.join(FIXTURES, entry.expected), 'utf8')) as Expected;
  return { entry, expected };
}

/** Shown text "0.123" must be the reference value rounded to 3 decimals (float32 slack 1e-5). */
function sameProbability(shown: string, expected: number, what: string): void {
  const v = Number(shown);
  check(Number.isFinite(v) && Math.abs(v - expected) <= 0.0005 + 1e-5, `${what}: shown ${shown}, reference ${expected.toFixed(6)}`);
}

const PART_ORDER: Part[] = ['encoder', 'decoder', 'cross'];

/** A Hugging Face family folder (test/fixtures/hf-families, expected.json from transformers itself) as a fixture entry. */
function hfFamily(name: string): { entry: IndexEntry; expected: Expected } {
  const exp = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'hf-families', name, 'expected.json'), 'utf8')) as Expected & {
    input_ids: number[];
  };
  return {
    entry: { case: name, model: path.join('hf-families', name), ids: exp.input_ids, target_ids: null, expected: '' },
    expected: exp,
  };
}

function engineCase(name: string, shot: string, source = fixture): Case {
  return {
    name: `real engine: ${name} from test/fixtures matches the ${source === fixture ? 'PyTorch' : 'transformers'} reference`,
    run: async (ctx) => {
      const { entry, expected } = source(name);
      const model = loadModel(path.join(FIXTURES, entry.model));
      const result = runModel(model, { ids: entry.ids, ...(entry.target_ids ? { targetIds: entry.target_ids } : {}) });
      const parts = PART_ORDER.filter((p) => expected.attentions[p]);
      await withInspector(
        ctx,
        result,
        async (ins) => {
          const { page } = ins;
          await waitForHead(page, 0, 0);
          for (const [n, part] of parts.entries()) {
            const ref = expected.attentions[part]!;
            if (n > 0) {
              await chooseOption(page, '.part-select', part);
              await ins.waitForPosted((m) => m.type === 'requestHead' && m.part === part);
              await waitForHead(page, 0, 0);
            }
            const layers = ref.length;
            const heads = ref[0].length;
            equal(await page.locator('.grid-cell').count(), layers * heads, `${part}: tiles = layers × heads`);
            const L = layers - 1;
            const H = heads - 1;
            if (L > 0 || H > 0) {
              await page.click(`.grid-cell[data-layer="${L}"][data-head="${H}"]`);
              await waitForHead(page, L, H);
            }
            const head = ref[L][H];
            const { queryTokens, keyTokens } = axisTokens(result, part, head.length, head[0].length);
            equal((await texts(page, '.query-label')).join('\u0001'), queryTokens.join('\u0001'), `${part}: query labels`);
            equal((await texts(page, '.key-label')).join('\u0001'), keyTokens.join('\u0001'), `${part}: key labels`);
            // The last query row sees every key (also under a causal mask): its most and least attended keys.
            const i = head.length - 1;
            const row = head[i];
            const hi = row.indexOf(Math.max(...row));
            const lo = row.indexOf(Math.min(...row));
            sameProbability((await hoverCell(page, i, hi)).probability, row[hi], `${part} L${L} H${H} (${i},${hi})`);
            sameProbability((await hoverCell(page, i, lo)).probability, row[lo], `${part} L${L} H${H} (${i},${lo})`);
            if (row[hi] - row[lo] > 0.2) {
              const d = colourDistance(await cellPixel(page, i, hi), await cellPixel(page, i, lo));
              check(d > 40, `${part}: strongest and weakest cells look different (distance ${d.toFixed(1)})`);
            }
            if (part === 'decoder' && head[0].length > 1) {
              const tip = await hoverCell(page, 0, head[0].length - 1);
              check(tip.probability.includes('masked'), `${part}: causal cell (0, last) reported as masked`);
            }
          }
          await hoverCell(page, 0, 0);
          await screenshot(page, ctx.artifacts, shot);
          await assertClean(ins);
        },
        { title: `${name} (ids from the fixture index)` },
      );
    },
  };
}

export const ENGINE_CASES: Case[] = [
  engineCase('transformer-encdec', 'engine-transformer-encdec'),
  engineCase('gpt2', 'engine-gpt2-decoder-only'),
  engineCase('rnn-gru-additive', 'engine-rnn-gru-additive'),
  engineCase('llama', 'engine-hf-llama-gqa', hfFamily), // 4 query heads over 2 K/V heads, RoPE
  {
    name: 'real engine: llama with generate 6 — the generated tokens are marked in the strip and named in the stepper',
    run: async (ctx) => {
      const dir = path.join(FIXTURES, 'hf-families', 'llama');
      const exp = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8')) as { input_ids: number[]; greedy: number[] };
      const result = runModel(loadModel(dir), { ids: exp.input_ids, generate: exp.greedy.length });
      const n = exp.input_ids.length + exp.greedy.length;
      await withInspector(ctx, result, async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        const generated = page.locator('.token-rows .chips').first().locator('.chip.generated');
        equal(await generated.count(), exp.greedy.length, 'generated chips');
        const all = await texts(page, '.token-rows .chips:first-of-type .chip');
        equal((await generated.allTextContents()).join('|'), all.slice(-exp.greedy.length).join('|'), 'the last chips are marked');
        check((await texts(page, '.token-row-label'))[0].includes(`(${n}, ${exp.greedy.length} generated)`), 'row label counts them');
        // Seen, not only in the DOM: a generated chip's border differs from a prompt chip's.
        const border = (i: number) =>
          page
            .locator('.token-rows .chips')
            .first()
            .locator('.chip')
            .nth(i)
            .evaluate((e) => getComputedStyle(e).borderTopColor);
        check((await border(0)) !== (await border(n - 1)), 'generated chip border stands out');
        await page.click('.view-tab[data-view="stepper"]');
        await page.waitForSelector('.stepper-view:not([hidden]) .matrix-canvas', { timeout: 5000 });
        await page.focus('.stepper-view');
        await page.keyboard.press('End');
        const step = (await texts(page, '.step-text'))[0];
        check(
          step.includes(`Step ${n} of ${n}`) && step.includes(`(generated, greedy step ${exp.greedy.length} of ${exp.greedy.length})`),
          step,
        );
        await page.keyboard.press('Home');
        check(!(await texts(page, '.step-text'))[0].includes('generated'), 'a prompt step is not called generated');
        await screenshot(page, ctx.artifacts, 'engine-hf-llama-generate');
        await assertClean(ins);
      });
    },
  },
];
