// The safetensors header view: names, dtypes and shapes as written, per-head norms equal to the
// closed form for weights whose head slices hold constants, and a malformed header named precisely.
// The engine's worker reads the file (engine/format/modelFileInfo.ts); the host only formats it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeSafetensors } from '../../../src/engine/format/safetensors';
import { tensor } from '../../../src/engine/tensor';
import { formatHeader } from '../../../src/sidebar/safetensorsHeader';
import { readModelFileFacts, readSafetensorsHeader } from '../../../src/engine/format/modelFileInfo';
import { ModelFormatError } from '../../../src/engine/format/errors';

const D = 8; // d_model
const H = 2; // heads, d_head = 4

function fixture(): { dir: string; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'st-header-'));
  const q = new Float32Array(D * D); // [out=D, in=D]: head h owns rows h·4 … h·4+3, all = h+1
  for (let r = 0; r < D; r++) q.fill(Math.floor(r / (D / H)) + 1, r * D, (r + 1) * D);
  const o = new Float32Array(D * D); // head h owns input columns h·4 …: value 3 for head 0, 0.5 for head 1
  for (let r = 0; r < D; r++) for (let c = 0; c < D; c++) o[r * D + c] = c < D / H ? 3 : 0.5;
  const m = new Map([
    ['embed.tokens', tensor([10, D])],
    ['encoder.layers.0.self_attn.q.weight', tensor([D, D], q)],
    ['encoder.layers.0.self_attn.o.weight', tensor([D, D], o)],
    ['encoder.layers.1.ffn.fc1.bias', tensor([16])],
  ]);
  const file = path.join(dir, 'm.safetensors');
  fs.writeFileSync(file, writeSafetensors(m, { source: 'test' }));
  return { dir, file };
}

test('header lists every tensor with dtype and shape, sorted with layer numbers in order', async () => {
  const { dir, file } = fixture();
  try {
    const h = readSafetensorsHeader(file);
    assert.deepEqual(
      h.tensors.map((t) => [t.name, t.dtype, t.shape]),
      [
        ['embed.tokens', 'F32', [10, D]],
        ['encoder.layers.0.self_attn.o.weight', 'F32', [D, D]],
        ['encoder.layers.0.self_attn.q.weight', 'F32', [D, D]],
        ['encoder.layers.1.ffn.fc1.bias', 'F32', [16]],
      ],
    );
    assert.deepEqual(h.metadata, { source: 'test' });
    assert.ok(
      h.tensors.every((t) => t.norms === undefined),
      'no heads given: no norms read',
    );
    const text = formatHeader(readSafetensorsHeader(file, H));
    assert.match(text, /── encoder\.layers\.0 ──/);
    assert.match(text, /encoder\.layers\.0\.self_attn\.q\.weight\s+F32\s+\[8, 8\]\s+64/);
    assert.match(text, /224 parameters in total/); // 80 + 64 + 64 + 16
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('per-head norms: q rows and o columns of each head, against the closed form', async () => {
  const { dir, file } = fixture();
  try {
    const h = readSafetensorsHeader(file, H);
    const q = h.tensors.find((t) => t.name.endsWith('q.weight'))!;
    const o = h.tensors.find((t) => t.name.endsWith('o.weight'))!;
    // head h of q: 4 rows × 8 columns, all (h+1) → ‖·‖ = (h+1)·√32
    const nq = q.norms!;
    assert.ok(Math.abs(nq[0] - Math.sqrt(32)) < 1e-5 && Math.abs(nq[1] - 2 * Math.sqrt(32)) < 1e-5, String(nq));
    // head h of o: 8 rows × 4 columns, 3 (head 0) or 0.5 (head 1)
    const no = o.norms!;
    assert.ok(Math.abs(no[0] - 3 * Math.sqrt(32)) < 1e-5 && Math.abs(no[1] - 0.5 * Math.sqrt(32)) < 1e-5, String(no));
    assert.equal(
      readSafetensorsHeader(file, 3).tensors.find((t) => t.name.endsWith('q.weight'))!.norms,
      undefined,
      '8 rows do not split into 3 heads',
    );
    assert.match(formatHeader(h), /per-head ‖W‖: h1 5\.657\s+h2 11\.314/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a truncated or malformed header names the file and the field', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'st-bad-'));
  try {
    const short = path.join(dir, 'short.safetensors');
    fs.writeFileSync(short, Buffer.from([1, 2, 3]));
    assert.throws(
      () => readSafetensorsHeader(short),
      (e: unknown) => e instanceof ModelFormatError && e.file === short && e.field === 'header length',
    );
    const huge = path.join(dir, 'huge.safetensors');
    const b = Buffer.alloc(16);
    b.writeBigUInt64LE(1000n, 0);
    fs.writeFileSync(huge, b);
    assert.throws(
      () => readSafetensorsHeader(huge),
      (e: unknown) => e instanceof ModelFormatError && e.field === 'header length' && /got 1000/.test(e.message),
    );
    const badShape = path.join(dir, 'shape.safetensors');
    const json = Buffer.from(JSON.stringify({ w: { dtype: 'F32', shape: [2, -1], data_offsets: [0, 8] } }));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length), 0);
    fs.writeFileSync(badShape, Buffer.concat([len, json, Buffer.alloc(8)]));
    assert.throws(
      () => readSafetensorsHeader(badShape),
      (e: unknown) => e instanceof ModelFormatError && e.field === 'w.shape',
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('model file facts: description, the sidecar resolved in the folder, heads; a sidecar outside is refused', () => {
  const { dir } = fixture();
  try {
    const json = path.join(dir, 'm.model.json');
    fs.writeFileSync(json, JSON.stringify({ description: 'tiny', config: { heads: H }, weights: { safetensors: 'm.safetensors' } }));
    assert.deepEqual(readModelFileFacts(json), {
      description: 'tiny',
      safetensors: path.join(fs.realpathSync(dir), 'm.safetensors'),
      heads: H,
    });
    fs.writeFileSync(json, JSON.stringify({ config: { heads: 'two' }, weights: { inline: {} } }));
    assert.deepEqual(readModelFileFacts(json), {}, 'inline weights, heads not a number: nothing to tell');
    const outside = `${dir}-outside.safetensors`; // exists: a missing path is left for the loader's "not found"
    fs.writeFileSync(outside, '');
    fs.writeFileSync(json, JSON.stringify({ weights: { safetensors: `../${path.basename(outside)}` } }));
    assert.throws(
      () => readModelFileFacts(json),
      (e: unknown) => e instanceof ModelFormatError && e.field === 'weights.safetensors' && /leads outside/.test(e.expected),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(`${dir}-outside.safetensors`, { force: true });
  }
});
