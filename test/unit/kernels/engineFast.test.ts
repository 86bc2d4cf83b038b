// The whole engine on the fast kernels, over every PyTorch reference fixture (as
// test/unit/engine/reference.test.ts runs them on the reference kernels): attention
// probabilities within 1e-5 of PyTorch, and within 1e-5 of the reference kernels' own run
// (probabilities and pre-softmax scores), greedy predictions identical; and the per-head
// statistics the inspector shows are the same from the kernels' row entropies as from the probabilities.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadModel, prepare, runModel } from '../../../src/engine/run';
import { resultToJson } from '../../../src/engine/resultJson';
import { runMeta } from '../../../common/headData';
import { createWasmKernels, createNativeKernels, nativeModule } from '../../../src/engine/kernels/index';

function maxAbsDiff(a: unknown, b: unknown, where: string): number {
  if (Array.isArray(a) && Array.isArray(b)) {
    assert.equal(a.length, b.length, `${where}: length ${a.length} vs expected ${b.length}`);
    return a.reduce((m: number, x, i) => Math.max(m, maxAbsDiff(x, b[i], `${where}[${i}]`)), 0);
  }
  return Math.abs((a as number) - (b as number));
}

const FIXTURES = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures');
const TOL = 1e-5;
// Every job through the pool; the native kernels too where they run (fastKernels.test.ts fails
// when they should and do not).
const kernelSets = [
  createWasmKernels({ threads: 2, minParallelWork: 0 }),
  ...(nativeModule().module ? [createNativeKernels({ threads: 2, minParallelWork: 0 })] : []),
];
after(() => kernelSets.forEach((k) => k.dispose()));

const expectedDir = path.join(FIXTURES, 'expected');
// The fixtures in reference.test.ts's format ({ fixture, ids, attentions }); architectures with
// their own expected format ({ model, cases }) are compared by their own tests.
const cases = fs
  .readdirSync(expectedDir)
  .filter((f) => f.endsWith('.json') && f !== 'index.json')
  .filter((f) => typeof (JSON.parse(fs.readFileSync(path.join(expectedDir, f), 'utf8')) as { fixture?: unknown }).fixture === 'string');

test('the fast kernels see the PyTorch fixtures', () => assert.ok(cases.length >= 8, `${cases.length} fixtures`));

for (const fast of kernelSets)
  for (const file of cases) {
    test(`${fast.name} kernels match PyTorch and the reference kernels: ${file}`, () => {
      const exp = JSON.parse(fs.readFileSync(path.join(expectedDir, file), 'utf8')) as {
        fixture: string;
        ids: number[];
        target_ids?: number[] | null;
        attentions: Record<string, number[][][][]>;
        predicted_ids?: number[];
      };
      const greedy = file.endsWith('-greedy.json');
      const input = { ids: exp.ids, targetIds: greedy ? undefined : (exp.target_ids ?? undefined) };
      const fastModel = loadModel(path.join(FIXTURES, exp.fixture));
      prepare(fastModel, fast); // what the worker does once per loaded model
      const got = runModel(fastModel, input);
      const ref = runModel(loadModel(path.join(FIXTURES, exp.fixture)), input);
      const gotJson = resultToJson(got) as { attentions: Record<string, number[][][][]>; scores?: Record<string, number[][][][]> };
      for (const part of Object.keys(exp.attentions)) {
        const vsTorch = maxAbsDiff(gotJson.attentions[part], exp.attentions[part], part);
        assert.ok(vsTorch <= TOL, `${part}: ${vsTorch.toExponential(2)} from PyTorch`);
      }
      assert.deepEqual(got.ids, ref.ids, 'ids');
      assert.deepEqual(got.predicted?.ids, ref.predicted?.ids, 'predictions');
      assert.equal(got.attentions.length, ref.attentions.length);
      got.attentions.forEach((a, i) => {
        const r = ref.attentions[i];
        for (const key of ['probs', 'scores'] as const) {
          let worst = 0;
          for (let j = 0; j < r[key].length; j++)
            worst = Math.max(worst, Math.abs(a[key][j] - r[key][j]) / Math.max(1, Math.abs(r[key][j])));
          assert.ok(worst <= TOL, `${a.part} layer ${a.layer} ${key}: ${worst.toExponential(2)} from the reference kernels`);
        }
      });
      if (exp.predicted_ids) assert.deepEqual(got.predicted?.ids, exp.predicted_ids, 'greedy predictions');
      if (fast.name.startsWith('native') && /^(bert|gpt2|marian)/.test(file))
        assert.ok(
          got.attentions.every((a) => a.rowEntropy),
          'the native softmax gave every layer its row entropies',
        );
      const fromKernels = runMeta(got);
      const fromProbs = runMeta({ ...got, attentions: got.attentions.map(({ rowEntropy: _, ...a }) => a) });
      fromKernels.parts.forEach((p, i) =>
        p.layers.forEach((l, j) =>
          l.stats.forEach((s, h) => {
            const e = fromProbs.parts[i].layers[j].stats[h];
            assert.ok(
              Math.abs(s.entropy - e.entropy) <= 1e-5 * Math.max(1, e.entropy),
              `${p.part} layer ${l.layer} head ${h} entropy ${s.entropy} vs ${e.entropy}`,
            );
            assert.deepEqual({ ...s, entropy: 0 }, { ...e, entropy: 0 });
          }),
        ),
      );
    });
  }
