// JSON text from an untrusted file, parsed with an error that names the line and column.
// Shared by the engine's readers and the extension host's small reads (src/views/modelFiles.ts).
import { ModelFormatError } from './errors';

export function parseJsonText(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    // V8 reports "... in JSON at position N" (newer versions add "(line L column C)").
    const m = /at position (\d+)/.exec(msg);
    const pos = m ? Number(m[1]) : text.length;
    const before = text.slice(0, pos).split('\n');
    const detail = msg.replace(/\s*in JSON at position \d+.*$/s, '').replace(/\s*\(line \d+ column \d+\)/, '');
    throw new ModelFormatError(file, `line ${before.length}, column ${before[before.length - 1].length + 1}`, `valid JSON (${detail})`);
  }
}
