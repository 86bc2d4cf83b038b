// T-DMCA: every tdmca-* fixture of test/fixtures/gen_tdmca.py (an independent PyTorch
// implementation, float64) ≤ 1e-5, then the closed forms of its two attentions (block-diagonal
// causal local mask, ⌈n/3⌉ compressed keys, the strided convolution, no look-ahead) and malformed configs.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadModel, runModel } from '../../../src/engine/run';
import {
  compressedCausalMask,
  compressedLength,
  compressedSpans,
  localCausalMask,
  stridedConv,
} from '../../../src/engine/models/tdmcaAttention';
import { isTdmcaData, type TdmcaData } from '../../../common/archViews/tdmca';
import { assertFormatError as assertBadFile, writeVariant as writeBadVariant, type ModelDoc } from '../../helpers/malformed';

const FIXTURES = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-tdmca-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Expected {
  fixture: string;
  ids: number[];
  attentions: { decoder: number[][][][] };
  predicted_ids: number[];
}
const cases = fs.readdirSync(path.join(FIXTURES, 'expected')).filter((f) => f.startsWith('tdmca-'));
const load = (file: string): Expected => JSON.parse(fs.readFileSync(path.join(FIXTURES, 'expected', file), 'utf8')) as Expected;
const LMLML = path.join(FIXTURES, 'project', 'tdmca-lmlml.model.json');

test('there are T-DMCA fixtures', () => assert.ok(cases.length >= 2, cases.join()));

for (const file of cases) {
  test(`matches PyTorch (local and memory-compressed layers): ${file}`, () => {
    const exp = load(file);
    const model = loadModel(path.join(FIXTURES, exp.fixture));
    const result = runModel(model, { ids: exp.ids });
    const layers = result.attentions.filter((a) => a.part === 'decoder');
    assert.equal(layers.length, exp.attentions.decoder.length);
    layers.forEach((a, l) => {
      const want = exp.attentions.decoder[l].flat(2);
      assert.equal(a.keys, exp.attentions.decoder[l][0][0].length, `layer ${l}: key count`);
      let err = 0;
      want.forEach((v, i) => (err = Math.max(err, Math.abs(v - a.probs[i]))));
      assert.ok(err <= 1e-5, `layer ${l}: max abs error ${err.toExponential(2)}`);
    });
    assert.deepEqual(result.predicted?.ids, exp.predicted_ids, 'next-token predictions');
  });
}

test('local mask: block-diagonal and causal inside each block (n = 7, block 3)', () => {
  const rows = Array.from({ length: 7 }, (_, i) => Array.from(localCausalMask(7, 3).subarray(i * 7, i * 7 + 7)).join(''));
  assert.deepEqual(rows, ['0111111', '0011111', '0001111', '1110111', '1110011', '1110001', '1111110']);
});

test('compressed keys: ⌈n/3⌉ of them, spans tile the sequence, key j visible from query 3j+2 on', () => {
  for (let n = 1; n <= 10; n++) assert.equal(compressedLength(n, 3), Math.ceil(n / 3));
  assert.deepEqual(compressedSpans(8, 3), [
    [0, 3],
    [3, 6],
    [6, 8],
  ]);
  const m = compressedCausalMask(8, 3, 3);
  const rows = Array.from({ length: 8 }, (_, i) => Array.from(m.subarray(i * 3, i * 3 + 3)).join(''));
  // The partial last block [6, 8) is never visible: it would mix in tokens after query 7.
  assert.deepEqual(rows, ['111', '111', '011', '011', '011', '001', '001', '001']);
});

test('strided convolution with kernel = stride: identity taps sum each block, zero padding at the end', () => {
  const d = 2;
  const x = new Float32Array([1, 10, 2, 20, 3, 30, 4, 40]); // [4, 2]
  const w = new Float32Array(d * d * 3); // [out, in, kernel]
  for (let o = 0; o < d; o++) for (let r = 0; r < 3; r++) w[o * d * 3 + o * 3 + r] = 1;
  const out = stridedConv(x, 4, d, w, new Float32Array([0.5, -1]), d, 3);
  assert.deepEqual(Array.from(out), [6.5, 59, 4.5, 39]);
});

test('engine output: local rows are exactly 0 outside the block mask, compressed rows 0 on hidden keys, early queries see nothing', () => {
  const exp = load('tdmca-lmlml.json');
  const result = runModel(loadModel(LMLML), { ids: exp.ids });
  const n = exp.ids.length;
  for (const a of result.attentions) {
    assert.ok(a.mask, 'every layer reports its mask');
    for (let h = 0; h < a.heads; h++) {
      for (let i = 0; i < n; i++) {
        let sum = 0;
        for (let j = 0; j < a.keys; j++) {
          const p = a.probs[(h * n + i) * a.keys + j];
          if (a.mask[i * a.keys + j]) assert.equal(p, 0);
          sum += p;
        }
        const visible = a.mask.subarray(i * a.keys, (i + 1) * a.keys).includes(0);
        assert.ok(Math.abs(sum - (visible ? 1 : 0)) < 1e-6, `layer ${a.layer} row ${i}: sums to ${sum}`);
      }
    }
  }
  const compressed = result.attentions.filter((a) => a.keys === Math.ceil(n / 3));
  assert.equal(compressed.length, 2, 'LMLML has two memory-compressed layers');
  for (const a of compressed)
    for (const i of [0, 1]) assert.ok(!a.mask!.subarray(i * a.keys, (i + 1) * a.keys).includes(0), `query ${i} sees no complete block`);
});

test('no look-ahead: a prefix gives the same attention rows as the full sequence', () => {
  const ids = load('tdmca-lmlml.json').ids;
  const model = loadModel(LMLML);
  const full = runModel(model, { ids }).attentions;
  const k = 7;
  const prefix = runModel(model, { ids: ids.slice(0, k) }).attentions;
  full.forEach((a, l) => {
    const b = prefix[l];
    for (let h = 0; h < a.heads; h++) {
      for (let i = 0; i < k; i++) {
        for (let j = 0; j < b.keys; j++) {
          const got = b.probs[(h * k + i) * b.keys + j];
          const want = a.probs[(h * a.queries + i) * a.keys + j];
          assert.ok(Math.abs(got - want) < 1e-6, `layer ${l} head ${h} (${i}, ${j}): ${got} vs ${want}`);
        }
      }
    }
  });
});

test("app data: spans, layer pattern and the compressed layers' probabilities", () => {
  const ids = load('tdmca-lmlml.json').ids;
  const result = runModel(loadModel(LMLML), { ids });
  assert.equal(result.app?.kind, 'tdmca');
  assert.ok(isTdmcaData(result.app?.data));
  const data = result.app.data as TdmcaData;
  assert.deepEqual(data.spans, [
    [0, 3],
    [3, 6],
    [6, 9],
    [9, 11],
  ]);
  assert.deepEqual(
    data.layers.map((l) => l.type),
    ['local', 'compressed', 'local', 'compressed', 'local'],
  );
  assert.deepEqual(
    data.compressed.map((c) => c.layer),
    [1, 3],
  );
  for (const c of data.compressed) assert.deepEqual(c.probs, Array.from(result.attentions[c.layer].probs));
});

// ------------------------------------------------------------------ malformed files

const variant = (name: string, edit: (doc: ModelDoc) => void) => writeBadVariant(LMLML, tmp, edit, name);

const assertFormatError = (file: string, field: string, text: RegExp) =>
  assertBadFile(() => runModel(loadModel(file), { ids: [1, 2, 3] }), file, field, text);

test('malformed tdmca files name the file and the field', () => {
  assertFormatError(
    variant('kind', (d) => ((d.config.layers as string[])[1] = 'global')),
    'config.layers[1]',
    /one of "local", "compressed"; found "global"/,
  );
  assertFormatError(
    variant('block', (d) => (d.config.block_size = 0)),
    'config.block_size',
    /≥ 1; found 0/,
  );
  assertFormatError(
    variant('no-layers', (d) => delete d.config.layers),
    'config.layers',
    /required/,
  );
  assertFormatError(
    variant('heads', (d) => (d.config.heads = 5)),
    'config.heads',
    /divisor of config\.d_model 16/,
  );
  assertFormatError(
    variant('no-conv', (d) => delete d.weights.inline['decoder.layers.1.self_attn.compress_v.weight']),
    'decoder.layers.1.self_attn.compress_v.weight',
    /shape \[16, 16, 3\]; it is missing/,
  );
  // A compression tensor on a local layer is a part the config does not use.
  assertFormatError(
    variant(
      'conv-on-local',
      (d) =>
        (d.weights.inline['decoder.layers.0.self_attn.compress_k.bias'] = d.weights.inline['decoder.layers.1.self_attn.compress_k.bias']),
    ),
    'decoder.layers.0.self_attn.compress_k.bias',
    /no such tensor in a tdmca model/,
  );
  // compression 2 with 3-tap convolution weights stored: the shape names what was expected.
  assertFormatError(
    variant('stride', (d) => (d.config.compression = 2)),
    'decoder.layers.1.self_attn.compress_k.weight',
    /shape \[16, 16, 2\]; found \[16, 16, 3\]/,
  );
});
