// What the inspector shows of a modern HF decoder's attention layout, on the llama fixture
// (test/fixtures/hf-families/llama, 4 query heads over 2 K/V heads): the head grid groups the
// query heads by the K/V head they share, as the fixture's config.json says (repeat_kv pairing).
import * as fs from 'fs';
import * as path from 'path';
import { loadModel, runModel } from '../../src/engine/run';
import { FIXTURES } from './casesEngine';
import { check, equal, screenshot, texts, tooltip, waitForHead, withInspector, type Case } from './helpers';

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

export const HF_DECODER_CASES: Case[] = [gqaLabels];
