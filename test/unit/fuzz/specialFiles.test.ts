// Paths inside a model file are untrusted too: a sidecar or tokenizer named /dev/zero must be
// refused at once (it would be read forever), not read until memory runs out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadModel } from '../../../src/engine/format/load';
import { ModelFormatError } from '../../../src/engine/format/errors';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-special-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const model = (weights: object, vocab?: object) => ({
  format: 'attention-inspector/model',
  version: 1,
  architecture: 'transformer',
  config: {
    kind: 'encoder',
    vocab_size: 4,
    d_model: 4,
    heads: 2,
    d_ff: 8,
    encoder_layers: 1,
    activation: 'relu',
    norm: 'post',
    positions: 'sinusoidal',
  },
  ...(vocab ? { vocab } : {}),
  weights,
});
// Every POSIX system has /dev/zero; only Windows has none (there the test cannot apply).
const noDevZero = process.platform === 'win32';

// Out of the model's folder: refused by path (modelPaths.test.ts), before anything is opened.
for (const [what, doc, field] of [
  ['a sidecar', model({ safetensors: '/dev/zero' }), 'weights.safetensors'],
  ['a tokenizer_file', model({ inline: {} }, { tokenizer_file: '/dev/zero' }), 'vocab.tokenizer_file'],
] as const) {
  test(`${what} that is /dev/zero is refused, at once`, { skip: noDevZero && 'no /dev/zero here' }, () => {
    const f = path.join(tmp, `${what.replace(/\W/g, '')}.model.json`);
    fs.writeFileSync(f, JSON.stringify(doc));
    const t0 = performance.now();
    assert.throws(
      () => loadModel(f),
      (e: unknown) => e instanceof ModelFormatError && e.file === f && e.field === field && /leads outside/.test(e.message),
    );
    assert.ok(performance.now() - t0 < 5000); // not read forever (the first load also compiles the schema)
  });
}

// Inside the folder, a special file is refused by kind: a FIFO would never answer.
for (const [what, doc, name] of [
  ['a sidecar', model({ safetensors: 'fifo.safetensors' }), 'fifo.safetensors'],
  ['a tokenizer_file', model({ inline: {} }, { tokenizer_file: 'fifo.json' }), 'fifo.json'],
] as const) {
  test(`${what} that is a FIFO in the model's folder is refused as a pipe, at once`, () => {
    const f = path.join(tmp, `fifo-${what.replace(/\W/g, '')}.model.json`);
    fs.writeFileSync(f, JSON.stringify(doc));
    const fifo = path.join(tmp, name);
    if (!fs.existsSync(fifo)) execFileSync('mkfifo', [fifo]);
    const t0 = performance.now();
    assert.throws(
      () => loadModel(f),
      (e: unknown) =>
        e instanceof ModelFormatError &&
        e.file === fs.realpathSync(fifo) &&
        e.field === 'file' &&
        /a regular file; found a pipe/.test(e.message),
    );
    assert.ok(performance.now() - t0 < 5000); // not read forever (the first load also compiles the schema)
  });
}
