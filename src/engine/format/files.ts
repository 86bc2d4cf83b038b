// Reading a file a model names (sidecar weights, shards, tokenizer.json) safely: the path comes
// from an untrusted file, so it may be a directory, a device that never ends (/dev/zero) or a
// pipe that never answers. Only regular files are read; everything else is a ModelFormatError.
import * as fs from 'fs';
import { ModelFormatError } from './errors';

/** Largest file read into memory (Node cannot hold more than 2 GB in one buffer anyway). */
export const MAX_FILE_BYTES = 2 * 1024 * 1024 * 1024 - 1;

export function readRegularFile(file: string): Buffer {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    throw new ModelFormatError(file, 'file', `a readable file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (!st.isFile()) {
    const what = st.isDirectory() ? 'a directory' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : st.isFIFO() ? 'a pipe' : st.isSocket() ? 'a socket' : 'not a regular file';
    throw new ModelFormatError(file, 'file', `a regular file; found ${what}`);
  }
  if (st.size > MAX_FILE_BYTES) throw new ModelFormatError(file, 'file', `at most ${MAX_FILE_BYTES} bytes; the file has ${st.size}`);
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new ModelFormatError(file, 'file', `a readable file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}
