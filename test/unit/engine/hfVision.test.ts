// ViT and DeiT folders, read by the product's reader and run by the engine (and the CLI), against
// what the real transformers library computed (test/fixtures/gen_hf_vision.py: eager attention,
// output_attentions=True; pixel_values from ViTImageProcessorPil): every probability of every layer
// and head within 1e-5; PNG pixel values within 1e-6 of the processor's, JPEG ones within 3
// intensity levels (jpeg-js and libjpeg-turbo round their inverse DCTs differently).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ModelFormatError } from '../../../src/engine/format/errors';
import { decodeImage, preprocessImage, resizePil } from '../../../src/engine/format/image';
import { loadModel, prepare, runModel } from '../../../src/engine/run';
import { defaultKernels, type WasmKernels } from '../../../src/engine/kernels/index';
import type { Kernels } from '../../../src/engine/kernels/reference';
import { resultToJson } from '../../../src/engine/resultJson';
import { estimateRunMemory } from '../../../src/engine/runMemory';
import { parseSafetensors, writeSafetensors } from '../../../src/engine/format/safetensors';
import { headQK } from '../../../src/engine/qkVectors';
import { isVitImageData } from '../../../common/archViews/vit-image';
import { isHostToSidebar } from '../../../common/sidebar';
import { sidebarState } from '../../../src/sidebar/sidebarState';
import { loadRuns, saveRuns, type Store } from '../../../src/panels/recovery';

const ROOT = path.join(__dirname, '..', '..', '..', '..');
const FIX = path.join(ROOT, 'test', 'fixtures', 'hf-vision');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const PROB_TOL = 1e-5;
const PNG_PIXEL_TOL = 1e-6;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-vision-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

type Nested = number[][][];
interface Expected {
  pixel_values: Nested;
  attentions: number[][][][];
  images: Record<string, { pixel_values: Nested; attentions?: number[][][][] }>;
}
const expected = (m: string) => JSON.parse(fs.readFileSync(path.join(FIX, m, 'expected.json'), 'utf8')) as Expected;

function maxAbsDiff(a: unknown, b: unknown, where: string): number {
  if (Array.isArray(a) && Array.isArray(b)) {
    assert.equal(a.length, b.length, `${where}: length ${a.length} vs expected ${b.length}`);
    return a.reduce((m: number, x, i) => Math.max(m, maxAbsDiff(x, b[i], `${where}[${i}]`)), 0);
  }
  assert.equal(typeof a, 'number', `${where}: not a number`);
  return Math.abs((a as number) - (b as number));
}

function productKernels(): [string, Kernels][] {
  const out: [string, Kernels][] = [];
  for (const kind of ['native', 'wasm'] as const) {
    const k = defaultKernels({ kind, threads: 1 }, () => {});
    if (k !== out[out.length - 1]?.[1]) out.push([kind, k]);
  }
  return out;
}
after(() => (defaultKernels({ kind: 'wasm', threads: 1 }, () => {}) as Partial<WasmKernels>).dispose?.());

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

for (const m of ['vit', 'deit']) {
  test(`${m}: --pixel-values gives every attention probability of transformers (CLI, reference and product kernels)`, (t) => {
    const exp = expected(m);
    const pv = path.join(tmp, `${m}-pixels.json`);
    fs.writeFileSync(pv, JSON.stringify(exp.pixel_values));
    const r = cli('run', path.join(FIX, m), '--pixel-values', pv);
    assert.equal(r.code, 0, r.err);
    const got = JSON.parse(r.out) as { model: unknown; tokens: { source: string[] }; attentions: { encoder: number[][][][] } };
    assert.deepEqual(Object.keys(got.attentions), ['encoder']);
    const err = maxAbsDiff(got.attentions.encoder, exp.attentions, `${m} encoder`);
    assert.ok(err <= PROB_TOL, `${m}: max abs error ${err.toExponential(2)} > ${PROB_TOL}`);
    const specials = m === 'deit' ? ['[CLS]', '[DIST]'] : ['[CLS]'];
    assert.deepEqual(got.tokens.source.slice(0, specials.length + 2), [...specials, 'patch (0,0)', 'patch (0,1)']);
    assert.equal(got.tokens.source.length, exp.attentions[0][0].length);
    t.diagnostic(`CLI max abs error ${err.toExponential(2)}`);
    for (const [kind, kernels] of productKernels()) {
      const model = loadModel(path.join(FIX, m));
      prepare(model, kernels);
      const res = resultToJson(runModel(model, { pixelValues: exp.pixel_values })) as { attentions: { encoder: number[][][][] } };
      const e = maxAbsDiff(res.attentions.encoder, exp.attentions, `${m} ${kind}`);
      assert.ok(e <= PROB_TOL, `${m} on ${kind}: max abs error ${e.toExponential(2)} > ${PROB_TOL}`);
      t.diagnostic(`${kind} kernels max abs error ${e.toExponential(2)}`);
    }
  });

  test(`${m}: --image pixel values match ViTImageProcessorPil (PNG exactly, JPEG within 3 levels)`, (t) => {
    const exp = expected(m);
    const model = loadModel(path.join(FIX, m));
    assert.equal(model.architecture, 'hf-vit');
    const prep = model.architecture === 'hf-vit' ? model.config.preprocess : undefined;
    assert.ok(prep, 'preprocessor_config.json read');
    for (const [file, tol] of [
      ['image.png', PNG_PIXEL_TOL],
      ['image.jpg', (3 / 255 / Math.min(...(prep.normalize?.std ?? [1]))) * 1.0001],
    ] as const) {
      const p = preprocessImage(decodeImage(path.join(FIX, file)), prep);
      const want = exp.images[file].pixel_values;
      assert.deepEqual([3, p.height, p.width], [want.length, want[0].length, want[0][0].length]);
      const flat = want.flat(2);
      const err = flat.reduce((mx, x, i) => Math.max(mx, Math.abs(x - p.data[i])), 0);
      assert.ok(err <= tol, `${m} ${file}: pixel max abs error ${err.toExponential(2)} > ${tol.toExponential(2)}`);
      t.diagnostic(`${file}: pixel max abs error ${err.toExponential(2)}`);
    }
  });

  test(`${m}: --image PNG gives the attentions transformers computes for the processor's pixels`, () => {
    const exp = expected(m).images['image.png'].attentions!;
    const r = cli('run', path.join(FIX, m), '--image', path.join(FIX, 'image.png'));
    assert.equal(r.code, 0, r.err);
    const got = JSON.parse(r.out) as { attentions: { encoder: number[][][][] } };
    const err = maxAbsDiff(got.attentions.encoder, exp, `${m} png`);
    assert.ok(err <= PROB_TOL, `${m} png: max abs error ${err.toExponential(2)} > ${PROB_TOL}`);
  });

  test(`${m}: the view data carries the [CLS]${m === 'deit' ? ' and [DIST]' : ''} rows over the patches`, () => {
    const exp = expected(m);
    const res = runModel(loadModel(path.join(FIX, m)), { pixelValues: exp.pixel_values });
    assert.equal(res.app?.kind, 'vit-image');
    const d = res.app!.data;
    assert.ok(isVitImageData(d));
    const specials = m === 'deit' ? 2 : 1;
    assert.equal(d.queries.length, specials);
    const np = d.grid * d.grid;
    // [DIST] (query 1) of layer 1, head 2, against row 1 of the expected head without the special keys.
    const q = specials - 1;
    const row = exp.attentions[1][2][q].slice(specials);
    const got = Array.from(d.attention.subarray(((q * d.layers + 1) * d.heads + 2) * np, ((q * d.layers + 1) * d.heads + 3) * np));
    assert.ok(maxAbsDiff(got, row, 'view row') <= PROB_TOL);
  });
}

test("resizing is PIL's Image.resize byte for byte (bilinear and bicubic, shrinking and enlarging)", () => {
  type Case = { width: number; height: number; resample: 'bilinear' | 'bicubic'; rgb: number[] };
  const f = JSON.parse(fs.readFileSync(path.join(FIX, 'resize.json'), 'utf8')) as {
    width: number;
    height: number;
    rgb: number[];
    cases: Case[];
  };
  const src = { width: f.width, height: f.height, rgb: Uint8Array.from(f.rgb) };
  for (const c of f.cases) {
    const got = resizePil(src, c.width, c.height, c.resample);
    const off = c.rgb.filter((x, i) => x !== got.rgb[i]).length;
    assert.equal(off, 0, `${c.resample} ${f.width}×${f.height} → ${c.width}×${c.height}: ${off} of ${c.rgb.length} bytes differ from PIL`);
  }
});

for (const m of ['vit', 'deit']) {
  test(`${m} of hf-families (hidden 64): every attention probability of transformers`, () => {
    const dir = path.join(ROOT, 'test', 'fixtures', 'hf-families', m);
    const exp = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8')) as {
      pixel_values: Nested;
      attentions: { encoder: number[][][][] };
    };
    const res = resultToJson(runModel(loadModel(dir), { pixelValues: exp.pixel_values })) as { attentions: { encoder: unknown } };
    const err = maxAbsDiff(res.attentions.encoder, exp.attentions.encoder, `hf-families ${m}`);
    assert.ok(err <= PROB_TOL, `${m}: max abs error ${err.toExponential(2)} > ${PROB_TOL}`);
  });
}

test('JPEGs decode as PIL (libjpeg-turbo) decodes them: 4:4:4, 4:2:2 and 4:2:0 chroma within 3 levels', (t) => {
  const want = JSON.parse(fs.readFileSync(path.join(FIX, 'decoded.json'), 'utf8')) as Record<string, number[]>;
  for (const [file, bytes] of Object.entries(want)) {
    const got = decodeImage(path.join(FIX, file)).rgb;
    assert.equal(got.length, bytes.length, file);
    let max = 0;
    let sum = 0;
    bytes.forEach((b, i) => {
      const d = Math.abs(b - got[i]);
      max = Math.max(max, d);
      sum += d;
    });
    // Only the inverse DCTs' rounding differs: chroma upsampling and colour conversion are libjpeg's.
    assert.ok(max <= 3 && sum / bytes.length <= 0.25, `${file}: max ${max} levels, mean ${(sum / bytes.length).toFixed(3)}`);
    t.diagnostic(`${file}: max ${max} levels, mean ${(sum / bytes.length).toFixed(3)}`);
  }
});

test("the side panel's input box says a vision model reads an image, not text", () => {
  const dir = path.join(FIX, 'deit');
  const r = runModel(loadModel(dir), { image: path.join(FIX, 'image.png') });
  const s = sidebarState({
    current: dir,
    resultModel: dir,
    lastResult: r,
    lastInput: { image: path.join(FIX, 'image.png') },
    running: false,
  });
  assert.match(s.placeholder ?? '', /reads an image, not text: choose one with "Run with Input…"/);
  assert.deepEqual(s.tokens.source.slice(0, 3), ['[CLS]', '[DIST]', 'patch (0,0)']);
  assert.equal(s.input, '', 'no file path in the text box: typing it would run it as text');
  assert.ok(isHostToSidebar(s));
});

test('a ViT run restored after a reload keeps its image file', async () => {
  const data = new Map<string, unknown>();
  const store: Store = { get: (k) => data.get(k), update: async (k, v) => void data.set(k, JSON.parse(JSON.stringify(v))) };
  const image = path.join(FIX, 'image.png');
  await saveRuns(store, { view: { model: path.join(FIX, 'vit'), input: { image, maxRunMemoryMB: 5 } } });
  assert.deepEqual(loadRuns(store).view, { model: path.join(FIX, 'vit'), input: { image } });
});

test('vit without q/k/v biases, gelu_new, 20 px over 8 px patches (2×2 grid, the rest unread): transformers’ attentions', () => {
  const exp = expected('vit-nobias');
  const pv = path.join(tmp, 'nobias-pixels.json');
  fs.writeFileSync(pv, JSON.stringify(exp.pixel_values));
  const r = cli('run', path.join(FIX, 'vit-nobias'), '--pixel-values', pv);
  assert.equal(r.code, 0, r.err);
  const got = JSON.parse(r.out) as { tokens: { source: string[] }; attentions: { encoder: number[][][][] } };
  assert.deepEqual(got.tokens.source, ['[CLS]', 'patch (0,0)', 'patch (0,1)', 'patch (1,0)', 'patch (1,1)']);
  const err = maxAbsDiff(got.attentions.encoder, exp.attentions, 'vit-nobias');
  assert.ok(err <= PROB_TOL, `vit-nobias: max abs error ${err.toExponential(2)} > ${PROB_TOL}`);
  // The residual stream after the last layer (its FFN's Add & Norm output norms): catches what attention barely shows (gelu_new).
  const res = runModel(loadModel(path.join(FIX, 'vit-nobias')), { pixelValues: exp.pixel_values });
  const last = res.addNorm.filter((s) => s.sublayer === 'ffn').at(-1)!;
  const want = (exp as unknown as { last_layer_norms: number[] }).last_layer_norms;
  const rel = Math.max(...want.map((w, i) => Math.abs(last.outputNorm[i] - w) / w));
  assert.ok(rel <= 1e-5, `last layer's output norms: max relative error ${rel.toExponential(2)}`);
  const img = cli('run', path.join(FIX, 'vit-nobias'), '--image', path.join(FIX, 'image.png'));
  assert.equal(img.code, 1);
  assert.match(img.err, /image: an image file needs the folder's preprocessor_config.json/);
});

test('a DeiTForImageClassificationWithTeacher checkpoint (deit. prefix, both classifier heads) reads as the bare model', () => {
  const dir = path.join(tmp, 'deit-heads');
  fs.mkdirSync(dir, { recursive: true });
  for (const f of ['config.json', 'preprocessor_config.json']) fs.copyFileSync(path.join(FIX, 'deit', f), path.join(dir, f));
  const src = path.join(FIX, 'deit', 'model.safetensors');
  const tensors = new Map([...parseSafetensors(src, fs.readFileSync(src))].map(([k, t]) => [`deit.${k}`, t]));
  for (const head of ['cls_classifier', 'distillation_classifier']) {
    tensors.set(`${head}.weight`, { shape: [3, 32], data: new Float32Array(96) });
    tensors.set(`${head}.bias`, { shape: [3], data: new Float32Array(3) });
  }
  fs.writeFileSync(path.join(dir, 'model.safetensors'), writeSafetensors(tensors));
  const res = resultToJson(runModel(loadModel(dir), { pixelValues: expected('deit').pixel_values })) as {
    attentions: { encoder: unknown };
  };
  assert.ok(maxAbsDiff(res.attentions.encoder, expected('deit').attentions, 'deit with heads') <= PROB_TOL);
});

/** A copy of the vit fixture with config.json / preprocessor_config.json edited. */
function edited(name: string, config: Record<string, unknown>, prep?: Record<string, unknown>): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const f of ['model.safetensors', 'config.json', 'preprocessor_config.json'])
    fs.copyFileSync(path.join(FIX, 'vit', f), path.join(dir, f));
  const read = (f: string) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as Record<string, unknown>;
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...read('config.json'), ...config }));
  if (prep) fs.writeFileSync(path.join(dir, 'preprocessor_config.json'), JSON.stringify({ ...read('preprocessor_config.json'), ...prep }));
  return dir;
}

function rejects(dir: string, file: string, field: string, text: RegExp): void {
  assert.throws(
    () => loadModel(dir),
    (e: unknown) => e instanceof ModelFormatError && e.file.endsWith(file) && e.field === field && text.test(e.expected),
  );
}

test('the memory estimate is the closed form of a ViT run, and a run over the limit is refused before any compute', () => {
  const model = loadModel(path.join(FIX, 'vit'));
  assert.equal(model.architecture, 'hf-vit');
  const c = model.architecture === 'hf-vit' ? model.config : undefined;
  assert.ok(c);
  const n = 17; // 16 patches + [CLS]
  const need = estimateRunMemory(model, { source: n })!;
  assert.equal(need.attention, c.layers * c.heads * n * n * 2 * 4);
  assert.throws(
    () => runModel(model, { pixelValues: expected('vit').pixel_values, maxRunMemoryMB: need.total / 2 / 2 ** 20 }),
    /image: this run over 17 image tokens needs ~1 MB .*maxRunMemoryMB/,
  );
});

test('unsupported vision options are refused naming the file, the field and what is supported', () => {
  rejects(edited('nonsquare', { image_size: [32, 48] }), 'config.json', 'image_size', /square/);
  // 64 px with 8 px patches needs 65 positions; the checkpoint has 17 (interpolate_pos_encoding).
  rejects(
    edited('bigger', { image_size: 64 }, { size: { height: 64, width: 64 } }),
    'model.safetensors',
    'embeddings.position_embeddings',
    /interpolate_pos_encoding/,
  );
  rejects(edited('headdim', { head_dim: 16 }), 'config.json', 'head_dim', /hidden_size \/ num_attention_heads = 8/);
  rejects(edited('prepsize', {}, { size: { height: 48, width: 48 } }), 'preprocessor_config.json', 'size', /32×32/);
  rejects(edited('nearest', {}, { resample: 0 }), 'preprocessor_config.json', 'resample', /bilinear.*bicubic/);
  rejects(edited('shortest', {}, { size: { shortest_edge: 32 } }), 'preprocessor_config.json', 'size', /shortest_edge/);
});

test('a vision model refuses text, a text model refuses an image, and pixel_values of the wrong shape are named', () => {
  const vit = loadModel(path.join(FIX, 'vit'));
  assert.throws(() => runModel(vit, { text: 'a cat' }), /image: a vision model reads an image \(a PNG or JPEG file\), not text or ids/);
  assert.throws(() => runModel(vit, {}), /image: a vision model reads an image: give an image file or pixel_values/);
  const small = [[[0, 0]], [[0, 0]], [[0, 0]]];
  assert.throws(() => runModel(vit, { pixelValues: small }), /pixel_values: shape \[3\]\[32\]\[32\].*found \[3\]\[1\]\[2\]/);
  assert.throws(() => runModel(vit, { pixelValues: [[[0, 0], [0]]] }), /pixel_values\[0\]\[1\]: 2 values like row 0; found 1/);
  const bert = loadModel(path.join(ROOT, 'test', 'fixtures', 'hf', 'bert'));
  assert.throws(() => runModel(bert, { image: path.join(FIX, 'image.png') }), /only vision models \(vit, deit\) read an image/);
  const qk = { ids: [0, 1], part: 'encoder' as const, layer: 0, head: 0 };
  assert.throws(() => headQK(vit, qk), /image: a vision model’s q and k need the run’s image/); // ids alone do not name an image
  const conv = cli('convert', path.join(FIX, 'vit'), '--out', path.join(tmp, 'vit.model.json'));
  assert.equal(conv.code, 1);
  assert.match(conv.err, /model_type: .*a vit folder opens directly, without conversion/);
  const r = cli('run', path.join(FIX, 'vit'), '--image', path.join(FIX, 'vit', 'config.json'));
  assert.equal(r.code, 1);
  assert.match(r.err, /image: a PNG or JPEG file; config.json is neither/);
});
