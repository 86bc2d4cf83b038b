// What a command gives back to whoever ran it. A command run from the palette (or a keybinding,
// a menu) is executed for the workbench, and VS Code sends its return value back as JSON: a
// RunResult's typed arrays become objects with one key per number, so 100–300 MB of attention
// froze the extension host for minutes, grew it by gigabytes and dropped its connection (issue 20).
// Callers inside the extension host (other commands, the tests) still get the object itself;
// over the wire a run is a short description. No vscode import (unit-tested).
import type { RunResult } from './engine/types';

function isRunResult(v: unknown): v is RunResult {
  return (
    typeof v === 'object' &&
    v !== null &&
    Array.isArray((v as { attentions?: unknown }).attentions) &&
    typeof (v as { model?: unknown }).model === 'object'
  );
}

/** `v`, made cheap to serialise when it is a run (its JSON is then a summary, not its arrays). */
export function wireSafe<T>(v: T): T {
  if (!isRunResult(v)) return v;
  const summary = { model: v.model.name, file: v.model.file, tokens: v.tokens.source.length, layers: v.attentions.length };
  Object.defineProperty(v, 'toJSON', { value: () => summary, enumerable: false, configurable: true });
  return v;
}
