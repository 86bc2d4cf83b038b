// readRegularFile's large-file path: a file of ADVISED_BYTES or more is read into a new buffer
// that the advice hook (the native kernels' huge-page request) sees before the read, and what
// comes back is the file exactly — also through safetensors' zero-copy views.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readRegularFile } from '../../../src/engine/format/files';
import { ADVISED_BYTES, setLargeBufferAdvice } from '../../../src/engine/memoryAdvice';
import { isWeightBuffer, parseSafetensors, writeSafetensors } from '../../../src/engine/format/safetensors';
import { nativeModule } from '../../../src/engine/kernels/native';
import { nativeSkip } from '../../helpers/ci';
import { tensor } from '../../../src/engine/tensor';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-files-'));
after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  setLargeBufferAdvice(undefined);
});

function write(name: string, bytes: Uint8Array): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

/** Bytes that differ at every position that matters (a counter, not a repeating pattern of 256). */
function patterned(n: number): Uint8Array {
  const b = new Uint8Array(n);
  const v = new DataView(b.buffer);
  for (let i = 0; i + 4 <= n; i += 4) v.setUint32(i, i * 2654435761, true);
  for (let i = n & ~3; i < n; i++) b[i] = i & 255;
  return b;
}

test('a large file is read into a buffer the hook sees first, and comes back exactly', () => {
  const bytes = patterned(ADVISED_BYTES + 12345);
  const file = write('large.bin', bytes);
  const seen: number[] = [];
  setLargeBufferAdvice((b) => seen.push(b.length));
  const got = readRegularFile(file);
  assert.deepEqual(seen, [bytes.length], 'the hook ran once, over the whole file');
  assert.equal(got.length, bytes.length);
  assert.ok(Buffer.compare(got, Buffer.from(bytes)) === 0, 'same bytes as the file');
});

test('a small file never reaches the hook', () => {
  const file = write('small.bin', patterned(1000));
  let calls = 0;
  setLargeBufferAdvice(() => calls++);
  assert.equal(readRegularFile(file).length, 1000);
  assert.equal(calls, 0);
});

test('a large safetensors file read this way still gives zero-copy F32 views with the right values', () => {
  const n = ADVISED_BYTES / 4 + 1000; // floats: the file is over the threshold
  const w = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 3);
  const file = write('w.safetensors', writeSafetensors(new Map([['w', tensor([n], w)]])));
  let calls = 0;
  setLargeBufferAdvice(() => calls++);
  const bytes = readRegularFile(file);
  assert.equal(calls, 1);
  const t = parseSafetensors(file, bytes).get('w')!;
  assert.equal((t.data as Float32Array).buffer, bytes.buffer, 'a view into the file’s buffer');
  assert.ok(isWeightBuffer(bytes.buffer));
  assert.deepEqual(t.data, w);
});

test('with the native module, its huge-page advice is the hook and the bytes are unchanged', { skip: nativeSkip() }, () => {
  const N = nativeModule().module;
  assert.ok(N, `no native module: ${nativeModule().why}`);
  assert.equal(typeof N.adviseHugePages, 'function');
  setLargeBufferAdvice((b) => N.adviseHugePages!(b));
  const bytes = patterned(3 * ADVISED_BYTES + 7);
  const got = readRegularFile(write('native.bin', bytes));
  assert.ok(Buffer.compare(got, Buffer.from(bytes)) === 0);
  assert.throws(() => (N.adviseHugePages as (b: unknown) => void)(new Float32Array(4)), /Uint8Array/);
});
