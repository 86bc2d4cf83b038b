// Micro-benchmark of the fast linear kernel: GFLOP/s of x[m,k]·Wᵀ for BERT-base shapes.
// Also prints GFLOP per CPU-second (process user+system time over all threads): on a shared,
// loaded machine wall time mostly measures the other processes, CPU time much less so.
//   node bench/run.js bench/gemm.ts [threads…]
import { createWasmKernels } from '../src/engine/kernels/index';
import { randomHidden } from './workloads';

const threadCounts = process.argv
  .slice(2)
  .map(Number)
  .filter((t) => t > 0);
for (const threads of threadCounts.length ? threadCounts : [1, 2]) {
  const K = createWasmKernels({ threads });
  for (const [m, k, n] of [
    [512, 768, 768],
    [512, 768, 3072],
    [512, 3072, 768],
    [128, 768, 768],
    [1, 512, 512],
    [1, 512, 2048],
  ]) {
    const x = randomHidden(m, k, 1),
      w = randomHidden(n, k, 2),
      b = randomHidden(1, n, 3);
    K.linear(x, m, k, w, n, b);
    const reps = Math.max(5, Math.round(2e9 / (2 * m * k * n)));
    const times: number[] = [];
    const cpu0 = process.cpuUsage();
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      K.linear(x, m, k, w, n, b);
      times.push(performance.now() - t0);
    }
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000 / reps;
    times.sort((a, b) => a - b);
    const best = times[0],
      med = times[times.length >> 1];
    const gf = (ms: number) => ((2 * m * k * n) / ms / 1e6).toFixed(1);
    console.log(
      `threads=${threads} ${m}×${k}→${n}: best ${best.toFixed(2)} ms = ${gf(best)} GFLOP/s, median ${gf(med)}, per CPU-second ${gf(cpuMs)}`,
    );
  }
  K.dispose();
}
