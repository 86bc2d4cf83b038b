// RNN seq2seq with attention: closed-form cases built in memory, then every rnn-* fixture of
// test/fixtures/expected/index.json (PyTorch reference, float64) within the stated tolerances.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RnnSeq2seqConfig } from '../../../src/engine/format/loaded';
import { InputError, ModelFormatError } from '../../../src/engine/format/errors';
import { loadModel } from '../../../src/engine/format/load';
import { buildRnnSeq2seq, type RnnSeq2seqModel } from '../../../src/engine/models/rnnSeq2seq';
import { tensor, type Tensor } from '../../../src/engine/tensor';
import type { Progress } from '../../../src/engine/types';

// ------------------------------------------------------------------ in-memory models

const BASE: RnnSeq2seqConfig = {
  cell: 'gru',
  src_vocab_size: 7,
  tgt_vocab_size: 8,
  embed_dim: 3,
  hidden_size: 4,
  bidirectional: false,
  score: 'dot',
  attention_dim: 5,
  bos_id: 1,
  eos_id: 2,
  max_target_length: 6,
};

/** The doc's tensor table for a config, plus the attention tensors of the listed scores. */
function tensorShapes(c: RnnSeq2seqConfig, extra: ('general' | 'additive')[]): [string, number[]][] {
  const H = c.hidden_size;
  const He = H * (c.bidirectional ? 2 : 1);
  const G = (c.cell === 'gru' ? 3 : 4) * H;
  const E = c.embed_dim;
  const rnn = (p: string, inp: number): [string, number[]][] => [
    [`${p}.weight_ih`, [G, inp]],
    [`${p}.weight_hh`, [G, H]],
    [`${p}.bias_ih`, [G]],
    [`${p}.bias_hh`, [G]],
  ];
  const out: [string, number[]][] = [
    ['encoder.embed', [c.src_vocab_size, E]],
    ...rnn('encoder.rnn', E),
    ...(c.bidirectional ? rnn('encoder.rnn_reverse', E) : []),
    ['decoder.init.weight', [H, He]],
    ['decoder.init.bias', [H]],
    ['decoder.embed', [c.tgt_vocab_size, E]],
    ...rnn('decoder.rnn', E + He),
    ['decoder.out.weight', [c.tgt_vocab_size, H + He]],
    ['decoder.out.bias', [c.tgt_vocab_size]],
  ];
  if (extra.includes('general')) out.push(['attention.W', [H, He]]);
  const A = c.attention_dim ?? 5;
  if (extra.includes('additive')) out.push(['attention.W1', [A, He]], ['attention.W2', [A, H]], ['attention.v', [A]]);
  return out;
}

interface Spec {
  config?: Partial<RnnSeq2seqConfig>;
  scores?: ('general' | 'additive')[];
  zero?: string[]; // tensors (by name prefix) filled with 0; the rest are seeded random
  set?: Record<string, number[]>; // tensor data given explicitly
  seed?: number;
}

function makeModel(spec: Spec = {}): RnnSeq2seqModel {
  const config = { ...BASE, ...spec.config };
  let s = (spec.seed ?? 12345) >>> 0;
  const rnd = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296 - 0.5) * 2;
  const weights = new Map<string, Tensor>();
  for (const [name, shape] of tensorShapes(config, spec.scores ?? [])) {
    const t = tensor(shape);
    const given = spec.set?.[name];
    if (given) t.data.set(given);
    else if (!spec.zero?.some((p) => name.startsWith(p))) for (let i = 0; i < t.data.length; i++) t.data[i] = rnd();
    weights.set(name, t);
  }
  return { architecture: 'rnn-seq2seq', config, file: 'mem/test.model.json', name: 'test', weights, examples: [] };
}

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));
const softmax = (e: number[]): number[] => {
  const m = Math.max(...e);
  const x = e.map((v) => Math.exp(v - m));
  const sum = x.reduce((a, b) => a + b, 0);
  return x.map((v) => v / sum);
};
const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let acc = 0;
  for (let i = 0; i < a.length; i++) acc += a[i] * b[i];
  return acc;
};

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'length');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function assertThrowsField<E extends Error & { field: string }>(
  fn: () => unknown,
  cls: new (...a: never[]) => E,
  field: string,
  text?: RegExp,
): E {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof cls, `expected ${cls.name}, got ${String(caught)}`);
  assert.equal(caught.field, field, caught.message);
  if (text) assert.match(caught.message, text);
  return caught;
}

// ------------------------------------------------------------------ closed-form cases

// Bias-only GRU (all matrices 0): r, z, n are constants, h' = (1−z)n + z·h, so from h = 0 the
// state after k steps is (1 − z^k)·n. The encoder states, s_0 and s_1 all follow by hand.
const encB = { ih: [0, 0, 0, 0, 0.4, -0.3, 0.9, 0.2, 0.8, -0.6, 0.5, 1.2], hh: new Array<number>(12).fill(0) };
const zEnc = [0, 1, 2, 3].map((u) => sigmoid(encB.ih[4 + u]));
const nEnc = [0, 1, 2, 3].map((u) => Math.tanh(encB.ih[8 + u]));
const hAfter = (k: number): number[] => [0, 1, 2, 3].map((u) => (1 - zEnc[u] ** k) * nEnc[u]);

function biasOnlyModel(
  config: Partial<RnnSeq2seqConfig> = {},
  set: Record<string, number[]> = {},
  scores: Spec['scores'] = [],
): RnnSeq2seqModel {
  return makeModel({
    config,
    scores,
    zero: ['encoder.rnn', 'decoder.init.weight', 'decoder.rnn'],
    set: { 'encoder.rnn.bias_ih': encB.ih, 'encoder.rnn.bias_hh': encB.hh, 'decoder.init.bias': [0.5, -1, 0.25, 2], ...set },
  });
}

test('encoder states: bias-only GRU unrolls to h_j = (1 − z^(j+1))·n; bidirectional concatenates the reversed run', () => {
  const uni = buildRnnSeq2seq(biasOnlyModel()).encode([3, 4, 5]);
  assert.ok(maxAbs(uni.states, [...hAfter(1), ...hAfter(2), ...hAfter(3)]) < 1e-6);
  const bi = buildRnnSeq2seq(
    biasOnlyModel(
      { bidirectional: true, score: 'general' },
      {
        'encoder.rnn_reverse.bias_ih': encB.ih,
        'encoder.rnn_reverse.bias_hh': encB.hh,
        'attention.W': new Array<number>(32).fill(0),
      },
      ['general'],
    ),
  );
  const enc = bi.encode([3, 4, 5]);
  assert.equal(bi.encoderSize, 8);
  assert.ok(maxAbs(enc.states, [...hAfter(1), ...hAfter(3), ...hAfter(2), ...hAfter(2), ...hAfter(3), ...hAfter(1)]) < 1e-6);
});

test('dot score: e_tj = s_t·h_j and α = softmax, against hand-computed s_0 and s_1', () => {
  const m = buildRnnSeq2seq(biasOnlyModel());
  const h = [hAfter(1), hAfter(2), hAfter(3)];
  const s0 = [0.5, -1, 0.25, 2].map(Math.tanh); // W_init = 0: s_0 = tanh(b_init)
  // Decoder GRU with zero matrices and zero biases: r = z = ½, n = 0, so s_1 = ½·s_0.
  const s1 = s0.map((v) => v / 2);
  const out = m.decode(m.encode([3, 4, 5]), { targetIds: [1, 6] });
  const e = [s0, s1].flatMap((s) => h.map((hj) => dot(s, hj)));
  assert.ok(maxAbs(out.scores, e) < 1e-6);
  assert.ok(maxAbs(out.probs, [...softmax(e.slice(0, 3)), ...softmax(e.slice(3))]) < 1e-6);
  assert.ok(maxAbs(out.states, [...s1, ...s1.map((v) => v / 2)]) < 1e-6);
});

test('LSTM decoder: the cell state starts at 0, so s_1 = σ(b_o)·tanh(σ(b_i)·tanh(b_g))', () => {
  const b = [0.3, -0.2, 0.1, 0.7, 0, 0, 0, 0, 1.1, -0.4, 0.6, 0.9, -0.5, 0.8, 0.2, 1.5]; // i f g o, H = 4
  const m = buildRnnSeq2seq(
    makeModel({
      config: { cell: 'lstm' },
      zero: ['encoder.rnn', 'decoder.init.weight', 'decoder.rnn'],
      set: { 'decoder.rnn.bias_ih': b, 'decoder.init.bias': [3, 3, 3, 3] }, // f would matter if c_0 ≠ 0
    }),
  );
  const out = m.decode(m.encode([1, 2]), { targetIds: [1, 3] });
  const s1 = [0, 1, 2, 3].map((u) => sigmoid(b[12 + u]) * Math.tanh(sigmoid(b[u]) * Math.tanh(b[8 + u])));
  assert.ok(maxAbs(out.states.subarray(0, 4), s1) < 1e-6);
});

test('additive with v = 0: every score is 0 and α is uniform', () => {
  const m = buildRnnSeq2seq(makeModel({ config: { score: 'additive' }, scores: ['additive'], zero: ['attention.v'] }));
  const r = m.run({ ids: [3, 4, 5, 6, 0], targetIds: [1, 4, 5] });
  const a = r.attentions[0];
  assert.deepEqual([a.part, a.layer, a.heads, a.queries, a.keys], ['cross', 0, 1, 3, 5]);
  assert.ok(maxAbs(a.scores, new Array<number>(15).fill(0)) === 0);
  assert.ok(maxAbs(a.probs, new Array<number>(15).fill(0.2)) < 1e-7);
});

test('score switching: dot and scaled-dot differ exactly by the temperature √H_enc at step 0', () => {
  const m = buildRnnSeq2seq(makeModel({ config: { hidden_size: 4 }, seed: 99 }));
  const dotRun = m.run({ ids: [3, 4, 5, 6], targetIds: [1], score: 'dot' }).attentions[0];
  const sd = m.run({ ids: [3, 4, 5, 6], targetIds: [1], score: 'scaled-dot' }).attentions[0];
  for (let j = 1; j < 4; j++) {
    assert.ok(Math.abs(dotRun.scores[j] - 2 * sd.scores[j]) < 1e-6);
    const ratio = Math.log(dotRun.probs[j] / dotRun.probs[0]) / Math.log(sd.probs[j] / sd.probs[0]);
    assert.ok(Math.abs(ratio - 2) < 1e-4, `log-ratio ${ratio}`); // √H_enc = √4
  }
});

test('availableScores: dot kinds only when H = H_enc; general / additive only with their tensors', () => {
  assert.deepEqual(buildRnnSeq2seq(makeModel()).availableScores(), ['dot', 'scaled-dot']);
  const all = buildRnnSeq2seq(makeModel({ scores: ['general', 'additive'] }));
  assert.deepEqual(all.availableScores(), ['dot', 'general', 'additive', 'scaled-dot']);
  const bi = buildRnnSeq2seq(makeModel({ config: { bidirectional: true, score: 'additive' }, scores: ['additive'] }));
  assert.deepEqual(bi.availableScores(), ['additive']);
  assertThrowsField(() => bi.run({ ids: [1], score: 'dot' }), InputError, 'score', /H = H_enc.*available: additive/);
  assertThrowsField(
    () => all.run({ ids: [1], score: 'bogus' as 'dot' }),
    InputError,
    'score',
    /available: dot, general, additive, scaled-dot/,
  );
  const dotOnly = buildRnnSeq2seq(makeModel());
  assertThrowsField(() => dotOnly.run({ ids: [1], score: 'general' }), InputError, 'score', /attention\.W.*available: dot, scaled-dot/);
});

test('switchableScores: a trained model switches only dot ↔ scaled-dot, even when the file has other scores', () => {
  const switchable = (spec: Parameters<typeof makeModel>[0]) => buildRnnSeq2seq(makeModel(spec)).switchableScores();
  assert.deepEqual(switchable({}), ['dot', 'scaled-dot']);
  assert.deepEqual(switchable({ config: { score: 'scaled-dot' } }), ['dot', 'scaled-dot']);
  // W and W1/W2/v present but trained (if at all) for another score: no switch to or from them.
  assert.deepEqual(switchable({ scores: ['general', 'additive'] }), ['dot', 'scaled-dot']);
  assert.deepEqual(switchable({ config: { score: 'general' }, scores: ['general', 'additive'] }), ['general']);
  assert.deepEqual(switchable({ config: { bidirectional: true, score: 'additive' }, scores: ['additive'] }), ['additive']);
});

test('tensors: wrong shape, missing, extra, partial score sets and impossible configs are ModelFormatErrors', () => {
  const bad = makeModel();
  bad.weights.set('decoder.rnn.weight_ih', tensor([12, 6]));
  const e = assertThrowsField(() => buildRnnSeq2seq(bad), ModelFormatError, 'decoder.rnn.weight_ih', /\[12, 7\]; found \[12, 6\]/);
  assert.match(e.message, /^mem\/test\.model\.json: /);
  const missing = makeModel();
  missing.weights.delete('encoder.rnn.bias_hh');
  assertThrowsField(() => buildRnnSeq2seq(missing), ModelFormatError, 'encoder.rnn.bias_hh', /\[12\].*missing/);
  const extra = makeModel();
  extra.weights.set('decoder.out.wieght', tensor([1]));
  assertThrowsField(() => buildRnnSeq2seq(extra), ModelFormatError, 'decoder.out.wieght');
  const partial = makeModel();
  partial.weights.set('attention.W1', tensor([5, 4]));
  assertThrowsField(() => buildRnnSeq2seq(partial), ModelFormatError, 'attention.W2', /missing/);
  const noGeneral = makeModel({ config: { score: 'general' } });
  assertThrowsField(() => buildRnnSeq2seq(noGeneral), ModelFormatError, 'attention.W', /\[4, 4\].*missing/);
  assertThrowsField(
    () => buildRnnSeq2seq(makeModel({ config: { bidirectional: true }, scores: ['general'] })),
    ModelFormatError,
    'config.score',
    /H_enc = 8/,
  );
  assertThrowsField(() => buildRnnSeq2seq(makeModel({ config: { eos_id: 8 } })), ModelFormatError, 'config.eos_id', /\[0, 7\]/);
  // Tensors of a score that is not selected are allowed, and still shape-checked.
  assert.doesNotThrow(() => buildRnnSeq2seq(makeModel({ scores: ['general', 'additive'] })));
  const wrongW = makeModel({ scores: ['general'] });
  wrongW.weights.set('attention.W', tensor([4, 5]));
  assertThrowsField(() => buildRnnSeq2seq(wrongW), ModelFormatError, 'attention.W');
});

test('ids out of range, negative, non-integer or empty are InputErrors naming the position and range', () => {
  const m = buildRnnSeq2seq(makeModel());
  assertThrowsField(() => m.run({ ids: [1, 2, 3, 7] }), InputError, 'ids[3]', /\[0, 6\]/);
  assertThrowsField(() => m.run({ ids: [-1] }), InputError, 'ids[0]');
  assertThrowsField(() => m.run({ ids: [1, 2.5] }), InputError, 'ids[1]');
  assertThrowsField(() => m.run({ ids: [Number.NaN] }), InputError, 'ids[0]');
  assertThrowsField(() => m.run({ ids: [] }), InputError, 'ids');
  assertThrowsField(() => m.run({ ids: [1], targetIds: [8] }), InputError, 'target_ids[0]', /\[0, 7\]/);
  assertThrowsField(() => m.run({ ids: [1], targetIds: [] }), InputError, 'target_ids');
});

test('greedy: starts at bos, feeds predictions back, stops after eos or at max_target_length inputs', () => {
  const zeros = new Array<number>(8 * 8).fill(0);
  const eosFirst = buildRnnSeq2seq(makeModel({ set: { 'decoder.out.weight': zeros, 'decoder.out.bias': [0, 0, 5, 0, 0, 0, 0, 0] } }));
  const r1 = eosFirst.run({ ids: [3, 4] });
  assert.deepEqual([r1.targetIds, r1.predicted, r1.attentions[0].queries], [[1], [2], 1]);
  const never = buildRnnSeq2seq(makeModel({ set: { 'decoder.out.weight': zeros, 'decoder.out.bias': [0, 0, 0, 0, 0, 5, 0, 0] } }));
  const r2 = never.run({ ids: [3, 4] });
  assert.deepEqual(r2.targetIds, [1, 5, 5, 5, 5, 5]); // max_target_length = 6 decoder inputs
  assert.deepEqual(r2.predicted, [5, 5, 5, 5, 5, 5]);
  // Teacher-forcing the greedy inputs reproduces the greedy run exactly.
  const m = buildRnnSeq2seq(makeModel({ seed: 7, scores: ['additive'], config: { score: 'additive' } }));
  const g = m.run({ ids: [3, 4, 5] });
  const f = m.run({ ids: [3, 4, 5], targetIds: g.targetIds });
  assert.deepEqual(f.predicted, g.predicted);
  assert.equal(maxAbs(f.attentions[0].probs, g.attentions[0].probs), 0);
});

test('progress per decoder step, and cancellation throws CancelledError between steps', () => {
  const m = buildRnnSeq2seq(makeModel());
  const seen: Progress[] = [];
  m.run({ ids: [3, 4], targetIds: [1, 3, 4] }, { isCancelled: () => false, progress: (p) => seen.push(p) });
  assert.deepEqual(
    seen.map((p) => [p.done, p.total]),
    [
      [1, 3],
      [2, 3],
      [3, 3],
    ],
  );
  let cancelled = false;
  let steps = 0;
  const progress = (): void => {
    if (++steps === 2) cancelled = true;
  };
  assert.throws(() => m.run({ ids: [3, 4], targetIds: [1, 3, 4, 5] }, { isCancelled: () => cancelled, progress }), {
    name: 'CancelledError',
  });
  assert.equal(steps, 2);
  assert.throws(() => m.run({ ids: [3] }, { isCancelled: () => true, progress: () => {} }), { name: 'CancelledError' });
});

// ------------------------------------------------------------------ PyTorch fixtures

const FIXTURES = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures');

interface IndexEntry {
  case: string;
  model: string;
  ids: number[];
  target_ids: number[] | null;
  expected: string;
}
interface Expected {
  ids: number[];
  target_ids: number[];
  attentions: { cross: number[][][][] };
  scores: { cross: number[][][][] };
  final_hidden?: { encoder?: number[][]; decoder?: number[][] };
  predicted_ids: number[];
}

/** Through the project's own reader (schema check, base64 inline weights). */
function readRnnModel(file: string): RnnSeq2seqModel {
  const m = loadModel(file);
  assert.equal(m.architecture, 'rnn-seq2seq');
  return m as RnnSeq2seqModel;
}

// The index is committed (test/fixtures/gen_fixtures.py writes it): a missing one is a failure, never a skip.
const indexFile = path.join(FIXTURES, 'expected', 'index.json');
const entries = fs.existsSync(indexFile)
  ? (JSON.parse(fs.readFileSync(indexFile, 'utf8')) as IndexEntry[]).filter((e) => e.case.startsWith('rnn-'))
  : [];
const worst = { probs: 0, scores: 0, encoder: 0, decoder: 0 };

test('PyTorch fixtures are present', () => {
  assert.ok(fs.existsSync(indexFile), `${indexFile} is missing (committed; regenerate with test/fixtures/gen_fixtures.py)`);
  assert.equal(entries.length, 16); // {gru, lstm} × {dot, general, additive, scaled-dot} × {forced, greedy}
});

for (const entry of entries) {
  test(`fixture ${entry.case}`, () => {
    const exp = JSON.parse(fs.readFileSync(path.join(FIXTURES, entry.expected), 'utf8')) as Expected;
    const m = buildRnnSeq2seq(readRnnModel(path.join(FIXTURES, entry.model)));
    const enc = m.encode(entry.ids);
    const d = m.decode(enc, { targetIds: entry.target_ids ?? undefined });
    assert.deepEqual(d.targetIds, exp.target_ids);
    assert.deepEqual(d.predicted, exp.predicted_ids);
    const errs = {
      probs: maxAbs(d.probs, exp.attentions.cross[0][0].flat()),
      scores: maxAbs(d.scores, exp.scores.cross[0][0].flat()),
      encoder: exp.final_hidden?.encoder ? maxAbs(enc.states, exp.final_hidden.encoder.flat()) : 0,
      decoder: exp.final_hidden?.decoder ? maxAbs(d.states, exp.final_hidden.decoder.flat()) : 0,
    };
    for (const k of Object.keys(worst) as (keyof typeof worst)[]) worst[k] = Math.max(worst[k], errs[k]);
    assert.ok(errs.probs <= 1e-5, `α max error ${errs.probs}`);
    assert.ok(errs.scores <= 1e-4, `score max error ${errs.scores}`);
    assert.ok(errs.encoder <= 1e-5 && errs.decoder <= 1e-5, `state errors ${errs.encoder} ${errs.decoder}`);
    // run() gives the same attention as encode + decode, shaped as one cross layer.
    const r = m.run({ ids: entry.ids, targetIds: entry.target_ids ?? undefined });
    assert.deepEqual([r.attentions[0].queries, r.attentions[0].keys], [exp.target_ids.length, entry.ids.length]);
    assert.equal(maxAbs(r.attentions[0].probs, d.probs), 0);
  });
}

test('fixture error summary', () => {
  assert.ok(entries.length > 0, 'no fixture ran');
  console.log(
    `rnn fixtures: ${entries.length} cases; max |Δ| α ${worst.probs.toExponential(2)}, e ${worst.scores.toExponential(2)}, ` +
      `encoder h ${worst.encoder.toExponential(2)}, decoder s ${worst.decoder.toExponential(2)}`,
  );
});
