// Every fixture produced by test/fixtures/gen_fixtures.py (an independent PyTorch
// implementation) is run through the engine exactly as the CLI runs it; all attention
// probabilities must agree within 1e-5.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadModel, runModel } from '../../../src/engine/run';
import { resultToJson } from '../../../src/engine/resultJson';

const FIXTURES = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures');
const PROB_TOL = 1e-5;

interface Expected {
  fixture: string;
  ids: number[];
  target_ids?: number[] | null;
  greedy?: boolean;
  attentions: Record<string, number[][][][]>;
  scores?: Record<string, number[][][][]>;
  predicted_ids?: number[];
}

export function maxAbsDiff(a: unknown, b: unknown, where: string): number {
  if (Array.isArray(a) && Array.isArray(b)) {
    assert.equal(a.length, b.length, `${where}: length ${a.length} vs expected ${b.length}`);
    return a.reduce((m: number, x, i) => Math.max(m, maxAbsDiff(x, b[i], `${where}[${i}]`)), 0);
  }
  assert.equal(typeof a, 'number', `${where}: not a number`);
  return Math.abs((a as number) - (b as number));
}

const expectedDir = path.join(FIXTURES, 'expected');
const cases = fs.existsSync(expectedDir) ? fs.readdirSync(expectedDir).filter((f) => f.endsWith('.json') && f !== 'index.json') : [];

test('the PyTorch reference fixtures exist', () => {
  assert.ok(cases.length >= 8, `expected at least 8 reference cases in ${expectedDir}, found ${cases.length}`);
});

for (const file of cases) {
  test(`matches PyTorch: ${file}`, () => {
    const exp = JSON.parse(fs.readFileSync(path.join(expectedDir, file), 'utf8')) as Expected;
    const model = loadModel(path.join(FIXTURES, exp.fixture));
    const greedy = file.endsWith('-greedy.json');
    const result = runModel(model, { ids: exp.ids, targetIds: greedy ? undefined : (exp.target_ids ?? undefined) });
    const got = resultToJson(result) as { attentions: Record<string, number[][][][]> };
    assert.deepEqual(Object.keys(got.attentions).sort(), Object.keys(exp.attentions).sort(), 'attention parts');
    if (exp.target_ids) assert.deepEqual(result.ids.target, exp.target_ids, 'decoder inputs');
    for (const part of Object.keys(exp.attentions)) {
      const err = maxAbsDiff(got.attentions[part], exp.attentions[part], part);
      assert.ok(err <= PROB_TOL, `${part}: max abs error ${err.toExponential(2)} > ${PROB_TOL}`);
    }
    if (exp.predicted_ids) assert.deepEqual(result.predicted?.ids, exp.predicted_ids, 'greedy predictions');
  });
}
