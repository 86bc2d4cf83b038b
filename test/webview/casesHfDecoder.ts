// What the inspector shows of a modern HF decoder's attention layout, on the llama fixture
// (test/fixtures/hf-families/llama, 4 query heads over 2 K/V heads): the head grid groups the
// query heads by the K/V head they share, as the fixture's config.json says (repeat_kv pairing).
import * as fs from 'fs';
import * as path from 'path';
import type { Page } from 'playwright-core';
import { loadModel, runModel } from '../../src/engine/run';
import { headQK } from '../../src/engine/qkVectors';
import { applyRope, ropeTables } from '../../src/engine/models/rope';
import type { RunResult } from '../../src/engine/types';
import { FIXTURES } from './casesEngine';
import { check, equal, hoverCell, screenshot, texts, tooltip, waitForHead, withInspector, type Case } from './helpers';

const LLAMA = path.join(FIXTURES, 'hf-families', 'llama');

const gqaLabels: Case = {
  name: 'hf decoder: the llama head grid groups query heads under the K/V head they share',
  run: async (ctx) => {
    const cfg = JSON.parse(fs.readFileSync(path.join(LLAMA, 'config.json'), 'utf8')) as Record<string, number>;
    const exp = JSON.parse(fs.readFileSync(path.join(LLAMA, 'expected.json'), 'utf8')) as { input_ids: number[] };
    const H = cfg.num_attention_heads,
      KV = cfg.num_key_value_heads,
      size = H / KV;
    check(KV < H, 'the llama fixture is GQA');
    const result = runModel(loadModel(LLAMA), { ids: exp.input_ids });
    await withInspector(
      ctx,
      result,
      async ({ page }) => {
        await waitForHead(page, 0, 0);
        const want = Array.from({ length: KV }, (_, g) => `K/V head ${g}`);
        equal((await texts(page, '.kv-group-label')).join('|'), want.join('|'), 'group labels above the head columns');
        // Each label spans exactly the tiles of its query heads (in layer 0's row).
        for (let g = 0; g < KV; g++) {
          const label = await page.locator('.kv-group-label').nth(g).boundingBox();
          const first = await page.locator(`.grid-cell[data-layer="0"][data-head="${g * size}"]`).boundingBox();
          const last = await page.locator(`.grid-cell[data-layer="0"][data-head="${(g + 1) * size - 1}"]`).boundingBox();
          check(label && first && last, 'label and tiles laid out');
          check(Math.abs(label.x - first.x) < 2, `K/V head ${g} starts at head ${g * size} (${label.x} vs ${first.x})`);
          const right = last.x + last.width;
          check(Math.abs(label.x + label.width - right) < 2, `K/V head ${g} ends at head ${(g + 1) * size - 1}`);
        }
        // A separator where each new group starts, and nowhere else.
        const starts = await page.$$eval('.grid-cell.kv-start[data-layer="0"]', (cs) => cs.map((c) => c.getAttribute('data-head')));
        const wantStarts = Array.from({ length: KV - 1 }, (_, g) => String((g + 1) * size));
        equal(starts.join(','), wantStarts.join(','), 'group separators');
        // The last head's hover and accessible name say which K/V head it reads.
        const cell = page.locator(`.grid-cell[data-layer="1"][data-head="${H - 1}"]`);
        await cell.hover();
        const tip = await tooltip(page);
        equal(tip['K/V head'], `${KV - 1} (shared by heads ${H - size}–${H - 1})`, 'tooltip K/V head');
        check((await cell.getAttribute('aria-label'))?.includes(`K/V head ${KV - 1}`), 'aria-label names the K/V head');
        await screenshot(page, ctx.artifacts, 'hf-llama-gqa-grid');
      },
      { title: 'llama (GQA)' },
    );
  },
};

const ROPE_REF = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'rope_inv_freq.json'), 'utf8')) as Record<
  string,
  { inv_freq: Record<string, number[]> }
>;

/** Hovers a RoPE chart at fraction `f` of its width; returns the index shown and the tooltip. */
async function hoverChart(page: Page, selector: string, f: number): Promise<{ index: number; tip: Record<string, string> }> {
  const box = await page.locator(selector).boundingBox();
  check(box, `${selector} laid out`);
  await page.mouse.move(box.x + f * box.width, box.y + box.height / 2);
  const tip = await tooltip(page);
  return { index: Number(await page.locator(selector).getAttribute('data-hover')), tip };
}

function ropeCase(family: string, expectText: RegExp[]): Case {
  return {
    name: `hf decoder: the Positional tab of ${family} shows its rotary frequencies and q·k against distance, as transformers has them`,
    run: async (ctx) => {
      const folder = path.join(FIXTURES, 'hf-families', family);
      const exp = JSON.parse(fs.readFileSync(path.join(folder, 'expected.json'), 'utf8')) as { input_ids: number[] };
      const invFreq = Object.values(ROPE_REF[family].inv_freq)[0];
      const result = runModel(loadModel(folder), { ids: exp.input_ids });
      await withInspector(
        ctx,
        result,
        async ({ page }) => {
          await waitForHead(page, 0, 0);
          await page.click('.view-tab[data-view="positional"]');
          await page.waitForSelector('.positional-view .rope-freq-chart', { timeout: 5000 });
          const summary = (await texts(page, '.rope-summary')).join(' ');
          for (const re of expectText) check(re.test(summary), `summary "${summary}" says ${re}`);
          const titles = (await texts(page, '.positional-view .axis-title')).join(' | ');
          for (const t of ['dimension pair i', 'relative distance Δ', 'θ_i, log scale', 'mean cos(Δ·θ_i)'])
            check(titles.includes(t), `axis titles "${titles}" include "${t}"`);
          for (const f of [0.15, 0.5, 0.97]) {
            const { index, tip } = await hoverChart(page, '.rope-freq-chart', f);
            const shown = Number(tip['θ_i (rad / position)']);
            check(
              Math.abs(shown - invFreq[index]) <= 5e-6 * Math.max(1, invFreq[index]) + 1e-9,
              `pair ${index}: θ ${shown} vs transformers ${invFreq[index]}`,
            );
          }
          for (const f of [0.1, 0.4, 0.9]) {
            const { index, tip } = await hoverChart(page, '.rope-distance-chart', f);
            const want = invFreq.reduce((s, t) => s + Math.cos(index * t), 0) / invFreq.length;
            const shown = Number(tip['q·k / |q|²']);
            check(Math.abs(shown - want) < 1e-3, `Δ ${index}: ${shown} vs Σcos/n ${want}`);
            equal(tip['relative distance Δ'], String(index), 'Δ shown');
          }
          await checkHeadChart(page, result, folder, exp.input_ids);
          await screenshot(page, ctx.artifacts, `hf-${family}-rope`);
        },
        { title: family },
      );
    },
  };
}

/** The Positional tab's head chart opens on the grid's head, and follows when another head is opened later. */
const ropeFollows: Case = {
  name: 'hf decoder: the RoPE head chart opens on the head open in the grid and follows a later one',
  run: async (ctx) => {
    const folder = path.join(FIXTURES, 'hf-families', 'llama3-rope');
    const exp = JSON.parse(fs.readFileSync(path.join(folder, 'expected.json'), 'utf8')) as { input_ids: number[] };
    const result = runModel(loadModel(folder), { ids: exp.input_ids });
    await withInspector(
      ctx,
      result,
      async ({ page }) => {
        await waitForHead(page, 0, 0);
        for (const [layer, head] of [
          [1, 3],
          [0, 2],
        ]) {
          await page.click('.view-tab[data-view="heads"]');
          await page.click(`.grid-cell[data-layer="${layer}"][data-head="${head}"]`);
          await waitForHead(page, layer, head);
          await page.click('.view-tab[data-view="positional"]');
          await checkHeadChart(page, result, folder, exp.input_ids, layer, head);
        }
      },
      { title: 'llama3-rope' },
    );
  },
};

/**
 * The per-head curve under the two RoPE charts (layer 0 head 0 unless the inspector says otherwise): axes,
 * legend, the line painted in the legend's colour, and hover values equal to the run's own scores averaged
 * over the pairs d apart and to the mean-q, mean-k score re-rotated here with the engine's applyRope.
 */
async function checkHeadChart(page: Page, result: RunResult, folder: string, ids: number[], layer = 0, head = 0): Promise<void> {
  await page.waitForSelector(`.positional-view .rope-head-chart[aria-label^="layer ${layer} head ${head}:"]`, { timeout: 10000 });
  equal(await page.inputValue('.rope-head-layer'), String(layer), 'head chart layer');
  equal(await page.inputValue('.rope-head-head'), String(head), 'head chart head');
  await page.locator('.rope-head-chart').scrollIntoViewIfNeeded();
  const titles = (await texts(page, '.rope-head-figure .axis-title')).join(' | ');
  for (const t of ['score before softmax', 'distance d = query position − key position'])
    check(titles.includes(t), `head chart axis titles "${titles}" include "${t}"`);
  const legendText = (await texts(page, '.rope-head-legend')).join(' ');
  check(/expected: .*mean q and mean k/.test(legendText) && /this run: mean score/.test(legendText), `legend "${legendText}"`);
  const painted = await page.$eval('.rope-head-chart', (c) => {
    const canvas = c as HTMLCanvasElement;
    const swatch = getComputedStyle(document.querySelector('.rope-head-legend .rope-swatch.line')!).backgroundColor;
    const [r, g, b] = (swatch.match(/\d+/g) ?? []).map(Number);
    const d = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4)
      if (Math.abs(d[i] - r) + Math.abs(d[i + 1] - g) + Math.abs(d[i + 2] - b) < 30 && d[i + 3] > 200) n++;
    return n;
  });
  check(painted > 300, `the expected curve is painted in the legend's colour (${painted} pixels)`);
  const model = loadModel(folder);
  const g = result.rope![0];
  const v = headQK(model, { part: 'decoder', layer, head, ids });
  const att = result.attentions.find((a) => a.part === 'decoder' && a.layer === layer)!;
  const n = att.keys;
  const o = head * att.queries * n;
  for (const f of [0.12, 0.5, 0.95]) {
    const { index: d, tip } = await hoverChart(page, '.rope-head-chart', f);
    let s = 0;
    for (let m = d; m < n; m++) s += att.scores[o + m * n + m - d]; // the head's diagonal m − n = d
    const shownActual = Number(tip['run mean score of pairs d apart']);
    check(Math.abs(shownActual - s / (n - d)) < 1e-3, `d ${d}: run mean ${shownActual} vs recorded scores ${s / (n - d)}`);
    // q_m·R(−d)k_n = q̃_m·R(m − d − n)k̃_n for the recorded (rotated) q̃, k̃.
    let e = 0;
    for (let m = 0; m < v.queries; m++)
      for (let j = 0; j < n; j++) {
        const k = v.k.slice(j * v.dims, (j + 1) * v.dims);
        applyRope(k, 1, 1, v.dims, ropeTables(Float32Array.from(g.invFreq), [m - d - j]));
        for (let i = 0; i < v.dims; i++) e += v.q[m * v.dims + i] * k[i];
      }
    const want = (e / (v.queries * n)) * v.scale;
    const shown = Number(tip['expected score, mean q · R(−d) mean k']);
    check(Math.abs(shown - want) < 1e-3 * Math.max(1, Math.abs(want)), `d ${d}: expected ${shown} vs re-rotated ${want}`);
  }
}

const slidingWindow: Case = {
  name: 'hf decoder: gemma2 sliding layers are drawn as their band with a "sliding window w" legend; softcapping in the header',
  run: async (ctx) => {
    const folder = path.join(FIXTURES, 'hf-families', 'gemma2');
    const cfg = JSON.parse(fs.readFileSync(path.join(folder, 'config.json'), 'utf8')) as {
      sliding_window: number;
      layer_types: string[];
      attn_logit_softcapping: number;
    };
    const exp = JSON.parse(fs.readFileSync(path.join(folder, 'expected.json'), 'utf8')) as { input_ids: number[] };
    const n = exp.input_ids.length,
      w = cfg.sliding_window;
    check(n > w + 1, 'the input outruns the window');
    const sliding = cfg.layer_types.indexOf('sliding_attention'),
      full = cfg.layer_types.indexOf('full_attention');
    const result = runModel(loadModel(folder), { ids: exp.input_ids });
    await withInspector(
      ctx,
      result,
      async ({ page }) => {
        await waitForHead(page, 0, 0);
        const details = (await texts(page, '.run-details')).join(' ');
        const cap = cfg.attn_logit_softcapping;
        check(details.includes(`score_softcap tanh(s/${cap})·${cap}`), `header notes the softcap: "${details}"`);
        for (const layer of [sliding, full]) {
          await page.click(`.grid-cell[data-layer="${layer}"][data-head="0"]`);
          await waitForHead(page, layer, 0);
          const legend = (await texts(page, '.legend-mask')).join(' ');
          if (layer === sliding) check(legend.includes(`sliding window ${w}`), `layer ${layer} legend "${legend}"`);
          else check(!legend.includes('sliding'), `full layer ${layer} legend "${legend}"`);
          // The last query: keys w or more back are outside the band only in the sliding layer.
          const far = (await hoverCell(page, n - 1, n - 1 - w)).probability;
          const near = (await hoverCell(page, n - 1, n - w)).probability;
          check(!near.includes('masked'), `layer ${layer}: key ${w - 1} back is visible (${near})`);
          equal(far.includes('masked'), layer === sliding, `layer ${layer}: key ${w} back masked only in the band (${far})`);
        }
        await page.click(`.grid-cell[data-layer="${sliding}"][data-head="0"]`);
        await waitForHead(page, sliding, 0);
        await screenshot(page, ctx.artifacts, 'hf-gemma2-sliding');
      },
      { title: 'gemma2' },
    );
  },
};

export const HF_DECODER_CASES: Case[] = [
  slidingWindow,
  gqaLabels,
  ropeCase('llama3-rope', [/llama3 scaling × \d/]),
  ropeCase('gpt_neox', [/partial rotary: \d+ of \d+ dims/]),
  ropeFollows,
];
