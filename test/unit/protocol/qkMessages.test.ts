// The Q·K view's messages (issue 19.8): guards in both directions and between host and worker, and
// the session's answers — vectors on the run's own ids, refusals without asking the engine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InspectorSession, type QkSource } from '../../../src/protocol/inspectorSession';
import { isHostToWebview, isWebviewToHost, type HostToWebview } from '../../../common/webview';
import { isWorkerReply, isWorkerRequest } from '../../../common/worker';
import type { HeadQK, QkRequest } from '../../../src/engine/types';
import { syntheticResult } from '../../webview/synthetic';

const req = (o: Record<string, unknown> = {}) => ({ type: 'requestQk', requestId: 7, runId: 1, part: 'encoder', layer: 0, head: 1, ...o });
const vectors = (o: Partial<HeadQK> = {}): HeadQK => ({
  part: 'encoder',
  layer: 0,
  head: 1,
  queries: 2,
  keys: 3,
  dims: 4,
  q: new Float32Array(8),
  k: new Float32Array(12),
  form: 'scaled-dot',
  scale: 0.5,
  ...o,
});

test('requestQk from the page: well-formed passes, malformed is rejected', () => {
  assert.ok(isWebviewToHost(req()));
  for (const b of [req({ part: 'all' }), req({ head: -1 }), req({ runId: '1' }), req({ layer: 1.5 }), req({ requestId: undefined })]) {
    assert.equal(isWebviewToHost(b), false, JSON.stringify(b));
  }
});

test('qk to the page and from the worker: array lengths must match queries/keys × dims', () => {
  const m = { type: 'qk', requestId: 7, runId: 1, ...vectors() };
  assert.ok(isHostToWebview(m));
  for (const bad of [
    { q: new Float32Array(7) },
    { k: new Float32Array(13) },
    { dims: 5 },
    { form: 'cosine' },
    { scale: Infinity },
    { q: Array(8).fill(0) },
  ]) {
    assert.equal(isHostToWebview({ ...m, ...bad }), false, JSON.stringify(Object.keys(bad)));
    assert.equal(isWorkerReply({ type: 'qk', id: 1, qk: { ...vectors(), ...bad } }), false);
  }
  assert.ok(isWorkerReply({ type: 'qk', id: 1, qk: vectors() }));
  const additive = vectors({ dims: 0, q: new Float32Array(0), k: new Float32Array(0), form: 'additive', scale: 1 });
  assert.ok(isWorkerReply({ type: 'qk', id: 1, qk: additive }));
  const w = { type: 'qk', id: 1, modelPath: '/m.json', request: { ids: [1, 2], part: 'cross', layer: 0, head: 0 } };
  assert.ok(isWorkerRequest(w));
  assert.equal(isWorkerRequest({ ...w, request: { ...w.request, ids: [] } }), false);
  assert.equal(isWorkerRequest({ ...w, request: { ...w.request, ids: ['1'] } }), false);
});

test("the session asks its source with the run's own ids and answers with the vectors", async () => {
  const asked: QkRequest[] = [];
  const source: QkSource = async (run, request) => {
    asked.push(request);
    const n = run.tokens.source.length; // encoder self-attention: n × n
    return vectors({
      part: request.part,
      layer: request.layer,
      head: request.head,
      queries: n,
      keys: n,
      q: new Float32Array(4 * n),
      k: new Float32Array(4 * n),
    });
  };
  const s = new InspectorSession(undefined, source);
  const r = syntheticResult();
  s.setResult(r, 't');
  const h = s.handle(req({ runId: s.runId }));
  assert.deepEqual(h.replies, []);
  const [m] = (await h.later) as HostToWebview[];
  assert.equal(m.type, 'qk');
  assert.deepEqual(asked[0].ids, r.ids.source);
  assert.equal(asked[0].head, 1);
});

test('the session refuses without asking: old run, missing head, running, no engine; a wrong shape is an error', async () => {
  let calls = 0;
  const s = new InspectorSession(undefined, async () => (calls++, vectors()));
  const r = syntheticResult();
  s.setResult(r, 't');
  const error = (x: HostToWebview[]) => (x[0].type === 'viewError' ? x[0].message : `not an error: ${x[0].type}`);
  assert.match(error(s.handle(req({ runId: s.runId + 1 })).replies), /earlier run/);
  assert.match(error(s.handle(req({ runId: s.runId, head: 99 })).replies), /no encoder layer 0 head 99/);
  s.setResult({ ...r, running: { done: 1, total: 2, message: 'x' } }, 't');
  assert.match(error(s.handle(req({ runId: s.runId })).replies), /still going/);
  assert.equal(calls, 0);
  s.setResult(r, 't');
  assert.match(error((await s.handle(req({ runId: s.runId })).later)!), /returned q and k for 2×3, not 6×6/);
  const none = new InspectorSession();
  none.setResult(r, 't');
  assert.match(error(none.handle(req({ runId: none.runId })).replies), /no engine/);
});

test('one q/k computation at a time: a waiting request is dropped when a newer one comes', async () => {
  const started: number[] = [];
  const release: (() => void)[] = [];
  const r = syntheticResult();
  const n = r.tokens.source.length;
  const s = new InspectorSession(undefined, (_run, request) => {
    started.push(request.head);
    return new Promise((resolve) =>
      release.push(() =>
        resolve(vectors({ head: request.head, queries: n, keys: n, q: new Float32Array(4 * n), k: new Float32Array(4 * n) })),
      ),
    );
  });
  s.setResult(r, 't');
  const ask = (head: number) => s.handle(req({ runId: s.runId, head, requestId: 10 + head })).later!;
  const [a, b, c] = [ask(0), ask(1), ask(2)];
  await new Promise((x) => setTimeout(x, 0));
  assert.deepEqual(started, [0], 'only one computation at a time');
  const [mb] = await b;
  assert.equal(mb.type === 'viewError' && mb.message, 'Superseded by a newer request.');
  release[0]();
  assert.equal((await a)[0].type, 'qk');
  await new Promise((x) => setTimeout(x, 0));
  assert.deepEqual(started, [0, 2], 'the newest request runs next; the superseded one never reaches the engine');
  release[1]();
  const [mc] = await c;
  assert.equal(mc.type === 'qk' && mc.head, 2);
  // Idle again: the next request starts at once.
  const d = ask(1);
  await new Promise((x) => setTimeout(x, 0));
  assert.deepEqual(started, [0, 2, 1]);
  release[2]();
  assert.equal((await d)[0].type, 'qk');
});
