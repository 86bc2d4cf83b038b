// Step 1 of issue 7: the plain-TS reference kernels on W1 and W2 (no comparison), for profiling:
//   BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=out/prof" node bench/run.js bench/baseline.ts w2 128
import { referenceKernels } from '../src/engine/kernels';
import { BERT_BASE, randomEncoderLayers, randomHidden, runW1, runW2 } from './workloads';

const [which = 'all', nArg] = process.argv.slice(2);
const time = (label: string, f: () => void, runs: number) => {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    f();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  console.log(`${label}: median ${ms[ms.length >> 1].toFixed(1)} ms  (runs ${ms.map((m) => m.toFixed(0)).join(', ')})`);
};
const layers = randomEncoderLayers(BERT_BASE, 7);
if (which === 'all' || which === 'w1') {
  for (const n of nArg ? [Number(nArg)] : [128, 512]) {
    const x = randomHidden(n, BERT_BASE.d, 11);
    time(`W1 reference n=${n}`, () => runW1(referenceKernels, BERT_BASE, layers[0], x, n), 3);
  }
}
if (which === 'all' || which === 'w2') {
  const n = Number(nArg ?? 128);
  const x = randomHidden(n, BERT_BASE.d, 11);
  time(`W2 reference n=${n}`, () => runW2(referenceKernels, BERT_BASE, layers, x, n), 2);
}
