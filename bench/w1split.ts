// Where W1's time goes: the four projections vs the attention kernel (for profiling notes).
import { createWasmKernels } from '../src/engine/kernels/index';
import { BERT_BASE, randomEncoderLayers, randomHidden } from './workloads';

const n = 512,
  d = BERT_BASE.d,
  H = BERT_BASE.heads;
const K = createWasmKernels({ threads: 2 });
const [layer] = randomEncoderLayers(BERT_BASE, 7);
const x = randomHidden(n, d, 11);
const w = layer.selfAttn;
const time = (label: string, f: () => void) => {
  f();
  const ms: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t = performance.now();
    f();
    ms.push(performance.now() - t);
  }
  console.log(`${label}: median ${ms.sort((a, b) => a - b)[3].toFixed(1)} ms`);
};
time('q,k,v,o projections', () => {
  for (const p of [w.q, w.k, w.v, w.o]) K.linear(x, n, p.in, p.w, p.out, p.b);
});
const [q, k, v] = [w.q, w.k, w.v].map((p) => K.linear(x, n, p.in, p.w, p.out, p.b));
time('attention (scores, softmax, ·V, all heads)', () => K.attention!(q, k, v, n, n, H, d / H));
K.dispose();
