// Half-weight GEMM against the float32 one on W4's shapes (CPU ms per call, the machine may be busy):
//   node bench/run.js bench/w4Gemm.ts [--threads 2]
import { createNativeKernels } from '../src/engine/kernels/index';
import { halfArray } from '../src/engine/weights';
import { bf16Bits } from './w4Model';

const threads = Number(process.argv[process.argv.indexOf('--threads') + 1]) || 2;
const K = createNativeKernels({ threads });
const cpu = (f: () => void, reps: number) => {
  f();
  const c0 = process.cpuUsage(),
    t0 = performance.now();
  for (let r = 0; r < reps; r++) f();
  const c = process.cpuUsage(c0);
  return { cpu: (c.user + c.system) / 1000 / reps, wall: (performance.now() - t0) / reps };
};
for (const [n, k] of [
  [4864, 896],
  [896, 4864],
  [128, 896],
]) {
  const w = Float32Array.from({ length: n * k }, (_, i) => Math.sin(i));
  const bits = Uint16Array.from(w, bf16Bits);
  const wf = Float32Array.from(bits, (b) => new Float32Array(new Uint32Array([b << 16]).buffer)[0]);
  for (const m of [1, 512]) {
    const x = Float32Array.from({ length: m * k }, (_, i) => Math.cos(i));
    const reps = m === 1 ? 200 : 5;
    const a = cpu(() => K.linear(x, m, k, wf, n), reps);
    const b = cpu(() => K.linear(x, m, k, halfArray('bf16', bits), n), reps);
    console.log(
      `n ${n} k ${k} m ${m}: f32 packed ${a.cpu.toFixed(2)} ms cpu (${a.wall.toFixed(2)} wall), bf16 ${b.cpu.toFixed(2)} ms cpu (${b.wall.toFixed(2)} wall)`,
    );
  }
}
K.dispose();
