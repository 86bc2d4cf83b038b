// File changes of the model on screen: a rewrite of the JSON re-runs (once, after the writes
// settle), a changed sidecar also asks for a fresh engine (its cache is stamped by the JSON only),
// files of other models are ignored, and a deleted model file is reported as deleted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isModelFile, ModelFileWatcher } from '../../../src/sidebar/modelFileWatcher';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, fn: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

test('isModelFile: the main file, its weights and tokenizer; nothing else', () => {
  assert.equal(isModelFile('/m/a.model.json', '/m/a.model.json'), 'main');
  assert.equal(isModelFile('/m/a.model.json', '/m/a.safetensors'), 'related');
  assert.equal(isModelFile('/m/a.model.json', '/m/tokenizer.json'), 'related');
  assert.equal(isModelFile('/m/a.model.json', '/m/b.model.json'), undefined);
  assert.equal(isModelFile('/m/a.model.json', '/other/a.safetensors'), undefined);
  assert.equal(isModelFile('/hf/bert', '/hf/bert/config.json'), 'main');
  assert.equal(isModelFile('/hf/bert', '/hf/bert/model.safetensors'), 'related');
  assert.equal(isModelFile('/hf/bert', '/hf/bert/README.md'), undefined);
});

test('change → one re-run after the writes settle; sidecar → with engine restart; delete → deleted', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'watch-'));
  const file = path.join(dir, 'a.model.json');
  fs.writeFileSync(file, '{}');
  fs.writeFileSync(path.join(dir, 'a.safetensors'), 'x');
  const changed: boolean[] = [];
  const deleted: string[] = [];
  const w = new ModelFileWatcher({ changed: (r) => changed.push(r), deleted: (f) => deleted.push(f) }, 100);
  try {
    w.watch(file);
    fs.writeFileSync(file, '{"a":1}');
    fs.writeFileSync(file, '{"a":2}');
    await until('a change', () => changed.length > 0);
    await sleep(200);
    assert.deepEqual(changed, [false], 'two quick writes, one re-run, no restart needed');
    fs.writeFileSync(path.join(dir, 'other.model.json'), '{}');
    await sleep(250);
    assert.deepEqual(changed, [false], 'another model in the folder is not ours');
    fs.writeFileSync(path.join(dir, 'a.safetensors'), 'y');
    await until('the sidecar change', () => changed.length > 1);
    assert.deepEqual(changed, [false, true]);
    fs.rmSync(file);
    await until('the deletion', () => deleted.length > 0);
    assert.deepEqual(deleted, [file]);
    assert.equal(changed.length, 2);
  } finally {
    w.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
