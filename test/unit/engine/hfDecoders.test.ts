// The modern Hugging Face decoder families against what transformers 5.18 itself computed
// (test/fixtures/gen_hf_families.py, eager attention, output_attentions=True): every probability of
// every layer and head within 1e-5, the last position's logits and every greedy step's logits
// (the KV-cache path) within 1e-4, and the greedy continuation equal — on the reference kernels
// and on the fast (WASM / native) ones.
import { toFloat32 } from '../../../src/engine/weights';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadModel, runModel } from '../../../src/engine/run';
import { resultToJson } from '../../../src/engine/resultJson';
import { buildHfDecoder } from '../../../src/engine/models/hfDecoder';
import { createWasmKernels, createNativeKernels, nativeModule, referenceKernels } from '../../../src/engine/kernels/index';
import type { Kernels } from '../../../src/engine/kernels/reference';
import { headQK } from '../../../src/engine/qkVectors';
import { ModelFormatError } from '../../../src/engine/format/errors';
import type { LoadedModel } from '../../../src/engine/format/loaded';

const DIR = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'hf-families');
const PROB_TOL = 1e-5;
const LOGIT_TOL = 1e-4;

function maxAbsDiff(a: unknown, b: unknown, where: string): number {
  if (Array.isArray(a) && Array.isArray(b)) {
    assert.equal(a.length, b.length, `${where}: length ${a.length} vs expected ${b.length}`);
    return a.reduce((m: number, x, i) => Math.max(m, maxAbsDiff(x, b[i], `${where}[${i}]`)), 0);
  }
  assert.equal(typeof a, 'number', `${where}: not a number`);
  return Math.abs((a as number) - (b as number));
}

interface Expected {
  input_ids: number[];
  attentions: { decoder: number[][][][] };
  logits_last: number[];
  greedy: number[];
  /** Each generated step's logits (the KV-cache steps, with dynamic RoPE's per-step frequencies). */
  greedy_logits: number[][];
}

const FAMILIES = [
  'llama',
  'llama3-rope',
  'llama-linear-rope',
  'llama-dynamic-rope',
  'mistral',
  'qwen2',
  'qwen3',
  'gemma',
  'gemma2',
  'gemma3',
  'phi3',
  'gpt_neox',
  'olmo2',
];

const opts = { threads: 2, minParallelWork: 0 }; // parallel paths even on these tiny shapes
const fast = [createWasmKernels(opts), ...(nativeModule().module ? [createNativeKernels(opts)] : [])];
after(() => fast.forEach((k) => k.dispose()));
const KERNELS: [string, Kernels][] = [
  ['reference', referenceKernels],
  ...fast.map((k, i): [string, Kernels] => [i === 0 ? 'wasm' : 'native', k]),
];

type Check = { attention: number; logits: number; stepLogits: number; greedy: number[]; expected: Expected };

/** Max abs error of attentions, logits_last, and the greedy ids, for one family on one kernel set. */
export function checkFamily(name: string, kernels: Kernels, dir = path.join(DIR, name)): Check {
  const exp = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8')) as Expected;
  const model = loadModel(dir);
  assert.equal(model.architecture, 'hf-decoder');
  const result = runModel(model, { ids: exp.input_ids });
  const got = resultToJson(result) as { attentions: Record<string, number[][][][]> };
  assert.deepEqual(Object.keys(got.attentions), ['decoder']);
  const built = buildHfDecoder(model as LoadedModel & { architecture: 'hf-decoder' }, kernels);
  const out = built.run(exp.input_ids, {}, { isCancelled: () => false, progress: () => {} });
  const nested = resultToJson({ ...result, attentions: out.attentions }) as { attentions: { decoder: number[][][][] } };
  const attention = Math.max(
    maxAbsDiff(got.attentions.decoder, exp.attentions.decoder, 'decoder'), // as runModel runs it
    maxAbsDiff(nested.attentions.decoder, exp.attentions.decoder, 'decoder'), // on these kernels
  );
  const m = built.model;
  const h = m.forward(exp.input_ids, 0, undefined, undefined, { isCancelled: () => false, progress: () => {} });
  const logits = m.logits(h.subarray((exp.input_ids.length - 1) * m.cfg.d_model), 1);
  const steps: number[][] = [];
  const greedy = m.generate(exp.input_ids, exp.greedy.length, undefined, (l) => steps.push(Array.from(l)));
  const stepLogits = maxAbsDiff(steps, exp.greedy_logits, 'greedy_logits');
  return { attention, logits: maxAbsDiff(Array.from(logits), exp.logits_last, 'logits_last'), stepLogits, greedy, expected: exp };
}

for (const name of FAMILIES) {
  for (const [kind, kernels] of KERNELS) {
    test(`${name} matches transformers (${kind} kernels)`, (t) => {
      const r = checkFamily(name, kernels);
      t.diagnostic(
        `max abs error: attention ${r.attention.toExponential(2)}, logits_last ${r.logits.toExponential(2)}, greedy steps' logits ${r.stepLogits.toExponential(2)}`,
      );
      assert.ok(r.attention <= PROB_TOL, `attention: max abs error ${r.attention.toExponential(2)} > ${PROB_TOL}`);
      assert.ok(r.logits <= LOGIT_TOL, `logits_last: max abs error ${r.logits.toExponential(2)} > ${LOGIT_TOL}`);
      assert.ok(r.stepLogits <= LOGIT_TOL, `greedy steps' logits: max abs error ${r.stepLogits.toExponential(2)} > ${LOGIT_TOL}`);
      assert.deepEqual(r.greedy, r.expected.greedy, 'greedy continuation');
    });
  }
}

test('GQA: the head-norm view gives each query head the norm of the K/V head it shares (llama: 4 query, 2 K/V heads)', () => {
  const model = loadModel(path.join(DIR, 'llama'));
  const r = runModel(model, { ids: [5, 6, 7] });
  const k = model.weights.get('decoder.layers.0.self_attn.k.weight')!; // [2·16, 64]
  const norm = (rows: number) =>
    Math.sqrt(
      toFloat32(k.data)
        .subarray(rows * 64, (rows + 16) * 64)
        .reduce((s, x) => s + x * x, 0),
    );
  const got = r.headNorms?.find((n) => n.layer === 0)?.k;
  assert.ok(got && got.length === 4);
  [norm(0), norm(0), norm(16), norm(16)].forEach((want, h) => assert.ok(Math.abs(got[h] - want) < 1e-4, `head ${h}: ${got[h]} vs ${want}`));
});

test('Q·K view: the rotated q and k of a head (after q/k norm and RoPE) give its scores', () => {
  for (const name of ['llama', 'qwen3', 'gemma3', 'gpt_neox']) {
    const model = loadModel(path.join(DIR, name));
    const ids = [4, 9, 16, 25, 36, 49];
    const run = runModel(model, { ids });
    const a = run.attentions.find((x) => x.layer === 1)!;
    const head = a.heads - 1;
    const qk = headQK(model, { ids, part: 'decoder', layer: 1, head });
    for (let i = 0; i < ids.length; i++) {
      for (let j = 0; j < ids.length; j++) {
        let dot = 0;
        for (let c = 0; c < qk.dims; c++) dot += qk.q[i * qk.dims + c] * qk.k[j * qk.dims + c];
        const score = a.scores[(head * ids.length + i) * ids.length + j];
        assert.ok(Math.abs(dot * qk.scale - score) < 1e-5, `${name} (${i}, ${j}): q·k·scale ${dot * qk.scale} vs score ${score}`);
      }
    }
  }
});

/** A copy of a fixture folder with config.json edited. */
function withConfig(name: string, edit: (c: Record<string, unknown>) => void): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hfdec-'));
  for (const f of fs.readdirSync(path.join(DIR, name))) fs.copyFileSync(path.join(DIR, name, f), path.join(dir, f));
  const c = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  edit(c);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(c));
  return dir;
}

function expectFormatError(dir: string, field: string, words: RegExp): void {
  assert.throws(
    () => loadModel(dir),
    (e: unknown) => {
      assert.ok(e instanceof ModelFormatError, String(e));
      assert.equal(e.file, path.join(dir, 'config.json'));
      assert.equal(e.field, field);
      assert.match(e.expected, words);
      return true;
    },
  );
}

test('gemma: the legacy hidden_act "gelu" of the official configs is the tanh approximation, as GemmaConfig makes it', () => {
  // At these tiny activations exact and tanh GELU agree within the tolerances, so the mapping itself is checked.
  const dir = withConfig('gemma', (c) => (c.hidden_act = 'gelu'));
  assert.equal((loadModel(dir).config as { activation: string }).activation, 'gelu_new');
  const r = checkFamily('gemma', referenceKernels, dir);
  assert.ok(r.attention <= PROB_TOL && r.logits <= LOGIT_TOL, `attention ${r.attention}, logits ${r.logits}`);
});

test('unsupported model_type, rope_scaling type and attention options name the file, the key and what is supported', () => {
  expectFormatError(
    withConfig('llama', (c) => (c.model_type = 'mixtral')),
    'model_type',
    /"llama".*"gemma3_text".*found "mixtral"/,
  );
  const scaling = (c: Record<string, unknown>) => c.rope_scaling as Record<string, unknown>;
  const yarn = withConfig('llama3-rope', (c) => (scaling(c).rope_type = 'yarn'));
  expectFormatError(yarn, 'rope_scaling.rope_type', /"default", "linear", "dynamic", "llama3".*found "yarn"/);
  const longrope = withConfig('qwen3', (c) => ((c.rope_parameters as Record<string, unknown>).rope_type = 'longrope'));
  expectFormatError(longrope, 'rope_parameters.rope_type', /found "longrope"/);
  const noLow = withConfig('llama3-rope', (c) => delete scaling(c).low_freq_factor);
  expectFormatError(noLow, 'rope_scaling.low_freq_factor', /positive number for rope_type "llama3"/);
  const bidirectional = withConfig('gemma3', (c) => (c.use_bidirectional_attention = true));
  expectFormatError(bidirectional, 'use_bidirectional_attention', /only causal/);
  expectFormatError(
    withConfig('llama', (c) => (c.hidden_act = 'relu2')),
    'hidden_act',
    /silu.*found "relu2"/,
  );
  const kv3 = withConfig('mistral', (c) => (c.num_key_value_heads = 3));
  expectFormatError(kv3, 'num_key_value_heads', /divisor of num_attention_heads 4/);
  expectFormatError(
    withConfig('llama', (c) => (c.tie_word_embeddings = 'yes')),
    'tie_word_embeddings',
    /true or false/,
  );
  // qwen2 stores no lm_head (tied): untied, the head is missing, not silently random.
  const untied = withConfig('qwen2', (c) => (c.tie_word_embeddings = false));
  expectFormatError(untied, 'tie_word_embeddings', /no lm_head\.weight/);
});
