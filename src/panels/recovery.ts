// What survives the extension host: the last run (model + input, so a reload can run it again and
// the Run view shows it), and whether the previous host of this workspace died without shutting
// down (killed or crashed: VS Code starts a new host, but the inspector panel it left is dead).
// No vscode import: the memento is any get/update store (unit-tested in plain Node).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunInput } from '../engine/types';
import { isRunInput } from '../../common/worker';

export interface SavedRun {
  model: string;
  input: RunInput;
}

/** The Run view's model and input, and the last run that finished (what the inspector showed). */
export interface SavedRuns {
  view?: SavedRun;
  shown?: SavedRun;
}

export interface Store {
  get(key: string): unknown;
  update(key: string, value: unknown): Thenable<void> | Promise<void>;
}

const KEY = 'attentionInspector.lastRun';
/** Inputs longer than this are not kept (the workspace state is not for megabytes). */
const MAX_SAVED_CHARS = 200_000;

function isSavedRun(x: unknown): x is SavedRun {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as Record<string, unknown>;
  return typeof r.model === 'string' && r.model.length > 0 && isRunInput(r.input);
}

/** Reads what was saved; anything malformed (an older version, a hand edit) is ignored. */
export function loadRuns(store: Store): SavedRuns {
  const raw = store.get(KEY);
  if (typeof raw !== 'object' || raw === null) return {};
  const r = raw as Record<string, unknown>;
  return { ...(isSavedRun(r.view) ? { view: r.view } : {}), ...(isSavedRun(r.shown) ? { shown: r.shown } : {}) };
}

export async function saveRuns(store: Store, runs: SavedRuns): Promise<void> {
  const keep = (r: SavedRun | undefined) => (r && JSON.stringify(r).length <= MAX_SAVED_CHARS ? strip(r) : undefined);
  await store.update(KEY, { view: keep(runs.view), shown: keep(runs.shown) });
}

/** Only what says which run it was: the limits are the settings' at the time of the next run. */
function strip(r: SavedRun): SavedRun {
  const { text, ids, chat, targetText, targetIds, score, image } = r.input; // image: a ViT/DeiT run's file path
  return { model: r.model, input: JSON.parse(JSON.stringify({ text, ids, chat, targetText, targetIds, score, image })) as RunInput };
}

/**
 * One small file per living extension host, in the workspace's storage folder: written at
 * activation, removed at deactivation. A file whose process is gone belongs to a host that never
 * deactivated: it was killed or crashed. (A reload deactivates the old host, or the old host
 * still lives while the new one starts: neither counts.)
 */
export class HostMarks {
  private readonly own: string;

  constructor(
    private readonly dir: string,
    private readonly pid = process.pid,
    private readonly alive: (pid: number) => boolean = isAlive,
  ) {
    this.own = path.join(dir, `host-${pid}.json`);
  }

  /** Marks this host as living; returns the pids of earlier hosts that died without deactivating. */
  begin(): number[] {
    fs.mkdirSync(this.dir, { recursive: true });
    const dead: number[] = [];
    for (const name of fs.readdirSync(this.dir)) {
      const m = /^host-(\d+)\.json$/.exec(name);
      if (!m || Number(m[1]) === this.pid || this.alive(Number(m[1]))) continue;
      dead.push(Number(m[1]));
      fs.rmSync(path.join(this.dir, name), { force: true });
    }
    fs.writeFileSync(this.own, JSON.stringify({ pid: this.pid, started: Date.now() }));
    return dead;
  }

  /** A clean shutdown (synchronous: deactivate may be the last thing that runs). */
  end(): void {
    fs.rmSync(this.own, { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
