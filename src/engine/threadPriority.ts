// The engine's threads yield the CPU to the window's. On Linux a thread's nice value is its own
// (setpriority on pid 0 changes the calling thread, and threads it starts inherit it), so the
// engine worker can lower itself without touching the extension host's main thread. Elsewhere
// os.setPriority changes the whole process, so nothing is done there.
import * as os from 'node:os';

/** Sets this thread's nice value (Linux); false where it was not changed, and why does not matter. */
export function lowerThreadPriority(nice: number): boolean {
  if (process.platform !== 'linux') return false;
  try {
    os.setPriority(Math.max(0, Math.min(19, Math.round(nice))));
    return true;
  } catch {
    return false; // a sandbox may forbid it; the engine then runs at the usual priority
  }
}
