// The table of the e2e bench: each figure of issue 20 with its goal. Shared by the bench and the
// UI test level's small-size regression check (which holds them to looser bounds).
import { median } from '../stats';
import { POINTED_MS, type ScenarioResult } from './scenario';

export interface E2eRow {
  name: string;
  value: string;
  /** The number held against the goal (ms, MB or a count). */
  x?: number;
  goal?: string;
  pass?: boolean;
}

const ms = (x: number | undefined) => (x === undefined ? 'never' : x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x)} ms`);

export function e2eRows(r: ScenarioResult): E2eRow[] {
  const rows: E2eRow[] = [];
  const add = (name: string, x: number | undefined, goal?: number, unit = 'ms') => {
    const value = unit === 'ms' ? ms(x) : x === undefined ? '—' : `${Math.round(x)}${unit ? ` ${unit}` : ''}`;
    rows.push({
      name,
      value,
      x,
      ...(goal !== undefined ? { goal: `≤ ${goal}${unit ? ` ${unit}` : ''}`, pass: x !== undefined && x <= goal } : {}),
    });
  };
  const worst = (xs: (number | undefined)[]) =>
    xs.length === 0 || xs.some((x) => x === undefined) ? undefined : Math.max(...(xs as number[]));
  add('cold: Run → first heatmap', r.cold.firstHeatmapMs, 2500);
  add('cold: Run → finished', r.cold.finishedMs);
  add('cold: the new inspector page loads (panel opened → page ready)', r.coldPage.loadMs);
  add('cold: … the panel opened before the run began by', r.coldPage.aheadMs);
  const w = r.warm;
  add('warm: Enter → previous result marked stale (max)', worst(w.map((x) => x.staleMs)), 100);
  add('warm: Enter → first heatmap (max)', worst(w.map((x) => x.firstHeatmapMs)), 1000);
  add('warm: Enter → finished (max)', worst(w.map((x) => x.finishedMs)));
  rows.push({ name: 'warm: header "ran in"', value: w.map((x) => x.ranIn ?? '?').join(' / ') });
  const during = w.flatMap((x) => x.switchDuringMs);
  const after = w.flatMap((x) => x.switchAfterMs);
  add(`head switch during a run, median (${during.length})`, during.length ? median(during) : undefined, 100);
  add('head switch during a run, max', during.length ? Math.max(...during) : undefined, 250);
  add(`head switch after a run, median (${after.length})`, after.length ? median(after) : undefined, 100);
  add('head switch after a run, max', after.length ? Math.max(...after) : undefined, 250);
  const pDuring = w.flatMap((x) => x.switchPointedDuringMs);
  const pAfter = w.flatMap((x) => x.switchPointedAfterMs);
  const pointed = `pointed ${POINTED_MS} ms first`;
  add(`head switch during a run, ${pointed}, median (${pDuring.length})`, pDuring.length ? median(pDuring) : undefined, 100);
  add(`head switch during a run, ${pointed}, max`, pDuring.length ? Math.max(...pDuring) : undefined, 250);
  add(`head switch after a run, ${pointed}, median (${pAfter.length})`, pAfter.length ? median(pAfter) : undefined, 100);
  add(`head switch after a run, ${pointed}, max`, pAfter.length ? Math.max(...pAfter) : undefined, 250);
  const values = w.flatMap((x) => x.switchValuesMs);
  add(`head switch → its numbers on hover, median (${values.length})`, values.length ? median(values) : undefined);
  // A phase that stopped no run says what the inspector showed instead.
  const stopped = (name: string, p: { inspectorMs?: number; after: string } | undefined) => {
    if (p && p.inspectorMs === undefined) rows.push({ name, value: p.after });
  };
  stopped('Cancel', r.cancel);
  add('Cancel → inspector stops saying Running', r.cancel?.inspectorMs, 200);
  add('Cancel → "run cancelled" notification', r.cancel?.notificationMs, 200);
  stopped("Cancel on the inspector's line", r.inspectorCancel);
  add('Cancel on the inspector\'s line → it says "Cancelling"', r.inspectorCancel?.saysMs, 200);
  add("Cancel on the inspector's line → the engine stopped the run", r.inspectorCancel?.stoppedMs, 200);
  add("Cancel on the inspector's line → the inspector stops saying Running", r.inspectorCancel?.inspectorMs, 200);
  stopped('Restart Engine', r.restart);
  add('Restart Engine (palette) → inspector stops saying Running', r.restart?.inspectorMs, 200);
  const stops = [r.cancel, r.inspectorCancel, r.restart].flatMap((p) => (p ? [p.host] : []));
  const hosts = [r.cold.host, ...w.map((x) => x.host), ...stops];
  add('ext host event-loop delay, max over runs', Math.max(...hosts.map((h) => h.maxDelayMs)), 50);
  add('ext host event-loop delay, idle', r.idleHost.maxDelayMs);
  add('ext host GC pause, max over runs', Math.max(...hosts.map((h) => h.maxGcMs)));
  add('ext host RSS, peak', Math.max(...hosts.map((h) => h.peakRssMB)), undefined, 'MB');
  add(
    'ext host reconnects',
    hosts.reduce((s, h) => s + h.reconnects, 0),
    0,
    '',
  );
  return rows;
}
