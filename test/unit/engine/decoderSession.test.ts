// Decoder stepping with a KV cache must reproduce a full recompute that keeps no cache — attention
// rows and logits — on every transformer decoder the engine loads, and greedy decoding must stop at EOS.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { loadModel } from '../../../src/engine/run';
import { buildTransformer, greedyDecode } from '../../../src/engine/models/transformerRunnable';
import { kvCacheDiscrepancy } from '../../helpers/kvCacheCheck';
import { KVCache } from '../../../src/engine/models/transformerLayer';
import { noControl } from '../../../src/engine/control';
import { createWasmKernels, createNativeKernels, nativeModule, referenceKernels } from '../../../src/engine/kernels/index';
import type { Kernels } from '../../../src/engine/kernels/reference';

const ROOT = path.join(__dirname, '..', '..', '..', '..');
const FIX = path.join(ROOT, 'test', 'fixtures');
const expected = (name: string) => JSON.parse(fs.readFileSync(path.join(FIX, 'expected', `${name}.json`), 'utf8'));
const TOL = 1e-5;

// One model per decoder family: GPT-2 and Marian read from Hugging Face folders, the project
// format's decoder-only and encoder–decoder fixtures, and the trained reversal example.
const family = (name: string, file: string, e: { ids: number[]; target_ids?: number[] | null }) => ({
  name,
  file,
  ids: e.ids,
  targetIds: e.target_ids ?? [],
});
const FAMILIES = [
  ...['gpt2', 'marian'].map((n) => family(`HF ${n}`, path.join(FIX, 'hf', n), expected(n))),
  ...['transformer-decoder-prenorm', 'transformer-encdec'].map((n) =>
    family(`project ${n}`, path.join(FIX, 'project', `${n}.model.json`), expected(n)),
  ),
  family(
    'example transformer-reverse',
    path.join(ROOT, 'examples', 'transformer-reverse.model.json'),
    JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', 'transformer-reverse.expected.json'), 'utf8')),
  ),
];

// The reference kernels and the product's fast ones (the pool, and the native kernels where they run).
const POOL = { threads: 2, minParallelWork: 0 };
const pooled = [createWasmKernels(POOL), ...(nativeModule().module ? [createNativeKernels(POOL)] : [])];
after(() => pooled.forEach((k) => k.dispose()));
const KERNELS: { name: string; kernels: Kernels }[] = [
  { name: 'reference', kernels: referenceKernels },
  ...pooled.map((k) => ({ name: k.name, kernels: k })),
];

function build(file: string, kernels: Kernels = referenceKernels) {
  const m = loadModel(file);
  assert.equal(m.architecture, 'transformer');
  return buildTransformer(m as typeof m & { architecture: 'transformer' }, kernels).model;
}

for (const f of FAMILIES) {
  for (const { name, kernels } of KERNELS) {
    test(`KV-cache steps agree with a cache-free recompute: ${f.name}, ${name} kernels`, () => {
      const t = build(f.file, kernels);
      const d = kvCacheDiscrepancy(t, f.ids, f.targetIds);
      assert.equal(d.steps.length, t.cfg.kind === 'encoder-decoder' ? f.targetIds.length : f.ids.length);
      assert.ok(d.steps.length >= 6, `${d.steps.length} steps`);
      assert.ok(d.attention <= TOL, `attention: max difference ${d.attention}`);
      assert.ok(d.logits <= TOL, `logits: max difference ${d.logits}`);
      if (process.env.KV_REPORT) console.log(f.name, name, d.attention, d.logits);
    });
  }
}

test('the check fails when a cached key is wrong: the recompute does not read the cache', (t) => {
  // Every KV cache gets its first key row shifted. Were the reference itself cached, it would carry
  // the same error and the check would see none. Step 0 still agrees (a single key gets
  // probability 1 whatever its score); every later step attends to the wrong key.
  const append = KVCache.prototype.append;
  const corrupted = new WeakSet<KVCache>();
  let caches = 0;
  t.mock.method(KVCache.prototype, 'append', function (this: KVCache, k: Float32Array, v: Float32Array, rows: number) {
    append.call(this, k, v, rows);
    if (corrupted.has(this)) return;
    for (let j = 0; j < 8; j++) this.k[j] += 4;
    corrupted.add(this);
    caches++;
  });
  for (const f of FAMILIES) {
    caches = 0;
    const model = build(f.file);
    const d = kvCacheDiscrepancy(model, f.ids, f.targetIds);
    assert.equal(caches, model.cfg.decoder_layers, `${f.name}: one cache per decoder layer, the stepping's`);
    const first = d.steps[0];
    assert.ok(first.attention <= TOL && first.logits <= TOL, `${f.name}: step 0 ${JSON.stringify(first)}`);
    assert.ok(d.attention > 1e-2, `${f.name}: attention difference ${d.attention}`);
    assert.ok(d.logits > 1e-2, `${f.name}: logits difference ${d.logits}`);
    if (process.env.KV_REPORT) console.log('corrupted', f.name, d.attention, d.logits);
  }
});

test('greedy decoding starts with decoder_start_id and follows the argmax of each step', () => {
  const t = build(path.join(FIX, 'hf', 'marian'));
  const e = expected('marian');
  const memory = t.encode(e.ids);
  const seq = greedyDecode(t, memory, noControl);
  assert.equal(seq[0], t.cfg.decoder_start_id);
  // Re-derive each token from a fresh full pass: token k+1 is the argmax after tokens 0..k.
  for (let k = 0; k + 1 < seq.length; k++) {
    const h = t.decodeFull(seq.slice(0, k + 1), memory);
    const logits = t.logits(h.subarray(k * t.cfg.d_model), 1);
    let best = 0;
    for (let j = 1; j < logits.length; j++) if (logits[j] > logits[best]) best = j;
    assert.equal(seq[k + 1], best, `token ${k + 1}`);
    assert.notEqual(best, t.cfg.eos_id);
  }
  assert.ok(seq.length <= (t.cfg.max_target_length ?? 64));
});
