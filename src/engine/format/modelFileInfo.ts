// What the editor's views show about a model file without running it: a safetensors file's header
// (every tensor as written, any dtype, with per-head norms of the attention projections) and what
// a project model JSON says beyond its summary (description, sidecar, heads). Read in the engine's
// worker, never on the extension host's main thread: the paths come from the workspace, and a FIFO
// named *.safetensors never answers, a huge JSON takes seconds to parse. Only regular files are
// opened, and every read is capped.
import * as fs from 'node:fs';
import { ModelFormatError } from './errors';
import { fileKind, resolveInModelFolder } from './files';
import { jsonErrorDetail, parseJsonText } from './jsonText';
import { DEFAULT_MAX_HEADER_BYTES } from './safetensors';
import { sliceNorms } from '../headNorms';

export interface HeaderTensor {
  name: string;
  dtype: string;
  shape: number[];
  /** Byte range in the data section (after the header). */
  begin: number;
  end: number;
  /** Per head ‖slice‖ of an attention projection (q/k/v rows, o columns), when heads were given. */
  norms?: number[];
}

export interface SafetensorsHeaderInfo {
  file: string;
  headerBytes: number;
  /** Sorted by name, layer numbers in numeric order. */
  tensors: HeaderTensor[];
  metadata: Record<string, string>;
}

/** What a project model JSON says that the summary does not, for the model page and the header view. */
export interface ModelFileFacts {
  description?: string;
  /** The weights sidecar, resolved inside the model's folder (it may not exist). */
  safetensors?: string;
  /** config.heads as written, when it is a number. */
  heads?: number;
}

/** Largest model JSON read for its facts (the engine's loader reads the whole model on its own). */
export const MAX_FACTS_JSON_BYTES = 32 * 1024 * 1024;
/** Largest projection whose head norms the header view computes. */
const MAX_NORM_TENSOR_BYTES = 64 * 1024 * 1024;
/** The attention projections under the project format's canonical names. */
const ATTN_WEIGHT = /^(encoder|decoder)\.layers\.\d+\.(self_attn|cross_attn)\.[qkvo]\.weight$/;

const code = (e: unknown) => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

/**
 * `file` opened for reading if it is a regular file: checked with stat before opening (opening a
 * FIFO waits for a writer) and again on the descriptor, which O_NONBLOCK keeps from waiting, in
 * case the path was swapped in between. `what` says what the file should be, for the error.
 */
export function openRegularFile(file: string, what: string): { fd: number; size: number } {
  const notRegular = (st: fs.Stats) => new ModelFormatError(file, 'file', `${what}, a regular file; found ${fileKind(st)}`);
  const unreadable = (e: unknown) => new ModelFormatError(file, 'file', `${what}, a readable file (${code(e)})`);
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    throw unreadable(e);
  }
  if (!st.isFile()) throw notRegular(st);
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw unreadable(e);
  }
  const now = fs.fstatSync(fd);
  if (!now.isFile()) {
    fs.closeSync(fd);
    throw notRegular(now);
  }
  return { fd, size: now.size };
}

/** `length` bytes at `position` into `into` (fewer at the end of the file); the count read. */
function readAt(fd: number, into: Uint8Array, position: number): number {
  let at = 0;
  for (let got = -1; at < into.length && got !== 0; at += got) got = fs.readSync(fd, into, at, into.length - at, position + at);
  return at;
}

/** A regular file of at most `maxBytes`, whole; `what` names what it should be, for errors. */
export function readCappedFile(file: string, maxBytes: number, what: string): Buffer {
  const { fd, size } = openRegularFile(file, what);
  try {
    if (size > maxBytes) throw new ModelFormatError(file, 'file', `${what} of at most ${maxBytes} bytes; the file has ${size}`);
    const buf = Buffer.alloc(size);
    return buf.subarray(0, readAt(fd, buf, 0));
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The header of a .safetensors file, with per-head norms of the attention projections when `heads`
 * is given. Only the length, the JSON header and the F32 projections shown with norms are read.
 * Unlike the loader (safetensors.ts) any dtype is listed: this is a view of the file as written.
 */
export function readSafetensorsHeader(file: string, heads?: number): SafetensorsHeaderInfo {
  const what = 'a .safetensors file';
  const { fd, size } = openRegularFile(file, what);
  try {
    const head = new Uint8Array(8);
    if (readAt(fd, head, 0) < 8)
      throw new ModelFormatError(file, 'header length', `8 bytes of little-endian header length; the file has ${size} bytes`);
    const len = Number(Buffer.from(head).readBigUInt64LE(0));
    if (len > DEFAULT_MAX_HEADER_BYTES || 8 + len > size) {
      throw new ModelFormatError(file, 'header length', `at most ${Math.min(DEFAULT_MAX_HEADER_BYTES, size - 8)} bytes, got ${len}`);
    }
    const text = Buffer.alloc(len);
    readAt(fd, text, 8);
    let json: unknown;
    try {
      json = JSON.parse(text.toString('utf8'));
    } catch (e) {
      throw new ModelFormatError(file, 'header', `valid JSON (${jsonErrorDetail(e)})`);
    }
    const info = headerEntries(file, json, len);
    if (heads !== undefined && heads > 0) {
      for (const t of info.tensors) if (ATTN_WEIGHT.test(t.name)) addNorms(fd, t, 8 + len, heads);
    }
    return info;
  } finally {
    fs.closeSync(fd);
  }
}

function headerEntries(file: string, json: unknown, headerBytes: number): SafetensorsHeaderInfo {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ModelFormatError(file, 'header', 'a JSON object');
  const tensors: HeaderTensor[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, v] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = Object.fromEntries(Object.entries((v ?? {}) as Record<string, unknown>).map(([k, x]) => [k, String(x)]));
      continue;
    }
    const t = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    const shape = t?.shape;
    const off = t?.data_offsets;
    if (typeof t?.dtype !== 'string') throw new ModelFormatError(file, `${name}.dtype`, 'a dtype string such as "F32"');
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new ModelFormatError(file, `${name}.shape`, 'an array of non-negative integers');
    }
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isSafeInteger(d) && d >= 0) || off[0] > off[1]) {
      throw new ModelFormatError(file, `${name}.data_offsets`, '[begin, end] with 0 ≤ begin ≤ end');
    }
    tensors.push({ name, dtype: t.dtype, shape: shape as number[], begin: off[0] as number, end: off[1] as number });
  }
  tensors.sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
  return { file, headerBytes, tensors, metadata };
}

/** Head norms of one F32 [rows, cols] projection (o by columns, q/k/v by rows: the engine's sliceNorms). */
function addNorms(fd: number, t: HeaderTensor, dataStart: number, heads: number): void {
  if (t.dtype !== 'F32' || t.shape.length !== 2) return;
  const [rows, cols] = t.shape;
  const bytes = t.end - t.begin;
  if (bytes !== rows * cols * 4 || bytes > MAX_NORM_TENSOR_BYTES) return;
  const w = new Float32Array(rows * cols); // [rows, cols]; safetensors is little-endian, as are the hosts we run on
  if (readAt(fd, new Uint8Array(w.buffer), dataStart + t.begin) !== bytes) return; // the file ends before the tensor
  const norms = sliceNorms(w, rows, cols, heads, t.name.endsWith('.o.weight'));
  if (norms) t.norms = norms;
}

/** Description, sidecar (inside the model's folder, else a ModelFormatError) and heads of a project model JSON. */
export function readModelFileFacts(file: string): ModelFileFacts {
  const doc = parseJsonText(file, readCappedFile(file, MAX_FACTS_JSON_BYTES, 'a model JSON file').toString('utf8'));
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return {};
  const j = doc as { description?: unknown; weights?: { safetensors?: unknown } | null; config?: { heads?: unknown } | null };
  const rel = j.weights?.safetensors;
  const heads = j.config?.heads;
  return {
    ...(typeof j.description === 'string' ? { description: j.description } : {}),
    ...(typeof rel === 'string' ? { safetensors: resolveInModelFolder(file, 'weights.safetensors', rel) } : {}),
    ...(typeof heads === 'number' && Number.isInteger(heads) && heads > 0 ? { heads } : {}),
  };
}
