// The limit settings, read in this one place, through one function that clamps each to a sane range. VS Code's
// `get()` does not enforce package.json's `minimum`, so a settings.json can hold 0, -1, 1e9, NaN
// or a string; unclamped, engineThreads 1e6 would spawn a million pool threads and a timeout over
// 2^31 ms makes Node's setTimeout fire at once. No vscode import: the CLI and plain-Node tests use it.
import * as os from 'node:os';
import { DEFAULT_MAX_RUN_MEMORY_MB, DEFAULT_MAX_TOKENS } from './engine/limits';

export interface LimitSettings {
  maxSequenceLength: number;
  maxRunMemoryMB: number;
  runTimeoutSeconds: number;
  /** 0: one per core but one (windowThreads), in the extension; one per core in the CLI. */
  engineThreads: number;
}

interface Range {
  default: number;
  min: number;
  max: number;
}

/** Hard ceiling for engineThreads, whatever the machine: each thread is a worker with its own heap. */
export const MAX_ENGINE_THREADS = 64;
/** One day: a longer run is a mistake, and setTimeout overflows (fires at once) past 2^31 ms ≈ 24.8 days. */
export const MAX_RUN_TIMEOUT_SECONDS = 86_400;
/** Beyond 2^20 tokens the [n, n] attention alone is 4 TB per head: the memory limit refuses far earlier. */
export const MAX_SEQUENCE_LENGTH = 1 << 20;
const MIN_RUN_MEMORY_MB = 64;

export interface Machine {
  /** Cores the process may use (os.availableParallelism). */
  cores: number;
  /** Physical memory in MB (os.totalmem). */
  totalMemoryMB: number;
}

export function thisMachine(): Machine {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return { cores, totalMemoryMB: Math.floor(os.totalmem() / (1024 * 1024)) };
}

/**
 * The engine's threads in VS Code when the setting is 0: one core stays with the window. On 2 cores
 * a second kernel thread did not shorten a BERT-base run in the real VS Code server (the workbench
 * and the webviews compete for the cores anyway), but it slowed Cancel and the first heatmap
 * (docs/performance.md, "engine threads").
 */
export function windowThreads(m: Machine): number {
  return Math.max(1, m.cores - 1);
}

/** Each setting's default and range on `m` (package.json's defaults and minimums, plus a ceiling). */
export function settingRanges(m: Machine): Record<keyof LimitSettings, Range> {
  return {
    maxSequenceLength: { default: DEFAULT_MAX_TOKENS, min: 1, max: MAX_SEQUENCE_LENGTH },
    // The limit is also the worker's V8 heap: more than the machine has cannot be honoured.
    maxRunMemoryMB: {
      default: DEFAULT_MAX_RUN_MEMORY_MB,
      min: MIN_RUN_MEMORY_MB,
      max: Math.max(MIN_RUN_MEMORY_MB, m.totalMemoryMB),
    },
    runTimeoutSeconds: { default: 300, min: 1, max: MAX_RUN_TIMEOUT_SECONDS },
    engineThreads: { default: 0, min: 0, max: Math.min(MAX_ENGINE_THREADS, Math.max(1, m.cores * 2)) },
  };
}

export interface ReadSettings {
  settings: LimitSettings;
  /** One sentence per value that was not used as given; empty when all were in range. */
  problems: string[];
}

/**
 * Reads the four limit settings through `get` (VS Code's configuration, or a plain object in
 * tests), each clamped to its range and rounded down to a whole number. A value that is not a
 * finite number gets the default. Problems quote numbers only, never a string from settings.json
 * (it could hold link syntax for a notification).
 */
export function readLimitSettings(get: (key: keyof LimitSettings) => unknown, m: Machine = thisMachine()): ReadSettings {
  const ranges = settingRanges(m);
  const problems: string[] = [];
  const settings = {} as LimitSettings;
  for (const key of Object.keys(ranges) as (keyof LimitSettings)[]) {
    const r = ranges[key];
    const raw = get(key);
    const name = `attentionInspector.${key}`;
    if (raw === undefined || raw === null) {
      settings[key] = r.default;
    } else if (typeof raw !== 'number' || !Number.isFinite(raw)) {
      const what = typeof raw === 'number' ? String(raw) : `not a number (${typeof raw})`;
      problems.push(`${name} is ${what}; using the default ${r.default}.`);
      settings[key] = r.default;
    } else {
      const v = Math.min(r.max, Math.max(r.min, Math.floor(raw)));
      if (v !== raw) problems.push(`${name} ${raw} is outside ${r.min}–${r.max} or not whole; using ${v}.`);
      settings[key] = v;
    }
  }
  return { settings, problems };
}

/** The settings a running engine worker was started with: a change to one of them restarts it. */
const WORKER_KEYS: readonly (keyof LimitSettings)[] = ['engineThreads', 'maxRunMemoryMB'];

/**
 * The extension's settings as they are now: `get` gives VS Code's configuration getter (a plain
 * object in tests) and is called at every read, so a changed value applies to the next run
 * without a reload; `changed` says whether a change needs a fresh engine worker.
 */
export class Settings {
  private seen: LimitSettings;

  constructor(
    private readonly get: () => (key: keyof LimitSettings) => unknown,
    private readonly machine: Machine = thisMachine(),
  ) {
    this.seen = this.read().settings;
  }

  read(): ReadSettings {
    return readLimitSettings(this.get(), this.machine);
  }

  get current(): LimitSettings {
    return this.read().settings;
  }

  /** After a configuration change: whether a setting the worker starts with differs from before. */
  changed(): { restartWorker: boolean; problems: string[] } {
    const { settings, problems } = this.read();
    const restartWorker = WORKER_KEYS.some((k) => settings[k] !== this.seen[k]);
    this.seen = settings;
    return { restartWorker, problems };
  }
}
