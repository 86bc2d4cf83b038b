import { test } from 'node:test';
import { toFloat32 } from '../../../src/engine/weights';
import assert from 'node:assert/strict';
import {
  isWeightBuffer,
  parseSafetensors,
  parseSafetensorsWithMetadata,
  writeSafetensors,
  halfToFloat,
} from '../../../src/engine/format/safetensors';
import { transferables } from '../../../src/engine/transfer';
import type { RunResult } from '../../../src/engine/types';
import { ModelFormatError } from '../../../src/engine/format/errors';
import { tensor, type Tensor } from '../../../src/engine/tensor';

/** A safetensors file from a header (object or raw text) and data bytes; `declared` overrides N. */
function raw(header: unknown, data: Uint8Array = new Uint8Array(0), declared?: bigint): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, declared ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function u16s(...v: number[]): Uint8Array {
  const b = new Uint8Array(v.length * 2);
  v.forEach((x, i) => new DataView(b.buffer).setUint16(i * 2, x, true));
  return b;
}

function rejects(bytes: Uint8Array, field: string, pattern: RegExp, opts?: { maxHeaderBytes?: number }): void {
  assert.throws(
    () => parseSafetensors('bad.safetensors', bytes, opts),
    (e: unknown) => {
      assert.ok(e instanceof ModelFormatError, `expected ModelFormatError, got ${String(e)}`);
      assert.equal(e.file, 'bad.safetensors');
      assert.equal(e.field, field);
      assert.match(e.expected, pattern);
      return true;
    },
  );
}

test('round trip keeps names, shapes, values and metadata; header is 8-byte aligned', () => {
  const tensors = new Map<string, Tensor>([
    ['a.weight', tensor([2, 3], Float32Array.from([1, -2, 3.5, 0, 1e-30, -7]))],
    ['b', tensor([4], Float32Array.from([Infinity, -Infinity, 0.1, -0]))],
    ['scalar', tensor([], Float32Array.from([42]))],
    ['empty', tensor([0, 5])],
  ]);
  const bytes = writeSafetensors(tensors, { format: 'pt' });
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal((8 + n) % 8, 0);
  const back = parseSafetensorsWithMetadata('rt.safetensors', bytes);
  assert.deepEqual(back.metadata, { format: 'pt' });
  assert.deepEqual([...back.tensors.keys()], [...tensors.keys()]);
  for (const [name, t] of tensors) {
    const u = back.tensors.get(name)!;
    assert.deepEqual(u.shape, t.shape);
    assert.deepEqual([...toFloat32(u.data)], [...t.data]);
  }
});

test('F32 at an unaligned offset decodes', () => {
  const data = new Uint8Array(6);
  new DataView(data.buffer).setFloat32(2, 1.5, true);
  const t = parseSafetensors(
    'x',
    raw({ pad: { dtype: 'F16', shape: [1], data_offsets: [0, 2] }, x: { dtype: 'F32', shape: [1], data_offsets: [2, 6] } }, data),
  );
  assert.equal(toFloat32(t.get('x')!.data)[0], 1.5);
});

test('aligned F32 tensors are views into the file’s bytes (no copy); the buffer is marked so results never transfer it', () => {
  const w = Float32Array.from({ length: 12 }, (_, i) => i / 3 - 1);
  const bytes = writeSafetensors(
    new Map([
      ['w', tensor([3, 4], w)],
      ['b', tensor([4], Float32Array.from([1, 2, 3, 4]))],
    ]),
  );
  const t = parseSafetensors('v.safetensors', bytes);
  for (const name of ['w', 'b'])
    assert.equal((toFloat32(t.get(name)!.data) as Float32Array).buffer, bytes.buffer, `${name} shares the file's buffer`);
  assert.deepEqual([...toFloat32(t.get('w')!.data)], [...w]);
  assert.ok(isWeightBuffer(bytes.buffer));
  // A run result holding such a view (say, an app's data) copies it rather than moving the buffer.
  const result = {
    attentions: [],
    addNorm: [],
    app: { data: { weights: toFloat32(t.get('w')!.data) as Float32Array, own: new Float32Array(3) } },
  } as unknown as RunResult;
  const moved = transferables(result);
  assert.equal(moved.length, 1, 'only the result’s own array moves');
  assert.ok(!moved.includes(bytes.buffer as ArrayBuffer));
});

test('an unaligned F32 tensor is copied (own buffer, same values); the file is not marked', () => {
  const data = new Uint8Array(6);
  new DataView(data.buffer).setFloat32(2, -2.25, true);
  const bytes = raw(
    { pad: { dtype: 'F16', shape: [1], data_offsets: [0, 2] }, x: { dtype: 'F32', shape: [1], data_offsets: [2, 6] } },
    data,
  );
  const x = parseSafetensors('u', bytes).get('x')!.data as Float32Array;
  assert.equal(x[0], -2.25);
  assert.notEqual(x.buffer, bytes.buffer);
  assert.ok(!isWeightBuffer(bytes.buffer));
});

test('F16 decoding: normals, subnormals, signed zero, infinities, NaN', () => {
  const cases: [number, number][] = [
    [0x3c00, 1],
    [0xc000, -2],
    [0x3555, 0.333251953125],
    [0x7bff, 65504],
    [0x0400, 2 ** -14], // smallest normal
    [0x0001, 2 ** -24], // smallest subnormal
    [0x03ff, 1023 * 2 ** -24], // largest subnormal
    [0x8001, -(2 ** -24)],
    [0x0000, 0],
    [0x7c00, Infinity],
    [0xfc00, -Infinity],
  ];
  const bytes = raw(
    { h: { dtype: 'F16', shape: [cases.length + 3], data_offsets: [0, (cases.length + 3) * 2] } },
    u16s(...cases.map((c) => c[0]), 0x8000, 0x7e00, 0xfc01),
  );
  const d = toFloat32(parseSafetensors('h', bytes).get('h')!.data);
  cases.forEach(([, v], i) => assert.equal(d[i], v, `case ${i}`));
  assert.ok(Object.is(d[cases.length], -0));
  assert.ok(Number.isNaN(d[cases.length + 1]) && Number.isNaN(d[cases.length + 2]));
  assert.equal(halfToFloat(0x3800), 0.5);
});

test('BF16 decoding', () => {
  const vals = [0x3f80, 0xc040, 0x4049, 0x3e80, 0x7f80, 0x0001];
  const bytes = raw({ b: { dtype: 'BF16', shape: [2, 3], data_offsets: [0, 12] } }, u16s(...vals));
  const t = parseSafetensors('b', bytes).get('b')!;
  assert.deepEqual(t.shape, [2, 3]);
  assert.deepEqual([...toFloat32(t.data)], [1, -3, 3.140625, 0.25, Infinity, 2 ** -133]);
  const nan = parseSafetensors('b', raw({ b: { dtype: 'BF16', shape: [1], data_offsets: [0, 2] } }, u16s(0x7fc0))).get('b')!;
  assert.ok(Number.isNaN(toFloat32(nan.data)[0]));
});

test('file shorter than 8 bytes', () => rejects(new Uint8Array(5), 'header length', /at least 8 bytes.*has 5/));

test('header length above the cap', () => {
  rejects(raw({}, new Uint8Array(0), 2n ** 40n), 'header length', /at most 104857600 bytes/);
  rejects(raw({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), 'header length', /at most 16 bytes/, {
    maxHeaderBytes: 16,
  });
});

test('header length beyond the end of the file', () =>
  rejects(raw({}, new Uint8Array(0), 100n), 'header length', /fits in the file \(2 bytes.*declares 100/));

test('header not JSON / not UTF-8 / not an object', () => {
  rejects(raw('{"a": '), 'header', /UTF-8 JSON object/);
  const bad = raw('{}  ');
  bad[9] = 0xff; // invalid UTF-8 byte inside the header
  rejects(bad, 'header', /UTF-8 JSON object/);
  rejects(raw('[1, 2]'), 'header', /JSON object of tensors; found an array/);
  rejects(raw('null'), 'header', /found null/);
});

test('__metadata__ must map strings to strings', () => {
  rejects(raw({ __metadata__: [] }), '__metadata__', /object of string values/);
  rejects(raw({ __metadata__: { n: 3 } }), '__metadata__.n', /a string; found number 3/);
  assert.deepEqual(parseSafetensorsWithMetadata('m', raw({ __metadata__: { a: 'b' } })).metadata, { a: 'b' });
});

test('entry must be an object', () => rejects(raw({ w: 3 }), 'tensor "w"', /dtype, shape, data_offsets/));

test('unsupported and unknown dtypes name the tensor and dtype', () => {
  rejects(
    raw({ ids: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)),
    'tensor "ids".dtype',
    /F32, F16 or BF16; found I64, which is not supported/,
  );
  rejects(raw({ w: { dtype: 'Q4', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)), 'tensor "w".dtype', /unknown dtype "Q4"/);
  rejects(raw({ w: { shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), 'tensor "w".dtype', /found undefined/);
});

test('shape must be non-negative integers', () => {
  for (const shape of [[-1], [1.5], ['2'], 3, null]) {
    rejects(raw({ w: { dtype: 'F32', shape, data_offsets: [0, 4] } }, new Uint8Array(4)), 'tensor "w".shape', /non-negative integers/);
  }
});

test('data_offsets must be two integers within the data section', () => {
  const data = new Uint8Array(8);
  for (const offsets of [[0], [0, 4, 8], [-4, 0], [0.5, 4.5], 'x']) {
    rejects(raw({ w: { dtype: 'F32', shape: [1], data_offsets: offsets } }, data), 'tensor "w".data_offsets', /two non-negative integers/);
  }
  rejects(raw({ w: { dtype: 'F32', shape: [1], data_offsets: [8, 4] } }, data), 'tensor "w".data_offsets', /begin ≤ end ≤ 8/);
  rejects(raw({ w: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, data), 'tensor "w".data_offsets', /end ≤ 8.*\[4, 12\]/);
});

test('data_offsets length must match shape × item size', () => {
  rejects(
    raw({ w: { dtype: 'F16', shape: [2, 2], data_offsets: [0, 16] } }, new Uint8Array(16)),
    'tensor "w".data_offsets',
    /8 bytes for F16 shape \[2, 2\].*has 16/,
  );
});

test('overlapping ranges are rejected naming both tensors', () => {
  const h = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } };
  rejects(raw(h, new Uint8Array(12)), 'tensor "b".data_offsets', /not overlapping tensor "a" \[0, 8\]/);
});

test('extra entry fields are ignored and empty tensors may share an offset', () => {
  const h = { e: { dtype: 'F32', shape: [0], data_offsets: [4, 4] }, a: { dtype: 'F32', shape: [1], data_offsets: [0, 4], note: 'x' } };
  const t = parseSafetensors('ok', raw(h, new Uint8Array(4)));
  assert.equal(t.get('e')!.data.length, 0);
  assert.equal(toFloat32(t.get('a')!.data)[0], 0);
});
