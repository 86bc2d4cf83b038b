// Malformed-file tests for one architecture: copy a good fixture with one edit, then expect the
// reader/builder's ModelFormatError to name that file, the field, and what was expected.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModelFormatError } from '../../src/engine/format/errors';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests edit arbitrary JSON paths
export type ModelDoc = Record<string, any>;

/** Writes `source` with `edit` applied to its parsed JSON into `dir`; returns the new file. */
export function writeVariant(
  source: string,
  dir: string,
  edit: (doc: ModelDoc) => void,
  name = `bad-${Math.random().toString(36).slice(2)}`,
): string {
  const doc = JSON.parse(fs.readFileSync(source, 'utf8')) as ModelDoc;
  edit(doc);
  const file = path.join(dir, `${name}.model.json`);
  fs.writeFileSync(file, JSON.stringify(doc));
  return file;
}

/** `fn` must throw a ModelFormatError for `file` (exact path, or a pattern) naming `field`, whose message matches `text`. */
export function assertFormatError(fn: () => unknown, file: string | RegExp, field: string, text: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ModelFormatError, `expected ModelFormatError, got ${String(e)}`);
    if (typeof file === 'string') assert.equal(e.file, file);
    else assert.match(e.file, file);
    assert.equal(e.field, field, e.message);
    assert.match(e.message, text);
    return true;
  });
}
