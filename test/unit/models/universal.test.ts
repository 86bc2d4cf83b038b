// Universal Transformer: every universal-* fixture of test/fixtures/gen_universal.py (an
// independent PyTorch implementation, float64) — attention per recurrence step ≤ 1e-5 and the
// same ACT decisions — plus ACT's closed-form properties and malformed configs.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadModel, runModel } from '../../../src/engine/run';
import { buildUniversal } from '../../../src/engine/models/universal';
import { isUniversalData, type UniversalData } from '../../../common/archViews/universal';
import type { LoadedModel } from '../../../src/engine/format/loaded';
import { assertFormatError as assertBadFile, writeVariant as writeBadVariant, type ModelDoc } from '../../helpers/malformed';

const FIXTURES = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-universal-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Expected {
  fixture: string;
  ids: number[];
  attentions: { encoder: number[][][][] };
  predicted_ids: number[];
  act: { steps: number; haltingStep: number[]; remainder: number[]; ponder: number[]; halting: number[][]; weights: number[][] };
}

const cases = fs.readdirSync(path.join(FIXTURES, 'expected')).filter((f) => f.startsWith('universal-'));
const load = (file: string): Expected => JSON.parse(fs.readFileSync(path.join(FIXTURES, 'expected', file), 'utf8')) as Expected;
const maxDiff = (a: number[], b: number[]): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

function universalRun(model: LoadedModel, ids: number[]): { data: UniversalData; result: ReturnType<typeof runModel> } {
  const result = runModel(model, { ids });
  assert.equal(result.app?.kind, 'universal');
  assert.ok(isUniversalData(result.app?.data), 'app data passes its guard');
  return { data: result.app.data as UniversalData, result };
}

test('there are Universal Transformer fixtures', () => assert.ok(cases.length >= 2, cases.join()));

for (const file of cases) {
  test(`matches PyTorch per recurrence step and in every ACT decision: ${file}`, () => {
    const exp = load(file);
    const { data, result } = universalRun(loadModel(path.join(FIXTURES, exp.fixture)), exp.ids);
    const enc = result.attentions.filter((a) => a.part === 'encoder');
    assert.equal(enc.length, exp.act.steps, 'one attention layer per recurrence step');
    enc.forEach((a, step) => {
      assert.equal(a.layer, step);
      const want = exp.attentions.encoder[step].flat(2);
      const err = maxDiff(Array.from(a.probs), want);
      assert.ok(err <= 1e-5, `step ${step}: max abs error ${err.toExponential(2)}`);
    });
    assert.deepEqual(data.haltingStep, exp.act.haltingStep, 'halting step per token');
    for (const key of ['remainder', 'ponder'] as const) assert.ok(maxDiff(data[key], exp.act[key]) <= 1e-5, key);
    for (const key of ['halting', 'weights'] as const) assert.ok(maxDiff(data[key].flat(), exp.act[key].flat()) <= 1e-5, key);
    assert.deepEqual(result.predicted?.ids, exp.predicted_ids, 'per-token predictions');
  });
}

test("ACT closed form: each token's step weights sum to 1, R = 1 − Σp before halting, ponder = N + R", () => {
  for (const file of cases) {
    const exp = load(file);
    const { data } = universalRun(loadModel(path.join(FIXTURES, exp.fixture)), exp.ids);
    assert.equal(data.steps, Math.max(...data.haltingStep));
    data.haltingStep.forEach((N, i) => {
      const w = data.weights.map((row) => row[i]);
      assert.ok(Math.abs(w.reduce((s, v) => s + v, 0) - 1) < 1e-9, `token ${i}: weights sum to 1`);
      const before = data.halting.slice(0, N - 1).reduce((s, row) => s + row[i], 0);
      assert.ok(Math.abs(data.remainder[i] - (1 - before)) < 1e-9, `token ${i}: remainder`);
      assert.ok(Math.abs(data.ponder[i] - (N + data.remainder[i])) < 1e-9, `token ${i}: ponder`);
      assert.equal(w[N - 1], data.remainder[i], `token ${i}: the halting step's weight is the remainder`);
      for (let t = N; t < data.steps; t++) assert.equal(data.weights[t][i], 0, `token ${i}: no weight after halting`);
      // Halting rule: before step N the running sum stayed ≤ threshold; at N it passed it (or N = max).
      if (N < data.maxSteps) assert.ok(before + data.halting[N - 1][i] > data.threshold);
      assert.ok(before <= data.threshold);
    });
  }
});

/** The first fixture with its halting bias replaced. */
function withHaltingBias(bias: number): LoadedModel {
  const m = loadModel(path.join(FIXTURES, 'project', 'universal-post.model.json'));
  m.weights.set('halting.bias', { shape: [1], data: new Float32Array([bias]) });
  return m;
}

test('halting bias +30: every token halts after one step with remainder 1; bias −30: all run max_steps', () => {
  const ids = [1, 2, 3, 4];
  const early = universalRun(withHaltingBias(30), ids).data;
  assert.deepEqual(early.haltingStep, [1, 1, 1, 1]);
  assert.equal(early.steps, 1);
  early.remainder.forEach((r) => assert.equal(r, 1));
  const late = universalRun(withHaltingBias(-30), ids);
  assert.deepEqual(late.data.haltingStep, [6, 6, 6, 6]);
  assert.equal(late.result.attentions.length, 6, 'six recurrence steps in the head grid');
  late.data.remainder.forEach((r) => assert.ok(r > 1 - 1e-9 && r <= 1, 'forced halt: the remainder is almost all the weight'));
});

// ------------------------------------------------------------------ malformed files

const writeVariant = (name: string, edit: (doc: ModelDoc) => void) =>
  writeBadVariant(path.join(FIXTURES, 'project', 'universal-post.model.json'), tmp, edit, name);

const assertFormatError = (file: string, field: string, text: RegExp) =>
  assertBadFile(() => runModel(loadModel(file), { ids: [1, 2] }), file, field, text);

test('malformed universal files name the file and the field', () => {
  assertFormatError(
    writeVariant('no-steps', (d) => delete d.config.max_steps),
    'config.max_steps',
    /required/,
  );
  assertFormatError(
    writeVariant('threshold', (d) => (d.config.halting_threshold = 1.5)),
    'config.halting_threshold',
    /≤ 1; found 1\.5/,
  );
  assertFormatError(
    writeVariant('heads', (d) => (d.config.heads = 3)),
    'config.heads',
    /divisor of config\.d_model 16/,
  );
  assertFormatError(
    writeVariant('typo', (d) => (d.config.max_step = 4)),
    'config.max_step',
    /did you mean "max_steps"/,
  );
  assertFormatError(
    writeVariant('no-halt', (d) => delete d.weights.inline['halting.weight']),
    'halting.weight',
    /shape \[1, 16\]; it is missing/,
  );
  assertFormatError(
    writeVariant(
      'two-layers',
      (d) => (d.weights.inline['encoder.layers.1.ffn.fc1.bias'] = d.weights.inline['encoder.layers.0.ffn.fc1.bias']),
    ),
    'encoder.layers.1.ffn.fc1.bias',
    /no such tensor in a universal model/,
  );
});

test('a target side is refused: the UT here is an encoder', () => {
  const built = buildUniversal(
    loadModel(path.join(FIXTURES, 'project', 'universal-post.model.json')) as LoadedModel & { architecture: 'universal' },
  );
  assert.throws(() => built.run([1, 2], { targetIds: [1] }, { isCancelled: () => false, progress: () => {} }), /target_ids/);
});
