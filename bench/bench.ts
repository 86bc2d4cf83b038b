// `npm run bench`: the issue-7 workloads on our engine (WASM kernels) and on onnxruntime-web
// (WASM, in Node) over the same random weights, side by side. Prints median of --runs (≥ 5) per
// row with the ratio ours/theirs, checks that both computed the same thing, and writes
// artifacts/bench/latest.json. Runs of ours and theirs alternate (a busy machine slows both
// alike); the peak RSS of our W2 n=512 is read before onnxruntime allocates anything.
//   npm run bench -- [--runs 5] [--threads N] [--only w1,w2-128,w2-512,w3,w4] [--kernels native|wasm] [--gap ms] [--w4-runs 1]
// W4 (a Qwen2.5-0.5B-shaped BF16 decoder beside PyTorch and onnxruntime-web; bench/w4Bench.ts) runs last, in child processes.
// (default kernels: the engine's own choice, native AVX-512 or AVX2 where it runs, else WASM).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-web';
import { createWasmKernels, createNativeKernels, defaultThreads, nativeModule } from '../src/engine/kernels/index';
import { kernelBuild } from '../src/engine/kernels/wasm/heap';
import { TransformerModel } from '../src/engine/models/transformer';
import type { LoadedModel } from '../src/engine/format/loaded';
import { BERT_BASE, W3_SHAPE, randomEncoderLayers, randomHidden, randomW3, runW1, runW2, runW3, w3LoadedModel } from './workloads';
import { w1Onnx, w2Onnx, w3MemoryOnnx, w3StepOnnx } from './onnxGraph';
import { engineBuffers } from '../src/engine/buffers';
import { poolCounter } from '../test/helpers/poolCounter';
import { median } from './stats';
import { printW4, runW4Bench, type W4Report } from './w4Bench';
/** Counts the engine pool's takes from the start, so arrays given back before a measured run count as reused. */
const engineCounts = poolCounter(engineBuffers);

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const RUNS = Math.max(1, Number(arg('runs', '5'))); // fewer than 5 only for smoke tests
const THREADS = Number(arg('threads', '0')) || defaultThreads();
const ONLY = arg('only', 'w1,w2-128,w2-512,w3,w4').split(',');
const W4_RUNS = Math.max(1, Number(arg('w4-runs', '1'))); // one W4 run takes minutes per engine on a busy 2-core machine
// A pause before each timed run: both engines' pool threads keep spinning for a while after a run,
// and without it each side was measured while the other's threads still ran (W3: ours 164–196 ms
// with no pause, 140–145 with 100 ms; onnxruntime-web's 234–236 and 202–228).
const GAP_MS = Number(arg('gap', '100'));
const KERNELS = arg('kernels', nativeModule().module ? 'native' : 'wasm');
// The goals: PyTorch's figures on this machine type for W2, half of onnxruntime-web for W1, onnxruntime-web for W3.
const GOAL: Record<string, (theirs: number) => number> = { w1: (t) => t / 2, 'w2-128': () => 162, 'w2-512': () => 650, w3: (t) => t };

const maxDiff = (a: Float32Array, b: Float32Array) =>
  a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), a.length === b.length ? 0 : Infinity);

/** Warm-up (packs weights, JIT; not counted), then `RUNS` timed runs of a and b taken in turns,
 *  so that a change in the machine's load hits both sides alike. */
async function timePair(a: () => unknown, b: () => unknown): Promise<[number[], number[]]> {
  await a();
  await b();
  const ta: number[] = [],
    tb: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    for (const [f, t] of [
      [a, ta],
      [b, tb],
    ] as const) {
      if (GAP_MS > 0) await new Promise((ok) => setTimeout(ok, GAP_MS));
      const t0 = performance.now();
      await f();
      t.push(performance.now() - t0);
    }
  }
  return [ta, tb];
}

interface Row {
  workload: string;
  oursMs: number[];
  theirsMs: number[];
  check: string;
  ok: boolean;
}

const layers = randomEncoderLayers(BERT_BASE, 7);
const w3 = randomW3(21);
const inputs = {
  w1: randomHidden(512, BERT_BASE.d, 11),
  'w2-128': randomHidden(128, BERT_BASE.d, 11),
  'w2-512': randomHidden(512, BERT_BASE.d, 11),
};

async function main() {
  const load0 = os.loadavg()[0];
  // MINW=<multiply-adds>: try another pool threshold (see pool.ts run()).
  const kopts = { threads: THREADS, ...(process.env.MINW ? { minParallelWork: Number(process.env.MINW) } : {}) };
  const K = KERNELS === 'native' ? createNativeKernels(kopts) : createWasmKernels(kopts);
  // Peak RSS of our W2 n=512 before onnxruntime allocates anything (the process also holds
  // every workload's weights and inputs, made above).
  // And what a W2 n=512 run allocates once the buffer pool (src/engine/buffers.ts) has its temporaries.
  let peakRssMB: number | undefined;
  let w2Allocations: { fresh: number; reused: number; kept: number } | undefined;
  if (ONLY.includes('w2-512')) {
    runW2(K, BERT_BASE, layers, inputs['w2-512'], 512);
    const s0 = engineCounts();
    const { rec } = runW2(K, BERT_BASE, layers, inputs['w2-512'], 512);
    const s1 = engineCounts();
    w2Allocations = { fresh: s1.fresh - s0.fresh, reused: s1.reused - s0.reused, kept: rec.attentions.length * 3 + 1 };
    peakRssMB = process.resourceUsage().maxRSS / 1024;
  }
  ort.env.wasm.numThreads = THREADS;
  const opts: ort.InferenceSession.SessionOptions = { executionProviders: ['wasm'], graphOptimizationLevel: 'all' };
  const f32 = (t: ort.Tensor) => t.data as Float32Array;
  const rows: Row[] = [];
  for (const w of ONLY.filter((x) => x !== 'w4')) {
    let oursMs: number[] = [],
      theirsMs: number[] = [];
    let check = '';
    let ok = true;
    if (w === 'w1' || w === 'w2-128' || w === 'w2-512') {
      const n = w === 'w2-128' ? 128 : 512;
      const x = inputs[w];
      const mine = () => (w === 'w1' ? runW1(K, BERT_BASE, layers[0], x, n) : runW2(K, BERT_BASE, layers, x, n));
      const s = await ort.InferenceSession.create(w === 'w1' ? w1Onnx(BERT_BASE, layers[0]) : w2Onnx(BERT_BASE, layers), opts);
      const feeds = { x: new ort.Tensor('float32', x, [n, BERT_BASE.d]) };
      const res = await s.run(feeds);
      const o = mine();
      const out = maxDiff(o.out, f32(res.out));
      let probs = 0;
      if ('rec' in o) o.rec.attentions.forEach((a, i) => (probs = Math.max(probs, maxDiff(a.probs, f32(res[`probs${i}`])))));
      else probs = maxDiff(o.probs, f32(res.probs));
      ok = probs <= 1e-5 && out <= 1e-3;
      check = `max |Δprobs| ${probs.toExponential(1)}, |Δout| ${out.toExponential(1)}`;
      [oursMs, theirsMs] = await timePair(mine, () => s.run(feeds));
      await s.release();
    }
    if (w === 'w3') {
      const model = new TransformerModel(w3LoadedModel(w3) as LoadedModel & { architecture: 'transformer' }, K);
      const memS = await ort.InferenceSession.create(w3MemoryOnnx(w3), opts);
      const stepS = await ort.InferenceSession.create(w3StepOnnx(w3), opts);
      const theirs = async () => {
        const { heads, d, layers: L, steps } = W3_SHAPE;
        const dh = d / heads;
        const cross = await memS.run({ memory: new ort.Tensor('float32', w3.memory, [W3_SHAPE.memory, d]) });
        const feeds: Record<string, ort.Tensor> = { ...cross };
        for (let l = 0; l < L; l++) {
          feeds[`pk${l}`] = new ort.Tensor('float32', new Float32Array(0), [heads, dh, 0]);
          feeds[`pv${l}`] = new ort.Tensor('float32', new Float32Array(0), [heads, 0, dh]);
        }
        const out = [w3.config.decoder_start_id!];
        for (let step = 0; step < steps; step++) {
          feeds.token = new ort.Tensor('int64', BigInt64Array.of(BigInt(out[out.length - 1])), [1]);
          feeds.position = new ort.Tensor('int64', BigInt64Array.of(BigInt(step)), [1]);
          const r = await stepS.run(feeds);
          const logits = f32(r.logits);
          let best = 0;
          for (let j = 1; j < logits.length; j++) if (logits[j] > logits[best]) best = j;
          out.push(best);
          for (let l = 0; l < L; l++) {
            feeds[`pk${l}`] = r[`nk${l}`];
            feeds[`pv${l}`] = r[`nv${l}`];
          }
        }
        return out;
      };
      const got = await theirs();
      const mine = runW3(K, w3, model);
      const same = mine.filter((t, i) => t === got[i]).length;
      ok = same === mine.length;
      check = `${same}/${mine.length} greedy tokens equal`;
      [oursMs, theirsMs] = await timePair(() => runW3(K, w3, model), theirs);
      await memS.release();
      await stepS.release();
    }
    console.log(`${w}: ours ${median(oursMs).toFixed(1)} ms, onnxruntime-web ${median(theirsMs).toFixed(1)} ms`);
    rows.push({ workload: w, oursMs, theirsMs, check, ok });
  }
  K.dispose();
  let w4: W4Report | undefined;
  if (ONLY.includes('w4')) w4 = runW4Bench({ threads: THREADS, kernels: KERNELS, runs: W4_RUNS, log: console.log });

  // ---- report ----
  const load1 = os.loadavg()[0];
  const name = (w: string) =>
    ({ w1: 'W1 attention layer n=512', 'w2-128': 'W2 BERT-base n=128', 'w2-512': 'W2 BERT-base n=512', w3: 'W3 decoder 64 steps' })[w] ?? w;
  console.log(
    `\n${os.cpus()[0]?.model ?? '?'} · ${os.cpus().length} cores · ${THREADS} threads · Node ${process.version}, ${K.name} kernels · median of ${RUNS} · load average ${load0.toFixed(1)} → ${load1.toFixed(1)}`,
  );
  console.log('| workload | ours (ms) | onnxruntime-web (ms) | ours/theirs | goal (ms) | same result |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) {
    const a = median(r.oursMs),
      b = median(r.theirsMs),
      g = GOAL[r.workload]?.(b);
    const goal = g === undefined ? '–' : `≤ ${g.toFixed(0)}: ${a <= g ? 'met' : 'not met'}`;
    console.log(
      `| ${name(r.workload)} | ${a.toFixed(1)} | ${b.toFixed(1)} | ${(a / b).toFixed(2)} | ${goal} | ${r.ok ? 'yes' : 'NO'}: ${r.check} |`,
    );
  }
  if (peakRssMB !== undefined)
    console.log(`peak RSS of our W2 n=512 (before onnxruntime; the process also holds W1–W3's weights): ${peakRssMB.toFixed(0)} MB`);
  if (w4) printW4(w4, console.log);
  if (w2Allocations) {
    const a = w2Allocations;
    console.log(
      `a second W2 n=512 run: ${a.fresh} new arrays (its result keeps ${a.kept}: each layer's scores, probabilities and row entropies, and the output), ${a.reused} reused from the engine's buffer pool`,
    );
  }
  const json = {
    date: new Date().toISOString(),
    machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, loadAverage: [load0, load1] },
    threads: THREADS,
    node: process.version,
    kernels: K.name,
    relaxedSimd: kernelBuild().relaxed,
    runs: RUNS,
    peakRssMBAfterW2n512: peakRssMB,
    w2n512SecondRunArrays: w2Allocations,
    w4,
    rows: rows.map((r) => ({
      ...r,
      oursMedianMs: median(r.oursMs),
      theirsMedianMs: median(r.theirsMs),
      ratio: median(r.oursMs) / median(r.theirsMs),
      goalMs: GOAL[r.workload]?.(median(r.theirsMs)),
    })),
  };
  const file = path.join('artifacts', 'bench', 'latest.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(json, null, 2));
  console.log(`wrote ${file}`);
  if (rows.some((r) => !r.ok)) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
