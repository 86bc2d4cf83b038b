// Reading a file a model names (sidecar weights, shards, tokenizer.json) safely: the path comes
// from an untrusted file, so it may be a directory, a device that never ends (/dev/zero) or a
// pipe that never answers. Only regular files are read; everything else is a ModelFormatError.
import * as fs from 'fs';
import * as path from 'path';
import { ModelFormatError, showValue } from './errors';
import { ADVISED_BYTES, adviseLarge } from '../memoryAdvice';

/** Largest file read into memory (Node cannot hold more than 2 GB in one buffer anyway). */
export const MAX_FILE_BYTES = 2 * 1024 * 1024 * 1024 - 1;

/** What a path that is not a regular file is, for an error message. */
export function fileKind(st: fs.Stats): string {
  if (st.isFile()) return 'a regular file';
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return st.isFIFO() ? 'a pipe' : st.isSocket() ? 'a socket' : 'not a regular file';
}

/** The file's stats if it is a regular file of at most MAX_FILE_BYTES; else the ModelFormatError. */
export function statRegularFile(file: string): fs.Stats {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    throw new ModelFormatError(file, 'file', `a readable file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (!st.isFile()) throw new ModelFormatError(file, 'file', `a regular file; found ${fileKind(st)}`);
  if (st.size > MAX_FILE_BYTES) throw new ModelFormatError(file, 'file', `at most ${MAX_FILE_BYTES} bytes; the file has ${st.size}`);
  return st;
}

export function readRegularFile(file: string): Buffer {
  const st = statRegularFile(file);
  try {
    // Large files go into a buffer memoryAdvice.ts's hook sees first: the native kernels ask for huge
    // pages there, which made reading a 340 MB model 5× faster on the VMs we measure on (bench/cold.ts).
    return st.size >= ADVISED_BYTES ? readAdvised(file, st.size) : fs.readFileSync(file);
  } catch (e) {
    throw new ModelFormatError(file, 'file', `a readable file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** The file's first `size` bytes (fewer if it shrank since stat) into a new buffer advised before the read touches it. */
function readAdvised(file: string, size: number): Buffer {
  const buf = adviseLarge(Buffer.allocUnsafeSlow(size)); // its own ArrayBuffer, pages not yet touched
  const fd = fs.openSync(file, 'r');
  try {
    let at = 0;
    for (let got = -1; at < size && got !== 0; at += got) got = fs.readSync(fd, buf, at, size - at, at);
    return at < size ? buf.subarray(0, at) : buf;
  } finally {
    fs.closeSync(fd);
  }
}

/** Whether real path `p` is `root` or inside it (both already passed through realpath). */
export function isInside(root: string, p: string): boolean {
  return p === root || p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/** The error for a path a model names that leads out of the model's folder. */
export function outsideError(modelFile: string, field: string, rel: string): ModelFormatError {
  return new ModelFormatError(
    modelFile,
    field,
    `a file inside the model's folder ${path.dirname(modelFile)}; ${showValue(rel)} leads outside it`,
  );
}

/**
 * A file a model names (its sidecar, its tokenizer_file), resolved against the model's folder. Its
 * real path, symlinks followed, must stay inside that folder: a model from the workspace must not
 * make the engine read, and its errors describe, files elsewhere (/proc/self/environ, ~/.ssh/…).
 * A path that does not exist comes back resolved, for the caller's "not found".
 */
export function resolveInModelFolder(modelFile: string, field: string, rel: string): string {
  const dir = path.dirname(modelFile);
  const p = path.resolve(dir, rel);
  let real: string;
  try {
    real = fs.realpathSync(p);
  } catch {
    return p;
  }
  const root = fs.realpathSync(dir);
  if (!isInside(root, real) && !isInside(hfCacheBlobs(root) ?? root, real)) throw outsideError(modelFile, field, rel);
  return real;
}

/**
 * The Hugging Face cache stores a snapshot's files as symlinks into its repository's blobs folder
 * (models--org--name/snapshots/<rev>/x → ../../blobs/<hash>): for a folder laid out so, that blobs
 * folder (real path) is inside the model too. Any other folder has none.
 */
export function hfCacheBlobs(realDir: string): string | undefined {
  const snapshots = path.dirname(realDir);
  const repo = path.dirname(snapshots);
  if (path.basename(snapshots) !== 'snapshots' || !path.basename(repo).startsWith('models--')) return undefined;
  try {
    return fs.realpathSync(path.join(repo, 'blobs'));
  } catch {
    return undefined;
  }
}
