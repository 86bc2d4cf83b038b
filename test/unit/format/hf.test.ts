import { after, test } from 'node:test';
import { toFloat32 } from '../../../src/engine/weights';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { HF_MODEL_TYPES, readHfFolder } from '../../../src/engine/format/hf';
import { expectTensor, rejectUnusedTensors } from '../../../src/engine/format/load';
import { writeSafetensors } from '../../../src/engine/format/safetensors';
import { ModelFormatError } from '../../../src/engine/format/errors';
import type { LoadedModel, TransformerConfig } from '../../../src/engine/format/loaded';
import { tensor, type Tensor } from '../../../src/engine/tensor';

const ROOT = path.resolve(__dirname, '../../../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-hf-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Tensor whose values are start, start+1, … so every element is traceable after a remap. */
function ramp(shape: number[], start = 0): Tensor {
  const t = tensor(shape);
  t.data.forEach((_, i) => (t.data[i] = start + i));
  return t;
}

let n = 0;
function folder(config: Record<string, unknown>, tensors: [string, Tensor][]): string {
  const dir = path.join(tmp, `m${n++}`);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  fs.writeFileSync(path.join(dir, 'model.safetensors'), writeSafetensors(new Map(tensors)));
  return dir;
}

/** The transformer tensor table of docs/model-format.md, written out independently of the model builders. */
function canonicalTransformerShapes(c: TransformerConfig): Map<string, number[]> {
  const d = c.d_model;
  const m = new Map<string, number[]>([['embed.tokens', [c.vocab_size, d]]]);
  const norm = (p: string) => {
    m.set(`${p}.weight`, [d]);
    m.set(`${p}.bias`, [d]);
  };
  const linear = (p: string, out: number, inp: number) => {
    m.set(`${p}.weight`, [out, inp]);
    m.set(`${p}.bias`, [out]);
  };
  if (c.positions === 'learned') m.set('embed.positions', [c.max_positions, d]);
  if (c.token_types > 0) m.set('embed.token_types', [c.token_types, d]);
  if (c.embedding_norm) norm('embed.norm');
  const stacks: ['encoder' | 'decoder', number][] = [
    ['encoder', c.encoder_layers],
    ['decoder', c.decoder_layers],
  ];
  for (const [s, layers] of stacks) {
    for (let l = 0; l < layers; l++) {
      const p = `${s}.layers.${l}`;
      const parts = s === 'decoder' && c.kind === 'encoder-decoder' ? ['self_attn', 'cross_attn'] : ['self_attn'];
      for (const a of parts) {
        for (const x of ['q', 'k', 'v', 'o']) linear(`${p}.${a}.${x}`, d, d);
        norm(`${p}.${a}_norm`);
      }
      linear(`${p}.ffn.fc1`, c.d_ff, d);
      linear(`${p}.ffn.fc2`, d, c.d_ff);
      norm(`${p}.ffn_norm`);
    }
    if (c.final_norm && layers > 0) norm(`${s}.final_norm`);
  }
  return m;
}

/** Every canonical tensor present with its doc shape, nothing else (lm_head optional). */
function assertCanonical(m: LoadedModel): void {
  assert.equal(m.architecture, 'transformer');
  if (m.architecture !== 'transformer') return;
  const used = new Set<string>();
  for (const [name, shape] of canonicalTransformerShapes(m.config)) {
    expectTensor(m, name, shape);
    used.add(name);
  }
  if (m.weights.has('lm_head.weight'))
    used.add(expectTensor(m, 'lm_head.weight', [m.config.vocab_size, m.config.d_model]) && 'lm_head.weight');
  if (m.weights.has('lm_head.bias')) used.add(expectTensor(m, 'lm_head.bias', [m.config.vocab_size]) && 'lm_head.bias');
  rejectUnusedTensors(m, used);
}

function bertTensors(prefix: string, gammaBeta = false): [string, Tensor][] {
  const [w, b] = gammaBeta ? ['gamma', 'beta'] : ['weight', 'bias'];
  const e = `${prefix}embeddings`;
  const L = `${prefix}encoder.layer.0`;
  const lin = (p: string, o: number, i: number): [string, Tensor][] => [
    [`${p}.weight`, ramp([o, i])],
    [`${p}.bias`, ramp([o])],
  ];
  const ln = (p: string): [string, Tensor][] => [
    [`${p}.${w}`, ramp([4], 1)],
    [`${p}.${b}`, ramp([4])],
  ];
  return [
    [`${e}.word_embeddings.weight`, ramp([5, 4])],
    [`${e}.position_embeddings.weight`, ramp([6, 4])],
    [`${e}.token_type_embeddings.weight`, ramp([2, 4])],
    ...ln(`${e}.LayerNorm`),
    ...lin(`${L}.attention.self.query`, 4, 4).map(([k, t]): [string, Tensor] => [k, k.endsWith('weight') ? ramp([4, 4], 100) : t]),
    ...lin(`${L}.attention.self.key`, 4, 4),
    ...lin(`${L}.attention.self.value`, 4, 4),
    ...lin(`${L}.attention.output.dense`, 4, 4),
    ...ln(`${L}.attention.output.LayerNorm`),
    ...lin(`${L}.intermediate.dense`, 8, 4),
    ...lin(`${L}.output.dense`, 4, 8),
    ...ln(`${L}.output.LayerNorm`),
    ...lin(`${prefix}pooler.dense`, 4, 4),
  ];
}

const BERT_CONFIG = {
  model_type: 'bert',
  vocab_size: 5,
  hidden_size: 4,
  num_attention_heads: 2,
  intermediate_size: 8,
  num_hidden_layers: 1,
  max_position_embeddings: 6,
  type_vocab_size: 2,
  hidden_act: 'gelu',
  layer_norm_eps: 1e-12,
  position_embedding_type: 'absolute',
};

test('BERT: post-LN, gelu, token types, embedding norm; pooler ignored', () => {
  const m = readHfFolder(folder(BERT_CONFIG, bertTensors('')));
  assertCanonical(m);
  assert.ok(m.architecture === 'transformer');
  if (m.architecture !== 'transformer') return;
  assert.deepEqual(m.config, {
    kind: 'encoder',
    vocab_size: 5,
    d_model: 4,
    heads: 2,
    d_ff: 8,
    encoder_layers: 1,
    decoder_layers: 0,
    activation: 'gelu',
    norm: 'post',
    layer_norm_eps: 1e-12,
    positions: 'learned',
    max_positions: 6,
    scale_embedding: false,
    embedding_norm: true,
    final_norm: false,
    token_types: 2,
  });
  assert.equal(toFloat32(m.weights.get('encoder.layers.0.self_attn.q.weight')!.data)[0], 100);
  assert.equal(m.file, path.join(tmp, `m${n - 1}`, 'config.json'));
});

test('BertForMaskedLM: bert. prefix, old gamma/beta names, cls.* head ignored, tokenizer.json with [CLS]/[SEP]', () => {
  const cls: [string, Tensor][] = [
    ['cls.predictions.bias', ramp([5])],
    ['cls.predictions.transform.dense.weight', ramp([4, 4])],
  ];
  const dir = folder({ ...BERT_CONFIG, architectures: ['BertForMaskedLM'] }, [...bertTensors('bert.', true), ...cls]);
  fs.copyFileSync(path.join(ROOT, 'test/fixtures/tokenizers/bert-wordpiece/tokenizer.json'), path.join(dir, 'tokenizer.json'));
  const m = readHfFolder(dir);
  assertCanonical(m);
  assert.ok(!m.weights.has('lm_head.weight'));
  assert.deepEqual([...toFloat32(m.weights.get('embed.norm.weight')!.data)], [1, 2, 3, 4]);
  assert.deepEqual(m.sourceTokenizer!.encode('the cat sat').ids, [2, 5, 6, 7, 3]);
  assert.match(m.description ?? '', /BertForMaskedLM/);
});

test('GPT-2: Conv1D weights transposed, c_attn split into q, k, v; buffers ignored; transformer. prefix', () => {
  const d = 4;
  const T = 'transformer.';
  const cAttnW = ramp([d, 3 * d]);
  const cAttnB = ramp([3 * d], 1000);
  const cFc = ramp([d, 16], 500);
  const tensors: [string, Tensor][] = [
    [`${T}wte.weight`, ramp([5, d])],
    [`${T}wpe.weight`, ramp([6, d])],
    [`${T}h.0.ln_1.weight`, ramp([d])],
    [`${T}h.0.ln_1.bias`, ramp([d])],
    [`${T}h.0.attn.c_attn.weight`, cAttnW],
    [`${T}h.0.attn.c_attn.bias`, cAttnB],
    [`${T}h.0.attn.c_proj.weight`, ramp([d, d], 200)],
    [`${T}h.0.attn.c_proj.bias`, ramp([d])],
    [`${T}h.0.attn.bias`, ramp([1, 1, 6, 6])],
    [`${T}h.0.attn.masked_bias`, ramp([])],
    [`${T}h.0.ln_2.weight`, ramp([d])],
    [`${T}h.0.ln_2.bias`, ramp([d])],
    [`${T}h.0.mlp.c_fc.weight`, cFc],
    [`${T}h.0.mlp.c_fc.bias`, ramp([16])],
    [`${T}h.0.mlp.c_proj.weight`, ramp([16, d])],
    [`${T}h.0.mlp.c_proj.bias`, ramp([d])],
    [`${T}ln_f.weight`, ramp([d])],
    [`${T}ln_f.bias`, ramp([d])],
    ['lm_head.weight', ramp([5, d])],
  ];
  const config = {
    model_type: 'gpt2',
    vocab_size: 5,
    n_embd: d,
    n_head: 2,
    n_layer: 1,
    n_positions: 6,
    n_inner: null,
    bos_token_id: 4,
    eos_token_id: 4,
  };
  const m = readHfFolder(folder(config, tensors));
  assertCanonical(m);
  if (m.architecture !== 'transformer') return;
  assert.deepEqual(
    {
      kind: m.config.kind,
      d_ff: m.config.d_ff,
      norm: m.config.norm,
      final_norm: m.config.final_norm,
      act: m.config.activation,
      eps: m.config.layer_norm_eps,
      bos: m.config.bos_id,
    },
    { kind: 'decoder', d_ff: 16, norm: 'pre', final_norm: true, act: 'gelu_new', eps: 1e-5, bos: 4 },
  );
  // y = x·W for Conv1D, so the canonical [out, in] weight is W transposed: W_q[o][i] = c_attn[i][o].
  ['q', 'k', 'v'].forEach((p, s) => {
    const w = m.weights.get(`decoder.layers.0.self_attn.${p}.weight`)!;
    const b = m.weights.get(`decoder.layers.0.self_attn.${p}.bias`)!;
    for (let o = 0; o < d; o++) {
      for (let i = 0; i < d; i++) assert.equal(toFloat32(w.data)[o * d + i], cAttnW.data[i * 3 * d + s * d + o]);
      assert.equal(toFloat32(b.data)[o], cAttnB.data[s * d + o]);
    }
  });
  const fc1 = m.weights.get('decoder.layers.0.ffn.fc1.weight')!;
  assert.equal(toFloat32(fc1.data)[3 * d + 1], cFc.data[1 * 16 + 3]);
  assert.equal(toFloat32(m.weights.get('decoder.layers.0.self_attn.o.weight')!.data)[1], 200 + d); // [0][1] ← c_proj[1][0]
  assert.ok(!m.weights.has('lm_head.weight'), 'a saved head equal to wte is the tied head');
  const untied = readHfFolder(folder(config, [...tensors.slice(0, -1), ['lm_head.weight', ramp([5, d], 1)]]));
  assert.equal(toFloat32(untied.weights.get('lm_head.weight')!.data)[0], 1);
});

test('GPT-2: a c_attn of the wrong shape names the HF tensor', () => {
  const dir = folder({ model_type: 'gpt2', vocab_size: 5, n_embd: 4, n_head: 2, n_layer: 1, n_positions: 6 }, [
    ['h.0.attn.c_attn.weight', ramp([4, 8])],
  ]);
  assert.throws(
    () => readHfFolder(dir),
    (e: unknown) =>
      e instanceof ModelFormatError &&
      e.field === 'h.0.attn.c_attn.weight' &&
      /\[4, 12\] \(Conv1D \[in, out\]\).*found \[4, 8\]/.test(e.expected) &&
      e.file.endsWith('model.safetensors'),
  );
});

function marianTensors(d = 4, ff = 8, v = 5, decoderEmbed?: Tensor): [string, Tensor][] {
  const out: [string, Tensor][] = [
    ['model.shared.weight', ramp([v, d])],
    ['model.encoder.embed_tokens.weight', ramp([v, d])],
    ['model.decoder.embed_tokens.weight', decoderEmbed ?? ramp([v, d])],
    ['model.encoder.embed_positions.weight', ramp([8, d])],
    ['final_logits_bias', ramp([1, v], 7)],
  ];
  const lin = (p: string, o: number, i: number) => out.push([`${p}.weight`, ramp([o, i])], [`${p}.bias`, ramp([o])]);
  const ln = (p: string) => out.push([`${p}.weight`, ramp([d])], [`${p}.bias`, ramp([d])]);
  for (const s of ['encoder', 'decoder']) {
    const L = `model.${s}.layers.0`;
    for (const a of s === 'decoder' ? ['self_attn', 'encoder_attn'] : ['self_attn']) {
      for (const p of ['q', 'k', 'v', 'out']) lin(`${L}.${a}.${p}_proj`, d, d);
      ln(`${L}.${a}_layer_norm`);
    }
    lin(`${L}.fc1`, ff, d);
    lin(`${L}.fc2`, d, ff);
    ln(`${L}.final_layer_norm`);
  }
  return out;
}

const MARIAN_CONFIG = {
  model_type: 'marian',
  vocab_size: 5,
  d_model: 4,
  encoder_attention_heads: 2,
  decoder_attention_heads: 2,
  encoder_ffn_dim: 8,
  decoder_ffn_dim: 8,
  encoder_layers: 1,
  decoder_layers: 1,
  activation_function: 'swish',
  max_position_embeddings: 8,
  scale_embedding: true,
  bos_token_id: 0,
  eos_token_id: 0,
  decoder_start_token_id: 4,
  pad_token_id: 4,
};

test('Marian: enc-dec, swish, scaled sinusoidal-marian positions, shared embeddings, final_logits_bias → lm_head.bias', () => {
  const m = readHfFolder(folder(MARIAN_CONFIG, marianTensors()));
  assertCanonical(m);
  if (m.architecture !== 'transformer') return;
  const c = m.config;
  assert.deepEqual(
    [c.kind, c.activation, c.positions, c.scale_embedding, c.norm, c.layer_norm_eps, c.eos_id, c.decoder_start_id],
    ['encoder-decoder', 'swish', 'sinusoidal-marian', true, 'post', 1e-5, 0, 4],
  );
  const bias = m.weights.get('lm_head.bias')!;
  assert.deepEqual(bias.shape, [5]);
  assert.equal(toFloat32(bias.data)[0], 7);
  assert.ok(!m.weights.has('lm_head.weight'));
});

test('Marian: a decoder embedding that differs from the shared one is an error', () => {
  const dir = folder(MARIAN_CONFIG, marianTensors(4, 8, 5, ramp([5, 4], 1)));
  assert.throws(
    () => readHfFolder(dir),
    (e: unknown) =>
      e instanceof ModelFormatError &&
      e.field === 'model.decoder.embed_tokens.weight' &&
      /same values as model.shared.weight/.test(e.expected),
  );
});

test('config errors name the key', () => {
  const check = (config: Record<string, unknown>, field: string, re: RegExp) =>
    assert.throws(
      () => readHfFolder(folder(config, bertTensors(''))),
      (e: unknown) => e instanceof ModelFormatError && e.field === field && re.test(e.expected) && e.file.endsWith('config.json'),
    );
  check(
    { ...BERT_CONFIG, model_type: 'mixtral' },
    'model_type',
    /one of "bert", "gpt2", "marian", "roberta", .*"t5", "llama", .*; found "mixtral"/,
  );
  check({ ...BERT_CONFIG, model_type: undefined }, 'model_type', /it is missing/);
  check({ ...BERT_CONFIG, vocab_size: undefined }, 'vocab_size', /a positive integer; the key is missing/);
  check({ ...BERT_CONFIG, num_attention_heads: 3 }, 'num_attention_heads', /a divisor of hidden_size 4; found 3/);
  check({ ...BERT_CONFIG, hidden_act: 'mish' }, 'hidden_act', /one of relu, gelu.*found "mish"/);
  check({ ...BERT_CONFIG, position_embedding_type: 'relative_key' }, 'position_embedding_type', /"absolute"/);
  check({ ...MARIAN_CONFIG, decoder_attention_heads: 4 }, 'decoder_attention_heads', /same as encoder_attention_heads 2/);
});

test('unknown tensor names and a missing model.safetensors are errors', () => {
  const dir = folder(BERT_CONFIG, [...bertTensors(''), ['encoder.layer.0.attention.self.rotary.weight', ramp([2])]]);
  assert.throws(
    () => readHfFolder(dir),
    (e: unknown) =>
      e instanceof ModelFormatError && e.field === 'encoder.layer.0.attention.self.rotary.weight' && e.file.endsWith('model.safetensors'),
  );
  fs.rmSync(path.join(dir, 'model.safetensors'));
  fs.writeFileSync(path.join(dir, 'pytorch_model.bin'), '');
  assert.throws(
    () => readHfFolder(dir),
    (e: unknown) => e instanceof ModelFormatError && e.field === 'model.safetensors' && /safe_serialization/.test(e.expected),
  );
});

test('sharded checkpoints (model.safetensors.index.json)', () => {
  const dir = folder(BERT_CONFIG, []);
  fs.rmSync(path.join(dir, 'model.safetensors'));
  const all = bertTensors('');
  fs.writeFileSync(path.join(dir, 'a.safetensors'), writeSafetensors(new Map(all.slice(0, 10))));
  fs.writeFileSync(path.join(dir, 'b.safetensors'), writeSafetensors(new Map(all.slice(10))));
  const weight_map = Object.fromEntries(all.map(([k], i) => [k, i < 10 ? 'a.safetensors' : 'b.safetensors']));
  fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map }));
  assertCanonical(readHfFolder(dir));
});

test('the PyTorch-generated fixtures map onto the canonical names and shapes', () => {
  for (const name of ['bert', 'bert-prefixed', 'gpt2', 'marian']) {
    const dir = path.join(ROOT, 'test/fixtures/hf', name);
    assert.ok(fs.existsSync(path.join(dir, 'config.json')), `${dir}/config.json is missing (committed fixture)`);
    const m = readHfFolder(dir);
    assertCanonical(m);
    if (name.startsWith('bert')) assert.ok(!m.weights.has('lm_head.weight'), `${name}: the MLM head is not an lm_head`);
    if (name === 'marian') assert.deepEqual(m.weights.get('lm_head.bias')!.shape, [50]);
  }
});

test('the README\'s "Models it reads" names every model_type the Hugging Face reader accepts', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = /^## Models it reads\n([\s\S]*?)^## /m.exec(readme)?.[1];
  assert.ok(section, 'README has a "Models it reads" section');
  const missing = HF_MODEL_TYPES.filter((t) => !section.includes(`\`${t}\``));
  assert.deepEqual(missing, [], `model types the README does not list: ${missing.join(', ')}`);
});
