// Guards of the view messages (untrusted in both directions) and the session's answers to them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InspectorSession } from '../../../src/protocol/inspectorSession';
import { isHostToWebview, isWebviewToHost, sanitizeState, type HostToWebview } from '../../../common/webview';
import { meanOverHeads } from '../../../common/aggregates';
import { syntheticResult } from '../../webview/synthetic';

const agg = (o: Record<string, unknown> = {}) => ({
  type: 'requestAggregate',
  requestId: 1,
  runId: 1,
  part: 'encoder',
  layer: 0,
  kind: 'mean',
  ...o,
});
const exp = (o: Record<string, unknown> = {}) => ({ type: 'exportReply', requestId: 1, title: 't', sink: false, ...o });

test('view messages from the page: well-formed ones pass', () => {
  for (const m of [
    { type: 'rerun', runId: 1, score: 'additive' },
    agg(),
    agg({ kind: 'rollout', part: 'decoder' }),
    { type: 'requestPositional', requestId: 3, runId: 1 },
    { type: 'requestCompareHead', requestId: 1, compareId: 1, part: 'cross', layer: 0, head: 2 },
    exp({ image: '<svg/>' }),
    exp({ head: { part: 'encoder', layer: 0, head: 1 }, sink: true }),
    exp({ error: 'no view' }),
  ])
    assert.ok(isWebviewToHost(m), JSON.stringify(m));
});

test('view messages from the page: malformed ones are rejected', () => {
  const bad: unknown[] = [
    { type: 'rerun', runId: 1, score: 'cosine' },
    { type: 'rerun', runId: 1 },
    { type: 'rerun', score: 'dot' },
    agg({ kind: 'max' }),
    agg({ part: 'all' }),
    agg({ layer: -1 }),
    agg({ requestId: 1.5 }),
    { type: 'requestPositional', requestId: '1', runId: 1 },
    { type: 'requestCompareHead', requestId: 1, compareId: -1, part: 'cross', layer: 0, head: 0 },
    { type: 'requestCompareHead', requestId: 1, compareId: 1, part: 'cross', layer: 0 },
    exp({ sink: 'yes' }),
    exp({ title: 'x'.repeat(1001) }),
    exp({ image: 42 }),
    exp({ head: { part: 'encoder', layer: 0, head: -1 } }),
    exp({ error: { m: 1 } }),
    { type: 'exportReply', requestId: 1, sink: false },
    { type: 'showView', view: 'heads', seq: 1 }, // host → page only
  ];
  for (const b of bad) assert.equal(isWebviewToHost(b), false, JSON.stringify(b));
});

test('view messages from the host: shapes must match array lengths', () => {
  const a = {
    type: 'aggregate',
    requestId: 1,
    runId: 1,
    part: 'encoder',
    layer: 0,
    kind: 'mean',
    queries: 2,
    keys: 3,
    data: new Float32Array(6),
  };
  assert.ok(isHostToWebview(a));
  assert.equal(isHostToWebview({ ...a, data: new Float32Array(5) }), false);
  assert.equal(isHostToWebview({ ...a, data: [0, 0, 0, 0, 0, 0] }), false);
  const p = { type: 'positional', requestId: 1, runId: 1, positions: 2, dims: 4, scheme: 'sinusoidal', data: new Float32Array(8) };
  assert.ok(isHostToWebview(p));
  assert.equal(isHostToWebview({ ...p, positions: 0 }), false);
  const side = (queries: number, keys: number) => ({ queries, keys, probs: new Float32Array(queries * keys) });
  const ch = { type: 'compareHead', requestId: 1, compareId: 1, part: 'encoder', layer: 0, head: 0, a: side(2, 2), b: side(3, 3) };
  assert.ok(isHostToWebview(ch), 'each side its own shape');
  assert.equal(isHostToWebview({ ...ch, b: { ...side(3, 3), probs: new Float32Array(4) } }), false);
  assert.equal(isHostToWebview({ ...ch, a: { ...side(2, 2), mask: new Float32Array(4) } }), false);
  assert.ok(isHostToWebview({ type: 'showView', view: 'positional', seq: 2 }));
  assert.equal(isHostToWebview({ type: 'showView', view: 'positional' }), false);
  assert.equal(isHostToWebview({ type: 'showView', view: 'everything' }), false);
  assert.ok(isHostToWebview({ type: 'exportRequest', requestId: 1, format: 'svg' }));
  assert.equal(isHostToWebview({ type: 'exportRequest', requestId: 1, format: 'pdf' }), false);
  assert.equal(isHostToWebview({ type: 'viewError', requestId: 1 }), false);
  const cmp = {
    type: 'compare',
    compareId: 1,
    title: 't',
    a: { label: 'a', model: 'm' },
    b: { label: 'b', model: 'm' },
    parts: [],
    ranking: [{ part: 'encoder', layer: 0, head: 0, jsd: 0.1 }],
    unranked: [],
  };
  assert.ok(isHostToWebview(cmp));
  assert.equal(isHostToWebview({ ...cmp, ranking: [{ part: 'encoder', layer: 0, head: 0, jsd: NaN }] }), false);
  assert.equal(isHostToWebview({ ...cmp, unranked: undefined }), false);
  assert.equal(isHostToWebview({ ...cmp, unranked: [{ part: 'encoder', layer: -1, head: 0 }] }), false);
  const axis = (n: number) => ({ queries: n, keys: n, queryTokens: Array(n).fill('x'), keyTokens: Array(n).fill('y') });
  const part = { part: 'encoder', a: axis(2), b: axis(3), sameShape: false };
  assert.ok(isHostToWebview({ ...cmp, parts: [part] }));
  assert.equal(isHostToWebview({ ...cmp, parts: [{ ...part, sameShape: true }] }), false, 'sameShape must match the shapes');
  assert.equal(isHostToWebview({ ...cmp, parts: [{ ...part, a: { ...axis(2), queryTokens: ['x'] } }] }), false);
});

test('sanitizeState keeps the new view fields only when well-formed', () => {
  assert.deepEqual(sanitizeState({ main: 'stepper', sink: true, step: 3, query: 1, position: 4, aggPart: 'decoder', aggLayer: 1 }), {
    main: 'stepper',
    sink: true,
    step: 3,
    query: 1,
    position: 4,
    aggPart: 'decoder',
    aggLayer: 1,
  });
  assert.deepEqual(sanitizeState({ main: 'x', sink: 1, step: -1, query: 0.5, position: '2', aggPart: 'all', aggLayer: null }), {});
});

function only<T extends HostToWebview['type']>(replies: HostToWebview[], type: T): Extract<HostToWebview, { type: T }> {
  assert.equal(replies.length, 1, JSON.stringify(replies.map((r) => r.type)));
  assert.equal(replies[0].type, type, JSON.stringify(replies[0]));
  return replies[0] as Extract<HostToWebview, { type: T }>;
}

test('session answers aggregates: mean of a layer, rollout, and a message for cross rollout', async () => {
  const s = new InspectorSession();
  const r = syntheticResult();
  s.setResult(r, 't');
  const mean = only(s.handle(agg({ layer: 1 })).replies, 'aggregate');
  assert.deepEqual(Array.from(mean.data), Array.from(meanOverHeads(r.attentions.find((l) => l.part === 'encoder' && l.layer === 1)!)));
  const pending = s.handle(agg({ kind: 'rollout', layer: 0 }));
  assert.equal(pending.replies.length, 0, 'rollout is computed off the message turn');
  const roll = only((await pending.later) ?? [], 'aggregate');
  // Once computed it is cached: the next layer answers at once.
  assert.equal(only(s.handle(agg({ kind: 'rollout', layer: 1 })).replies, 'aggregate').layer, 1);
  assert.equal(roll.queries, 6);
  // Encoder L0 head-mean rows sum to 1, so Â rows do too, and so do the rollout's rows.
  for (let i = 0; i < 6; i++) assert.ok(Math.abs(roll.data.subarray(i * 6, i * 6 + 6).reduce((a, b) => a + b, 0) - 1) < 1e-5);
  assert.match(only(s.handle(agg({ kind: 'rollout', part: 'cross' })).replies, 'viewError').message, /cross-attention/);
  assert.match(only(s.handle(agg({ layer: 7 })).replies, 'viewError').message, /no encoder layer 7/);
  assert.match(only(s.handle(agg({ runId: 99 })).replies, 'viewError').message, /earlier run/);
});

test('session: positional encoding is sent when the run has one, otherwise a message', () => {
  const s = new InspectorSession();
  s.setResult(syntheticResult(), 't');
  assert.match(
    only(s.handle({ type: 'requestPositional', requestId: 4, runId: 1 }).replies, 'viewError').message,
    /no fixed positional encoding/,
  );
  const data = Float32Array.from([0, 1, 0.84, 0.54]);
  s.setResult({ ...syntheticResult(), positional: { positions: 2, dims: 2, scheme: 'sinusoidal', data } }, 't');
  const p = only(s.handle({ type: 'requestPositional', requestId: 5, runId: 2 }).replies, 'positional');
  assert.deepEqual(Array.from(p.data), Array.from(data));
  const run = s.snapshot().find((m) => m.type === 'run');
  assert.deepEqual(run?.type === 'run' && run.meta.positional, { positions: 2, dims: 2, scheme: 'sinusoidal' });
});

test('session: rerun only with a score the model lists; export replies reach the panel', () => {
  const s = new InspectorSession();
  const r = syntheticResult();
  s.setResult({ ...r, model: { ...r.model, architecture: 'rnn-seq2seq', scores: ['dot', 'additive'], details: { score: 'dot' } } }, 't');
  assert.deepEqual(s.handle({ type: 'rerun', runId: 1, score: 'additive' }).event, { kind: 'rerun', score: 'additive' });
  const refused = s.handle({ type: 'rerun', runId: 1, score: 'general' });
  assert.equal(refused.event, undefined);
  assert.match(only(refused.replies, 'error').message, /cannot re-run with the “general” score \(it has: dot, additive\)/);
  const meta = s.snapshot().find((m) => m.type === 'run');
  assert.ok(meta?.type === 'run' && meta.meta.score === 'dot' && meta.meta.scores?.join() === 'dot,additive');
  const e = s.handle(exp({ requestId: 7, image: '<svg/>' }));
  assert.equal(e.event?.kind, 'export');
});

test('session: compare snapshot carries the ranking and switches to the compare view; showView checks it exists', () => {
  const s = new InspectorSession();
  assert.equal(s.showView('heads'), undefined, 'no run');
  s.setResult(syntheticResult(), 't');
  assert.equal(s.showView('compare'), undefined, 'nothing to compare');
  assert.deepEqual(s.showView('positional'), { type: 'showView', view: 'positional', seq: 1 });
  const a = syntheticResult();
  const out = s.setCompare({ result: a, label: 'A' }, { result: syntheticResult(), label: 'B' }, 'A vs B');
  const c = out.find((m) => m.type === 'compare');
  assert.ok(c && c.type === 'compare' && c.ranking.length === 18 && c.a.label === 'A');
  assert.ok(out.some((m) => m.type === 'showView' && m.view === 'compare'));
  const h = only(
    s.handle({ type: 'requestCompareHead', requestId: 2, compareId: c.compareId, part: 'cross', layer: 1, head: 2 }).replies,
    'compareHead',
  );
  assert.equal(h.a.keys, 6);
  assert.equal(h.b.keys, 6);
  assert.match(
    only(s.handle({ type: 'requestCompareHead', requestId: 3, compareId: 99, part: 'cross', layer: 1, head: 2 }).replies, 'viewError')
      .message,
    /no longer open/,
  );
  // A new ordinary run leaves compare mode.
  const next = s.setResult(syntheticResult(), 'next');
  assert.ok(!next.some((m) => m.type === 'compare' || (m.type === 'showView' && m.view === 'compare')));
});
