// The malformed-model corpus (test/fixtures/malformed, written by make.mjs): every entry of
// cases.json must be rejected by loadModel with a ModelFormatError on the listed field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { loadModel } from '../../../src/engine/format/load';
import { ModelFormatError } from '../../../src/engine/format/errors';

const DIR = path.resolve(__dirname, '../../../../test/fixtures/malformed');
const cases = JSON.parse(fs.readFileSync(path.join(DIR, 'cases.json'), 'utf8')) as { file: string; field: string; error: string }[];

test('the corpus is complete: at least 12 cases, and every model file in it has one', () => {
  assert.ok(cases.length >= 12);
  const listed = new Set(cases.map((c) => c.file));
  const entries = fs.readdirSync(DIR).filter((f) => !f.endsWith('.safetensors') && f !== 'cases.json' && f !== 'make.mjs');
  assert.deepEqual(
    entries.filter((f) => !listed.has(f)),
    [],
  );
});

for (const c of cases) {
  test(`${c.file} → ${c.field}`, () => {
    assert.throws(
      () => loadModel(path.join(DIR, c.file)),
      (e: unknown) => {
        assert.ok(e instanceof ModelFormatError, `expected ModelFormatError, got ${String(e)}`);
        assert.equal(e.field, c.field, e.message);
        assert.ok(e.message.includes(c.error), `message ${JSON.stringify(e.message)} lacks ${JSON.stringify(c.error)}`);
        return true;
      },
    );
  });
}
