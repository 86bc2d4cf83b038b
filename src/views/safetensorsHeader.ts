// A readable view of a .safetensors file's header: every tensor with dtype, shape, size, grouped by
// layer, and for attention projections the norm of each head's slice (rows h·d_head … of q/k/v,
// columns of o). Only the 8-byte length and the JSON header are read, plus the bytes of the
// tensors whose norms are shown, asynchronously (this runs on the extension host's main thread).
// No vscode import (unit-tested in plain Node).
import * as fs from 'node:fs';
import { ModelFormatError } from '../engine/format/errors';
import { sliceNorms } from '../engine/headNorms';
import { jsonErrorDetail } from '../engine/format/jsonText';
import { openRegularFile, readAt, readModelJsonCapped, sidecarOf } from './modelFiles';

export interface HeaderTensor {
  name: string;
  dtype: string;
  shape: number[];
  /** Byte range in the data section (after the header). */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  file: string;
  headerBytes: number;
  tensors: HeaderTensor[];
  metadata: Record<string, string>;
}

const MAX_HEADER = 100 * 1024 * 1024;
/** Largest projection whose head norms are computed (read into memory on the host). */
const MAX_NORM_TENSOR = 64 * 1024 * 1024;

export async function readSafetensorsHeader(file: string): Promise<SafetensorsHeader> {
  const fh = await openRegularFile(file, 'a .safetensors file');
  try {
    const size = (await fh.stat()).size;
    const head = await readAt(fh, 0, 8);
    if (head.length < 8) throw new ModelFormatError(file, 'header length', `8 bytes of little-endian header length; the file has ${size} bytes`);
    const len = Number(head.readBigUInt64LE(0));
    if (len > MAX_HEADER || 8 + len > size) throw new ModelFormatError(file, 'header length', `at most ${Math.min(MAX_HEADER, size - 8)} bytes, got ${len}`);
    let json: unknown;
    try {
      json = JSON.parse((await readAt(fh, 8, len)).toString('utf8'));
    } catch (e) {
      throw new ModelFormatError(file, 'header', `valid JSON (${jsonErrorDetail(e)})`);
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ModelFormatError(file, 'header', 'a JSON object');
    const tensors: HeaderTensor[] = [];
    let metadata: Record<string, string> = {};
    for (const [name, v] of Object.entries(json as Record<string, unknown>)) {
      if (name === '__metadata__') {
        metadata = Object.fromEntries(Object.entries((v ?? {}) as Record<string, unknown>).map(([k, x]) => [k, String(x)]));
        continue;
      }
      const t = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
      const shape = t?.shape;
      const off = t?.data_offsets;
      if (typeof t?.dtype !== 'string') throw new ModelFormatError(file, `${name}.dtype`, 'a dtype string such as "F32"');
      if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw new ModelFormatError(file, `${name}.shape`, 'an array of non-negative integers');
      if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isInteger(d) && d >= 0) || off[0] > off[1]) {
        throw new ModelFormatError(file, `${name}.data_offsets`, '[begin, end] with 0 ≤ begin ≤ end');
      }
      tensors.push({ name, dtype: t.dtype, shape: shape as number[], begin: off[0] as number, end: off[1] as number });
    }
    tensors.sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
    return { file, headerBytes: len, tensors, metadata };
  } finally {
    await fh.close();
  }
}

/**
 * Frobenius norm of each head's slice of an attention projection: q/k/v weights [d_model, d_model]
 * produce head h from output rows h·dh … (h+1)·dh−1; the output projection o reads head h from
 * input columns h·dh …. F32 only (other dtypes: undefined).
 */
export async function headNorms(file: string, header: SafetensorsHeader, t: HeaderTensor, heads: number): Promise<number[] | undefined> {
  if (t.dtype !== 'F32' || t.shape.length !== 2 || heads <= 0 || t.shape[0] % heads !== 0) return undefined;
  const [rows, cols] = t.shape;
  if ((t.end - t.begin) !== rows * cols * 4 || t.end - t.begin > MAX_NORM_TENSOR) return undefined;
  const fh = await openRegularFile(file, 'a .safetensors file');
  let w: Float32Array;
  try {
    const bytes = await readAt(fh, 8 + header.headerBytes + t.begin, t.end - t.begin);
    if (bytes.length !== t.end - t.begin) return undefined; // the file ends before the tensor does
    w = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)); // [rows, cols]
  } finally {
    await fh.close();
  }
  // W_O is split by columns (what each head writes), q/k/v by rows: the engine's sliceNorms.
  return sliceNorms(w, rows, cols, heads, /\.o\.weight$/.test(t.name));
}

const ATTN_WEIGHT = /^(encoder|decoder)\.layers\.(\d+)\.(self_attn|cross_attn)\.([qkvo])\.weight$/;

/** The header as a plain-text report: one line per tensor, grouped by layer; head norms when `heads` is known. */
export async function formatHeader(h: SafetensorsHeader, heads?: number): Promise<string> {
  const lines = [`Safetensors header of ${h.file}`, `${h.tensors.length} tensors, header ${h.headerBytes} bytes`, ''];
  for (const [k, v] of Object.entries(h.metadata)) lines.push(`metadata ${k} = ${v}`);
  if (Object.keys(h.metadata).length) lines.push('');
  const width = Math.max(10, ...h.tensors.map((t) => t.name.length));
  let group = '';
  let params = 0;
  for (const t of h.tensors) {
    const g = /^((?:encoder|decoder)\.layers\.\d+)\./.exec(t.name)?.[1] ?? t.name.split('.')[0];
    if (g !== group) {
      lines.push(`── ${g} ──`);
      group = g;
    }
    const n = t.shape.reduce((a, b) => a * b, 1);
    params += n;
    lines.push(`  ${t.name.padEnd(width)}  ${t.dtype.padEnd(4)}  [${t.shape.join(', ')}]  ${n.toLocaleString('en-US')}`);
    if (heads && ATTN_WEIGHT.test(t.name)) {
      const norms = await headNorms(h.file, h, t, heads);
      if (norms) lines.push(`  ${''.padEnd(width)}  per-head ‖W‖: ${norms.map((x, i) => `h${i + 1} ${x.toFixed(3)}`).join('  ')}`);
    }
  }
  lines.push('', `${params.toLocaleString('en-US')} parameters in total`);
  return lines.join('\n');
}

export interface HeadWeightNorms {
  /** Per head: ‖W_Q‖, ‖W_K‖, ‖W_V‖ (its output rows) and ‖W_O‖ (its input columns); null where not F32 / absent. */
  q: number[] | null;
  k: number[] | null;
  v: number[] | null;
  o: number[] | null;
}

const normCache = new Map<string, { stamp: string; norms: HeadWeightNorms | undefined }>();

/**
 * Per-head weight norms of one attention layer of a project model JSON whose weights live in a
 * safetensors sidecar (undefined otherwise: inline weights, other layouts). Cached per file stamp.
 */
export async function headWeightNorms(
  modelJson: string, part: 'encoder' | 'decoder' | 'cross', layer: number, heads: number): Promise<HeadWeightNorms | undefined> {
  let side: string | undefined;
  try {
    side = await sidecarOf(modelJson, await readModelJsonCapped(modelJson));
  } catch {
    return undefined; // unreadable, or a sidecar outside the model's folder: the run reports it
  }
  if (side === undefined) return undefined;
  const st = await fs.promises.stat(side).catch(() => undefined);
  if (!st) return undefined;
  const key = `${side}|${part}|${layer}|${heads}`;
  const stamp = `${st.mtimeMs}:${st.size}`;
  const hit = normCache.get(key);
  if (hit?.stamp === stamp) return hit.norms;
  const prefix = `${part === 'encoder' ? 'encoder' : 'decoder'}.layers.${layer}.${part === 'cross' ? 'cross_attn' : 'self_attn'}`;
  let norms: HeadWeightNorms | undefined;
  try {
    const h = await readSafetensorsHeader(side);
    const of = async (w: string) => {
      const t = h.tensors.find((x) => x.name === `${prefix}.${w}.weight`);
      return t ? (await headNorms(side, h, t, heads)) ?? null : null;
    };
    norms = { q: await of('q'), k: await of('k'), v: await of('v'), o: await of('o') };
    if (!norms.q && !norms.k && !norms.v && !norms.o) norms = undefined;
  } catch {
    norms = undefined; // a broken sidecar: the run reports it with file and field
  }
  normCache.set(key, { stamp, norms });
  return norms;
}
