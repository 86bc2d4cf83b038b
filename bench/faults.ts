// `npm run bench -- bench/faults.ts [runs] [n]`: W1 (one BERT-base attention layer) run by run,
// with the minor page faults each run took (process.resourceUsage). On the 2-core VM of issue 7 a
// first touch of new memory costs ~8–10 µs per 4 KB page, and a W1 run returns 25 MB of scores
// and probabilities in new arrays: whether the allocator hands back pages it kept or fresh ones
// from the OS decides most of the run's time. This prints both kinds of run apart.
import { defaultThreads } from '../src/engine/kernels/fast';
import { createNativeKernels, nativeModule } from '../src/engine/kernels/native';
import { createFastKernels } from '../src/engine/kernels/index';
import { BERT_BASE, randomEncoderLayers, randomHidden, runW1 } from './workloads';

const runs = Number(process.argv[2] ?? 24);
const n = Number(process.argv[3] ?? 512);
const K = nativeModule().module ? createNativeKernels({ threads: defaultThreads() }) : createFastKernels();
const layer = randomEncoderLayers(BERT_BASE, 5)[0];
const x = randomHidden(n, BERT_BASE.d, 11);
runW1(K, BERT_BASE, layer, x, n); // weights packed, code warm

const samples: { ms: number; faults: number }[] = [];
for (let i = 0; i < runs; i++) {
  const f0 = process.resourceUsage().minorPageFault;
  const t0 = performance.now();
  runW1(K, BERT_BASE, layer, x, n);
  samples.push({ ms: performance.now() - t0, faults: process.resourceUsage().minorPageFault - f0 });
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};
const pages = (12 * n * n * 4 * 2) / 4096; // [heads, n, n] scores + probabilities
const few = samples.filter((s) => s.faults < pages / 10);
const many = samples.filter((s) => s.faults >= pages / 10);
console.log(`W1 n=${n} on ${K.name}, ${runs} runs: ms (minor page faults)`);
console.log(samples.map((s) => `${s.ms.toFixed(1)} (${s.faults})`).join(', '));
console.log(`runs with < ${Math.round(pages / 10)} faults: ${few.length}, median ${median(few.map((s) => s.ms)).toFixed(1)} ms`);
console.log(`runs with more: ${many.length}, median ${median(many.map((s) => s.ms)).toFixed(1)} ms, median ${median(many.map((s) => s.faults))} faults`);
