// How a long run is observed and stopped. The worker is busy in synchronous code while it runs,
// so cancellation cannot arrive as a message: the host flips a flag in shared memory, and the
// engine polls it between layers / decoder steps.
import type { AttentionLayer, Progress } from './types';

export interface RunControl {
  isCancelled(): boolean;
  progress(p: Progress): void;
  /** The attention layers finished so far (one growing array), at each checkpoint that has any. */
  finished?(attentions: readonly AttentionLayer[], p: Progress): void;
}

export class CancelledError extends Error {
  override readonly name = 'CancelledError';
  constructor() {
    super('run cancelled');
  }
}

export const noControl: RunControl = { isCancelled: () => false, progress: () => {} };

/**
 * Throws CancelledError when the run was cancelled; otherwise reports progress, and the layers
 * recorded so far when the model passes them (so a long run can be shown before it ends).
 */
export function checkpoint(ctl: RunControl, done: number, total: number, message: string, finished?: readonly AttentionLayer[]): void {
  if (ctl.isCancelled()) throw new CancelledError();
  const p = { done, total, message };
  ctl.progress(p);
  if (finished && finished.length > 0) ctl.finished?.(finished, p);
}

/**
 * Between a layer's attention and its feed-forward: a Cancel, or a head the inspector asks for
 * during the run (the worker answers it from isCancelled), waits half a layer instead of a whole one.
 */
export function midLayer(ctl: RunControl): void {
  if (ctl.isCancelled()) throw new CancelledError();
}

/** A cancel flag in a SharedArrayBuffer, readable from the worker while it computes; `view` is for kernels that watch it. */
export function sharedCancelFlag(buffer: SharedArrayBuffer): { isCancelled(): boolean; cancel(): void; view: Int32Array } {
  const flag = new Int32Array(buffer);
  return { isCancelled: () => Atomics.load(flag, 0) !== 0, cancel: () => void Atomics.store(flag, 0, 1), view: flag };
}
