// Side panel and model page messages: the guards drop malformed or hostile input, and what the
// host sends passes the guards the pages apply.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { isHostToSidebar, isSidebarToHost, MAX_SIDEBAR_GENERATE, MAX_SIDEBAR_INPUT } from '../../../common/sidebar';
import { loadModel, runModel } from '../../../src/engine/run';
import { isHostToModelPage, isModelPageToHost, splitEngineError } from '../../../common/modelPage';
import { sidebarState } from '../../../src/sidebar/sidebarState';
import { averagePool, headSummaries } from '../../../common/headData';
import { syntheticResult } from '../../webview/synthetic';

test('isSidebarToHost accepts each well-formed message', () => {
  for (const m of [
    { type: 'ready' },
    { type: 'chooseModel' },
    { type: 'input', text: '' },
    { type: 'input', text: 'the cat' },
    { type: 'runNow', text: 'x' },
    { type: 'openHead', part: 'cross', layer: 0, head: 3 },
    { type: 'cancel' },
  ])
    assert.ok(isSidebarToHost(m), JSON.stringify(m));
});

test('isSidebarToHost rejects malformed or hostile input', () => {
  const bad: unknown[] = [
    null,
    'ready',
    [],
    {},
    { type: 'READY' },
    { type: 'run', text: 'x' },
    { type: 'input' },
    { type: 'input', text: 42 },
    { type: 'input', text: 'x'.repeat(MAX_SIDEBAR_INPUT + 1) },
    { type: 'runNow', text: { toString: 'x' } },
    { type: 'openHead', part: 'all', layer: 0, head: 0 },
    { type: 'openHead', part: 'encoder', layer: -1, head: 0 },
    { type: 'openHead', part: 'encoder', layer: 0, head: 0.5 },
    { type: 'openHead', part: 'encoder', layer: 0, head: '1' },
    { type: 'openHead', part: 'encoder', layer: 1e9, head: 0 },
    { type: 'openHead', part: 'encoder', layer: NaN, head: 0 },
  ];
  for (const b of bad) assert.equal(isSidebarToHost(b), false, JSON.stringify(b) ?? String(b));
});

test('sidebarState of a run: tokens, one grid entry per layer × head, passes the view guard', () => {
  const r = syntheticResult();
  const s = sidebarState({
    current: '/m.model.json',
    resultModel: '/m.model.json',
    lastResult: r,
    lastInput: { text: 'a b' },
    running: false,
  });
  assert.equal(s.input, 'a b');
  assert.equal(s.status, 'idle');
  assert.deepEqual(s.tokens.source, r.tokens.source);
  assert.equal(s.model?.name, r.model.name);
  const parts = new Set(r.attentions.map((a) => a.part));
  assert.deepEqual(s.parts.map((p) => p.part).sort(), [...parts].sort());
  for (const p of s.parts) {
    const layers = r.attentions.filter((a) => a.part === p.part);
    assert.equal(p.layers, layers.length);
    assert.equal(p.thumbnails.length, p.layers * p.heads);
    // Small: at most 12 × 12 cells, each an average of probabilities as a ramp step, the tile's top at 255.
    for (const t of p.thumbnails) {
      assert.ok(t.rows <= Math.min(12, layers[0].queries) && t.cols <= Math.min(12, layers[0].keys));
      assert.equal(t.levels.length, t.rows * t.cols);
      assert.equal(Math.max(...t.levels), 255);
    }
  }
  assert.ok(isHostToSidebar(s));
});

test('sidebarState without a model asks for one; an error shows its message; ids input round-trips as text', () => {
  const none = sidebarState({ running: false });
  assert.equal(none.model, undefined);
  assert.match(none.message ?? '', /Choose a model/);
  assert.ok(isHostToSidebar(none));
  const err = sidebarState({
    current: '/x/m.model.json',
    running: false,
    lastError: 'input: token "zz" is not in the vocabulary',
    lastInput: { ids: [4, 5] },
  });
  assert.equal(err.status, 'error');
  assert.equal(err.model?.name, 'm.model.json');
  assert.equal(err.input, 'ids: 4, 5');
  assert.match(err.message ?? '', /zz/);
  // A run the person cancelled says so under the box; a running one, or one replaced by typing, does not.
  const base = { current: '/m', resultModel: '/m', lastResult: syntheticResult(), running: false };
  assert.equal(
    sidebarState({ ...base, cancelled: true }).message,
    'Run cancelled. The tokens and heads below are from the last finished run.',
  );
  assert.equal(sidebarState({ current: '/m', running: false, cancelled: true }).message, 'Run cancelled.');
  assert.equal(sidebarState({ ...base, cancelled: true, running: true }).message, undefined);
  assert.equal(sidebarState(base).message, undefined);
});

test('isHostToSidebar rejects thumbnails whose data does not match their shape', () => {
  const s = sidebarState({ current: '/m', resultModel: '/m', lastResult: syntheticResult(), running: false });
  const t = s.parts[0].thumbnails[0];
  assert.equal(
    isHostToSidebar({ ...s, parts: [{ ...s.parts[0], thumbnails: [{ ...t, rows: t.rows + 1 }, ...s.parts[0].thumbnails.slice(1)] }] }),
    false,
  );
  assert.equal(isHostToSidebar({ ...s, parts: [{ ...s.parts[0], thumbnails: s.parts[0].thumbnails.slice(1) }] }), false);
  assert.equal(isHostToSidebar({ ...s, tokens: { source: [1], target: [] } }), false);
  assert.equal(isHostToSidebar({ ...s, status: 'busy' }), false);
});

test('model page guards and the engine error split into file, field, expected', () => {
  assert.ok(isModelPageToHost({ type: 'runExample', index: 2 }));
  for (const b of [{ type: 'runExample', index: -1 }, { type: 'runExample', index: 1.5 }, { type: 'eval' }, null])
    assert.equal(isModelPageToHost(b), false);
  const e = splitEngineError(
    { message: '/m/x.model.json: config.d_model: a positive integer, got -3', file: '/m/x.model.json', field: 'config.d_model' },
    '/other',
  );
  assert.deepEqual(e, { type: 'loadError', file: '/m/x.model.json', field: 'config.d_model', expected: 'a positive integer, got -3' });
  assert.ok(isHostToModelPage(e));
  assert.deepEqual(splitEngineError({ message: 'ENOENT: no such file' }, '/f.json'), {
    type: 'loadError',
    file: '/f.json',
    expected: 'ENOENT: no such file',
  });
  assert.equal(
    isHostToModelPage({
      type: 'model',
      file: 'f',
      name: 'n',
      architecture: 'a',
      kind: 'k',
      parameters: 1,
      details: { x: {} },
      examples: [],
    }),
    false,
  );
});

test('sidebarState: each message has its own thumbnail buffers with the same numbers (the pooling is kept per run)', () => {
  const r = syntheticResult();
  const state = () => sidebarState({ current: '/m', resultModel: '/m', lastResult: r, running: false });
  const a = state();
  const b = state();
  assert.deepEqual(b.parts, a.parts);
  assert.notEqual(b.parts[0].thumbnails[0].levels.buffer, a.parts[0].thumbnails[0].levels.buffer, 'a posted message may take its buffers');
});

test("sidebar thumbnails come from the inspector's per-layer summaries, not a second pass over every probability", () => {
  const n = 100;
  const probs = new Float32Array(n * n).map((_, k) => ((k * 7919) % 101) / 101 / 50);
  const layer = { part: 'encoder' as const, layer: 0, heads: 1, queries: n, keys: n, probs, scores: new Float32Array(n * n) };
  const r = { ...syntheticResult(), attentions: [layer] };
  const exact = averagePool(probs, 0, n, n, 12, 12).data;
  headSummaries(layer); // what the inspector computed when the layer streamed in
  probs.fill(0); // a pass over the probabilities now would see zeros
  const t = sidebarState({ current: '/m', resultModel: '/m', lastResult: r, running: false }).parts[0].thumbnails[0];
  assert.equal(t.rows, 12);
  const top = Math.max(...exact);
  let worst = 0;
  for (let k = 0; k < 144; k++) worst = Math.max(worst, Math.abs(t.levels[k] - (exact[k] / top) * 255));
  assert.ok(worst < 0.1 * 255, `pooled from the 32×32 summary, within 10 % of the exact 12×12 pooling's ramp: ${worst} steps`);
});

// Issue 20: a new model's name and error appeared beside the previous model's tokens and grid.
test('sidebarState never mixes models: another model chosen (running or failed) shows none of the old tokens or heads', () => {
  const r = syntheticResult();
  const old = { resultModel: '/a/old.model.json', lastResult: r };
  for (const s of [
    sidebarState({ ...old, current: '/b/new.model.json', running: false, lastError: 'config.json: d_model: a positive integer' }),
    sidebarState({ ...old, current: '/b/new.model.json', running: true }),
  ]) {
    assert.equal(s.model?.name, 'new.model.json');
    assert.deepEqual(s.tokens, { source: [], target: [] });
    assert.deepEqual(s.parts, []);
    assert.ok(isHostToSidebar(s));
  }
});

test("sidebarState: the view's own input error wins, and an ids-only model says so in the box", () => {
  const r = syntheticResult();
  const idsOnly = { ...r, model: { ...r.model, vocab: { tokenizer: false, size: 50 } } };
  const s = sidebarState({ current: '/m', resultModel: '/m', lastResult: idsOnly, running: false }, '“x” is not a token id');
  assert.equal(s.status, 'error');
  assert.equal(s.message, '“x” is not a token id');
  assert.match(s.placeholder ?? '', /token ids 0…49/);
  assert.ok(isHostToSidebar(s));
  assert.equal(sidebarState({ current: '/m', resultModel: '/m', lastResult: r, running: false }).placeholder, undefined);
  assert.equal(isHostToSidebar({ ...s, placeholder: 7 }), false);
});

test('Run view chat template: offered when the model has one, the chat input shows its user message, chat flag guarded', () => {
  const r = syntheticResult();
  const base = { current: '/m', resultModel: '/m', lastInput: { chat: { system: 's', user: 'hi' } }, running: false };
  assert.equal(sidebarState({ ...base, lastResult: r }).chatTemplate, undefined);
  const s = sidebarState({ ...base, lastResult: { ...r, model: { ...r.model, chatTemplate: true } } });
  assert.equal(s.chatTemplate, true);
  assert.equal(s.input, 'hi');
  assert.ok(isHostToSidebar(s));
  assert.ok(!isHostToSidebar({ ...s, chatTemplate: 'yes' }));
  assert.ok(isSidebarToHost({ type: 'input', text: 'x', chat: true }));
  assert.ok(!isSidebarToHost({ type: 'runNow', text: 'x', chat: 1 }));
});

test('generate: the view sends a token count, the guard bounds it; a decoder-only run offers the field and marks what it generated', () => {
  assert.ok(isSidebarToHost({ type: 'runNow', text: 'x', generate: 5 }));
  assert.ok(isSidebarToHost({ type: 'input', text: 'x', generate: 0 }));
  for (const generate of [-1, 1.5, '3', MAX_SIDEBAR_GENERATE + 1, NaN])
    assert.ok(!isSidebarToHost({ type: 'runNow', text: 'x', generate }));
  const model = loadModel(path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'hf-families', 'llama'));
  const result = runModel(model, { ids: [1, 5, 9], generate: 4 });
  const s = sidebarState({ current: 'llama', resultModel: 'llama', lastResult: result, running: false });
  assert.equal(s.canGenerate, true);
  assert.equal(s.tokens.generated, 4);
  assert.equal(s.tokens.source.length, 7);
  assert.ok(isHostToSidebar(s));
  assert.ok(!isHostToSidebar({ ...s, tokens: { ...s.tokens, generated: 8 } }), 'more generated than tokens');
  const encdec = syntheticResult();
  const e = sidebarState({ current: 'm', resultModel: 'm', lastResult: encdec, running: false });
  assert.equal(e.canGenerate, undefined, 'an encoder–decoder run offers no "Generate N tokens"');
});

test('the Run view takes a run’s progress as layers done of total, and nothing that cannot be', () => {
  assert.ok(isHostToSidebar({ type: 'progress', done: 3, total: 12, message: 'encoder layer 4/12' }));
  for (const bad of [
    { done: 13, total: 12 },
    { done: 0, total: 0 },
    { done: -1, total: 4 },
    { done: 1.5, total: 4 },
    { done: 1, total: 4, message: 7 },
    { done: 1, total: 4, message: 'x'.repeat(501) },
  ])
    assert.equal(isHostToSidebar({ type: 'progress', message: 'm', ...bad }), false, JSON.stringify(bad).slice(0, 60));
});
