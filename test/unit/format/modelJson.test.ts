import { after, test } from 'node:test';
import { toFloat32 } from '../../../src/engine/weights';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readModelJson } from '../../../src/engine/format/modelJson';
import { writeSafetensors } from '../../../src/engine/format/safetensors';
import { ModelFormatError } from '../../../src/engine/format/errors';
import { tensor } from '../../../src/engine/tensor';

const ROOT = path.resolve(__dirname, '../../../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-modeljson-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function b64(values: number[]): string {
  return Buffer.from(new Float32Array(values).buffer).toString('base64');
}

type Doc = Record<string, unknown> & { config: Record<string, unknown> };

function transformerDoc(): Doc {
  return {
    format: 'attention-inspector/model',
    version: 1,
    architecture: 'transformer',
    config: {
      kind: 'encoder',
      vocab_size: 3,
      d_model: 4,
      heads: 2,
      d_ff: 8,
      encoder_layers: 1,
      activation: 'relu',
      norm: 'post',
      positions: 'sinusoidal',
    },
    vocab: { tokens: ['<unk>', 'a', 'b'], unk_token: '<unk>' },
    examples: [{ text: 'a b' }, { ids: [1, 2] }],
    weights: { inline: { 'embed.tokens': { shape: [3, 4], data: b64([...Array(12).keys()]) } } },
  };
}

function rnnDoc(): Doc {
  return {
    format: 'attention-inspector/model',
    version: 1,
    architecture: 'rnn-seq2seq',
    config: {
      cell: 'gru',
      src_vocab_size: 2,
      tgt_vocab_size: 3,
      embed_dim: 2,
      hidden_size: 2,
      score: 'additive',
      attention_dim: 2,
      bos_id: 1,
      eos_id: 2,
    },
    vocab: { tokens: ['x', 'y'], target_tokens: ['<pad>', '<s>', '</s>'] },
    weights: { inline: {} },
  };
}

let n = 0;
function write(doc: unknown, name = `m${n++}.model.json`): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, typeof doc === 'string' ? doc : JSON.stringify(doc, null, 2));
  return file;
}

function rejects(doc: unknown, field: string, pattern: RegExp): void {
  const file = write(doc);
  assert.throws(
    () => readModelJson(file),
    (e: unknown) => {
      assert.ok(e instanceof ModelFormatError, `expected ModelFormatError, got ${String(e)}`);
      assert.equal(e.file, file);
      assert.equal(e.field, field, e.message);
      assert.match(e.expected, pattern);
      return true;
    },
  );
}

function edit(doc: Doc, f: (d: Doc) => void): Doc {
  const copy = structuredClone(doc);
  f(copy);
  return copy;
}

test('a valid transformer file: defaults applied, inline weights decoded, tokenizers, examples', () => {
  const m = readModelJson(write(transformerDoc(), 'tiny-enc.model.json'));
  assert.equal(m.name, 'tiny-enc');
  assert.equal(m.architecture, 'transformer');
  if (m.architecture !== 'transformer') return;
  assert.deepEqual(m.config, {
    kind: 'encoder',
    vocab_size: 3,
    d_model: 4,
    heads: 2,
    d_ff: 8,
    encoder_layers: 1,
    decoder_layers: 0,
    activation: 'relu',
    norm: 'post',
    positions: 'sinusoidal',
    layer_norm_eps: 1e-5,
    max_positions: 512,
    scale_embedding: false,
    embedding_norm: false,
    final_norm: false,
    token_types: 0,
  });
  const t = m.weights.get('embed.tokens')!;
  assert.deepEqual(t.shape, [3, 4]);
  assert.deepEqual([...toFloat32(t.data)], [...Array(12).keys()]);
  assert.deepEqual(m.sourceTokenizer!.encode('a zz b').ids, [1, 0, 2]);
  assert.deepEqual(m.examples, [
    { text: 'a b', targetText: undefined, ids: undefined, targetIds: undefined },
    { text: undefined, targetText: undefined, ids: [1, 2], targetIds: undefined },
  ]);
});

test('a decoder-only file needs no encoder_layers; an rnn file gets its defaults and a target vocabulary', () => {
  const dec = readModelJson(
    write(edit(transformerDoc(), (d) => Object.assign(d.config, { kind: 'decoder', encoder_layers: undefined, decoder_layers: 2 }))),
  );
  assert.ok(dec.architecture === 'transformer' && dec.config.encoder_layers === 0 && dec.config.decoder_layers === 2);
  const rnn = readModelJson(write(rnnDoc()));
  assert.ok(rnn.architecture === 'rnn-seq2seq');
  if (rnn.architecture !== 'rnn-seq2seq') return;
  assert.equal(rnn.config.bidirectional, false);
  assert.equal(rnn.config.max_target_length, 64);
  assert.equal(rnn.targetTokenizer!.token(2), '</s>');
  assert.deepEqual(rnn.sourceTokenizer!.encode('y x').ids, [1, 0]);
});

test('sidecar safetensors is read relative to the JSON file', () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'side-'));
  fs.writeFileSync(
    path.join(dir, 'w.safetensors'),
    writeSafetensors(new Map([['embed.tokens', tensor([3, 4], new Float32Array(12).fill(0.5))]])),
  );
  const file = path.join(dir, 'x.model.json');
  fs.writeFileSync(file, JSON.stringify(edit(transformerDoc(), (d) => (d.weights = { safetensors: 'w.safetensors' }))));
  assert.equal(toFloat32(readModelJson(file).weights.get('embed.tokens')!.data)[11], 0.5);
});

test('JSON syntax errors give line and column', () => {
  rejects('{\n  "format": "attention-inspector/model",\n  "version": 1,,\n}', 'line 3, column 16', /valid JSON/);
  rejects('{"format": ', 'line 1, column 12', /valid JSON/);
});

test('schema errors name the JSON path', () => {
  rejects(
    { ...transformerDoc(), format: 'attention-inspector/modle' },
    'format',
    /exactly "attention-inspector\/model"; found "attention-inspector\/modle"/,
  );
  rejects({ ...transformerDoc(), version: 2 }, 'version', /exactly 1/);
  rejects({ ...transformerDoc(), architecture: 'lstm' }, 'architecture', /one of "transformer", .*"rnn-seq2seq".*; found "lstm"/);
  rejects({ ...transformerDoc(), weigths: {} }, 'weigths', /no such field; did you mean "weights"\?/);
  rejects(
    edit(transformerDoc(), (d) => delete d.config.d_model),
    'config.d_model',
    /required field is missing/,
  );
  rejects(
    edit(transformerDoc(), (d) => (d.config.d_model = -4)),
    'config.d_model',
    /a number ≥ 1; found -4/,
  );
  rejects(
    edit(transformerDoc(), (d) => (d.config.heads = 1.5)),
    'config.heads',
    /an integer; found 1.5/,
  );
  rejects(
    edit(transformerDoc(), (d) => (d.config.layer_norm_esp = 1e-5)),
    'config.layer_norm_esp',
    /no such field; did you mean "layer_norm_eps"\?/,
  );
  rejects({ ...transformerDoc(), license: 'MIT' }, 'license', /no such field; known fields: \$schema, format, version/);
  rejects(
    edit(transformerDoc(), (d) => (d.config.activation = 'tanh')),
    'config.activation',
    /one of "relu", "gelu", "gelu_new", "swish"; found "tanh"/,
  );
  rejects(
    edit(transformerDoc(), (d) => ((d.vocab as Record<string, unknown>).tokens = [])),
    'vocab.tokens',
    /at least 1 item; found 0/,
  );
  rejects(
    edit(transformerDoc(), (d) => (d.weights = { safetensors: 'a', inline: {} })),
    'weights',
    /exactly one of "safetensors" or "inline"/,
  );
  rejects(
    edit(transformerDoc(), (d) => (d.weights = { inline: { 'a.b': { shape: [-1], data: '' } } })),
    'weights.inline["a.b"].shape[0]',
    /≥ 0; found -1/,
  );
});

test('several schema errors are reported together', () => {
  const file = write(edit(transformerDoc(), (d) => Object.assign(d.config, { d_model: 0, d_ff: 'x' })));
  assert.throws(() => readModelJson(file), /config\.d_model: a number ≥ 1; found 0 \(also: config\.d_ff: an integer; found "x"\)/);
});

test('kind-specific requirements', () => {
  rejects(
    edit(transformerDoc(), (d) => delete d.config.encoder_layers),
    'config.encoder_layers',
    /required field is missing \(required unless kind is "decoder"\)/,
  );
  rejects(
    edit(transformerDoc(), (d) => (d.config.kind = 'encoder-decoder')),
    'config.decoder_layers',
    /required unless kind is "encoder"/,
  );
  rejects(
    edit(transformerDoc(), (d) => (d.config.kind = 'decoder')),
    'config.encoder_layers',
    /exactly 0 \(a decoder-only model has no encoder\)/,
  );
  rejects(
    edit(rnnDoc(), (d) => delete d.config.attention_dim),
    'config.attention_dim',
    /required when score is "additive"/,
  );
  rejects(
    edit(rnnDoc(), (d) => Object.assign(d.config, { score: 'dot', bidirectional: true })),
    'config.score',
    /"general" or "additive" for a bidirectional encoder/,
  );
});

test('checks the schema cannot express', () => {
  rejects(
    edit(transformerDoc(), (d) => (d.config.heads = 3)),
    'config.heads',
    /a divisor of config.d_model 4.*found 3/,
  );
  rejects(
    edit(transformerDoc(), (d) => (d.config.bos_id = 3)),
    'config.bos_id',
    /below config.vocab_size 3; found 3/,
  );
  rejects(
    edit(rnnDoc(), (d) => (d.config.eos_id = 5)),
    'config.eos_id',
    /below config.tgt_vocab_size 3/,
  );
  rejects(
    edit(transformerDoc(), (d) => (d.vocab = { tokens: ['a', 'b'] })),
    'vocab.tokens',
    /source vocabulary \(3\); found 2/,
  );
  rejects(
    edit(rnnDoc(), (d) => delete (d.vocab as Record<string, unknown>).target_tokens),
    'vocab.target_tokens',
    /target vocabulary of 3 tokens/,
  );
  rejects(
    edit(transformerDoc(), (d) => ((d.vocab as Record<string, unknown>).unk_token = '[UNK]')),
    'vocab.unk_token',
    /"\[UNK\]" is not/,
  );
});

test('vocab: tokens and tokenizer_file are exclusive; tokenizer_file is resolved beside the JSON', () => {
  rejects(
    edit(transformerDoc(), (d) => ((d.vocab as Record<string, unknown>).tokenizer_file = 't.json')),
    'vocab.tokens',
    /absent \(not together with tokenizer_file\)/,
  );
  rejects(
    edit(transformerDoc(), (d) => (d.vocab = { split: 'chars' })),
    'vocab.tokens',
    /required unless tokenizer_file is given/,
  );
  rejects(
    edit(transformerDoc(), (d) => (d.vocab = { tokenizer_file: 'missing.json' })),
    'vocab.tokenizer_file',
    /not found/,
  );
  // In a subfolder of the model's folder (a path out of the folder is refused: modelPaths.test.ts).
  fs.mkdirSync(path.join(tmp, 'tok'), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'test/fixtures/tokenizers/bert-wordpiece/tokenizer.json'), path.join(tmp, 'tok', 'tokenizer.json'));
  const rel = path.join('tok', 'tokenizer.json');
  const m = readModelJson(write(edit(transformerDoc(), (d) => ((d.vocab = { tokenizer_file: rel }), (d.config.vocab_size = 20)))));
  assert.deepEqual(m.sourceTokenizer!.encode('the cat').ids, [2, 5, 6, 3]);
});

test('inline base64: bad characters, bad length, wrong byte count', () => {
  const w = (data: string, shape = [2]) => edit(transformerDoc(), (d) => (d.weights = { inline: { 'x.y': { shape, data } } }));
  rejects(w('AAAA*AAA'), 'weights.inline["x.y"].data', /base64 text/);
  rejects(w('AAAAA'), 'weights.inline["x.y"].data', /length a multiple of 4/);
  rejects(w(b64([1, 2, 3])), 'weights.inline["x.y"].data', /8 bytes \(2 float32 values for shape \[2\]\); the base64 decodes to 12/);
});

test('missing sidecar names weights.safetensors', () => {
  rejects(
    edit(transformerDoc(), (d) => (d.weights = { safetensors: 'nope.safetensors' })),
    'weights.safetensors',
    /nope\.safetensors \(not found\)/,
  );
});

test('the committed project fixtures all load', () => {
  const dir = path.join(ROOT, 'test/fixtures/project');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')); // committed: missing is a failure
  assert.ok(files.length >= 16, `${files.length} project fixtures in ${dir}`);
  for (const f of files) {
    const m = readModelJson(path.join(dir, f));
    assert.ok(m.weights.size > 0, f);
    for (const e of m.examples) if (e.text) assert.ok(m.sourceTokenizer!.encode(e.text).ids.length > 0, f);
  }
});

test('a bad config is named before a missing document field (as the single schema did)', () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ai-order-')), 'bad.model.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      format: 'attention-inspector/model',
      version: 1,
      architecture: 'transformer',
      config: { kind: 'encoder', d_model: -3 },
    }),
  );
  assert.throws(
    () => readModelJson(file),
    (e: ModelFormatError) => e.field.startsWith('config') && /; weights: required field is missing\)$/.test(e.expected),
  );
});
