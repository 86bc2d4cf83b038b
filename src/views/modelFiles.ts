// Model files read on the extension host's main thread (the model page, the safetensors header
// view, Reveal Weights, the tree's head norms). A synchronous read there freezes every extension,
// and the paths come from the workspace: a FIFO named *.safetensors never answers, a huge JSON
// takes seconds to parse. So every read here is asynchronous, of regular files only, and capped.
// No vscode import (unit-tested in plain Node).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModelFormatError } from '../engine/format/errors';
import { fileKind, isInside, outsideError } from '../engine/format/files';
import { parseJsonText } from '../engine/format/jsonText';

/** Largest model JSON the host parses (for its description and sidecar name; the engine reads the rest). */
export const MAX_HOST_JSON_BYTES = 32 * 1024 * 1024;

const code = (e: unknown) => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

/**
 * `file` opened for reading if it is a regular file. Checked with stat before opening (opening a
 * FIFO waits for a writer) and again on the open handle, which O_NONBLOCK keeps from waiting, in
 * case the path was swapped in between. `what` says what the file should be, for the error.
 */
export async function openRegularFile(file: string, what: string): Promise<fs.promises.FileHandle> {
  const notRegular = (st: fs.Stats) => new ModelFormatError(file, 'file', `${what}, a regular file; found ${fileKind(st)}`);
  let st: fs.Stats;
  try {
    st = await fs.promises.stat(file);
  } catch (e) {
    throw new ModelFormatError(file, 'file', `${what}, a readable file (${code(e)})`);
  }
  if (!st.isFile()) throw notRegular(st);
  let h: fs.promises.FileHandle;
  try {
    h = await fs.promises.open(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw new ModelFormatError(file, 'file', `${what}, a readable file (${code(e)})`);
  }
  const now = await h.stat();
  if (!now.isFile()) {
    await h.close();
    throw notRegular(now);
  }
  return h;
}

/** Reads `length` bytes at `position` (fewer at the end of the file). */
export async function readAt(h: fs.promises.FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let at = 0;
  for (let got = -1; at < length && got !== 0; at += got) ({ bytesRead: got } = await h.read(buf, at, length - at, position + at));
  return buf.subarray(0, at);
}

/** The whole of a regular file of at most `maxBytes`; `what` names what it should be, for errors. */
export async function readModelFileCapped(file: string, maxBytes: number, what: string): Promise<Buffer> {
  const h = await openRegularFile(file, what);
  try {
    const { size } = await h.stat();
    if (size > maxBytes) throw new ModelFormatError(file, 'file', `${what} of at most ${maxBytes} bytes; the file has ${size}`);
    return await readAt(h, 0, size);
  } finally {
    await h.close();
  }
}

/** A model JSON file (at most MAX_HOST_JSON_BYTES) parsed; a syntax error names line and column. */
export async function readModelJsonCapped(file: string, maxBytes = MAX_HOST_JSON_BYTES): Promise<unknown> {
  const bytes = await readModelFileCapped(file, maxBytes, 'a model JSON file');
  return parseJsonText(file, bytes.toString('utf8'));
}

/**
 * The sidecar a model JSON names in weights.safetensors, under the engine's rule
 * (engine/format/files.ts resolveInModelFolder): its real path must stay inside the model's folder.
 * Undefined when the JSON names none; an error when it leads outside.
 */
export async function sidecarOf(modelJson: string, doc: unknown): Promise<string | undefined> {
  const rel = (doc as { weights?: { safetensors?: unknown } } | null)?.weights?.safetensors;
  if (typeof rel !== 'string') return undefined;
  const dir = path.dirname(modelJson);
  const p = path.resolve(dir, rel);
  const real = await fs.promises.realpath(p).catch(() => undefined);
  if (real === undefined) return p; // missing: the reader says "not found"
  if (!isInside(await fs.promises.realpath(dir), real)) throw outsideError(modelJson, 'weights.safetensors', rel);
  return real;
}
