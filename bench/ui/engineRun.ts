// (c) Run → first heatmap on screen for W2 (BERT-base shape, random weights) at n = 128: the real
// EngineHost runs the model file in its worker (dist/worker.js), each result goes to the page
// through InspectorSession as the panel posts it. With streaming (EngineHost.run's onPartial),
// each partial result is posted the same way, so the first heatmap can come from a partial one.
//
// The figure is a sum of segments, each on its own clock, leaving out only the transport of the
// typed arrays (see probe.ts): Node — host.run called → the (partial) result in the host, plus
// setResult; page — that run's message posted → the first heatmap's frame painted (which includes
// the page asking the host for the head and getting it back). The arrays are staged meanwhile,
// while the engine goes on with the next layers.
import * as path from 'node:path';
import { EngineHost } from '../../src/engineHost';
import type { RunResult } from '../../src/engine/types';
import { ROOT, type Inspector } from '../../test/webview/harness';
import { W2_VOCAB } from '../../test/helpers/w2Model';
import { typedArraysOf, type Posted, type Probe } from './probe';
import { headArrays } from './render';

export const WORKER = path.join(ROOT, 'dist', 'worker.js');

export function newHost(): EngineHost {
  // The extension's defaults: the engine's own kernel choice, one thread per core, maxRunMemoryMB 2048.
  return new EngineHost({ workerScript: WORKER, maxRunMemoryMB: () => 2048 });
}

export const w2Ids = (n: number) => Array.from({ length: n }, (_, i) => (i * 7919) % W2_VOCAB);

export interface RunTrial {
  streaming: boolean;
  /** Run → the first heatmap's frame painted: engine to the first (partial) result + setResult + page. */
  firstHeatmapMs: number;
  /** Node clock: host.run called → the first result (partial, or the whole one) in the host. */
  firstResultMs: number;
  /** Node clock: host.run called → the engine's final result in the host. */
  engineMs: number;
  /** Run → the final result's grid painted (same sum). */
  finalHeatmapMs: number;
  /** Partial results the host received (and posted) before the final one. */
  partials: number;
  /** Attention layers in the result whose heatmap was painted first (12 = the whole run). */
  firstLayers: number;
  unstagedBytes: number;
  posted: Posted[];
}

export async function runTrial(
  host: EngineHost,
  ins: Inspector,
  probe: Probe,
  model: string,
  n: number,
  streaming: boolean,
): Promise<RunTrial> {
  await probe.takeMarks();
  probe.posted = [];
  probe.unstagedBytes = 0;
  const from = probe.cursor;
  const before = ins.session.runId; // a late paint of an earlier trial's run does not count
  const first = probe.nextPaint('head', from, (id) => id > before);
  first.catch(() => undefined); // awaited below; a run that fails first must not leave it unhandled
  const shown = new Map<number, { receivedMs: number; hostMs: number; layers: number }>(); // runId → Node clock, layers
  let sending = Promise.resolve();
  const show = (r: RunResult) => {
    const received = performance.now() - t0;
    const t1 = performance.now();
    const messages = ins.session.setResult(r, `W2 n=${n}`);
    shown.set(ins.session.runId, { receivedMs: received, hostMs: received + performance.now() - t1, layers: r.attentions.length });
    // In order, as postMessage keeps them; staging (untimed) includes the head the page will ask for.
    sending = sending.then(async () => {
      await probe.stage([...typedArraysOf(messages), ...headArrays(r, 0, 0)]);
      await probe.send(messages);
    });
  };
  const t0 = performance.now();
  const result = await host.run(model, { ids: w2Ids(n) }, undefined, streaming ? show : undefined);
  const engineMs = performance.now() - t0;
  const partials = shown.size;
  show(result);
  // The final result's grid (the page keeps the open head's heatmap when it has it already).
  const final = probe.nextPaint('grid', from, ins.session.runId);
  await sending;
  const f = await first.catch(async (e) => {
    throw new Error(`${e.message}; page marks: ${(await probe.takeMarks()).map((m) => m.name).join(' ')}`);
  });
  const done = await final;
  const marks = await probe.takeMarks();
  const total = (p: { page: number; runId: number }) => {
    const s = shown.get(p.runId);
    const posted = marks.find((m) => m.name === `deliver:run:${p.runId}`);
    if (!s || !posted) throw new Error(`no run ${p.runId} posted before its heatmap`);
    return s.hostMs + p.page - posted.t;
  };
  const firstRun = [...shown.keys()][0];
  return {
    streaming,
    firstHeatmapMs: total(f),
    firstResultMs: shown.get(firstRun)!.receivedMs,
    engineMs,
    finalHeatmapMs: total(done),
    partials,
    firstLayers: shown.get(f.runId)?.layers ?? -1,
    unstagedBytes: probe.unstagedBytes,
    posted: probe.posted,
  };
}
