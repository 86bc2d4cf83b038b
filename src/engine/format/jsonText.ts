// JSON text from an untrusted file, parsed with an error that names the line and column and never
// quotes the text: V8's message for a file that is not JSON at all ("Unexpected token 'P',
// "PATH=/usr/…" is not valid JSON") carries the file's first bytes, and a model may point a reader
// at any file. Shared by the engine's readers and the extension host's reads (src/sidebar/modelFiles.ts).
import { ModelFormatError } from './errors';

/** V8's JSON.parse message without any quoted input and without its position. */
export function jsonErrorDetail(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  if (/is not valid JSON|^Unexpected token/.test(msg)) return 'an unexpected character';
  return msg.replace(/\s*in JSON at position \d+.*$/s, '').replace(/\s*\(line \d+ column \d+\)/, '');
}

export function parseJsonText(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    // V8 reports "... in JSON at position N" (newer versions add "(line L column C)"), no
    // position for an unexpected end (the end of the text) nor for an unexpected token (unknown).
    const msg = (e as Error).message;
    const m = /at position (\d+)/.exec(msg);
    if (!m && !/end of JSON input/.test(msg)) throw new ModelFormatError(file, 'JSON', `valid JSON (${jsonErrorDetail(e)})`);
    const before = text.slice(0, m ? Number(m[1]) : text.length).split('\n');
    throw new ModelFormatError(
      file,
      `line ${before.length}, column ${before[before.length - 1].length + 1}`,
      `valid JSON (${jsonErrorDetail(e)})`,
    );
  }
}
