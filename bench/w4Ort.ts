// W4 on onnxruntime-web (WASM, float32 weights: it has no BF16 MatMul, microsoft/onnxruntime#20630),
// in a process of its own so that its peak RSS is its own. First a check on a tiny W4-like folder with
// the same kind of random weights: onnxruntime-web's attention maps against ours (max |Δp|) over a
// prefill and 3 steps, so that the W4 figures are of the same computation. Then W4 itself: prefill of
// n = 512 returning all 24 × 14 maps, 32 greedy steps over the KV cache (bench/w4OnnxGraph.ts).
// Prints one JSON line (OrtW4Result); a failure prints the stage and the error instead of figures.
//   node bench/run.js bench/w4Ort.ts <folder> [--runs 1] [--threads 2] [--skip-w4]
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-web';
import { loadModel } from '../src/engine/run';
import { buildHfDecoder } from '../src/engine/models/hfDecoder';
import { recorder } from '../src/engine/models/transformerLayer';
import { argmaxRows } from '../src/engine/models/transformer';
import { noControl } from '../src/engine/control';
import { referenceKernels } from '../src/engine/kernels/index';
import type { LoadedModel } from '../src/engine/format/loaded';
import { W4_SHAPE, w4Ids, writeW4Folder } from './w4Model';
import { OnnxGraph } from './onnx';
import { W4_DATA, causalMask, ropeTables, w4Onnx, type W4Onnx } from './w4OnnxGraph';

export interface OrtW4Result {
  engine: string;
  weights: 'float32';
  threads: number;
  /** What creating a session of one BF16 MatMul answers: the reason W4 runs float32 here. */
  bf16MatMul?: string;
  /** The tiny-shape check against ours: max |Δp| over every map of the prefill and 3 steps, tokens equal. */
  check?: { shape: string; maxAbsDiff: number; tokensEqual: boolean };
  buildMs?: number;
  createMs?: number;
  prefillMs?: number[];
  stepsMs?: number[];
  prefillCpuMs?: number[];
  stepsCpuMs?: number[];
  tokens?: number[];
  dataMB?: number;
  peakRssMB?: number;
  /** The stage that failed and its error, when there are no figures. */
  failed?: string;
}

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const cpuMs = (c0: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
};

type Session = { s: ort.InferenceSession; m: W4Onnx };

async function session(m: W4Onnx): Promise<Session> {
  const s = await ort.InferenceSession.create(m.model, {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
    externalData: [{ path: W4_DATA, data: m.data }],
  });
  return { s, m };
}

/** Runs `ids` at positions t … over the past K/V; returns the maps, the next token and the present K/V. */
async function step(
  x: Session,
  ids: number[],
  past: ort.Tensor[][],
): Promise<{ probs: Float32Array[]; next: number; past: ort.Tensor[][] }> {
  const { layers, kvHeads, headDim: hd, ropeTheta, vocab } = x.m.cfg;
  const n = ids.length;
  const t = past.length ? past[0][0].dims[1] : 0;
  const { cos, sin } = ropeTables(t, n, hd, ropeTheta);
  const feeds: Record<string, ort.Tensor> = {
    ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [n]),
    cos: new ort.Tensor('float32', cos, [n, hd]),
    sin: new ort.Tensor('float32', sin, [n, hd]),
    mask: new ort.Tensor('float32', causalMask(t, n), [n, t + n]),
  };
  for (let l = 0; l < layers; l++) {
    feeds[`pk${l}`] = past[l]?.[0] ?? new ort.Tensor('float32', new Float32Array(0), [kvHeads, 0, hd]);
    feeds[`pv${l}`] = past[l]?.[1] ?? new ort.Tensor('float32', new Float32Array(0), [kvHeads, 0, hd]);
  }
  const out = await x.s.run(feeds);
  const probs = Array.from({ length: layers }, (_, l) => out[`probs${l}`].data as Float32Array);
  const next = argmaxRows(out.logits.data as Float32Array, 1)[0];
  if (out.logits.dims[1] !== vocab) throw new Error(`logits dims ${out.logits.dims}`);
  return { probs, next, past: Array.from({ length: layers }, (_, l) => [out[`nk${l}`], out[`nv${l}`]]) };
}

/** A session of one BF16 MatMul (the op W4 would need to keep its weights in BF16): its error, or that it ran. */
async function bf16Probe(): Promise<string> {
  const g = new OnnxGraph();
  const BF16 = 16;
  g.op('MatMul', [g.input('a', [2, 2], false, BF16), g.input('b', [2, 2], false, BF16)], {}, 'c');
  g.output('c', BF16);
  try {
    await (await ort.InferenceSession.create(g.model('bf16 probe'), { executionProviders: ['wasm'] })).release();
    return 'a BF16 MatMul session was created: W4 could run BF16 here';
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** Ours (reference kernels) against onnxruntime-web on a tiny W4-like folder. */
async function check(): Promise<NonNullable<OrtW4Result['check']>> {
  const shape = { d: 64, layers: 2, heads: 4, kvHeads: 2, headDim: 16, dFf: 128, vocab: 1000 };
  const dir = writeW4Folder(path.join(os.tmpdir(), 'attention-inspector-bench', 'w4-tiny'), 5, shape);
  const n = 16,
    steps = 3;
  const ids = w4Ids(n, shape.vocab);
  const t = buildHfDecoder(loadModel(dir) as LoadedModel & { architecture: 'hf-decoder' }, referenceKernels).model;
  const caches = t.caches();
  const oursProbs: Float32Array[] = [];
  const oursTokens: number[] = [];
  let rec = recorder(false);
  let h = t.forward(ids, 0, caches, rec, noControl);
  oursTokens.push(argmaxRows(t.logits(h.subarray((n - 1) * shape.d), 1), 1)[0]);
  oursProbs.push(...rec.attentions.map((a) => a.probs));
  for (let s = 0; s < steps; s++) {
    rec = recorder(false);
    h = t.forward([oursTokens[s]], caches[0].length, caches, rec, noControl);
    oursTokens.push(argmaxRows(t.logits(h, 1), 1)[0]);
    oursProbs.push(...rec.attentions.map((a) => a.probs));
  }
  const x = await session(w4Onnx(dir));
  const theirProbs: Float32Array[] = [];
  const theirTokens: number[] = [];
  let r = await step(x, ids, []);
  theirProbs.push(...r.probs);
  theirTokens.push(r.next);
  for (let s = 0; s < steps; s++) {
    r = await step(x, [theirTokens[s]], r.past);
    theirProbs.push(...r.probs);
    theirTokens.push(r.next);
  }
  await x.s.release();
  if (oursProbs.length !== theirProbs.length) throw new Error(`${oursProbs.length} maps against ${theirProbs.length}`);
  let maxAbsDiff = 0;
  oursProbs.forEach((p, i) => {
    if (p.length !== theirProbs[i].length) throw new Error(`map ${i}: ${p.length} values against ${theirProbs[i].length}`);
    for (let j = 0; j < p.length; j++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(p[j] - theirProbs[i][j]));
  });
  const s = `d ${shape.d}, ${shape.layers} layers, ${shape.heads}/${shape.kvHeads} heads of ${shape.headDim}, n ${n} + ${steps} steps`;
  return { shape: s, maxAbsDiff, tokensEqual: oursTokens.join() === theirTokens.join() };
}

async function main(): Promise<void> {
  const dir = process.argv[2];
  const runs = Math.max(1, Number(arg('runs', '1')));
  const threads = Number(arg('threads', '2'));
  ort.env.wasm.numThreads = threads;
  const r: OrtW4Result = { engine: `onnxruntime-web ${ort.env.versions.web} (wasm)`, weights: 'float32', threads };
  r.bf16MatMul = await bf16Probe();
  let stage = 'tiny-shape check';
  try {
    r.check = await check();
    if (process.argv.includes('--skip-w4')) return;
    stage = 'building the float32 graph';
    const t0 = performance.now();
    const m = w4Onnx(dir);
    r.buildMs = performance.now() - t0;
    r.dataMB = m.data.byteLength / 2 ** 20;
    stage = 'creating the session';
    const t1 = performance.now();
    const x = await session(m);
    r.createMs = performance.now() - t1;
    (m as { data?: Uint8Array }).data = undefined; // the session holds its own copy
    const ids = w4Ids();
    r.prefillMs = [];
    r.stepsMs = [];
    r.prefillCpuMs = [];
    r.stepsCpuMs = [];
    for (let k = 0; k < runs; k++) {
      stage = 'prefill n = 512';
      const tp = performance.now(),
        cp = process.cpuUsage();
      let s = await step(x, ids, []);
      r.prefillMs.push(performance.now() - tp);
      r.prefillCpuMs.push(cpuMs(cp));
      const maps = [s.probs];
      const tokens = [s.next];
      stage = 'greedy steps';
      const ts = performance.now(),
        cs = process.cpuUsage();
      for (let i = 0; i < W4_SHAPE.steps; i++) {
        s = await step(x, [s.next], s.past);
        tokens.push(s.next);
        maps.push(s.probs); // every map stays alive to the end of the run, as in bench/w4.ts
      }
      r.stepsMs.push(performance.now() - ts);
      r.stepsCpuMs.push(cpuMs(cs));
      r.tokens = tokens;
    }
  } catch (e) {
    r.failed = `${stage}: ${e instanceof Error ? e.message : String(e)}`;
  } finally {
    r.peakRssMB = process.resourceUsage().maxRSS / 1024;
    console.log(JSON.stringify(r));
  }
}

void main().then(() => process.exit(0));
