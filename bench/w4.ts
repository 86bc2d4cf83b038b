// W4 in a process of its own, so that its peak RSS is W4's alone: opens the Qwen2.5-0.5B-shaped BF16
// folder (bench/w4Model.ts), then per run a prefill of n = 512 tokens that records all 24 × 14
// attention maps (probabilities and scores) into a fresh KV cache, and 32 greedy steps over that cache
// (each step's attention row recorded too). Like generate(), the prefill computes the last
// position's logits only; the 32 steps follow the token it picked. Prints one JSON line (W4Result) for bench.ts.
//   node bench/run.js bench/w4.ts <folder> [--runs 3] [--threads 2] [--kernels native|wasm|reference]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadModel } from '../src/engine/run';
import { buildHfDecoder } from '../src/engine/models/hfDecoder';
import { recorder, type Recorder } from '../src/engine/models/transformerLayer';
import { argmaxRows } from '../src/engine/models/transformer';
import { noControl } from '../src/engine/control';
import { createNativeKernels, createWasmKernels, nativeModule, referenceKernels } from '../src/engine/kernels/index';
import { weightBytes } from '../src/engine/weights';
import type { LoadedModel } from '../src/engine/format/loaded';
import { W4_SHAPE, w4Ids } from './w4Model';

export interface W4Result {
  kernels: string;
  threads: number;
  openMs: number;
  prefillMs: number[];
  stepsMs: number[];
  /** CPU time (all threads) of each prefill and each run's steps: what a busy machine distorts least. */
  prefillCpuMs: number[];
  stepsCpuMs: number[];
  tokens: number[];
  fileMB: number;
  weightsMB: number;
  mapsMB: number;
  rssAfterOpenMB: number;
  peakRssMB: number;
}

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};

function main(): void {
  const dir = process.argv[2];
  const runs = Math.max(1, Number(arg('runs', '3')));
  const threads = Number(arg('threads', '2'));
  const kind = arg('kernels', nativeModule().module ? 'native' : 'wasm');
  const fast = kind === 'reference' ? undefined : kind === 'native' ? createNativeKernels({ threads }) : createWasmKernels({ threads });
  const K = fast ?? referenceKernels;
  const t0 = performance.now();
  const model = loadModel(dir) as LoadedModel & { architecture: 'hf-decoder' };
  const t = buildHfDecoder(model, K).model;
  const openMs = performance.now() - t0;
  const rssAfterOpenMB = process.memoryUsage().rss / 2 ** 20;
  const ids = w4Ids();
  const { n, steps } = W4_SHAPE;
  const d = t.cfg.d_model;
  const prefillMs: number[] = [],
    stepsMs: number[] = [],
    prefillCpuMs: number[] = [],
    stepsCpuMs: number[] = [];
  const cpuMs = (c0: NodeJS.CpuUsage) => {
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1000;
  };
  let tokens: number[] = [];
  let mapsMB = 0;
  for (let r = 0; r < runs; r++) {
    const caches = t.caches();
    const rec = recorder(false);
    const tp = performance.now(),
      cp = process.cpuUsage();
    const h = t.forward(ids, 0, caches, rec, noControl);
    let next = argmaxRows(t.logits(h.subarray((n - 1) * d), 1), 1)[0];
    prefillMs.push(performance.now() - tp);
    prefillCpuMs.push(cpuMs(cp));
    mapsMB = rec.attentions.reduce((s, a) => s + a.probs.byteLength + a.scores.byteLength, 0) / 2 ** 20;
    const out = [next];
    const recs: Recorder[] = [rec]; // every map stays alive to the end of the run, as a result would keep them
    const ts = performance.now(),
      cs = process.cpuUsage();
    for (let s = 0; s < steps; s++) {
      const sr = recorder(false);
      const hs = t.forward([next], caches[0].length, caches, sr, noControl);
      next = argmaxRows(t.logits(hs, 1), 1)[0];
      out.push(next);
      recs.push(sr);
    }
    stepsMs.push(performance.now() - ts);
    stepsCpuMs.push(cpuMs(cs));
    tokens = out;
    if (recs.length !== steps + 1) throw new Error('W4: a step is missing');
  }
  const result: W4Result = {
    kernels: fast?.name ?? 'reference',
    threads,
    openMs,
    prefillMs,
    stepsMs,
    prefillCpuMs,
    stepsCpuMs,
    tokens,
    fileMB: fs.statSync(path.join(dir, 'model.safetensors')).size / 2 ** 20,
    weightsMB: [...model.weights.values()].reduce((s, w) => s + weightBytes(w.data), 0) / 2 ** 20,
    mapsMB,
    rssAfterOpenMB,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
  };
  console.log(JSON.stringify(result));
  fast?.dispose();
}

main();
