// One place that ends what a test driver started: cleanups run in reverse order on normal
// completion, on failure, on SIGINT/SIGTERM, and (synchronously, best effort) on process exit.

/** `interrupted`: the run was stopped by a signal (nothing worth keeping for inspection). */
type Cleanup = (interrupted: boolean) => Promise<void> | void;

const cleanups: { name: string; fn: Cleanup }[] = [];
const exitKills: (() => void)[] = [];
let signalsHooked = false;

/** Registers an async cleanup (e.g. close the browser) to run by `runCleanups`. */
export function onCleanup(name: string, fn: Cleanup): void {
  hookSignals();
  cleanups.push({ name, fn });
}

/** Registers a synchronous last-resort kill, run from process.on('exit') if nothing else did. */
export function onExitKill(fn: () => void): void {
  hookSignals();
  exitKills.push(fn);
}

export async function runCleanups(interrupted = false): Promise<void> {
  while (cleanups.length) {
    const { name, fn } = cleanups.pop()!;
    try {
      await fn(interrupted);
    } catch (e) {
      console.error(`[cleanup] ${name}: ${(e as Error).message}`);
    }
  }
}

/** Runs all cleanups, then exits with `code`. */
export async function finish(code: number, interrupted = false): Promise<never> {
  await runCleanups(interrupted);
  process.exit(code);
}

/**
 * A test driver's entry: runs `main`, then cleans up and exits with its code; a throw is printed
 * and counted as one failed test, so scripts/test-all.sh always finds a summary line.
 */
export function runDriver(main: () => Promise<number>): void {
  main().then(
    (code) => finish(code),
    (e) => {
      console.log(String((e as Error)?.stack ?? e));
      console.log('0 passed, 1 failed');
      return finish(1);
    },
  );
}

function hookSignals(): void {
  if (signalsHooked) return;
  signalsHooked = true;
  for (const [sig, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    process.once(sig, () => {
      console.error(`\n[harness] ${sig}: stopping`);
      void finish(code, true);
    });
  }
  process.on('exit', () => {
    for (const kill of exitKills) {
      try {
        kill();
      } catch {
        // already gone
      }
    }
  });
}

/** Races `p` against a timer that is always cleared, so a finished run never waits for it. */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} did not finish within ${Math.round(ms / 1000)} s`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export class TimeoutError extends Error {
  override name = 'TimeoutError';
}
