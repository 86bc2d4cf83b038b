// How a long run is observed and stopped. The worker is busy in synchronous code while it runs,
// so cancellation cannot arrive as a message: the host flips a flag in shared memory, and the
// engine polls it between layers / decoder steps.
import type { Progress } from './types';

export interface RunControl {
  isCancelled(): boolean;
  progress(p: Progress): void;
}

export class CancelledError extends Error {
  override readonly name = 'CancelledError';
  constructor() {
    super('run cancelled');
  }
}

export const noControl: RunControl = { isCancelled: () => false, progress: () => {} };

/** Throws CancelledError when the run was cancelled; otherwise reports progress. */
export function checkpoint(ctl: RunControl, done: number, total: number, message: string): void {
  if (ctl.isCancelled()) throw new CancelledError();
  ctl.progress({ done, total, message });
}

/** A cancel flag in a SharedArrayBuffer, readable from the worker while it computes. */
export function sharedCancelFlag(buffer: SharedArrayBuffer): { isCancelled(): boolean; cancel(): void } {
  const flag = new Int32Array(buffer);
  return { isCancelled: () => Atomics.load(flag, 0) !== 0, cancel: () => void Atomics.store(flag, 0, 1) };
}
