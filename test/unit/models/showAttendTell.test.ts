// Show, Attend and Tell: every show-attend-tell-* fixture against its PyTorch reference
// (test/fixtures/gen_show_attend_tell.py), the image front end and the CNN kernels in closed
// form, and malformed configs naming file + field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadModel } from '../../../src/engine/format/load';
import { runModel } from '../../../src/engine/run';
import { InputError, ModelFormatError } from '../../../src/engine/format/errors';
import { conv2d, locations, maxPool2d, relu } from '../../../src/engine/models/conv';
import { drawScene, parseScene } from '../../../src/engine/models/scene';
import { isShowAttendTellData, type ShowAttendTellData } from '../../../common/archViews/show-attend-tell';

const FIXTURES = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures');
const TOL = 1e-5;

interface Case {
  text: string;
  ids: number[];
  given_target_ids: number[] | null;
  target_ids: number[];
  probs: number[][];
  scores: number[][];
  beta: number[];
  predicted: number[];
  image: number[];
}

function maxDiff(a: ArrayLike<number>, b: number[]): number {
  assert.equal(a.length, b.length, 'length');
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

for (const name of ['show-attend-tell-small', 'show-attend-tell-nogate']) {
  const expected = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'expected', 'models', `${name}.json`), 'utf8')) as {
    model: string;
    cases: Case[];
  };
  const model = loadModel(path.join(FIXTURES, expected.model));
  expected.cases.forEach((c, k) => {
    test(`${name} case ${k} ("${c.text}"${c.given_target_ids ? ', teacher-forced' : ', greedy'}) matches PyTorch ≤ ${TOL}`, () => {
      const r = runModel(model, { text: c.text, ...(c.given_target_ids ? { targetIds: c.given_target_ids } : {}) });
      assert.deepEqual(r.ids.source, c.ids);
      assert.deepEqual(r.ids.target, c.target_ids, 'decoder inputs (greedy stops at </s> or max_caption_length)');
      assert.deepEqual(r.predicted?.ids, c.predicted);
      const [att] = r.attentions;
      assert.equal(att.part, 'cross');
      assert.equal(att.queries, c.target_ids.length);
      assert.equal(att.keys, c.probs[0].length);
      assert.ok(maxDiff(att.probs, c.probs.flat()) <= TOL, `α max diff ${maxDiff(att.probs, c.probs.flat())}`);
      assert.ok(maxDiff(att.scores, c.scores.flat()) <= 1e-4, 'scores e_ti');
      const app = r.app!;
      assert.equal(app.kind, 'show-attend-tell');
      assert.ok(isShowAttendTellData(app.data));
      const d = app.data as ShowAttendTellData;
      assert.deepEqual([...d.image], c.image, "the drawn image equals numpy's drawing, byte for byte");
      assert.equal(d.rows * d.cols, att.keys);
      assert.deepEqual(d.words, r.predicted?.tokens, 'one word per attention row: what that step outputs');
      if (model.architecture === 'show-attend-tell' && model.config.gate) assert.ok(maxDiff(d.beta!, c.beta) <= TOL, 'β_t');
      else assert.equal(d.beta, undefined);
    });
  });
}

test('conv2d / relu / maxPool2d in closed form (a 3×3 box filter, then 2×2 pooling)', () => {
  // A 4×4 image of ones, a 3×3 kernel of ones with bias −4: interior sums are 9, corners 4, edges 6.
  const x = { channels: 1, height: 4, width: 4, data: new Float32Array(16).fill(1) };
  const y = conv2d(x, new Float32Array(9).fill(1), new Float32Array([-4]), 1, 3, 1);
  assert.deepEqual([...y.data], [0, 2, 2, 0, 2, 5, 5, 2, 2, 5, 5, 2, 0, 2, 2, 0]);
  const z = maxPool2d(relu(conv2d(x, new Float32Array(9).fill(1), new Float32Array([-5]), 1, 3, 1)), 2);
  assert.deepEqual([z.height, z.width, ...z.data], [2, 2, 4, 4, 4, 4]);
  // Channel-first → one row per location.
  assert.deepEqual([...locations({ channels: 2, height: 1, width: 2, data: new Float32Array([1, 2, 3, 4]) })], [1, 3, 2, 4]);
});

test('scene front end: triples of words, shapes at pixel centres, later objects on top', () => {
  const scene = {
    colours: { red: [1, 0, 0] as [number, number, number], blue: [0, 0, 1] as [number, number, number] },
    shapes: ['circle' as const, 'square' as const],
    positions: { mid: [2, 2] as [number, number] },
    radius: 1,
  };
  const img = drawScene(parseScene(['red', 'square', 'mid', 'blue', 'circle', 'mid'], scene), scene, 4);
  // Square: |d| ≤ 0.8 around (2, 2) covers pixels 1…2; the circle (r = 1) covers the same 2×2 pixels.
  const red = [...img.data.subarray(0, 16)];
  const blue = [...img.data.subarray(32, 48)];
  assert.deepEqual(
    red.map((v) => v),
    new Array(16).fill(0),
    'the blue circle covers the whole red square',
  );
  assert.deepEqual(blue, [0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0]);
  assert.throws(
    () => parseScene(['red', 'square'], scene),
    (e: unknown) => e instanceof InputError && e.field === 'text',
  );
  assert.throws(
    () => parseScene(['red', 'moon', 'mid'], scene),
    (e: unknown) => e instanceof InputError && e.field === 'text[1]' && /shape word/.test(e.message),
  );
});

test('a 1×1 location grid: α is exactly 1 at every step', () => {
  const r = withDoc(
    (d) => {
      d.config.conv = [{ channels: 6, kernel: 3, pool: 12 }];
      // Keep the first stage's weights with this shape, drop the second stage.
      delete d.weights.inline['encoder.conv.1.weight'];
      delete d.weights.inline['encoder.conv.1.bias'];
      d.weights.inline['encoder.conv.0.weight'] = zeros([6, 3, 3, 3]);
      d.weights.inline['encoder.conv.0.bias'] = zeros([6]);
    },
    (m) => runModel(m, { text: 'red circle top-left' }),
  );
  const att = r.attentions[0];
  assert.equal(att.keys, 1);
  assert.deepEqual([...att.probs], new Array(att.queries).fill(1));
});

test('malformed configs and weights name the file and the field', () => {
  const expectError = (edit: (d: Doc) => void, field: string, re: RegExp) =>
    assert.throws(
      () => withDoc(edit, (m) => runModel(m, { text: 'red circle top-left' })),
      (e: unknown) => {
        assert.ok(e instanceof ModelFormatError, String(e));
        assert.equal(e.field, field);
        assert.match(e.message, re);
        assert.ok(e.file.endsWith('bad.model.json'));
        return true;
      },
    );
  expectError((d) => void (d.config.conv[1].pool = 9), 'config.conv[1].pool', /at least 1×1/);
  expectError((d) => void (d.config.conv[0].kernel = 4), 'config.conv[0].kernel', /odd kernel/);
  expectError((d) => void delete d.config.attention_dim, 'config.attention_dim', /required/);
  expectError((d) => void (d.config.scene.shapes = ['hexagon']), 'config.scene.shapes[0]', /circle/);
  expectError((d) => void (d.config.eos_id = 99), 'config.eos_id', /below config.tgt_vocab_size/);
  expectError((d) => void delete d.weights.inline['decoder.gate.weight'], 'decoder.gate.weight', /missing/);
  expectError((d) => void (d.config.gate = false), 'decoder.gate.weight', /no such tensor/);
  expectError((d) => void (d.config.embed_dim = 6), 'decoder.embed', /shape \[13, 6\]/);
});

test('bad input is an InputError naming the word', () => {
  const m = loadModel(path.join(FIXTURES, 'project', 'show-attend-tell-small.model.json'));
  assert.throws(
    () => runModel(m, { text: 'red circle' }),
    (e: unknown) => e instanceof InputError && e.field === 'text',
  );
  assert.throws(
    () => runModel(m, { ids: [1, 2, 99] }),
    (e: unknown) => e instanceof InputError && e.field === 'ids[2]',
  );
});

// ------------------------------------------------------------------ edited copies of a fixture

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = { config: any; weights: { inline: Record<string, { shape: number[]; data: string }> } };

function zeros(shape: number[]): { shape: number[]; data: string } {
  return { shape, data: Buffer.alloc(shape.reduce((a, b) => a * b, 1) * 4).toString('base64') };
}

function withDoc<T>(edit: (d: Doc) => void, use: (m: ReturnType<typeof loadModel>) => T): T {
  const doc = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'project', 'show-attend-tell-small.model.json'), 'utf8')) as Doc;
  edit(doc);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sat-'));
  try {
    const file = path.join(dir, 'bad.model.json');
    fs.writeFileSync(file, JSON.stringify(doc));
    return use(loadModel(file));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
