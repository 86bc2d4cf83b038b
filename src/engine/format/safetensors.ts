// safetensors reader and writer (https://huggingface.co/docs/safetensors): an 8-byte
// little-endian header length N, N bytes of JSON {name: {dtype, shape, data_offsets}}, then the
// data section. Every field is checked before any byte is read, because a model file is untrusted
// input: a bad offset must become a ModelFormatError, not an out-of-bounds read or a huge alloc.
import { jsonErrorDetail } from './jsonText';
import type { Tensor } from '../tensor';
import { sizeOf } from '../tensor';
import { halfArray, toFloat32, type WeightData, type WeightTensor } from '../weights';

export { halfToFloat } from '../weights';
import { ModelFormatError, showValue } from './errors';
import { isId as isCount, isRecord as isObject } from '../../../common/guards';

export type Dtype = 'F32' | 'F16' | 'BF16';
const ITEM_SIZE: Record<Dtype, number> = { F32: 4, F16: 2, BF16: 2 };
// Dtypes the safetensors spec defines but this engine does not compute with; named in errors so
// that "I64" reads as "unsupported" rather than "garbage".
const KNOWN_OTHER = ['F64', 'I64', 'I32', 'I16', 'I8', 'U64', 'U32', 'U16', 'U8', 'BOOL', 'F8_E4M3', 'F8_E5M2'];

export const DEFAULT_MAX_HEADER_BYTES = 100 * 1024 * 1024;

export interface SafetensorsOptions {
  /** Largest header accepted, in bytes (default 100 MB). */
  maxHeaderBytes?: number;
}

export interface SafetensorsContents {
  tensors: Map<string, WeightTensor>;
  metadata: Record<string, string>;
}

export function parseSafetensors(file: string, bytes: Uint8Array, opts?: SafetensorsOptions): Map<string, WeightTensor> {
  return parseSafetensorsWithMetadata(file, bytes, opts).tensors;
}

export function parseSafetensorsWithMetadata(file: string, bytes: Uint8Array, opts: SafetensorsOptions = {}): SafetensorsContents {
  const bad = (field: string, expected: string) => new ModelFormatError(file, field, expected);
  const cap = opts.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  if (bytes.length < 8) throw bad('header length', `at least 8 bytes (a u64 header length); the file has ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(cap)) throw bad('header length', `at most ${cap} bytes of header; the file declares ${n}`);
  const headerLen = Number(n);
  if (8 + headerLen > bytes.length) {
    throw bad('header length', `a header that fits in the file (${bytes.length - 8} bytes after the length); it declares ${headerLen}`);
  }

  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen)));
  } catch (e) {
    throw bad('header', `a UTF-8 JSON object (${jsonErrorDetail(e)})`);
  }
  if (!isObject(header)) throw bad('header', `a JSON object of tensors; found ${describe(header)}`);

  const data = bytes.subarray(8 + headerLen);
  const metadata: Record<string, string> = {};
  const spans: { name: string; begin: number; end: number; dtype: Dtype; shape: number[] }[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!isObject(entry)) throw bad('__metadata__', `an object of string values; found ${describe(entry)}`);
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== 'string') throw bad(`__metadata__.${k}`, `a string; found ${describe(v)}`);
        metadata[k] = v;
      }
      continue;
    }
    const f = `tensor "${name}"`;
    // Every error about a tensor is named by its name; an empty one would name nothing.
    if (name === '') throw bad(f, 'a non-empty tensor name');
    if (!isObject(entry)) throw bad(f, `an object {dtype, shape, data_offsets}; found ${describe(entry)}`);
    const { dtype, shape, data_offsets: offsets } = entry;
    if (typeof dtype !== 'string' || !Object.hasOwn(ITEM_SIZE, dtype)) {
      // not `in`: "constructor" would pass
      const what =
        typeof dtype !== 'string'
          ? describe(dtype)
          : KNOWN_OTHER.includes(dtype)
            ? `${dtype}, which is not supported`
            : `unknown dtype "${dtype}"`;
      throw bad(`${f}.dtype`, `F32, F16 or BF16; found ${what}`);
    }
    if (!Array.isArray(shape) || !shape.every(isCount))
      throw bad(`${f}.shape`, `an array of non-negative integers; found ${showValue(shape)}`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
      throw bad(`${f}.data_offsets`, `[begin, end], two non-negative integers; found ${showValue(offsets)}`);
    }
    const [begin, end] = offsets as number[];
    if (begin > end || end > data.length) {
      throw bad(`${f}.data_offsets`, `0 ≤ begin ≤ end ≤ ${data.length} (the data section's size); found [${begin}, ${end}]`);
    }
    const dims = shape as number[];
    const need = sizeOf(dims) * ITEM_SIZE[dtype as Dtype];
    if (end - begin !== need) {
      throw bad(
        `${f}.data_offsets`,
        `${need} bytes for ${dtype} shape [${dims.join(', ')}]; the range [${begin}, ${end}] has ${end - begin}`,
      );
    }
    spans.push({ name, begin, end, dtype: dtype as Dtype, shape: dims });
  }

  // Overlapping ranges would let one tensor alias another's bytes: reject, naming both.
  // Empty tensors occupy no bytes, so they cannot overlap anything.
  const sorted = spans.filter((s) => s.end > s.begin).sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < sorted.length; i++) {
    const [prev, cur] = [sorted[i - 1], sorted[i]];
    if (cur.begin < prev.end) {
      throw bad(
        `tensor "${cur.name}".data_offsets`,
        `a range not overlapping tensor "${prev.name}" [${prev.begin}, ${prev.end}]; found [${cur.begin}, ${cur.end}]`,
      );
    }
  }

  const tensors = new Map<string, WeightTensor>();
  for (const s of spans) tensors.set(s.name, { shape: s.shape, data: decode(s.dtype, data.subarray(s.begin, s.end)) });
  const raw = (d: WeightData) => (d instanceof Float32Array ? d : d.bits);
  if ([...tensors.values()].some((t) => raw(t.data).buffer === data.buffer)) weightBuffers.add(data.buffer);
  return { tensors, metadata };
}

/** Serialises tensors as F32 (F16/BF16 widened exactly), header padded with spaces so the data section is 8-byte aligned. */
export function writeSafetensors(stored: Map<string, WeightTensor>, metadata?: Record<string, string>): Uint8Array {
  const tensors = new Map<string, Tensor>([...stored].map(([name, t]) => [name, { shape: t.shape, data: toFloat32(t.data) }]));
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of tensors) {
    if (t.data.length !== sizeOf(t.shape))
      throw new Error(`tensor "${name}" has ${t.data.length} values for shape [${t.shape.join(', ')}]`);
    header[name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + t.data.length * 4] };
    offset += t.data.length * 4;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const t of tensors.values()) {
    for (let i = 0; i < t.data.length; i++, at += 4) view.setFloat32(at, t.data[i], true);
  }
  return out;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * ArrayBuffers that model weights are views into (decode's zero-copy F32 tensors): transferring
 * one to another thread would detach every tensor of the file, so results copy them instead.
 */
const weightBuffers = new WeakSet<ArrayBufferLike>();

export function isWeightBuffer(b: ArrayBufferLike): boolean {
  return weightBuffers.has(b);
}

/**
 * The stored values, in the file's dtype. F32 at a 4-byte-aligned offset (and F16/BF16 at an even
 * one) on a little-endian host is a view of the file's buffer, no copy: a BERT-base file is 340 MB —
 * the copy, and first touching its fresh memory, took ~1.4 s of a cold run; the views keep the
 * buffer alive instead. F16/BF16 are not widened to float32 here (the kernels convert as they pack):
 * a BF16 model takes its file's size in memory, not twice it.
 */
function decode(dtype: Dtype, raw: Uint8Array): WeightData {
  const n = raw.length / ITEM_SIZE[dtype];
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (dtype === 'F32') {
    if (LITTLE_ENDIAN && raw.byteOffset % 4 === 0) return new Float32Array(raw.buffer, raw.byteOffset, n);
    const out = new Float32Array(n);
    // Unaligned (a header not padded to 8 bytes): a byte copy realigns it.
    if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(raw);
    else for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
    return out;
  }
  const kind = dtype === 'BF16' ? 'bf16' : 'f16';
  if (LITTLE_ENDIAN && raw.byteOffset % 2 === 0) return halfArray(kind, new Uint16Array(raw.buffer, raw.byteOffset, n));
  const bits = new Uint16Array(n);
  for (let i = 0; i < n; i++) bits[i] = view.getUint16(i * 2, true);
  return halfArray(kind, bits);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${showValue(v)}`;
}
