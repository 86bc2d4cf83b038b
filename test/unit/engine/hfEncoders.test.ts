// The encoder and encoder–decoder Hugging Face families, read by the product's reader and run by
// the engine, against what the real transformers library computed for the same checkpoints
// (test/fixtures/gen_hf_families.py: eager attention, output_attentions=True): every probability
// of every layer and head within 1e-5; for encoders also the last hidden state's first row, for
// seq2seq models the last position's logits and the greedy tokens.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ModelFormatError } from '../../../src/engine/format/errors';
import { convertToProjectFormat } from '../../../src/engine/format/convert';
import { relativePositionBucket } from '../../../src/engine/relativePosition';
import { recorder } from '../../../src/engine/models/transformerLayer';
import { loadModel, prepare, runModel } from '../../../src/engine/run';
import { defaultKernels, type WasmKernels } from '../../../src/engine/kernels/index';
import type { Kernels } from '../../../src/engine/kernels/reference';
import { resultToJson } from '../../../src/engine/resultJson';
import { buildTransformer } from '../../../src/engine/models/transformerRunnable';
import { kvCacheDiscrepancy } from '../../helpers/kvCacheCheck';

const FAMILIES = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'hf-families');
const PROB_TOL = 1e-5;
const HIDDEN_TOL = 1e-4; // hidden states and logits are O(1), not probabilities

interface Expected {
  attentions: Record<string, number[][][][]>;
  input_ids: number[];
  decoder_input_ids?: number[];
  last_hidden_state_row0?: number[];
  logits_last?: number[];
  greedy?: number[];
}

const ENCODER_FAMILIES = ['roberta', 'xlm-roberta', 'distilbert', 'electra', 'albert', 'albert-inner'];

function maxAbsDiff(a: unknown, b: unknown, where: string): number {
  if (Array.isArray(a) && Array.isArray(b)) {
    assert.equal(a.length, b.length, `${where}: length ${a.length} vs expected ${b.length}`);
    return a.reduce((m: number, x, i) => Math.max(m, maxAbsDiff(x, b[i], `${where}[${i}]`)), 0);
  }
  assert.equal(typeof a, 'number', `${where}: not a number`);
  assert.equal(typeof b, 'number', `${where}: expected has no number here`);
  return Math.abs((a as number) - (b as number));
}

function readExpected(family: string): Expected {
  return JSON.parse(fs.readFileSync(path.join(FAMILIES, family, 'expected.json'), 'utf8')) as Expected;
}

/** The product's kernels (native AVX, WASM SIMD) besides the reference, one thread each; disposed at the end. */
function productKernels(): [string, Kernels][] {
  const out: [string, Kernels][] = [];
  for (const kind of ['native', 'wasm'] as const) {
    const k = defaultKernels({ kind, threads: 1 }, () => {});
    if (k !== out[out.length - 1]?.[1]) out.push([kind, k]);
  }
  return out;
}
after(() => (defaultKernels({ kind: 'wasm', threads: 1 }, () => {}) as Partial<WasmKernels>).dispose?.());

/** Runs the folder as the CLI does (on `kernels`); checks every attention part; returns the largest error. */
function checkAttentions(family: string, kernels?: Kernels): number {
  const exp = readExpected(family);
  const model = loadModel(path.join(FAMILIES, family));
  if (kernels) prepare(model, kernels);
  const result = runModel(model, { ids: exp.input_ids, targetIds: exp.decoder_input_ids });
  const got = resultToJson(result) as { attentions: Record<string, number[][][][]> };
  assert.deepEqual(Object.keys(got.attentions).sort(), Object.keys(exp.attentions).sort(), 'attention parts');
  let worst = 0;
  for (const part of Object.keys(exp.attentions)) {
    const err = maxAbsDiff(got.attentions[part], exp.attentions[part], `${family} ${part}`);
    assert.ok(err <= PROB_TOL, `${family} ${part}: max abs error ${err.toExponential(2)} > ${PROB_TOL}`);
    worst = Math.max(worst, err);
  }
  return worst;
}

for (const family of ENCODER_FAMILIES) {
  test(`${family}: every attention probability and the last hidden state match transformers`, (t) => {
    const err = checkAttentions(family);
    const exp = readExpected(family);
    const model = loadModel(path.join(FAMILIES, family));
    assert.ok(model.architecture === 'transformer');
    const m = buildTransformer(model).model;
    const h = m.encode(exp.input_ids);
    const row0 = Array.from(h.subarray(0, m.cfg.d_model));
    const hiddenErr = maxAbsDiff(row0, exp.last_hidden_state_row0, `${family} last_hidden_state[0]`);
    assert.ok(hiddenErr <= HIDDEN_TOL, `${family} last hidden state: max abs error ${hiddenErr.toExponential(2)}`);
    t.diagnostic(`${family}: attention max abs error ${err.toExponential(2)}, hidden ${hiddenErr.toExponential(2)}`);
  });
  test(`${family}: the same on the product's native and WASM kernels`, (t) => {
    for (const [kind, k] of productKernels())
      t.diagnostic(`${family} ${kind}: attention max abs error ${checkAttentions(family, k).toExponential(2)}`);
  });
}

const SEQ2SEQ_FAMILIES = ['bart', 'mbart', 't5', 't5-v1_1', 't5-inner'];

for (const family of SEQ2SEQ_FAMILIES) {
  test(`${family}: every attention probability, the last logits and the greedy tokens match transformers`, (t) => {
    const err = checkAttentions(family);
    const exp = readExpected(family);
    const model = loadModel(path.join(FAMILIES, family));
    assert.ok(model.architecture === 'transformer');
    const m = buildTransformer(model).model;
    const target = exp.decoder_input_ids!;
    const h = m.decodeFull(target, m.encode(exp.input_ids));
    const logits = m.logits(h, target.length);
    const last = Array.from(logits.subarray((target.length - 1) * m.cfg.vocab_size));
    const logitsErr = maxAbsDiff(last, exp.logits_last, `${family} logits`);
    assert.ok(logitsErr <= HIDDEN_TOL, `${family} last logits: max abs error ${logitsErr.toExponential(2)}`);
    // generate() keeps the EOS it stopped on (or stops at max_new_tokens); the engine stops before EOS.
    const greedy = runModel(model, { ids: exp.input_ids }).ids.target!;
    const hf = exp.greedy!;
    const stopped = hf[hf.length - 1] === m.cfg.eos_id;
    assert.deepEqual(stopped ? [...greedy, m.cfg.eos_id] : greedy.slice(0, hf.length), hf, `${family} greedy tokens`);
    t.diagnostic(
      `${family}: attention max abs error ${err.toExponential(2)}, logits ${logitsErr.toExponential(2)}, greedy ${JSON.stringify(hf)}`,
    );
  });
  test(`${family}: the same attention on the product's native and WASM kernels`, (t) => {
    for (const [kind, k] of productKernels())
      t.diagnostic(`${family} ${kind}: attention max abs error ${checkAttentions(family, k).toExponential(2)}`);
  });
}

/** A copy of a fixture folder with config.json changed by `edit`. */
function withConfig(family: string, edit: (cfg: Record<string, unknown>) => void): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ai-${family}-`));
  for (const f of ['config.json', 'model.safetensors']) fs.copyFileSync(path.join(FAMILIES, family, f), path.join(dir, f));
  const file = path.join(dir, 'config.json');
  const cfg = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(cfg);
  fs.writeFileSync(file, JSON.stringify(cfg));
  return dir;
}

/** loadModel + building must fail with a ModelFormatError naming config.json, `field` and `expected`. */
function assertRejected(dir: string, field: string, expected: RegExp): void {
  try {
    assert.throws(
      () => buildTransformer(loadModel(dir) as Parameters<typeof buildTransformer>[0]),
      (e: unknown) =>
        e instanceof ModelFormatError && e.file === path.join(dir, 'config.json') && e.field === field && expected.test(e.expected),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('unsupported encoder and seq2seq options are refused, naming the file, the field and what is supported', () => {
  assertRejected(
    withConfig('albert', (c) => (c.num_hidden_groups = 4)),
    'num_hidden_groups',
    /at most num_hidden_layers 3/,
  );
  assertRejected(
    withConfig('roberta', (c) => (c.position_embedding_type = 'relative_key')),
    'position_embedding_type',
    /"absolute"/,
  );
  assertRejected(
    withConfig('roberta', (c) => (c.max_position_embeddings = 2)),
    'max_position_embeddings',
    /more than pad_token_id \+ 1 = 2/,
  );
  assertRejected(
    withConfig('electra', (c) => (c.is_decoder = true)),
    'is_decoder',
    /false/,
  );
  assertRejected(
    withConfig('distilbert', (c) => (c.activation = 'tanh')),
    'activation',
    /one of relu, gelu/,
  );
  assertRejected(
    withConfig('distilbert', (c) => (c.model_type = 'deberta')),
    'model_type',
    /"roberta", "xlm-roberta", "distilbert", "electra", "albert", "bart", "mbart", "t5", .*; found "deberta"/,
  );
  assertRejected(
    withConfig('bart', (c) => (c.decoder_attention_heads = 2)),
    'decoder_attention_heads',
    /the same as encoder_attention_heads 4/,
  );
  assertRejected(
    withConfig('mbart', (c) => (c.decoder_ffn_dim = 64)),
    'decoder_ffn_dim',
    /the same as encoder_ffn_dim 112/,
  );
  assertRejected(
    withConfig('bart', (c) => (c.activation_function = 'gelu_fast')),
    'activation_function',
    /one of relu, gelu, gelu_new, swish, silu/,
  );
  assertRejected(
    withConfig('t5-v1_1', (c) => (c.feed_forward_proj = 'gated-tanh')),
    'feed_forward_proj',
    /"relu", "gelu".*found "gated-tanh"/,
  );
});

test('ALBERT runs every layer of a group at each step (8 recorded from 2 groups of 2), T5 heads of d_kv ≠ d_model / heads', () => {
  const albert = loadModel(path.join(FAMILIES, 'albert-inner'));
  assert.ok(albert.architecture === 'transformer');
  assert.deepEqual([albert.config.encoder_layers, albert.config.shared_layer_groups, albert.config.shared_layer_inner], [8, 2, 2]);
  const t5 = loadModel(path.join(FAMILIES, 't5-inner'));
  assert.ok(t5.architecture === 'transformer');
  assert.equal(t5.config.head_dim, 24);
  const rec = recorder(true);
  buildTransformer(t5).model.encode(readExpected('t5-inner').input_ids, rec);
  assert.equal(rec.qkv![0].headDim, 24);
  // Greedy decoding steps with a KV cache of heads·d_kv = 96 columns: each step equals the cache-free pass.
  const exp = readExpected('t5-inner');
  const kv = kvCacheDiscrepancy(buildTransformer(t5).model, exp.input_ids, exp.decoder_input_ids!);
  assert.ok(kv.attention <= PROB_TOL && kv.logits <= HIDDEN_TOL, `KV cache: attention ${kv.attention}, logits ${kv.logits}`);
  // A layer index past inner_group_num names the tensor it came from.
  const dir = withConfig('albert-inner', (c) => (c.inner_group_num = 1));
  try {
    assert.throws(
      () => loadModel(dir),
      (e: unknown) => e instanceof ModelFormatError && /albert_layers\.1\./.test(e.field) && /inner_group_num = 1/.test(e.expected),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('convert writes the new options into the project format, which reads back to the same attention', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-convert-'));
  try {
    for (const family of [...ENCODER_FAMILIES, ...SEQ2SEQ_FAMILIES]) {
      const out = path.join(dir, `${family}.model.json`);
      convertToProjectFormat(loadModel(path.join(FAMILIES, family)), out);
      const exp = readExpected(family);
      const run = runModel(loadModel(out), { ids: exp.input_ids, targetIds: exp.decoder_input_ids });
      const got = resultToJson(run) as { attentions: Record<string, number[][][][]> };
      for (const part of Object.keys(exp.attentions)) {
        const err = maxAbsDiff(got.attentions[part], exp.attentions[part], `${family} converted ${part}`);
        assert.ok(err <= PROB_TOL, `${family} converted ${part}: max abs error ${err.toExponential(2)}`);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("T5's relative position buckets equal transformers' for real configurations, far beyond the fixtures' 12 tokens", () => {
  const file = path.join(FAMILIES, '..', 'hf-t5-buckets.json');
  const ref = JSON.parse(fs.readFileSync(file, 'utf8')) as { first: number; buckets: Record<string, number[]> };
  assert.ok(Object.keys(ref.buckets).length >= 8);
  for (const [key, buckets] of Object.entries(ref.buckets)) {
    const [n, maxDistance, bi] = key.split('/').map(Number);
    const got = buckets.map((_, i) => relativePositionBucket(ref.first + i, bi === 1, n, maxDistance));
    assert.deepEqual(got, buckets, key);
  }
});

test('T5 hands the Q·K view its unscaled dot product; the scaled families keep the default', () => {
  const form = (family: string) => {
    const model = loadModel(path.join(FAMILIES, family));
    assert.ok(model.architecture === 'transformer');
    const rec = recorder(true);
    buildTransformer(model).model.encode(readExpected(family).input_ids, rec);
    return rec.qkv![0].form;
  };
  assert.equal(form('t5'), 'dot');
  assert.equal(form('roberta'), undefined);
});
