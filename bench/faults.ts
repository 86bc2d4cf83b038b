// `npm run bench -- bench/faults.ts [runs] [n] [w1|w2]`: W1 (one BERT-base attention layer) or W2
// (the 12-layer encoder) run by run, with the minor page faults each run took
// (process.resourceUsage) and the arrays it allocated beside those the engine's buffer pool gave
// it. On the 2-core VM of issue 7 a first touch of new memory costs ~3–10 µs per 4 KB page, and
// a W1 run returns 25 MB of scores and probabilities in new arrays (W2 n=512: 300 MB): whether the
// allocator hands back pages it kept or fresh ones from the OS decides much of the run's time.
// This prints both kinds of run apart.
import { defaultThreads } from '../src/engine/kernels/wasm';
import { createNativeKernels, nativeModule } from '../src/engine/kernels/native';
import { createWasmKernels } from '../src/engine/kernels/index';
import { engineBuffers } from '../src/engine/buffers';
import { poolCounter } from '../test/helpers/poolCounter';
import { median } from './stats';
import { BERT_BASE, randomEncoderLayers, randomHidden, runW1, runW2 } from './workloads';
/** Counts the engine pool's takes from the start, so arrays given back before a measured run count as reused. */
const engineCounts = poolCounter(engineBuffers);

const runs = Number(process.argv[2] ?? 24);
const n = Number(process.argv[3] ?? 512);
const workload = process.argv[4] === 'w2' ? 'W2' : 'W1';
const K = nativeModule().module ? createNativeKernels({ threads: defaultThreads() }) : createWasmKernels();
const layers = randomEncoderLayers({ ...BERT_BASE, layers: workload === 'W2' ? BERT_BASE.layers : 1 }, 5);
const x = randomHidden(n, BERT_BASE.d, 11);
const run = () => (workload === 'W2' ? runW2(K, BERT_BASE, layers, x, n) : runW1(K, BERT_BASE, layers[0], x, n));
run(); // weights packed, code warm, the pool has its temporaries

const samples: { ms: number; faults: number; fresh: number; reused: number }[] = [];
for (let i = 0; i < runs; i++) {
  const f0 = process.resourceUsage().minorPageFault;
  const p0 = engineCounts();
  const t0 = performance.now();
  run();
  const ms = performance.now() - t0;
  const p1 = engineCounts();
  samples.push({ ms, faults: process.resourceUsage().minorPageFault - f0, fresh: p1.fresh - p0.fresh, reused: p1.reused - p0.reused });
}
const pages = (layers.length * 12 * n * n * 4 * 2) / 4096; // [heads, n, n] scores + probabilities per layer
const few = samples.filter((s) => s.faults < pages / 10);
const many = samples.filter((s) => s.faults >= pages / 10);
console.log(`${workload} n=${n} on ${K.name}, ${runs} runs: ms (minor page faults)`);
console.log(samples.map((s) => `${s.ms.toFixed(1)} (${s.faults})`).join(', '));
console.log(`runs with < ${Math.round(pages / 10)} faults: ${few.length}, median ${median(few.map((s) => s.ms)).toFixed(1)} ms`);
console.log(
  `runs with more: ${many.length}, median ${median(many.map((s) => s.ms)).toFixed(1)} ms, median ${median(many.map((s) => s.faults))} faults`,
);
console.log(
  `arrays per run: ${median(samples.map((s) => s.fresh))} new (the result's), ${median(samples.map((s) => s.reused))} from the engine's buffer pool`,
);
