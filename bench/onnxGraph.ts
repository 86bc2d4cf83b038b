// The issue-7 workloads as ONNX graphs over the very same random weights (bench/workloads.ts),
// for onnxruntime. Every layer's attention probabilities are graph outputs, as our engine
// returns them. GELU is the exact erf form (onnxruntime fuses it); LayerNormalization is opset 17.
import type { AttentionWeights, LayerWeights, Linear, Norm } from '../src/engine/models/transformerLayer';
import { sinusoidalEncoding } from '../src/engine/positional';
import { OnnxGraph } from './onnx';
import { toFloat32 } from '../src/engine/weights';
import { W3_SHAPE, type EncoderShape, type W3Model } from './workloads';

class Builder {
  readonly g = new OnnxGraph();
  private names = new Map<Float32Array, string>();
  private k = 0;
  constructor(
    readonly d: number,
    readonly heads: number,
  ) {}
  get dHead() {
    return this.d / this.heads;
  }
  /** Each weight array becomes one initializer, however often it is used. */
  w(data: Float32Array, dims: number[]): string {
    let n = this.names.get(data);
    if (!n) this.names.set(data, (n = this.g.weight(`w${this.k++}`, data, dims)));
    return n;
  }
  linear(x: string, l: Linear): string {
    const ins = [x, this.w(toFloat32(l.w), [l.out, l.in])];
    if (l.b) ins.push(this.w(l.b, [l.out]));
    return this.g.op('Gemm', ins, { transB: { i: 1 } }); // x·Wᵀ + b, PyTorch's [out, in] weight
  }
  /** [n, d] → [heads, n, dHead] (perm [1,0,2]) or [heads, dHead, n] (perm [1,2,0], Kᵀ). */
  split(x: string, perm: number[]): string {
    return this.g.op('Transpose', [this.g.op('Reshape', [x, this.g.ints([-1, this.heads, this.dHead])])], { perm: { ints: perm } });
  }
  /** softmax(Q·Kᵀ/√dHead)·V for [heads, nq, dHead] Q, [heads, dHead, nk] Kᵀ, [heads, nk, dHead] V → [nq, d]. */
  attend(qh: string, kT: string, vh: string, w: AttentionWeights, probsName: string): string {
    const g = this.g;
    const scores = g.op('Mul', [g.op('MatMul', [qh, kT]), g.scalar(1 / Math.sqrt(this.dHead))]); // [heads, nq, nk]
    const probs = g.op('Softmax', [scores], { axis: { i: -1 } }, probsName);
    g.output(probsName);
    const ctx = g.op('Transpose', [g.op('MatMul', [probs, vh])], { perm: { ints: [1, 0, 2] } }); // [nq, heads, dHead]
    return this.linear(g.op('Reshape', [ctx, g.ints([-1, this.d])]), w.o);
  }
  selfAttention(x: string, w: AttentionWeights, probsName: string): string {
    return this.attend(
      this.split(this.linear(x, w.q), [1, 0, 2]),
      this.split(this.linear(x, w.k), [1, 2, 0]),
      this.split(this.linear(x, w.v), [1, 0, 2]),
      w,
      probsName,
    );
  }
  /** Post-LN residual: LayerNorm(x + sub). */
  addNorm(x: string, sub: string, n: Norm, eps: number): string {
    const g = this.g;
    return g.op('LayerNormalization', [g.op('Add', [x, sub]), this.w(n.gamma, [this.d]), this.w(n.beta, [this.d])], {
      axis: { i: -1 },
      epsilon: { f: eps },
    });
  }
  feedForward(x: string, l: LayerWeights, act: 'gelu' | 'relu'): string {
    const g = this.g;
    const h = this.linear(x, l.fc1);
    const a =
      act === 'relu'
        ? g.op('Relu', [h])
        : g.op('Mul', [
            g.op('Mul', [h, g.scalar(0.5)]),
            g.op('Add', [g.op('Erf', [g.op('Mul', [h, g.scalar(Math.SQRT1_2)])]), g.scalar(1)]),
          ]);
    return this.linear(a, l.fc2);
  }
}

/** W1: x [n, d] → out [n, d], probs [heads, n, n]. */
export function w1Onnx(s: EncoderShape, layer: LayerWeights): Uint8Array {
  const b = new Builder(s.d, s.heads);
  const x = b.g.input('x', ['n', s.d]);
  b.g.op('Identity', [b.selfAttention(x, layer.selfAttn, 'probs')], {}, 'out');
  b.g.output('out');
  return b.g.model('W1');
}

/** W2: x [n, d] → out [n, d], probs0…probs11 [heads, n, n]. */
export function w2Onnx(s: EncoderShape, layers: LayerWeights[]): Uint8Array {
  const b = new Builder(s.d, s.heads);
  let x = b.g.input('x', ['n', s.d]);
  layers.forEach((l, i) => {
    x = b.addNorm(x, b.selfAttention(x, l.selfAttn, `probs${i}`), l.selfNorm, 1e-12);
    x = b.addNorm(x, b.feedForward(x, l, 'gelu'), l.ffnNorm, 1e-12);
  });
  b.g.op('Identity', [x], {}, 'out');
  b.g.output('out');
  return b.g.model('W2');
}

/** W3, once per sequence: memory [m, d] → cross Kᵀ ck{l} [heads, dHead, m] and V cv{l} [heads, m, dHead]. */
export function w3MemoryOnnx(m: W3Model): Uint8Array {
  const b = new Builder(W3_SHAPE.d, W3_SHAPE.heads);
  const mem = b.g.input('memory', [W3_SHAPE.memory, W3_SHAPE.d]);
  m.layers.forEach((l, i) => {
    b.g.op('Identity', [b.split(b.linear(mem, l.cross!.k), [1, 2, 0])], {}, `ck${i}`);
    b.g.op('Identity', [b.split(b.linear(mem, l.cross!.v), [1, 0, 2])], {}, `cv${i}`);
    b.g.output(`ck${i}`);
    b.g.output(`cv${i}`);
  });
  return b.g.model('W3 memory');
}

/**
 * W3, one greedy step: token and position (int64 [1]), past self-attention Kᵀ pk{l} [heads, dHead, t]
 * and V pv{l} [heads, t, dHead], cross ck{l}/cv{l} → logits [1, vocab], present Kᵀ/V (t + 1),
 * self{l} and cross{l} probabilities. Embedding × √d + sinusoidal position, post-LN, ReLU, tied output.
 */
export function w3StepOnnx(m: W3Model): Uint8Array {
  const { d, heads, memory } = W3_SHAPE;
  const b = new Builder(d, heads);
  const g = b.g;
  const dh = d / heads;
  const tokens = g.weight('tokens', m.tokens, [m.config.vocab_size, d]);
  const pe = g.weight('pe', sinusoidalEncoding(m.config.max_positions, d, 'sinusoidal'), [m.config.max_positions, d]);
  const tok = g.input('token', [1], true);
  const pos = g.input('position', [1], true);
  let x = g.op('Add', [g.op('Mul', [g.op('Gather', [tokens, tok]), g.scalar(Math.sqrt(d))]), g.op('Gather', [pe, pos])]); // [1, d]
  const eps = m.config.layer_norm_eps;
  m.layers.forEach((l, i) => {
    const pk = g.input(`pk${i}`, [heads, dh, 't']);
    const pv = g.input(`pv${i}`, [heads, 't', dh]);
    const ck = g.input(`ck${i}`, [heads, dh, memory]);
    const cv = g.input(`cv${i}`, [heads, memory, dh]);
    const kT = g.op('Concat', [pk, b.split(b.linear(x, l.selfAttn.k), [1, 2, 0])], { axis: { i: 2 } }, `nk${i}`);
    const v = g.op('Concat', [pv, b.split(b.linear(x, l.selfAttn.v), [1, 0, 2])], { axis: { i: 1 } }, `nv${i}`);
    g.output(kT);
    g.output(v);
    x = b.addNorm(x, b.attend(b.split(b.linear(x, l.selfAttn.q), [1, 0, 2]), kT, v, l.selfAttn, `self${i}`), l.selfNorm, eps);
    x = b.addNorm(x, b.attend(b.split(b.linear(x, l.cross!.q), [1, 0, 2]), ck, cv, l.cross!, `cross${i}`), l.crossNorm!, eps);
    x = b.addNorm(x, b.feedForward(x, l, 'relu'), l.ffnNorm, eps);
  });
  g.op('Gemm', [x, tokens], { transB: { i: 1 } }, 'logits');
  g.output('logits');
  return g.model('W3 step');
}
