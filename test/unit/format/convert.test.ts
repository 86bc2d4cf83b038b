import { after, test } from 'node:test';
import { toFloat32 } from '../../../src/engine/weights';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { convertToProjectFormat, sidecarName } from '../../../src/engine/format/convert';
import { readModelJson } from '../../../src/engine/format/modelJson';
import { loadModel } from '../../../src/engine/format/load';
import type { LoadedModel } from '../../../src/engine/format/loaded';

const ROOT = path.resolve(__dirname, '../../../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-convert-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function assertSameModel(a: LoadedModel, b: LoadedModel): void {
  assert.equal(b.architecture, a.architecture);
  assert.deepEqual(b.config, a.config);
  assert.deepEqual([...b.weights.keys()].sort(), [...a.weights.keys()].sort());
  for (const [name, t] of a.weights) {
    const u = b.weights.get(name)!;
    assert.deepEqual(u.shape, t.shape, name);
    assert.ok(
      toFloat32(u.data).every((x, i) => Object.is(x, toFloat32(t.data)[i])),
      `${name}: values differ`,
    );
  }
}

test('sidecar names', () => {
  assert.equal(sidecarName('out/model.json'), 'model.safetensors');
  assert.equal(sidecarName('/x/bert-tiny.model.json'), 'bert-tiny.safetensors');
});

test('every HF fixture converts and loads back with identical tensors and config', () => {
  for (const name of ['bert', 'bert-prefixed', 'gpt2', 'marian']) {
    // Committed fixtures: a missing one fails here, it is never skipped.
    const config = path.join(ROOT, 'test/fixtures/hf', name, 'config.json');
    assert.ok(fs.existsSync(config), `${config} is missing`);
    const hf = loadModel(path.join(ROOT, 'test/fixtures/hf', name));
    const out = path.join(tmp, name, 'model.json');
    convertToProjectFormat(hf, out);
    assert.ok(fs.existsSync(path.join(tmp, name, 'model.safetensors')));
    const back = readModelJson(out);
    assertSameModel(hf, back);
    assert.equal(back.name, hf.name);
  }
});

test('an HF tokenizer is copied beside the output and referenced by tokenizer_file', () => {
  const src = path.join(tmp, 'hf-bert');
  fs.mkdirSync(src);
  const fixture = path.join(ROOT, 'test/fixtures/hf/bert');
  for (const f of ['config.json', 'model.safetensors']) fs.copyFileSync(path.join(fixture, f), path.join(src, f));
  fs.copyFileSync(path.join(ROOT, 'test/fixtures/tokenizers/bert-wordpiece/tokenizer.json'), path.join(src, 'tokenizer.json'));
  const out = path.join(tmp, 'bert-tok', 'bert.model.json');
  convertToProjectFormat(loadModel(src), out);
  const doc = JSON.parse(fs.readFileSync(out, 'utf8')) as { vocab: unknown; weights: unknown };
  assert.deepEqual(doc.vocab, { tokenizer_file: 'tokenizer.json' });
  assert.deepEqual(doc.weights, { safetensors: 'bert.safetensors' });
  assert.deepEqual(readModelJson(out).sourceTokenizer!.encode('the cat').ids, [2, 5, 6, 3]);
});

test('project models (vocab tokenizers, separate target vocabulary, examples) round-trip', () => {
  const dir = path.join(ROOT, 'test/fixtures/project');
  const files = fs.readdirSync(dir).filter((x) => x.endsWith('.json')); // committed: missing is a failure
  assert.ok(files.length >= 16, `${files.length} project fixtures in ${dir}`);
  for (const f of files) {
    const m = readModelJson(path.join(dir, f));
    const out = path.join(tmp, 'project', f);
    convertToProjectFormat(m, out);
    const back = readModelJson(out);
    assertSameModel(m, back);
    assert.deepEqual(back.examples, m.examples);
    assert.equal(back.targetTokenizer!.size, m.targetTokenizer!.size);
    for (let id = 0; id < m.targetTokenizer!.size; id++) assert.equal(back.targetTokenizer!.token(id), m.targetTokenizer!.token(id));
    const text = m.examples[0]?.text;
    if (text) assert.deepEqual(back.sourceTokenizer!.encode(text), m.sourceTokenizer!.encode(text));
  }
});
