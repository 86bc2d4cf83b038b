import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expectTensor, loadModel, rejectUnusedTensors } from '../../../src/engine/format/load';
import { ModelFormatError } from '../../../src/engine/format/errors';
import type { LoadedModel } from '../../../src/engine/format/loaded';
import { tensor } from '../../../src/engine/tensor';

const ROOT = path.resolve(__dirname, '../../../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-load-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function model(names: [string, number[]][]): LoadedModel {
  return {
    file: 'm.model.json',
    name: 'm',
    architecture: 'rnn-seq2seq',
    config: {
      cell: 'gru',
      src_vocab_size: 2,
      tgt_vocab_size: 2,
      embed_dim: 2,
      hidden_size: 2,
      bidirectional: false,
      score: 'dot',
      bos_id: 0,
      eos_id: 1,
      max_target_length: 4,
    },
    weights: new Map(names.map(([n, s]) => [n, tensor(s)])),
    examples: [],
  };
}

function isError(field: string, re: RegExp, file = 'm.model.json') {
  return (e: unknown) => {
    assert.ok(e instanceof ModelFormatError, String(e));
    assert.equal(e.file, file);
    assert.equal(e.field, field);
    assert.match(e.expected, re);
    return true;
  };
}

test('expectTensor returns the tensor, or names it with the expected shape', () => {
  const m = model([['encoder.embed', [2, 3]]]);
  assert.deepEqual(expectTensor(m, 'encoder.embed', [2, 3]).shape, [2, 3]);
  assert.throws(() => expectTensor(m, 'encoder.embed', [3, 2]), isError('encoder.embed', /^shape \[3, 2\]; found \[2, 3\]$/));
  assert.throws(() => expectTensor(m, 'decoder.embed', [2, 3]), isError('decoder.embed', /^a tensor of shape \[2, 3\]; it is missing$/));
});

test('rejectUnusedTensors names the first unused tensor and lists the rest', () => {
  const m = model([
    ['a', [1]],
    ['b', [1]],
    ['c', [1]],
  ]);
  rejectUnusedTensors(m, new Set(['a', 'b', 'c']));
  assert.throws(() => rejectUnusedTensors(m, new Set(['a'])), isError('b', /no such tensor in a rnn-seq2seq model.*also unused: c$/));
});

test('loadModel: project JSON, HF folder, HF config.json, a project file called config.json', () => {
  const project = path.join(ROOT, 'test/fixtures/project/rnn-gru-dot.model.json');
  assert.equal(loadModel(project).architecture, 'rnn-seq2seq');
  const bert = path.join(ROOT, 'test/fixtures/hf/bert');
  assert.equal(loadModel(bert).file, path.join(bert, 'config.json'));
  assert.equal(loadModel(path.join(bert, 'config.json')).description, 'Hugging Face bert checkpoint (BertModel)');
  const dir = fs.mkdtempSync(path.join(tmp, 'cfg-'));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ format: 'attention-inspector/model', version: 1 }));
  assert.throws(
    () => loadModel(path.join(dir, 'config.json')),
    isError('architecture', /required field is missing/, path.join(dir, 'config.json')),
  );
});

test('loadModel: anything else says what was expected', () => {
  const missing = path.join(tmp, 'nope.model.json');
  assert.throws(() => loadModel(missing), isError('path', /Hugging Face folder.*nothing exists/, missing));
  const st = path.join(tmp, 'w.safetensors');
  fs.writeFileSync(st, '');
  assert.throws(() => loadModel(st), isError('path', /model JSON file.*found a \.safetensors file/, st));
  const empty = fs.mkdtempSync(path.join(tmp, 'empty-'));
  assert.throws(() => loadModel(empty), isError('config.json', /this folder has no config.json/, empty));
});
