// A debugging aid for the end-to-end benchmark (bench/e2e): with the environment variable
// ATTENTION_INSPECTOR_LOOP_MONITOR=<file> set for the extension host, the extension appends one
// JSON line to <file> every LOOP_MONITOR_MS: the longest event-loop delay of the extension host's
// main thread in that interval, its longest garbage-collection pause (what part of a delay was the
// collector's), and the process's resident memory (the engine worker included).
// Without the variable nothing is started. No vscode import.
import * as fs from 'node:fs';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

export const LOOP_MONITOR_ENV = 'ATTENTION_INSPECTOR_LOOP_MONITOR';
const LOOP_MONITOR_MS = 250;

/** One line of the file. `maxDelayMs`: longest delay seen since the previous line; `maxGcMs`: longest GC pause. */
export interface LoopSample {
  t: number;
  maxDelayMs: number;
  maxGcMs: number;
  rssMB: number;
}

let markFile: string | undefined;

/**
 * With the monitor on, a line `{t, mark}` where the host's work on a run passes `label` (else
 * nothing; a function label is not even built).
 */
export function debugMark(label: string | (() => string)): void {
  if (!markFile) return;
  try {
    const mark = typeof label === 'function' ? label() : label;
    fs.appendFileSync(markFile, `${JSON.stringify({ t: Date.now(), mark })}\n`);
  } catch {
    // as above
  }
}

export function startLoopMonitor(env: NodeJS.ProcessEnv = process.env): { dispose(): void } | undefined {
  const file = env[LOOP_MONITOR_ENV];
  if (!file) return undefined;
  markFile = file;
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  let maxGc = 0;
  const gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) maxGc = Math.max(maxGc, e.duration);
  });
  gc.observe({ entryTypes: ['gc'] });
  const write = () => {
    const sample: LoopSample = {
      t: Date.now(),
      maxDelayMs: Math.round(h.max / 1e5) / 10,
      maxGcMs: Math.round(maxGc * 10) / 10,
      rssMB: Math.round(process.memoryUsage.rss() / 2 ** 20),
    };
    h.reset();
    maxGc = 0;
    try {
      fs.appendFileSync(file, `${JSON.stringify(sample)}\n`);
    } catch {
      // a debugging aid must never disturb the extension
    }
  };
  const timer = setInterval(write, LOOP_MONITOR_MS);
  timer.unref();
  return { dispose: () => (clearInterval(timer), h.disable(), gc.disconnect()) };
}

/** About how many bytes a message carries: its typed arrays' bytes plus its other values as JSON. */
export function messageBytes(m: unknown): number {
  if (ArrayBuffer.isView(m)) return m.byteLength;
  if (m instanceof ArrayBuffer) return m.byteLength;
  if (Array.isArray(m)) return m.reduce((n: number, v) => n + messageBytes(v) + 1, 2);
  if (typeof m === 'object' && m !== null) return Object.entries(m).reduce((n, [k, v]) => n + k.length + 4 + messageBytes(v), 2);
  return JSON.stringify(m)?.length ?? 0;
}
