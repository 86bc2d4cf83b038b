// A run with `generate`: the greedy continuation transformers itself produced (expected.json's
// `greedy`, test/fixtures/gen_hf_families.py) for llama and gpt_neox, and every attention row —
// the generated tokens' rows coming from their KV-cache steps — equal to one full forward pass
// over prompt + generated tokens (causal: a row never sees what comes after it). GPT-2 against
// its own full passes, one token at a time. Limits count the generated tokens up front.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadModel, runModel } from '../../../src/engine/run';
import { InputError } from '../../../src/engine/format/errors';
import type { RunResult } from '../../../src/engine/types';

const FIX = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures');
const TOL = 1e-5;

/** Max |a − b| over every layer's probabilities and its visible scores; masks equal. */
function attentionGap(a: RunResult, b: RunResult): number {
  assert.equal(a.attentions.length, b.attentions.length);
  let gap = 0;
  a.attentions.forEach((x, i) => {
    const y = b.attentions[i];
    assert.deepEqual([x.part, x.layer, x.heads, x.queries, x.keys], [y.part, y.layer, y.heads, y.queries, y.keys]);
    assert.deepEqual(Array.from(x.mask ?? []), Array.from(y.mask ?? []), `layer ${x.layer} mask`);
    for (let k = 0; k < x.probs.length; k++) {
      gap = Math.max(gap, Math.abs(x.probs[k] - y.probs[k]));
      const hidden = y.mask?.[k % (x.queries * x.keys)] === 1;
      if (!hidden) gap = Math.max(gap, Math.abs(x.scores[k] - y.scores[k]));
    }
  });
  return gap;
}

for (const family of ['llama', 'gpt_neox']) {
  test(`${family}: generate N = transformers' greedy ids; the generated rows equal a full pass`, () => {
    const dir = path.join(FIX, 'hf-families', family);
    const exp = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8')) as { input_ids: number[]; greedy: number[] };
    const model = loadModel(dir);
    const run = runModel(model, { ids: exp.input_ids, generate: exp.greedy.length, withQKV: true });
    assert.deepEqual(run.ids.source, [...exp.input_ids, ...exp.greedy]);
    assert.equal(run.generated, exp.greedy.length);
    assert.equal(run.tokens.source.length, run.ids.source.length);
    const full = runModel(model, { ids: run.ids.source, withQKV: true });
    const gap = attentionGap(run, full);
    console.log(`${family}: ${exp.greedy.length} generated, max |stepped − full| ${gap.toExponential(2)}`);
    assert.ok(gap <= TOL, `attention gap ${gap}`);
    assert.deepEqual(run.predicted?.ids, full.predicted?.ids);
    // The Add & Norm trace and Q (stitched from the steps) cover every position too.
    for (const [i, s] of run.addNorm.entries()) assert.ok(maxGap(s.outputNorm, full.addNorm[i].outputNorm) <= 1e-4);
    for (const [i, s] of (run.qkv ?? []).entries()) assert.ok(maxGap(s.q, full.qkv![i].q) <= 1e-4, `q of layer ${s.layer}`);
  });
}

function maxGap(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  return a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
}

test('GPT-2: generate N = N full passes each taking its last argmax; attention of the final sequence', () => {
  const model = loadModel(path.join(FIX, 'hf', 'gpt2'));
  const prompt = [5, 6, 7, 8];
  const ids = [...prompt];
  for (let i = 0; i < 5; i++) ids.push(runModel(model, { ids }).predicted!.ids.at(-1)!);
  const run = runModel(model, { ids: prompt, generate: 5 });
  assert.deepEqual(run.ids.source, ids);
  assert.equal(run.generated, 5);
  assert.ok(attentionGap(run, runModel(model, { ids })) <= TOL);
});

test('generate is refused up front: over maxTokens, over the memory limit, on a model that is not decoder-only', () => {
  const llama = loadModel(path.join(FIX, 'hf-families', 'llama'));
  const tooLong = () => runModel(llama, { ids: [1, 2, 3, 4], generate: 5, maxTokens: 8 });
  assert.throws(tooLong, (e: unknown) => e instanceof InputError && /9 tokens \(5 of them to generate\)/.test(e.message));
  runModel(llama, { ids: [1, 2, 3, 4], generate: 4, maxTokens: 8 }); // exactly at the limit: runs
  // Memory: a tiny limit passes the 4-token prompt alone but not with 4000 tokens to generate.
  runModel(llama, { ids: [1, 2, 3, 4], maxRunMemoryMB: 64 });
  assert.throws(() => runModel(llama, { ids: [1, 2, 3, 4], generate: 4000, maxRunMemoryMB: 64 }), /MB/);
  const bert = loadModel(path.join(FIX, 'hf', 'bert'));
  assert.throws(
    () => runModel(bert, { ids: [1, 2, 3], generate: 2 }),
    (e: unknown) => e instanceof InputError && e.field === 'generate',
  );
  assert.throws(() => runModel(llama, { ids: [1, 2], generate: 1.5 }), /token count/);
});

test('a generating run streams no partial layers (they would outgrow the prompt tokens they are shown with)', () => {
  for (const dir of [path.join(FIX, 'hf', 'gpt2'), path.join(FIX, 'hf-families', 'llama')]) {
    const model = loadModel(dir);
    let partials = 0;
    runModel(model, { ids: [5, 6, 7] }, undefined, () => partials++);
    assert.ok(partials > 0, 'a plain run streams');
    partials = 0;
    const r = runModel(model, { ids: [5, 6, 7], generate: 3 }, undefined, () => partials++);
    assert.equal(partials, 0);
    assert.equal(r.attentions[0].queries, r.tokens.source.length);
  }
});
