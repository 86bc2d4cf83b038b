// Paths a model file names (weights.safetensors, vocab.tokenizer_file) must lead to files inside the
// model's folder, symlinks followed: an absolute path, a ../ path and a symlink out are refused by
// the engine and by the extension host's sidecar lookup. And no error quotes the bytes of the file
// it could not read: a model pointing at /proc/self/environ once showed the environment.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readModelJson } from '../../../src/engine/format/modelJson';
import { parseSafetensors } from '../../../src/engine/format/safetensors';
import { ModelFormatError } from '../../../src/engine/format/errors';
import { readModelFileFacts } from '../../../src/engine/format/modelFileInfo';

const ROOT = path.resolve(__dirname, '../../../..');
const base = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-paths-'));
after(() => fs.rmSync(base, { recursive: true, force: true }));
const dir = path.join(base, 'model'); // the model's folder
const outside = path.join(base, 'elsewhere');
fs.mkdirSync(dir);
fs.mkdirSync(outside);
const SECRET = 'SECRET_TOKEN=hunter2-do-not-show';
fs.writeFileSync(path.join(outside, 'secret.txt'), SECRET);
fs.copyFileSync(path.join(ROOT, 'test/fixtures/tokenizers/bert-wordpiece/tokenizer.json'), path.join(outside, 'tokenizer.json'));

const doc = (weights: object, vocab?: object) => ({
  format: 'attention-inspector/model',
  version: 1,
  architecture: 'transformer',
  config: {
    kind: 'encoder',
    vocab_size: 20,
    d_model: 4,
    heads: 2,
    d_ff: 8,
    encoder_layers: 1,
    activation: 'relu',
    norm: 'post',
    positions: 'sinusoidal',
  },
  ...(vocab ? { vocab } : { vocab: { tokens: Array.from({ length: 20 }, (_, i) => `t${i}`) } }),
  weights,
});
let n = 0;
function write(d: object): string {
  const f = path.join(dir, `m${n++}.model.json`);
  fs.writeFileSync(f, JSON.stringify(d));
  return f;
}
function refused(file: string, field: string, rel: string) {
  return (e: unknown) => {
    assert.ok(e instanceof ModelFormatError, String(e));
    assert.deepEqual([e.file, e.field], [file, field]);
    assert.equal(e.expected, `a file inside the model's folder ${dir}; ${JSON.stringify(rel)} leads outside it`);
    assert.ok(!e.message.includes(SECRET));
    return true;
  };
}

const cases: [string, string][] = [
  ['an absolute path', path.join(outside, 'secret.txt')],
  ['a ../ path', path.join('..', 'elsewhere', 'secret.txt')],
  ['/proc/self/environ', '/proc/self/environ'],
];
for (const [what, rel] of cases) {
  test(`${what} as weights.safetensors or vocab.tokenizer_file is refused`, () => {
    const w = write(doc({ safetensors: rel }));
    assert.throws(() => readModelJson(w), refused(w, 'weights.safetensors', rel));
    const t = write(doc({ inline: {} }, { tokenizer_file: rel }));
    assert.throws(() => readModelJson(t), refused(t, 'vocab.tokenizer_file', rel));
  });
}

test('a symlink inside the folder that points outside is refused; one that stays inside is followed', async () => {
  fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(dir, 'link.safetensors'));
  fs.symlinkSync(path.join(outside, 'tokenizer.json'), path.join(dir, 'link-tokenizer.json'));
  const w = write(doc({ safetensors: 'link.safetensors' }));
  assert.throws(() => readModelJson(w), refused(w, 'weights.safetensors', 'link.safetensors'));
  assert.throws(() => readModelFileFacts(w), refused(w, 'weights.safetensors', 'link.safetensors'));
  const t = write(doc({ inline: {} }, { tokenizer_file: 'link-tokenizer.json' }));
  assert.throws(() => readModelJson(t), refused(t, 'vocab.tokenizer_file', 'link-tokenizer.json'));
  // A symlinked folder inside: the tokenizer it holds is read, and works.
  fs.mkdirSync(path.join(dir, 'real-tok'));
  fs.copyFileSync(path.join(outside, 'tokenizer.json'), path.join(dir, 'real-tok', 'tokenizer.json'));
  fs.symlinkSync(path.join(dir, 'real-tok'), path.join(dir, 'tok'));
  const ok = write(doc({ inline: {} }, { tokenizer_file: 'tok/tokenizer.json' }));
  assert.deepEqual(readModelJson(ok).sourceTokenizer!.encode('the cat').ids, [2, 5, 6, 3]);
  const side = write(doc({ safetensors: 'tok/tokenizer.json' }));
  assert.equal(readModelFileFacts(side).safetensors, path.join(fs.realpathSync(dir), 'real-tok', 'tokenizer.json'));
  // …but a tokenizer_config.json beside it that points out is refused too.
  fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(dir, 'real-tok', 'tokenizer_config.json'));
  assert.throws(
    () => readModelJson(ok),
    (e: unknown) => e instanceof ModelFormatError && e.field === 'vocab.tokenizer_file' && /leads outside/.test(e.expected),
  );
});

test('a tokenizer file that is not JSON: the error names file and position but not its bytes', () => {
  fs.writeFileSync(path.join(dir, 'bad-tokenizer.json'), SECRET);
  const t = write(doc({ inline: {} }, { tokenizer_file: 'bad-tokenizer.json' }));
  assert.throws(
    () => readModelJson(t),
    (e: unknown) => {
      assert.ok(e instanceof ModelFormatError, String(e));
      assert.equal(e.file, path.join(fs.realpathSync(dir), 'bad-tokenizer.json'));
      assert.match(e.expected, /^valid JSON \(/);
      for (const part of ['SECRET', 'hunter2', "'S'"]) assert.ok(!e.message.includes(part), e.message);
      return true;
    },
  );
  // Bad JSON with a position: line and column, still no text.
  fs.writeFileSync(path.join(dir, 'bad-tokenizer.json'), `{"k": "v" ${SECRET}}`);
  assert.throws(
    () => readModelJson(t),
    (e: unknown) => e instanceof ModelFormatError && e.field === 'line 1, column 11' && !e.message.includes('SECRET'),
  );
});

test('a safetensors header that is not JSON: no bytes of it in the error', () => {
  const json = Buffer.from(`${SECRET}${' '.repeat(8)}`);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length), 0);
  assert.throws(
    () => parseSafetensors('x.safetensors', Buffer.concat([len, json])),
    (e: unknown) => {
      assert.ok(e instanceof ModelFormatError && e.field === 'header', String(e));
      assert.ok(!e.message.includes('SECRET') && !e.message.includes("'S'"), e.message);
      return true;
    },
  );
});
