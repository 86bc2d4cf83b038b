// Image Transformer: every image-transformer-* fixture against its PyTorch reference
// (test/fixtures/gen_image_transformer.py), the local 1D / 2D masks and block boundaries in
// closed form, and malformed configs naming file + field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadModel } from '../../../src/engine/format/load';
import { runModel } from '../../../src/engine/run';
import { InputError, ModelFormatError } from '../../../src/engine/format/errors';
import { blocksOf, generationOrder, localMask, type LocalSpec } from '../../../common/localAttention';
import { isImageTransformerData, type ImageTransformerData } from '../../../common/archViews/image-transformer';

const FIXTURES = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures');
const TOL = 1e-5;

interface Case {
  ids: number[];
  probs: number[][][][]; // [layer][head][q][k]
  scores: number[][][][];
  predicted: number[];
  mask: number[][];
  order: number[];
}

function maxDiff(a: ArrayLike<number>, b: number[]): number {
  assert.equal(a.length, b.length, 'length');
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

for (const name of ['image-transformer-1d', 'image-transformer-2d']) {
  const expected = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'expected', 'models', `${name}.json`), 'utf8')) as {
    model: string;
    cases: Case[];
  };
  const model = loadModel(path.join(FIXTURES, expected.model));
  expected.cases.forEach((c, k) => {
    test(`${name} case ${k} (${c.ids.length} pixels) matches PyTorch ≤ ${TOL}`, () => {
      const r = runModel(model, { ids: c.ids });
      assert.deepEqual(r.predicted?.ids, c.predicted);
      assert.equal(r.attentions.length, c.probs.length);
      r.attentions.forEach((a, l) => {
        assert.equal(a.part, 'decoder');
        assert.deepEqual([a.heads, a.queries, a.keys], [c.probs[l].length, c.ids.length, c.ids.length]);
        assert.deepEqual([...a.mask!], c.mask.flat(), "the local mask equals the reference's, built from pixel coordinates");
        const diff = maxDiff(a.probs, c.probs[l].flat(2));
        assert.ok(diff <= TOL, `layer ${l}: max |Δp| = ${diff}`);
        // Scores are compared where they are used (unmasked): masked scores are not part of the softmax.
        const ref = c.scores[l].flat(2);
        const mask = c.mask.flat();
        const nn = c.ids.length ** 2;
        for (let i = 0; i < ref.length; i++) if (!mask[i % nn]) assert.ok(Math.abs(a.scores[i] - ref[i]) <= 1e-4, `score ${i}`);
      });
      assert.ok(isImageTransformerData(r.app?.data));
      const d = r.app!.data as ImageTransformerData;
      assert.deepEqual([...d.order], c.order);
      assert.deepEqual(d.ids, c.ids);
      const n = c.ids.length;
      assert.deepEqual(
        [...d.probs.subarray(n * n, 2 * n * n)],
        [...r.attentions[0].probs.subarray(n * n, 2 * n * n)],
        'layer 0 head 1 in the view data',
      );
    });
  });
}

const SPEC_1D: LocalSpec = { height: 3, width: 4, attention: 'local-1d', query_length: 3, memory_length: 2 };
const SPEC_2D: LocalSpec = {
  height: 4,
  width: 4,
  attention: 'local-2d',
  query_height: 2,
  query_width: 2,
  memory_above: 1,
  memory_left: 1,
  memory_right: 1,
};

test('local-1d: block boundaries and the band-shaped causal mask', () => {
  assert.deepEqual(blocksOf(SPEC_1D, 0), { kind: '1d', query: [0, 2], memory: [0, 2] });
  assert.deepEqual(blocksOf(SPEC_1D, 4), { kind: '1d', query: [3, 5], memory: [1, 5] });
  assert.deepEqual(blocksOf(SPEC_1D, 11), { kind: '1d', query: [9, 11], memory: [7, 11] });
  const m = localMask(SPEC_1D, 7);
  const row = (i: number) => [...m.subarray(i * 7, (i + 1) * 7)].join('');
  assert.equal(row(0), '0111111'); // itself only
  assert.equal(row(2), '0001111'); // block 0: positions 0…2
  assert.equal(row(3), '1000111'); // block 1 starts at 3: memory 1…3 (2 before the block)
  assert.equal(row(5), '1000001'); // memory 1…5
  assert.equal(row(6), '1111000'); // block 2 starts at 6: memory 4…6
});

test('local-2d: generation order is block by block, memory extends above / left / right', () => {
  // 2×2 blocks of a 4×4 image: block 0 = pixels 0, 1, 4, 5, then block 1 = 2, 3, 6, 7, …
  assert.deepEqual([...generationOrder(SPEC_2D)], [0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15]);
  // Sequence position 12 is pixel 10 = (2, 2), block (2…3, 2…3): memory rows 1…3, cols 1…3.
  assert.deepEqual(blocksOf(SPEC_2D, 12), {
    kind: '2d',
    query: { top: 2, left: 2, bottom: 3, right: 3 },
    memory: { top: 1, left: 1, bottom: 3, right: 3 },
  });
  const m = localMask(SPEC_2D, 16);
  const order = generationOrder(SPEC_2D);
  const visiblePixels = (s: number) => order.filter((_, j) => !m[s * 16 + j]).sort((a, b) => a - b);
  // Pixel 10 sees (in its memory, already generated): 5, 6, 7 (row 1), 9 (row 2, left), 13 (row 3, left) and itself.
  assert.deepEqual([...visiblePixels(12)], [5, 6, 7, 9, 10, 13]);
  // The first block of the second block-row (pixel 8) sees row 1 cols 0…2 above and itself; pixel 6 is later? no, earlier.
  assert.deepEqual([...visiblePixels(8)], [4, 5, 6, 8]);
  // A 1×1 image: one pixel, attends to itself with probability 1.
  assert.deepEqual([...localMask({ ...SPEC_2D, height: 1, width: 1, query_height: 1, query_width: 1 }, 1)], [0]);
});

test('a 1-pixel input: its only key has probability 1 in every head and layer', () => {
  const m = loadModel(path.join(FIXTURES, 'project', 'image-transformer-2d.model.json'));
  const r = runModel(m, { ids: [3] });
  for (const a of r.attentions) assert.deepEqual([...a.probs], new Array(a.heads).fill(1));
});

test('bad input: too many pixels or an id outside the palette', () => {
  const m = loadModel(path.join(FIXTURES, 'project', 'image-transformer-1d.model.json'));
  assert.throws(
    () => runModel(m, { ids: new Array(21).fill(0) }),
    (e: unknown) => e instanceof InputError && e.field === 'ids' && /1 to 20/.test(e.message),
  );
  assert.throws(
    () => runModel(m, { ids: [0, 6] }),
    (e: unknown) => e instanceof InputError && e.field === 'ids[1]',
  );
  assert.throws(
    () => runModel(m, { ids: [0], targetIds: [1] }),
    (e: unknown) => e instanceof InputError && e.field === 'target_ids',
  );
});

test('malformed configs and weights name the file and the field', () => {
  const expectError = (base: string, edit: (d: Doc) => void, field: string, re: RegExp) => {
    const doc = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'project', `${base}.model.json`), 'utf8')) as Doc;
    edit(doc);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'itx-'));
    const file = path.join(dir, 'bad.model.json');
    try {
      fs.writeFileSync(file, JSON.stringify(doc));
      assert.throws(
        () => runModel(loadModel(file), { ids: [0] }),
        (e: unknown) => {
          assert.ok(e instanceof ModelFormatError, String(e));
          assert.equal(e.field, field);
          assert.match(e.message, re);
          assert.equal(e.file, file);
          return true;
        },
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
  expectError('image-transformer-2d', (d) => void (d.config.query_width = 4), 'config.query_width', /divisor of config.width 6/);
  expectError('image-transformer-2d', (d) => void delete d.config.memory_above, 'config.memory_above', /required/);
  expectError('image-transformer-2d', (d) => void (d.config.query_length = 3), 'config.query_length', /local-1d field/);
  expectError('image-transformer-1d', (d) => void delete d.config.query_length, 'config.query_length', /required/);
  expectError('image-transformer-1d', (d) => void (d.config.attention = 'global'), 'config.attention', /"local-1d", "local-2d"/);
  expectError('image-transformer-1d', (d) => void (d.config.heads = 3), 'config.heads', /divisor of config.d_model 8/);
  expectError('image-transformer-2d', (d) => void d.config.palette.pop(), 'config.palette', /one colour per pixel id \(4\)/);
  expectError('image-transformer-1d', (d) => void (d.config.height = 5), 'embed.rows', /shape \[5, 8\]/);
  expectError(
    'image-transformer-1d',
    (d) => void (d.weights.inline['decoder.final_norm.weight'] = d.weights.inline['embed.rows']),
    'decoder.final_norm.weight',
    /no such tensor/,
  );
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = { config: any; weights: { inline: Record<string, { shape: number[]; data: string }> } };
