// F16/BF16 weights stay 16-bit in memory and the kernels widen them as they pack. Widening is
// exact, so a BF16 checkpoint must give exactly (bit for bit) what the same values stored as F32
// give, on every kernel set — attention, logits and greedy tokens — while its weights take about
// half the memory. The BF16 values are the qwen2 fixture's weights rounded to bfloat16.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadModel } from '../../../src/engine/run';
import { createNativeKernels, createWasmKernels, nativeModule, referenceKernels } from '../../../src/engine/kernels/index';
import type { Kernels } from '../../../src/engine/kernels/reference';
import { buildHfDecoder } from '../../../src/engine/models/hfDecoder';
import { halfArray, halfToFloat, isHalf, toFloat32, weightBytes } from '../../../src/engine/weights';
import type { LoadedModel } from '../../../src/engine/format/loaded';
import { bf16Bits, writeSafetensorsFile, type FileTensor } from '../../../bench/w4Model';

const FIXTURE = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'hf-families', 'qwen2');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-half-'));
const opts = { threads: 2, minParallelWork: 0 }; // parallel paths even on these tiny shapes
const fast = [createWasmKernels(opts), ...(nativeModule().module ? [createNativeKernels(opts)] : [])];
after(() => {
  fast.forEach((k) => k.dispose());
  fs.rmSync(tmp, { recursive: true, force: true });
});
const KERNELS: [string, Kernels][] = [
  ['reference', referenceKernels],
  ...fast.map((k, i): [string, Kernels] => [i === 0 ? 'wasm' : 'native', k]),
];

/** The fixture's tensors rounded to BF16, written once as BF16 and once as F32 (the same values). */
function folders(): { bf16: string; f32: string } {
  const source = loadModel(FIXTURE);
  const st = fs.readFileSync(path.join(FIXTURE, 'model.safetensors'));
  const header = JSON.parse(st.subarray(8, 8 + Number(st.readBigUInt64LE(0))).toString()) as Record<string, { shape: number[] }>;
  const names = Object.keys(header).filter((n) => n !== '__metadata__');
  const raw = new Map(
    names.map((n) => {
      // The HF tensors by name, straight from the file (the loaded model has canonical names).
      const h = header[n] as unknown as { data_offsets: [number, number] };
      const start = 8 + Number(st.readBigUInt64LE(0)) + h.data_offsets[0];
      const f = new Float32Array(st.buffer.slice(st.byteOffset + start, st.byteOffset + start + (h.data_offsets[1] - h.data_offsets[0])));
      return [n, Uint16Array.from(f, bf16Bits)];
    }),
  );
  assert.ok(source.weights.size > 0);
  const out = { bf16: path.join(tmp, 'bf16'), f32: path.join(tmp, 'f32') };
  for (const [kind, dir] of Object.entries(out)) {
    fs.mkdirSync(dir);
    fs.copyFileSync(path.join(FIXTURE, 'config.json'), path.join(dir, 'config.json'));
    const tensors: FileTensor[] = names.map((name) => {
      const bits = raw.get(name)!;
      const bytes =
        kind === 'bf16' ? () => new Uint8Array(bits.buffer) : () => new Uint8Array(Uint32Array.from(bits, (b) => b << 16).buffer);
      return { name, shape: header[name].shape, dtype: kind === 'bf16' ? 'BF16' : 'F32', bytes };
    });
    writeSafetensorsFile(path.join(dir, 'model.safetensors'), tensors);
  }
  return out;
}

const dirs = folders();
const bf16 = loadModel(dirs.bf16);
const f32 = loadModel(dirs.f32);
const bytes = (m: LoadedModel) => [...m.weights.values()].reduce((s, t) => s + weightBytes(t.data), 0);

test('BF16 weights stay BF16 in memory (no float32 copy) and take half the bytes of the same model in F32', () => {
  for (const [name, t] of bf16.weights) {
    assert.ok(isHalf(t.data) && t.data.dtype === 'bf16', `${name} is kept as bf16`);
    assert.deepEqual([...toFloat32(t.data)], [...toFloat32(f32.weights.get(name)!.data)], `${name}: the same values`);
  }
  assert.equal(bytes(bf16) * 2, bytes(f32));
});

test('a BF16 model runs exactly as its F32 copy: attention, logits and greedy tokens, on every kernel set', () => {
  // 50 positions: the native GEMM then splits rows (the whole-W pack) as well as panels (per-panel packs).
  const ids = Array.from({ length: 50 }, (_, i) => (i * 37 + 5) % 96);
  for (const [kname, K] of KERNELS) {
    const a = buildHfDecoder(bf16 as LoadedModel & { architecture: 'hf-decoder' }, K);
    const b = buildHfDecoder(f32 as LoadedModel & { architecture: 'hf-decoder' }, K);
    const ctl = { isCancelled: () => false, progress: () => {} };
    const ra = a.run(ids, {}, ctl),
      rb = b.run(ids, {}, ctl);
    assert.deepEqual(ra.predicted, rb.predicted, `${kname}: predicted tokens`);
    assert.equal(ra.attentions.length, rb.attentions.length);
    ra.attentions.forEach((x, i) => {
      assert.deepEqual(x.probs, rb.attentions[i].probs, `${kname}: layer ${x.layer} probabilities`);
      assert.deepEqual(x.scores, rb.attentions[i].scores, `${kname}: layer ${x.layer} scores`);
    });
    const la: Float32Array[] = [],
      lb: Float32Array[] = [];
    const ga = a.model.generate(ids.slice(0, 5), 6, undefined, (l) => la.push(l.slice()));
    const gb = b.model.generate(ids.slice(0, 5), 6, undefined, (l) => lb.push(l.slice()));
    assert.deepEqual(ga, gb, `${kname}: greedy tokens`);
    assert.deepEqual(la, lb, `${kname}: every greedy step's logits, bit for bit`);
  }
});

test('F16 and BF16 Linear weights: every kernel set gives bit for bit its result on the widened float32 weights', () => {
  // Odd k (the last column alone), 70 rows (a part-filled last panel), F16 subnormals, infinities excluded.
  const [n, k] = [70, 33];
  let seed = 5;
  const next = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) / 2 ** 24;
  const halfBits = Uint16Array.from({ length: n * k }, () => {
    const r = next();
    return r < 0.1
      ? Math.floor(next() * 0x3ff) | (next() < 0.5 ? 0x8000 : 0)
      : (Math.floor(next() * 0x7800) + 0x0400) | (r < 0.55 ? 0x8000 : 0);
  });
  const bfBits = Uint16Array.from({ length: n * k }, () => bf16Bits((next() - 0.5) * 4));
  const bias = Float32Array.from({ length: n }, () => next() - 0.5);
  for (const [dtype, bits] of [
    ['f16', halfBits],
    ['bf16', bfBits],
  ] as const) {
    const w = halfArray(dtype, bits);
    const wide = toFloat32(w);
    if (dtype === 'f16') assert.equal(wide[0], halfToFloat(bits[0]));
    for (const m of [1, 50]) {
      const x = Float32Array.from({ length: m * k }, () => next() - 0.5);
      for (const [kname, K] of KERNELS) {
        assert.deepEqual(K.linear(x, m, k, w, n, bias), K.linear(x, m, k, wide, n, bias), `${kname} ${dtype} m=${m}`);
        const fc1 = { w, b: bias, out: n, in: k };
        const fc2 = { w: halfArray(dtype, bits.subarray(0, k * n)), out: k, in: n };
        const wideFf = [
          { ...fc1, w: wide },
          { ...fc2, w: toFloat32(fc2.w) },
        ] as const;
        if (K.feedForward)
          assert.deepEqual(
            K.feedForward(x, m, fc1, fc2, 'swish'),
            K.feedForward(x, m, ...wideFf, 'swish'),
            `${kname} ${dtype} feed-forward m=${m}`,
          );
      }
    }
  }
});
