// What the extension host did during the e2e scenario (scenario.ts): its loop monitor's samples and
// marks (src/loopMonitor.ts, one JSON line each in the file the server's environment names) and the
// reconnects in the VS Code server's logs.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunningServer } from '../../test/integration/harness';
import type { LoopSample } from '../../src/loopMonitor';
import { debug } from './driver';

/** One phase's window and what the extension host did in it. */
export interface HostFigures {
  maxDelayMs: number;
  /** The longest garbage-collection pause of the host's main thread (a part of some delays). */
  maxGcMs: number;
  peakRssMB: number;
  reconnects: number;
}

/** The cold run's new inspector page, from the host's marks. */
export interface PageLoadFigures {
  /** The panel was created → its page said `ready`. */
  loadMs?: number;
  /** How long before the run began the panel was created (it opens while the input is asked for). */
  aheadMs?: number;
}

type Mark = { t: number; mark: string };

export class HostLog {
  constructor(
    private readonly loopFile: string,
    private readonly server: RunningServer,
  ) {}

  /** Every line of the file so far: samples and marks. */
  private lines(): (LoopSample | Mark)[] {
    const text = fs.existsSync(this.loopFile) ? fs.readFileSync(this.loopFile, 'utf8') : '';
    return text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as LoopSample | Mark);
  }

  samples(from: number, to: number): LoopSample[] {
    // A sample covers the LOOP_MONITOR_MS before its time stamp (a blocked loop stamps it late).
    return this.lines().filter((s): s is LoopSample => 'maxDelayMs' in s && s.t >= from && s.t <= to + 300);
  }

  /** The host's marks (debugMark) between `from` and `to`. */
  marks(from: number, to: number): Mark[] {
    return this.lines().filter((m): m is Mark => typeof (m as Partial<Mark>).mark === 'string' && m.t >= from && m.t <= to);
  }

  reconnects(): number {
    let n = 0;
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.log')) n += (fs.readFileSync(p, 'utf8').match(/reconnect/gi) ?? []).length;
      }
    };
    walk(this.server.tempDir);
    return n;
  }

  figures(from: number, to: number, reconnectsBefore: number): HostFigures {
    const s = this.samples(from, to);
    const long = s.filter((x) => x.maxDelayMs > 50);
    if (long.length)
      debug(`host delays over 50 ms (its longest GC pause then): ${long.map((x) => `${x.maxDelayMs} (${x.maxGcMs})`).join(', ')}`);
    return {
      maxDelayMs: Math.max(0, ...s.map((x) => x.maxDelayMs)),
      maxGcMs: Math.max(0, ...s.map((x) => x.maxGcMs)),
      peakRssMB: Math.max(0, ...s.map((x) => x.rssMB)),
      reconnects: this.reconnects() - reconnectsBefore,
    };
  }

  /** The inspector panel created between `from` and `to`: how long its page took, how far ahead of the run. */
  pageLoad(from: number, to: number): PageLoadFigures {
    const marks = this.marks(from, to);
    const created = marks.find((m) => m.mark === 'panel created');
    const ready = created && marks.find((m) => m.t >= created.t && m.mark === 'page: ready');
    const begun = marks.find((m) => m.mark.startsWith('begin '));
    return { loadMs: ready && ready.t - created.t, aheadMs: created && begun && begun.t - created.t };
  }
}
