import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { loadModel, runModel } from '../../../src/engine/run';
import { InputError } from '../../../src/engine/format/errors';

const FIX = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures');

test('an input over maxTokens is refused before any compute, naming the side and the limit', () => {
  const m = loadModel(path.join(FIX, 'hf', 'bert'));
  assert.throws(
    () => runModel(m, { ids: [1, 2, 3, 4, 5], maxTokens: 4 }),
    (e: InputError) => e instanceof InputError && e.field === 'ids' && /5 tokens is over the limit of 4/.test(e.message),
  );
  assert.equal(runModel(m, { ids: [1, 2, 3, 4], maxTokens: 4 }).tokens.source.length, 4);
});

test('an input longer than the model has positions is refused with the number it can take', () => {
  const m = loadModel(path.join(FIX, 'hf', 'gpt2'));
  const cfg = (m as { config: { max_positions: number } }).config;
  const ids = Array.from({ length: cfg.max_positions + 1 }, () => 1);
  assert.throws(() => runModel(m, { ids }), new RegExp(`at most ${cfg.max_positions} tokens fit`));
});

// ---- memory limit (src/engine/limits.ts) -------------------------------------------------------
import { workerResourceLimits } from '../../../src/engine/limits';
import { checkRunMemory, estimateRunMemory } from '../../../src/engine/runMemory';
import type { LoadedModel, TransformerConfig } from '../../../src/engine/format/loaded';
import type { RunInput, RunResult } from '../../../src/engine/types';
import { allocations, installAllocationCounter, resetAllocations } from '../../helpers/allocations';
import { randomTransformerJson } from '../../helpers/randomModel';
import * as fs from 'node:fs';
import * as os from 'node:os';

/** Bytes of every typed array a run returns (what stays alive after it). */
function resultBytes(r: RunResult): number {
  let n = 0;
  for (const a of r.attentions) n += a.probs.byteLength + a.scores.byteLength + (a.mask?.byteLength ?? 0);
  for (const s of r.addNorm) n += s.residualNorm.byteLength + s.sublayerNorm.byteLength + s.outputNorm.byteLength;
  for (const q of r.qkv ?? []) n += q.q.byteLength + q.k.byteLength + q.v.byteLength;
  return n + (r.positional?.data.byteLength ?? 0);
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-limits-'));
const randomFile = (name: string, o: Parameters<typeof randomTransformerJson>[0]) => {
  const f = path.join(tmp, `${name}.model.json`);
  fs.writeFileSync(f, JSON.stringify(randomTransformerJson(o)));
  return f;
};
const CASES: [string, string, RunInput][] = [
  ['HF bert (encoder, learned positions)', path.join(FIX, 'hf', 'bert'), { ids: [2, 7, 9, 11, 3] }],
  ['HF gpt2 (decoder-only, causal masks, logits)', path.join(FIX, 'hf', 'gpt2'), { ids: [5, 6, 7, 8, 9, 10, 11] }],
  ['HF marian (encoder–decoder, cross-attention)', path.join(FIX, 'hf', 'marian'), { ids: [4, 5, 6, 0], targetIds: [49, 7, 8] }],
  ['project transformer-encdec', path.join(FIX, 'project', 'transformer-encdec.model.json'), { ids: [3, 4, 5], targetIds: [1, 6] }],
  [
    'project rnn-gru-additive (RNN seq2seq)',
    path.join(FIX, 'project', 'rnn-gru-additive.model.json'),
    { ids: [3, 4, 5, 6], targetIds: [1, 7, 8] },
  ],
  [
    'random encoder, d 64, 48 tokens, with Q/K/V',
    randomFile('enc64', { kind: 'encoder', dModel: 64, heads: 4, layers: 3, maxPositions: 64 }),
    { ids: Array.from({ length: 48 }, (_, i) => 3 + (i % 9)), withQKV: true },
  ],
  [
    'random decoder, d 32, 40 tokens',
    randomFile('dec32', { kind: 'decoder', dModel: 32, heads: 4, layers: 2, maxPositions: 64 }),
    { ids: Array.from({ length: 40 }, (_, i) => 3 + (i % 9)) },
  ],
];

for (const [what, file, input] of CASES) {
  test(`memory estimate vs the run's actual bytes: ${what}`, () => {
    const m = loadModel(file);
    runModel(m, input); // build once, outside the count
    installAllocationCounter();
    resetAllocations();
    const r = runModel(m, input);
    const allocated = allocations().total;
    resetAllocations();
    const est = estimateRunMemory(m, { source: r.ids.source.length, target: input.targetIds?.length, withQKV: input.withQKV })!;
    const kept = resultBytes(r);
    // What the run returns is predicted to within 5 %: it is a closed form of the shapes.
    const ratio = (est.attention + est.traces) / kept;
    assert.ok(
      ratio > 0.95 && ratio < 1.05,
      `returned tensors: estimate ${est.attention + est.traces} B, actual ${kept} B (×${ratio.toFixed(3)})`,
    );
    // The peak lies between what stays alive (kept) and everything allocated on the way; so must
    // the estimate of it.
    console.log(
      `${what}: returned ${kept} B, estimate ${est.attention + est.traces} B; peak estimate ${est.total} B, allocated ${allocated} B`,
    );
    assert.ok(
      est.total >= kept && est.total <= allocated,
      `total estimate ${est.total} B outside [kept ${kept} B, allocated ${allocated} B]`,
    );
  });
}

/** A config-only BERT-base (the W2 shape): the estimate reads the config, not the weights. */
const bertBase = (): LoadedModel => {
  const config: TransformerConfig = {
    kind: 'encoder',
    vocab_size: 30522,
    d_model: 768,
    heads: 12,
    d_ff: 3072,
    encoder_layers: 12,
    decoder_layers: 0,
    activation: 'gelu',
    norm: 'post',
    layer_norm_eps: 1e-12,
    positions: 'learned',
    max_positions: 512,
    scale_embedding: false,
    embedding_norm: true,
    final_norm: false,
    token_types: 2,
  };
  return { architecture: 'transformer', config, file: 'bert-base/config.json', name: 'bert-base', weights: new Map(), examples: [] };
};

test('BERT-base at 512 tokens: the estimate is the closed form, and a 256 MB limit refuses it with the numbers', () => {
  const est = estimateRunMemory(bertBase(), { source: 512 })!;
  assert.equal(est.attention, 12 * 12 * 512 * 512 * 2 * 4); // layers × heads × n² × (probs + scores) × 4 B = 288 MB
  assert.equal(est.traces, 12 * 2 * 512 * 3 * 4); // two sub-layers × three [n] norms
  assert.equal(est.working, 512 * (3072 + 6 * 768) * 4); // the FFN's [n, d_ff] and six [n, d] of one layer
  assert.throws(
    () => checkRunMemory(bertBase(), { source: 512 }, 256),
    (e: unknown) => {
      assert.ok(e instanceof InputError);
      assert.equal(e.field, 'ids');
      assert.match(e.message, /this run needs ~304 MB \(attention probabilities and scores 288 MB/);
      assert.match(e.message, /the limit is 256 MB \(setting attentionInspector\.maxRunMemoryMB\)/);
      // 1152 n² + 31008 n ≤ 256 MB  →  n ≤ 469.4
      assert.match(e.message, /at most about 469 source tokens fit/);
      return true;
    },
  );
  checkRunMemory(bertBase(), { source: 469 }, 256); // the number it names does fit
});

test('a run over maxRunMemoryMB is refused before any layer is computed', () => {
  const m = loadModel(path.join(FIX, 'hf', 'gpt2'));
  const progress: string[] = [];
  const ctl = { isCancelled: () => false, progress: (p: { message: string }) => void progress.push(p.message) };
  assert.throws(
    () => runModel(m, { ids: [1, 2, 3, 4, 5, 6, 7, 8], maxRunMemoryMB: 0.01 }, ctl),
    (e: unknown) => e instanceof InputError && /the limit is 0\.01 MB/.test(e.message),
  );
  assert.deepEqual(progress, []);
  assert.equal(runModel(m, { ids: [1, 2], maxRunMemoryMB: 64 }).tokens.source.length, 2);
});

test("greedy decoding is estimated at the model's max_target_length, and the refusal says to give targets", () => {
  const m = loadModel(path.join(FIX, 'project', 'transformer-encdec.model.json'));
  const greedy = estimateRunMemory(m, { source: 3 })!;
  const forced = estimateRunMemory(m, { source: 3, target: 2 })!;
  assert.ok(greedy.total > forced.total);
  assert.throws(() => checkRunMemory(m, { source: 3 }, greedy.total / 1024 / 1024 / 100), /give target ids/);
});

test('the worker heap limit follows the same setting (never below 256 MB)', () => {
  assert.deepEqual(workerResourceLimits(2048), { maxOldGenerationSizeMb: 2048 });
  assert.deepEqual(workerResourceLimits(64), { maxOldGenerationSizeMb: 256 });
});

const attentionBytes = (r: RunResult) =>
  r.attentions.reduce((n, a) => n + a.probs.byteLength + a.scores.byteLength + (a.mask?.byteLength ?? 0), 0);

for (const name of ['tdmca-lmlml', 'tdmca-post-learned']) {
  test(`memory estimate, T-DMCA (local and compressed layers): ${name}`, () => {
    const m = loadModel(path.join(FIX, 'project', `${name}.model.json`));
    const ids = m.examples[0].ids!;
    const r = runModel(m, { ids });
    const est = estimateRunMemory(m, { source: ids.length })!;
    // Per layer: [H, n, n] under the block mask, or [H, n, ⌈n/stride⌉] over the compressed keys.
    assert.equal(est.attention, attentionBytes(r));
    assert.ok(est.total >= resultBytes(r));
  });
}

for (const name of ['universal-post', 'universal-pre-forced']) {
  test(`memory estimate, Universal Transformer (up to max_steps shared-layer steps): ${name}`, () => {
    const m = loadModel(path.join(FIX, 'project', `${name}.model.json`));
    const ids = m.examples[0].ids!;
    const r = runModel(m, { ids });
    const est = estimateRunMemory(m, { source: ids.length })!;
    const steps = r.attentions.length; // one recorded layer per step taken; ACT may stop early
    const maxSteps = (m.config as { max_steps: number }).max_steps;
    assert.ok(steps >= 1 && steps <= maxSteps);
    assert.equal(est.attention, (attentionBytes(r) / steps) * maxSteps);
    assert.ok(est.total >= resultBytes(r));
  });
}

test('memory estimate, melody attention RNN: [T, T] for T = primer + generate_steps, and a huge generate_steps is refused', () => {
  const m = loadModel(path.join(FIX, 'project', 'attention-rnn-small.model.json'));
  const text = m.examples[0].text!; // a primer of notes
  const r = runModel(m, { text });
  const ids = r.ids.source;
  const est = estimateRunMemory(m, { source: ids.length })!;
  assert.equal(est.attention, attentionBytes(r));
  assert.ok(est.total >= resultBytes(r));
  // The bug fuzzing saw: a file's generate_steps sized the run's arrays. Now it is refused first.
  (m.config as { generate_steps: number }).generate_steps = 1_000_000;
  assert.throws(
    () => runModel(m, { text, maxRunMemoryMB: 2048 }),
    (e: unknown) => e instanceof InputError && /this run needs ~[\d,]+ MB/.test(e.message),
  );
});

// Architectures whose attention layout has no simple closed form here: the estimate must cover what
// the run returns, and not overstate it by more than the working memory it adds.
for (const name of [
  'narm-small',
  'narm-wide',
  'show-attend-tell-small',
  'show-attend-tell-nogate',
  'image-transformer-1d',
  'image-transformer-2d',
]) {
  test(`memory estimate covers the run: ${name}`, () => {
    const m = loadModel(path.join(FIX, 'project', `${name}.model.json`));
    const ex = m.examples[0];
    const r = runModel(m, { text: ex.text, ids: ex.ids, targetText: ex.targetText, targetIds: ex.targetIds });
    const est = estimateRunMemory(m, {
      source: r.ids.source.length,
      ...(ex.targetIds || ex.targetText ? { target: r.ids.target.length } : {}),
    });
    assert.ok(est, 'every architecture has an estimate');
    assert.ok(est.attention >= attentionBytes(r), `attention ${est.attention} ≥ ${attentionBytes(r)}`);
    assert.ok(est.attention <= 2 * attentionBytes(r) + 4096, `attention ${est.attention} ≤ 2 × ${attentionBytes(r)}`);
    assert.ok(est.total >= resultBytes(r));
  });
}

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
