// `npm run bench -- bench/profile.ts [n] [runs] [native|wasm]`: where W2's time goes, per kernel (wall time of
// each Kernels call, copies in and out included) — the profile issue 7 asks for before optimising.
// Runs W2 on the native or WASM kernels (default: the engine's choice) as the engine uses them ("all"), interleaved with variants that drop
// one optional fused kernel (LayerRunner then takes its fallback), so that a shared, busy machine
// slows every variant alike; prints medians over the runs.
import { createWasmKernels, createNativeKernels, nativeModule } from '../src/engine/kernels/index';
import type { Kernels } from '../src/engine/kernels/reference';
import { BERT_BASE, randomEncoderLayers, randomHidden, runW2 } from './workloads';
import { median } from './stats';

const n = Number(process.argv[2] ?? 128);
const runs = Number(process.argv[3] ?? 7);
const kind = process.argv[4] ?? (nativeModule().module ? 'native' : 'wasm');
const K = kind === 'native' ? createNativeKernels() : createWasmKernels();
const NAMES = ['linear', 'matmul', 'layerNorm', 'activate', 'attention', 'feedForward', 'addNorm'] as const;
type Name = (typeof NAMES)[number];
const OPTIONAL: Name[] = ['feedForward', 'addNorm'];

/** K without the optional kernels in `drop`, each call's wall time added to `spent`. */
function timedKernels(drop: Name[], spent: Map<string, number>): Kernels {
  const out: Partial<Record<Name, unknown>> = {};
  for (const name of NAMES) {
    const f = K[name] as ((...a: unknown[]) => unknown) | undefined;
    if (!f || drop.includes(name)) continue;
    out[name] = (...args: unknown[]) => {
      const t0 = performance.now();
      const r = f(...args);
      spent.set(name, (spent.get(name) ?? 0) + performance.now() - t0);
      return r;
    };
  }
  return out as unknown as Kernels;
}

const variants: { label: string; drop: Name[] }[] = [
  { label: 'all', drop: [] },
  ...OPTIONAL.map((o) => ({ label: `no ${o}`, drop: [o] })),
  { label: 'none fused', drop: OPTIONAL },
];
const layers = randomEncoderLayers(BERT_BASE, 7);
const x = randomHidden(n, BERT_BASE.d, 11);
for (let i = 0; i < 2; i++) runW2(K, BERT_BASE, layers, x, n); // packs the weights, warms up
const samples = variants.map(() => [] as Map<string, number>[]);
for (let r = 0; r < runs; r++) {
  variants.forEach((v, i) => {
    const spent = new Map<string, number>();
    const kernels = timedKernels(v.drop, spent);
    const t0 = performance.now();
    runW2(kernels, BERT_BASE, layers, x, n);
    const total = performance.now() - t0;
    spent.set('other', total - [...spent.values()].reduce((a, b) => a + b, 0));
    spent.set('total', total);
    samples[i].push(spent);
  });
}
console.log(
  `W2 n=${n}, ${K.name} kernels, ${K.threads} threads, medians of ${runs} interleaved runs (ms; "other" = JS between kernel calls)`,
);
const keys = ['total', ...NAMES, 'other'].filter((k) => samples.some((s) => s[0].has(k)));
console.log(['variant'.padEnd(16), ...keys.map((k) => k.padStart(12))].join(''));
variants.forEach((v, i) => {
  const cells = keys.map((k) => (samples[i][0].has(k) ? median(samples[i].map((s) => s.get(k) ?? 0)).toFixed(1) : '–').padStart(12));
  console.log([v.label.padEnd(16), ...cells].join(''));
});
K.dispose();
