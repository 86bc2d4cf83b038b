// Step 1 of issue 7: the plain-TS reference kernels on W1 and W2 (no comparison), for profiling:
//   BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=out/prof" node bench/run.js bench/baseline.ts w2 128
import { referenceKernels, type Kernels } from '../src/engine/kernels/reference';
import { createWasmKernels } from '../src/engine/kernels/index';
import { BERT_BASE, randomEncoderLayers, randomHidden, runW1, runW2 } from './workloads';

// args: [w1|w2|all] [n] [reference|fast1|fast2]
const [which = 'all', nArg, kernelArg = 'reference'] = process.argv.slice(2);
const kernels: Kernels = kernelArg === 'reference' ? referenceKernels : createWasmKernels({ threads: Number(kernelArg.slice(4)) || 1 });
const runs = kernelArg === 'reference' ? 1 : 5;
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
    time(`W1 ${kernelArg} n=${n}`, () => runW1(kernels, BERT_BASE, layers[0], x, n), runs + 2);
  }
}
if (which === 'all' || which === 'w2') {
  const n = Number(nArg ?? 128);
  const x = randomHidden(n, BERT_BASE.d, 11);
  time(`W2 ${kernelArg} n=${n}`, () => runW2(kernels, BERT_BASE, layers, x, n), runs + 1);
}
