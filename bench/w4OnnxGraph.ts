// W4 as one ONNX graph for onnxruntime-web, built from the W4 folder's safetensors (bench/w4Model.ts):
// a Qwen2 decoder (RMSNorm, RoPE, GQA with each K/V head repeated over its 7 query heads, SwiGLU, tied
// head) that takes n new ids over a past K/V cache of t positions and returns every layer's attention
// probabilities [heads, n, t + n], the present K/V and the last position's logits (as generate() and
// our bench compute them). The same session serves the prefill (t = 0) and each greedy step (n = 1).
// BF16 weights are widened to float32: onnxruntime-web's WASM kernels have no BF16 MatMul/Gemm
// (microsoft/onnxruntime#20630). The float32 weights (~1.9 GB for W4) go into one external-data buffer,
// as the model protobuf cannot pass 2 GiB.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OnnxGraph } from './onnx';

export const W4_DATA = 'w4.data';

interface StTensor {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

export interface W4Onnx {
  model: Uint8Array;
  /** The external data (float32 weights), named W4_DATA in the model. */
  data: Uint8Array;
  cfg: { layers: number; heads: number; kvHeads: number; headDim: number; d: number; vocab: number; ropeTheta: number };
}

/** Reads the folder's tensors widened to float32 into one buffer; the graph refers to them by offset. */
export function w4Onnx(dir: string): W4Onnx {
  const c = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  const cfg = {
    layers: c.num_hidden_layers,
    heads: c.num_attention_heads,
    kvHeads: c.num_key_value_heads,
    headDim: c.hidden_size / c.num_attention_heads,
    d: c.hidden_size,
    vocab: c.vocab_size,
    ropeTheta: c.rope_theta,
  };
  const eps = c.rms_norm_eps;
  const fd = fs.openSync(path.join(dir, 'model.safetensors'), 'r');
  const lenBuf = Buffer.alloc(8);
  fs.readSync(fd, lenBuf, 0, 8, 0);
  const hLen = Number(lenBuf.readBigUInt64LE());
  const hBuf = Buffer.alloc(hLen);
  fs.readSync(fd, hBuf, 0, hLen, 8);
  const header = JSON.parse(hBuf.toString('utf8')) as Record<string, StTensor>;
  const entries = Object.entries(header).filter(([k]) => k !== '__metadata__');
  const align = (x: number) => Math.ceil(x / 64) * 64;
  let total = 0;
  for (const [, t] of entries) total = align(total + t.shape.reduce((a, b) => a * b, 1) * 4);
  const data = new Uint8Array(total);
  const g = new OnnxGraph();
  const names = new Map<string, string>();
  let at = 0;
  for (const [name, t] of entries) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    const [s, e] = t.data_offsets;
    const raw = Buffer.alloc(e - s);
    fs.readSync(fd, raw, 0, e - s, 8 + hLen + s);
    const out = new Float32Array(data.buffer, at, count);
    if (t.dtype === 'BF16') {
      const bits = new Uint16Array(raw.buffer, raw.byteOffset, count);
      const u = new Uint32Array(out.buffer, out.byteOffset, count);
      for (let i = 0; i < count; i++) u[i] = bits[i] << 16; // exact widening
    } else if (t.dtype === 'F32') out.set(new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + count * 4)));
    else throw new Error(`W4 ONNX: ${name} is ${t.dtype}, not BF16/F32`);
    names.set(name, g.externalWeight(`w${names.size}`, t.shape, W4_DATA, at, count * 4));
    at = align(at + count * 4);
  }
  fs.closeSync(fd);
  const W = (n: string) => {
    const w = names.get(n);
    if (!w) throw new Error(`W4 ONNX: no tensor ${n}`);
    return w;
  };
  const { heads, kvHeads, headDim: hd, d } = cfg;
  const linear = (x: string, p: string, bias: boolean) =>
    g.op('Gemm', bias ? [x, W(`${p}.weight`), W(`${p}.bias`)] : [x, W(`${p}.weight`)], { transB: { i: 1 } });
  const rms = (x: string, gamma: string) => {
    const ms = g.op('ReduceMean', [g.op('Mul', [x, x])], { axes: { ints: [-1] }, keepdims: { i: 1 } });
    return g.op('Mul', [g.op('Div', [x, g.op('Sqrt', [g.op('Add', [ms, g.scalar(eps)])])]), W(gamma)]);
  };
  const ids = g.input('ids', ['n'], true);
  const cos = g.input('cos', ['n', hd]); // RoPE tables of the new positions, made by the caller
  const sin = g.input('sin', ['n', hd]);
  const mask = g.input('mask', ['n', 'T']); // 0 or −∞-like, [n, t + n]
  const half = g.ints([hd / 2]);
  const [zero, big, last] = [g.ints([0]), g.ints([hd]), g.ints([-1])];
  const rope = (x: string) => {
    const x1 = g.op('Slice', [x, zero, half, last]);
    const x2 = g.op('Slice', [x, half, big, last]);
    const rot = g.op('Concat', [g.op('Neg', [x2]), x1], { axis: { i: -1 } });
    return g.op('Add', [g.op('Mul', [x, cos]), g.op('Mul', [rot, sin])]);
  };
  const split = (x: string, h: number) => g.op('Transpose', [g.op('Reshape', [x, g.ints([-1, h, hd])])], { perm: { ints: [1, 0, 2] } });
  const repeat = g.ints([1, heads / kvHeads, 1, 1]);
  const unsq = g.ints([1]);
  // K/V head j serves query heads j·7 … j·7 + 6 (transformers' repeat_kv).
  const repeatKv = (x: string) => g.op('Reshape', [g.op('Expand', [g.op('Unsqueeze', [x, unsq]), repeat]), g.ints([heads, -1, hd])]);
  let x = g.op('Gather', [W('model.embed_tokens.weight'), ids]); // [n, d]
  for (let l = 0; l < cfg.layers; l++) {
    const p = `model.layers.${l}`;
    const h = rms(x, `${p}.input_layernorm.weight`);
    const q = rope(split(linear(h, `${p}.self_attn.q_proj`, true), heads));
    const k = g.op(
      'Concat',
      [g.input(`pk${l}`, [kvHeads, 't', hd]), rope(split(linear(h, `${p}.self_attn.k_proj`, true), kvHeads))],
      { axis: { i: 1 } },
      `nk${l}`,
    );
    const v = g.op(
      'Concat',
      [g.input(`pv${l}`, [kvHeads, 't', hd]), split(linear(h, `${p}.self_attn.v_proj`, true), kvHeads)],
      { axis: { i: 1 } },
      `nv${l}`,
    );
    g.output(k);
    g.output(v);
    const kT = g.op('Transpose', [repeatKv(k)], { perm: { ints: [0, 2, 1] } });
    const scores = g.op('Add', [g.op('Mul', [g.op('MatMul', [q, kT]), g.scalar(1 / Math.sqrt(hd))]), mask]);
    const probs = g.op('Softmax', [scores], { axis: { i: -1 } }, `probs${l}`);
    g.output(probs);
    const ctx = g.op('Transpose', [g.op('MatMul', [probs, repeatKv(v)])], { perm: { ints: [1, 0, 2] } });
    x = g.op('Add', [x, linear(g.op('Reshape', [ctx, g.ints([-1, d])]), `${p}.self_attn.o_proj`, false)]);
    const h2 = rms(x, `${p}.post_attention_layernorm.weight`);
    const gate = linear(h2, `${p}.mlp.gate_proj`, false);
    const act = g.op('Mul', [g.op('Mul', [gate, g.op('Sigmoid', [gate])]), linear(h2, `${p}.mlp.up_proj`, false)]);
    x = g.op('Add', [x, linear(act, `${p}.mlp.down_proj`, false)]);
  }
  const lastRow = g.op('Slice', [x, last, g.ints([2 ** 31 - 1]), zero]);
  g.op('Gemm', [rms(lastRow, 'model.norm.weight'), W('model.embed_tokens.weight')], { transB: { i: 1 } }, 'logits');
  g.output('logits');
  return { model: g.model('W4'), data, cfg };
}

/** HF's RoPE tables for positions start … start + n − 1: inv_freq and the angles in float32, as torch computes them. */
export function ropeTables(start: number, n: number, hd: number, theta: number): { cos: Float32Array; sin: Float32Array } {
  const f = Math.fround;
  const inv = Array.from({ length: hd / 2 }, (_, i) => f(1 / f(theta ** f((2 * i) / hd))));
  const cos = new Float32Array(n * hd),
    sin = new Float32Array(n * hd);
  for (let p = 0; p < n; p++)
    for (let j = 0; j < hd; j++) {
      const a = f((start + p) * inv[j % (hd / 2)]);
      cos[p * hd + j] = Math.cos(a);
      sin[p * hd + j] = Math.sin(a);
    }
  return { cos, sin };
}

/** The causal mask of n new rows over t past positions: row i sees keys 0 … t + i. */
export function causalMask(t: number, n: number): Float32Array {
  const m = new Float32Array(n * (t + n));
  for (let i = 0; i < n; i++) m.fill(-3.4e38, i * (t + n) + t + i + 1, (i + 1) * (t + n));
  return m;
}
