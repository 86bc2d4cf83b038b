// Attention RNN for melodies: the attention-rnn-* fixtures against the PyTorch reference
// (gen_attention_rnn.py, float64), closed-form window cases, the run result / piano-roll data,
// pitch names, and malformed files naming file + field.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InputError } from '../../../src/engine/format/errors';
import { loadModel } from '../../../src/engine/format/load';
import { buildAttentionRnn, type AttentionRnnModel } from '../../../src/engine/models/attentionRnn';
import { runModel } from '../../../src/engine/run';
import { isMusicData, pitchName, pitchOf } from '../../../common/archViews/music';
import { assertFormatError as assertBadFile, writeVariant, type ModelDoc } from '../../helpers/malformed';

const FIXTURES = path.resolve(__dirname, '..', '..', '..', '..', 'test', 'fixtures');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-attnrnn-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Case {
  primer: number[];
  ids: number[];
  probs: number[][];
  scores: number[][];
  predicted: number[];
  probability: number[];
}
const expected = (name: string): Case[] =>
  (JSON.parse(fs.readFileSync(path.join(FIXTURES, 'expected', 'models', `${name}.json`), 'utf8')) as { cases: Case[] }).cases;
const load = (name: string): AttentionRnnModel => loadModel(path.join(FIXTURES, 'project', `${name}.model.json`)) as AttentionRnnModel;

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'length');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

for (const name of ['attention-rnn-small', 'attention-rnn-window1', 'attention-rnn-long']) {
  test(`${name}: greedy continuation, windowed attention and note probabilities match PyTorch (≤ 1e-5)`, () => {
    const model = load(name);
    const rnn = buildAttentionRnn(model);
    const n = model.config.attn_length;
    for (const c of expected(name)) {
      const r = rnn.run(c.primer);
      const T = c.ids.length;
      assert.deepEqual(r.ids, c.ids, 'generated notes');
      assert.deepEqual(r.predicted, c.predicted);
      assert.deepEqual(r.ids.slice(0, c.primer.length), c.primer, 'the primer is read as given');
      for (let t = c.primer.length; t < T; t++) assert.equal(r.ids[t], r.predicted[t - 1], `note ${t} is the argmax after note ${t - 1}`);
      assert.ok(maxAbs(r.probs, c.probs.flat()) <= 1e-5, `${name}: α differs by ${maxAbs(r.probs, c.probs.flat())}`);
      assert.ok(maxAbs(r.scores, c.scores.flat()) <= 1e-4, `${name}: scores`);
      assert.ok(maxAbs(r.probability, c.probability) <= 1e-5, `${name}: note probabilities`);
      for (let t = 0; t < T; t++) {
        for (let i = 0; i < T; i++) assert.equal(r.mask[t * T + i], i >= t - n && i < t ? 0 : 1, `mask (${t}, ${i})`);
      }
    }
  });
}

test('window of 1: every step after the first puts weight 1 on the step before it; step 0 attends to nothing', () => {
  const r = buildAttentionRnn(load('attention-rnn-window1')).run([2, 3, 4]);
  const T = r.ids.length;
  for (let t = 0; t < T; t++) {
    const row = [...r.probs.subarray(t * T, (t + 1) * T)];
    assert.deepEqual(
      row,
      row.map((_, i) => (t > 0 && i === t - 1 ? 1 : 0)),
      `row ${t}`,
    );
  }
});

test('runModel: the primer is the source, the whole melody the target; one decoder layer with a band mask; piano-roll data', () => {
  const model = load('attention-rnn-small');
  const c = expected('attention-rnn-small')[0];
  const tokens = (ids: number[]): string[] => ids.map((i) => model.sourceTokenizer!.token(i));
  const r = runModel(model, { text: tokens(c.primer).join(' ') });
  assert.deepEqual(r.tokens.source, tokens(c.primer));
  assert.deepEqual(r.tokens.target, tokens(c.ids));
  const layer = r.attentions[0];
  assert.equal(layer.part, 'decoder');
  assert.equal(layer.queries, c.ids.length);
  assert.ok(layer.mask);
  assert.equal(r.app?.kind, 'music');
  const data = r.app?.data;
  assert.ok(isMusicData(data));
  assert.equal(data.primerLength, c.primer.length);
  assert.equal(data.window, 3);
  assert.deepEqual(
    data.steps.map((s) => s.pitch),
    tokens(c.ids).map((t) => pitchOf(t)),
  );
  assert.ok(maxAbs(data.attention, c.probs.flat()) <= 1e-5);
});

test('pitch names: C4 = 60, sharps and flats, MIDI numbers; rests and specials have no pitch', () => {
  assert.equal(pitchOf('C4'), 60);
  assert.equal(pitchOf('F#4'), 66);
  assert.equal(pitchOf('Bb3'), 58);
  assert.equal(pitchOf('A0'), 21);
  assert.equal(pitchOf('60'), 60);
  assert.equal(pitchOf('rest'), null);
  assert.equal(pitchOf('<pad>'), null);
  assert.equal(pitchOf('200'), null);
  assert.equal(pitchName(61), 'C#4');
  assert.equal(pitchName(pitchOf('G5')!), 'G5');
});

test('bad input: an unknown note or a target side is an InputError', () => {
  const model = load('attention-rnn-small');
  assert.throws(
    () => runModel(model, { ids: [2, 99] }),
    (e: unknown) => e instanceof InputError && e.field === 'ids[1]',
  );
  assert.throws(
    () => runModel(model, { ids: [2], targetIds: [3] }),
    (e: unknown) => e instanceof InputError && e.field === 'target_ids',
  );
  assert.throws(
    () => runModel(model, { text: 'C4 H9' }),
    (e: unknown) => e instanceof InputError,
  );
});

function broken(change: (doc: ModelDoc) => void): () => unknown {
  const file = writeVariant(path.join(FIXTURES, 'project', 'attention-rnn-small.model.json'), tmp, change);
  return () => buildAttentionRnn(loadModel(file) as AttentionRnnModel);
}

const assertFormatError = (fn: () => unknown, field: string, text: RegExp) => assertBadFile(fn, /bad-.*\.model\.json$/, field, text);

test('malformed attention-rnn files name the file and the field', () => {
  assertFormatError(
    broken((d) => delete d.config.attn_length),
    'config.attn_length',
    /required/,
  );
  assertFormatError(
    broken((d) => (d.config.attn_length = 0)),
    'config.attn_length',
    /≥ 1/,
  );
  assertFormatError(
    broken((d) => (d.config.generate_steps = -1)),
    'config.generate_steps',
    /≥ 0/,
  );
  assertFormatError(
    broken((d) => (d.config.attention_dim = 4)),
    'attention.W1',
    /shape \[4, 6\]; found \[7, 6\]/,
  );
  assertFormatError(
    broken((d) => delete d.weights.inline['out.bias']),
    'out.bias',
    /it is missing/,
  );
  assertFormatError(
    broken((d) => (d.weights.inline['rnn.bias'] = d.weights.inline['out.bias'])),
    'rnn.bias',
    /no such tensor/,
  );
});
