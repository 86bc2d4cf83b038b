// Paths inside a model file are untrusted too: a sidecar or tokenizer named /dev/zero must be
// refused at once (it would be read forever), not read until memory runs out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadModel } from '../../../src/engine/format/load';
import { ModelFormatError } from '../../../src/engine/format/errors';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-special-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const model = (weights: object, vocab?: object) => ({
  format: 'attention-inspector/model', version: 1, architecture: 'transformer',
  config: { kind: 'encoder', vocab_size: 4, d_model: 4, heads: 2, d_ff: 8, encoder_layers: 1, activation: 'relu', norm: 'post', positions: 'sinusoidal' },
  ...(vocab ? { vocab } : {}),
  weights,
});
// Every POSIX system has /dev/zero; only Windows has none (there the test cannot apply).
const noDevZero = process.platform === 'win32';

for (const [what, doc, file] of [
  ['a sidecar', model({ safetensors: '/dev/zero' }), '/dev/zero'],
  ['a tokenizer_file', model({ inline: {} }, { tokenizer_file: '/dev/zero' }), '/dev/zero'],
] as const) {
  test(`${what} that is /dev/zero is refused as a device, at once`, { skip: noDevZero && 'no /dev/zero here' }, () => {
    const f = path.join(tmp, `${what.replace(/\W/g, '')}.model.json`);
    fs.writeFileSync(f, JSON.stringify(doc));
    const t0 = performance.now();
    assert.throws(
      () => loadModel(f),
      (e: unknown) => e instanceof ModelFormatError && e.file === file && e.field === 'file' && /a regular file; found a device/.test(e.message),
    );
    assert.ok(performance.now() - t0 < 1000);
  });
}
