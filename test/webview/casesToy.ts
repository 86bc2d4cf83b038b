// The toy architecture (test/helpers/toyArchitecture.ts), added by one file and one registry line,
// shown by the inspector: its one layer's heads, the tokens on the axes, and each hovered
// probability equal to the formula computed independently (test/helpers/toyModel.ts).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import '../helpers/registerToy';
import { loadModel, runModel } from '../../src/engine/run';
import { TOY_HEADS, toyReference, writeToyModel } from '../helpers/toyModel';
import { assertClean, check, equal, hoverCell, screenshot, texts, waitForHead, withInspector, type Case } from './helpers';

export const TOY_CASES: Case[] = [
  {
    name: 'toy architecture (one file + one registry line): heads, labels and probabilities in the inspector',
    run: async (ctx) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-toy-web-'));
      try {
        const model = loadModel(writeToyModel(dir, { causal: true }));
        const result = runModel(model, { text: 'the cat sat on the mat' });
        const ids = result.ids.source;
        const ref = toyReference(ids, TOY_HEADS, true);
        await withInspector(
          ctx,
          result,
          async (ins) => {
            const { page } = ins;
            await waitForHead(page, 0, 0);
            equal(await page.locator('.grid-cell').count(), TOY_HEADS, 'tiles = 1 layer × heads');
            const tokens = ['the', 'cat', 'sat', 'on', 'the', 'mat'];
            equal((await texts(page, '.query-label')).join(' '), tokens.join(' '), 'query labels');
            equal((await texts(page, '.key-label')).join(' '), tokens.join(' '), 'key labels');
            const h = TOY_HEADS - 1;
            await page.click(`.grid-cell[data-layer="0"][data-head="${h}"]`);
            await waitForHead(page, 0, h);
            const i = ids.length - 1;
            for (const j of [0, 2, i]) {
              const shown = Number((await hoverCell(page, i, j)).probability);
              const want = ref[h][i][j];
              check(Math.abs(shown - want) <= 0.0005 + 1e-5, `head ${h} (${i},${j}): shown ${shown}, formula ${want.toFixed(6)}`);
            }
            const masked = await hoverCell(page, 0, 1);
            check(masked.probability.includes('masked'), `causal cell (0, 1) reported as masked: ${masked.probability}`);
            await screenshot(page, ctx.artifacts, 'toy-architecture');
            await assertClean(ins);
          },
          { title: 'toy (test/helpers/toyArchitecture.ts)' },
        );
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  },
];
