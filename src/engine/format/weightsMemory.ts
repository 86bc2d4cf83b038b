// The memory a model's weights will take, estimated from the safetensors headers and file sizes
// *before* any weight file is read, so a folder of fifty 2 GB shards is refused up front instead of
// filling the machine's memory. Weights stay in their file dtype (weights.ts: F16/BF16 are not
// widened to float32), as views of the file's buffer, so a file takes about its own size.
// The limit is twice attentionInspector.maxRunMemoryMB (the CLI's --max-memory-mb): the weights stay
// loaded beside each run's memory, and twice the setting is what the worker's memory watch allows too
// (engineHost.ts); a 4 GB default takes models up to ~1 billion float32 parameters.
import * as fs from 'fs';
import { ModelFormatError } from './errors';
import { DEFAULT_MAX_HEADER_BYTES } from './safetensors';

/** What loading may hold; no limit when absent (tests and tools that load known files). */
export interface LoadLimits {
  /** The run memory setting, in MB: weights in memory, in their file dtype, may take WEIGHTS_PER_RUN_MEMORY times it. */
  maxRunMemoryMB?: number;
  /** Caps of a sharded checkpoint (hfShards.ts: MAX_SHARDS, MAX_SHARD_BYTES); lowered by tests. */
  maxShards?: number;
  maxShardBytes?: number;
}

export const WEIGHTS_PER_RUN_MEMORY = 2;

const MB = 1024 * 1024;
const num = (x: number) => x.toLocaleString('en-US');
const ITEM_SIZE: Record<string, number> = { F32: 4, F16: 2, BF16: 2 };

/**
 * Bytes one safetensors file takes once loaded: its tensors at their stored size (2 bytes per F16 or
 * BF16 value, 4 per F32), at least the file's size (the read buffer the tensors are views of). Reads the 8-byte length and the header only. A header
 * that cannot be read, or that claims more data than the file holds, counts as the file's size:
 * the reader rejects such a file after reading at most that much.
 */
export function safetensorsMemory(file: string): number {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    return 0; // the reader names the missing file
  }
  if (!st.isFile()) return 0; // the reader refuses pipes and devices without opening them
  const fd = fs.openSync(file, 'r');
  try {
    const len = Buffer.alloc(8);
    if (fs.readSync(fd, len, 0, 8, 0) < 8) return st.size;
    const n = len.readBigUInt64LE(0);
    if (n > BigInt(Math.min(DEFAULT_MAX_HEADER_BYTES, st.size - 8))) return st.size;
    const text = Buffer.alloc(Number(n));
    if (fs.readSync(fd, text, 0, text.length, 8) < text.length) return st.size;
    const header: unknown = JSON.parse(text.toString('utf8'));
    if (typeof header !== 'object' || header === null) return st.size;
    let raw = 0;
    for (const [name, e] of Object.entries(header as Record<string, unknown>)) {
      if (name === '__metadata__') continue;
      const { dtype, shape } = (e ?? {}) as { dtype?: unknown; shape?: unknown };
      if (typeof dtype !== 'string' || !Object.hasOwn(ITEM_SIZE, dtype) || !Array.isArray(shape)) return st.size;
      const count = shape.reduce((p: number, d: unknown) => p * (typeof d === 'number' ? d : NaN), 1);
      if (!Number.isFinite(count) || count < 0) return st.size;
      raw += count * ITEM_SIZE[dtype];
    }
    return raw > st.size - 8 - text.length ? st.size : Math.max(st.size, raw);
  } catch {
    return st.size;
  } finally {
    fs.closeSync(fd);
  }
}

/** Refuses (ModelFormatError on `blame`, field "weights") weight files estimated over the limit. */
export function checkWeightsMemory(blame: string, files: string[], limits: LoadLimits | undefined): void {
  const runMB = limits?.maxRunMemoryMB;
  if (runMB === undefined) return;
  const limitMB = WEIGHTS_PER_RUN_MEMORY * runMB;
  const bytes = files.reduce((sum, f) => sum + safetensorsMemory(f), 0);
  if (bytes <= limitMB * MB) return;
  const count = files.length === 1 ? 'one file' : `${files.length.toLocaleString('en-US')} files`;
  throw new ModelFormatError(
    blame,
    'weights',
    `weights that fit in ${num(limitMB)} MB (${WEIGHTS_PER_RUN_MEMORY} × ${num(runMB)} MB, setting attentionInspector.maxRunMemoryMB); ` +
      `the safetensors headers describe ~${num(Math.ceil(bytes / MB))} MB as stored in ${count}, refused before reading them`,
  );
}
