// The extension host's reads of model files: a FIFO named like a model file, a directory and an
// oversize JSON are refused at once with an error naming the file and what was expected, and the
// host's readers built on them (header view, head norms, model JSON) give up instead of waiting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ModelFormatError } from '../../../src/engine/format/errors';
import { MAX_HOST_JSON_BYTES, readModelFileCapped, readModelJsonCapped } from '../../../src/views/modelFiles';
import { headWeightNorms, readSafetensorsHeader } from '../../../src/views/safetensorsHeader';

/** `p` settled within `ms` (a read that waits on a FIFO never settles). */
function within<T>(p: Promise<T>, ms = 3000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

function isError(file: string, expected: RegExp) {
  return (e: unknown) => e instanceof ModelFormatError && e.file === file && e.field === 'file' && expected.test(e.expected);
}

test('a FIFO named x.safetensors or x.model.json is refused at once, naming the file and "a pipe"', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'host-fifo-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const st = path.join(dir, 'x.safetensors');
  const json = path.join(dir, 'x.model.json');
  execFileSync('mkfifo', [st, json]);
  await assert.rejects(within(readSafetensorsHeader(st)), isError(st, /^a \.safetensors file, a regular file; found a pipe$/));
  await assert.rejects(within(readModelJsonCapped(json)), isError(json, /^a model JSON file, a regular file; found a pipe$/));
  // A model JSON whose sidecar is the FIFO: no norms, and no wait.
  const model = path.join(dir, 'm.model.json');
  fs.writeFileSync(model, JSON.stringify({ weights: { safetensors: 'x.safetensors' } }));
  assert.equal(await within(headWeightNorms(model, 'encoder', 0, 2)), undefined);
});

test('a directory and a missing file: the error says what was found', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'host-dir-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const sub = path.join(dir, 'd.safetensors');
  fs.mkdirSync(sub);
  await assert.rejects(readSafetensorsHeader(sub), isError(sub, /found a directory$/));
  const missing = path.join(dir, 'none.model.json');
  await assert.rejects(readModelJsonCapped(missing), isError(missing, /a readable file \(ENOENT\)$/));
});

test('an oversize model JSON is refused before it is read or parsed; a small one parses', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'host-big-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const big = path.join(dir, 'big.model.json');
  fs.writeFileSync(big, '{}');
  fs.truncateSync(big, MAX_HOST_JSON_BYTES + 1); // sparse: the size is what is checked
  const expected = new RegExp(`^a model JSON file of at most ${MAX_HOST_JSON_BYTES} bytes; the file has ${MAX_HOST_JSON_BYTES + 1}$`);
  await assert.rejects(readModelJsonCapped(big), isError(big, expected));
  await assert.rejects(readModelFileCapped(big, 10, 'a tokenizer'), isError(big, /^a tokenizer of at most 10 bytes; the file has \d+$/));
  const small = path.join(dir, 'small.model.json');
  fs.writeFileSync(small, JSON.stringify({ description: 'ok' }));
  assert.deepEqual(await readModelJsonCapped(small), { description: 'ok' });
  fs.writeFileSync(small, '{ "a": ');
  await assert.rejects(readModelJsonCapped(small), (e: unknown) => e instanceof ModelFormatError && /^line 1, column \d+$/.test(e.field));
});
