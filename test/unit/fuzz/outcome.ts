// What a fuzz case may end in, and the tally printed at the end. A reader may accept a file or
// reject it with its own error type (ModelFormatError naming the file and field, InputError naming
// the field); anything else — TypeError, RangeError, a stack overflow, an allocation over the cap,
// a case over the time limit — fails the property.
import { InputError, ModelFormatError } from '../../../src/engine/format/errors';
import { AllocationCapExceeded, allocations, resetAllocations } from '../../helpers/allocations';

export const CASE_LIMIT_MS = 5000;

export interface Figures {
  campaign: string;
  seed: number;
  tried: number;
  accepted: number;
  /** Accepted files that also built and ran a short input. */
  ran: number;
  /** Accepted files not run: their architecture has no memory estimate (src/engine/limits.ts). */
  notRun: number;
  rejected: Record<string, number>; // error name → count
  fields: Record<string, number>; // "ErrorName field-class" → count
  slowest: { ms: number; what: string };
  largestAllocation: number; // bytes, one request
  largestCaseAllocation: number; // bytes, all requests of one case
  ms: number;
}

export function newFigures(campaign: string, seed: number): Figures {
  return {
    campaign,
    seed,
    tried: 0,
    accepted: 0,
    ran: 0,
    notRun: 0,
    rejected: {},
    fields: {},
    slowest: { ms: 0, what: '' },
    largestAllocation: 0,
    largestCaseAllocation: 0,
    ms: 0,
  };
}

/** Groups fields so the tally stays readable: tensor names and indices become placeholders. */
export function fieldClass(field: string): string {
  return field
    .replace(/^line \d+, column \d+$/, 'line L, column C (JSON syntax)')
    .replace(/tensor "[^"]*"/g, 'tensor "…"')
    .replace(/\["[^"]*"\]/g, '[…]')
    .replace(/\[\d+\]/g, '[i]')
    .replace(/\.\d+\./g, '.N.')
    .replace(/^.*\.(weight|bias|gamma|beta)$/, '<tensor name>.$1');
}

/** Throws (failing the property) unless `e` is a reader error that names its file and field. */
export function checkRejection(e: unknown): { name: string; field: string } {
  if (e instanceof ModelFormatError) {
    if (!e.file || !e.field || !e.expected) throw new Error(`ModelFormatError without file/field/expected: ${e.message}`);
    if (!e.message.startsWith(`${e.file}: ${e.field}: `)) throw new Error(`message does not name file and field: ${e.message}`);
    return { name: e.name, field: e.field };
  }
  if (e instanceof InputError) {
    if (!e.field || !e.message.startsWith(`${e.field}: `)) throw new Error(`InputError without a field: ${e.message}`);
    return { name: e.name, field: e.field };
  }
  if (e instanceof AllocationCapExceeded) throw new Error(`allocation over the cap: ${e.message}`);
  const err = e as Error;
  throw new Error(
    `uncaught ${err?.name ?? typeof e}: ${err?.message ?? String(e)}\n${err?.stack?.split('\n').slice(1, 6).join('\n') ?? ''}`,
  );
}

export type Stage = 'read' | 'run';

/**
 * Runs one case: `read` loads and builds (accept or reader error), then `run`, if given, runs a
 * short input on what was accepted. Records the outcome; throws on anything not allowed.
 */
export function runCase<T>(f: Figures, what: () => string, capBytes: number, read: () => T, run?: (loaded: T) => boolean | void): void {
  resetAllocations(capBytes);
  const t0 = performance.now();
  let stage: Stage = 'read';
  try {
    const loaded = read();
    f.accepted++;
    if (run) {
      stage = 'run';
      if (run(loaded) === false) f.notRun++;
      else f.ran++;
    }
  } catch (e) {
    let r: { name: string; field: string };
    try {
      r = checkRejection(e);
    } catch (bad) {
      throw new Error(`${(bad as Error).message}\n  case: ${what()}`, { cause: bad });
    }
    const key = stage === 'run' ? `${r.name} (run)` : r.name;
    f.rejected[key] = (f.rejected[key] ?? 0) + 1;
    const fk = `${key}  ${fieldClass(r.field)}`;
    f.fields[fk] = (f.fields[fk] ?? 0) + 1;
  } finally {
    const ms = performance.now() - t0;
    const a = allocations();
    resetAllocations();
    f.tried++;
    f.largestAllocation = Math.max(f.largestAllocation, a.largest);
    f.largestCaseAllocation = Math.max(f.largestCaseAllocation, a.total);
    if (ms > f.slowest.ms) f.slowest = { ms, what: what() };
    // A slow case fails whatever it threw: the time limit is the finding.
    // eslint-disable-next-line no-unsafe-finally
    if (ms > CASE_LIMIT_MS) throw new Error(`case took ${ms.toFixed(0)} ms (limit ${CASE_LIMIT_MS}): ${what()}`);
  }
}
