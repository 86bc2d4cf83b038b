// NARM: every session of the narm-* fixtures against the PyTorch reference (gen_narm.py, float64),
// closed-form cases, the run result / app view, and malformed files naming file + field.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InputError } from '../../../src/engine/format/errors';
import { loadModel } from '../../../src/engine/format/load';
import { buildNarm, type NarmModel } from '../../../src/engine/models/narm';
import { runModel } from '../../../src/engine/run';
import { isNarmData } from '../../../common/archViews/narm';
import { assertFormatError as assertBadFile, writeVariant, type ModelDoc } from '../../helpers/malformed';

const FIXTURES = path.resolve(__dirname, '..', '..', '..', '..', 'test', 'fixtures');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-narm-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Case {
  ids: number[];
  probs: number[][];
  scores: number[][];
  item_probs: number[][];
  predicted: number[];
}
const expected = (name: string): Case[] =>
  (JSON.parse(fs.readFileSync(path.join(FIXTURES, 'expected', 'models', `${name}.json`), 'utf8')) as { cases: Case[] }).cases;
const load = (name: string): NarmModel => loadModel(path.join(FIXTURES, 'project', `${name}.model.json`)) as NarmModel;

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'length');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

for (const name of ['narm-small', 'narm-wide']) {
  test(`${name}: α at every prefix, scores and P(next item) match PyTorch (≤ 1e-5)`, () => {
    const narm = buildNarm(load(name));
    for (const c of expected(name)) {
      const r = narm.run(c.ids);
      const n = c.ids.length;
      assert.ok(maxAbs(r.probs, c.probs.flat()) <= 1e-5, `${name} ${c.ids}: α differs by ${maxAbs(r.probs, c.probs.flat())}`);
      assert.ok(maxAbs(r.scores, c.scores.flat()) <= 1e-4, `${name} ${c.ids}: scores`);
      assert.ok(maxAbs(r.itemProbs, c.item_probs.flat()) <= 1e-5, `${name} ${c.ids}: item probabilities`);
      assert.deepEqual(r.predicted, c.predicted);
      for (let t = 0; t < n; t++) for (let j = 0; j < n; j++) assert.equal(r.mask[t * n + j], j > t ? 1 : 0);
    }
  });
}

test('a session of one item: α = [1], whatever the weights', () => {
  const narm = buildNarm(load('narm-small'));
  for (const id of [0, 4, 11]) assert.deepEqual([...narm.run([id]).probs], [1]);
});

test('runModel: one encoder layer (row t = α after click t, masked j > t) and the app view: α of the last click, top-k by probability', () => {
  const model = load('narm-small');
  const c = expected('narm-small')[0];
  const text = c.ids.map((i) => `item${i}`).join(' ');
  const r = runModel(model, { text });
  assert.deepEqual(r.tokens.source, text.split(' '));
  assert.equal(r.attentions.length, 1);
  const layer = r.attentions[0];
  assert.equal(layer.part, 'encoder');
  assert.equal(layer.queries, c.ids.length);
  assert.ok(maxAbs(layer.probs, c.probs.flat()) <= 1e-5);
  assert.deepEqual(
    r.predicted?.tokens,
    c.predicted.map((i) => `item${i}`),
  );
  assert.equal(r.app?.kind, 'narm');
  const data = r.app?.data;
  assert.ok(isNarmData(data));
  const last = c.probs[c.probs.length - 1];
  assert.deepEqual(
    data.clicked.map((e) => e.token),
    text.split(' '),
  );
  assert.ok(
    maxAbs(
      data.clicked.map((e) => e.alpha),
      last,
    ) <= 1e-5,
  );
  const ref = c.item_probs[c.item_probs.length - 1];
  const top = ref
    .map((p, i) => [p, i])
    .sort((a, b) => b[0] - a[0])
    .slice(0, 4);
  assert.deepEqual(
    data.recommended.map((e) => e.id),
    top.map(([, i]) => i),
  );
  assert.ok(
    maxAbs(
      data.recommended.map((e) => e.probability),
      top.map(([p]) => p),
    ) <= 1e-5,
  );
});

test('bad input: an unknown item id or a target side is an InputError', () => {
  const model = load('narm-small');
  assert.throws(
    () => runModel(model, { ids: [1, 12] }),
    (e: unknown) => e instanceof InputError && e.field === 'ids[1]',
  );
  assert.throws(
    () => runModel(model, { ids: [1], targetIds: [2] }),
    (e: unknown) => e instanceof InputError && e.field === 'target_ids',
  );
});

function broken(change: (doc: ModelDoc) => void): () => unknown {
  const file = writeVariant(path.join(FIXTURES, 'project', 'narm-small.model.json'), tmp, change);
  return () => buildNarm(loadModel(file) as NarmModel);
}

const assertFormatError = (fn: () => unknown, field: string, text: RegExp) => assertBadFile(fn, /bad-.*\.model\.json$/, field, text);

test('malformed NARM files name the file and the field', () => {
  assertFormatError(
    broken((d) => delete d.config.hidden_size),
    'config.hidden_size',
    /required/,
  );
  assertFormatError(
    broken((d) => (d.config.top_k = 0)),
    'config.top_k',
    /≥ 1/,
  );
  assertFormatError(
    broken((d) => (d.config.hidden_sze = 3)),
    'config.hidden_sze',
    /did you mean "hidden_size"/,
  );
  assertFormatError(
    broken((d) => delete d.weights.inline['decoder.B']),
    'decoder.B',
    /shape \[6, 10\]; it is missing/,
  );
  assertFormatError(
    broken((d) => (d.weights.inline['attention.A3'] = d.weights.inline['attention.A1'])),
    'attention.A3',
    /no such tensor/,
  );
  assertFormatError(
    broken((d) => (d.config.embed_dim = 7)),
    'embed',
    /shape \[12, 7\]; found \[12, 6\]/,
  );
  assertFormatError(
    broken((d) => d.vocab.tokens.pop()),
    'vocab.tokens',
    /one token per id/,
  );
});
