// The one request/reply layer (common/rpc.ts): every request gets exactly one outcome (reply,
// error, timeout, cancel), replies are matched by id whatever their order, notes reach the request
// they are about, and nothing is answered twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CancelledError, receiver, RpcClient, TimeoutError, type Routed } from '../../../common/rpc';

type Out = { type: 'ask'; id: number; q: string } | { type: 'tell'; text: string };
type In = { type: 'answer'; id: number; a: string } | { type: 'oops'; id: number; why: string } | { type: 'step'; id: number; n: number };

const route = (m: In): Routed<string, number> | undefined =>
  m.type === 'answer' ? { id: m.id, reply: m.a } : m.type === 'oops' ? { id: m.id, error: new Error(m.why) } : { id: m.id, note: m.n };

function client() {
  const sent: Out[] = [];
  return { sent, rpc: new RpcClient<Out, In, string, number>((m) => sent.push(m), route) };
}

test('replies are matched to their requests by id, in any order; each id is new', async () => {
  const { sent, rpc } = client();
  const a = rpc.request<string>((id) => ({ type: 'ask', id, q: 'a' }), { timeoutMs: 1000 });
  const b = rpc.request<string>((id) => ({ type: 'ask', id, q: 'b' }), { timeoutMs: 1000 });
  assert.notEqual(a.id, b.id);
  assert.deepEqual(
    sent.map((m) => m.type === 'ask' && m.id),
    [a.id, b.id],
  );
  assert.equal(rpc.receive({ type: 'answer', id: b.id, a: 'B' }), true);
  assert.equal(rpc.receive({ type: 'answer', id: a.id, a: 'A' }), true);
  assert.deepEqual(await Promise.all([a, b]), ['A', 'B']);
  assert.equal(rpc.size, 0);
});

test('an error reply rejects; a second answer to the same id, or one to an unknown id, is not taken', async () => {
  const { rpc } = client();
  const a = rpc.request<string>((id) => ({ type: 'ask', id, q: 'a' }), { timeoutMs: 1000 });
  assert.equal(rpc.receive({ type: 'oops', id: a.id, why: 'no such head' }), true);
  await assert.rejects(a, /no such head/);
  assert.equal(rpc.receive({ type: 'answer', id: a.id, a: 'late' }), false);
  assert.equal(rpc.receive({ type: 'answer', id: 999, a: 'stray' }), false);
});

test('notes reach the open request they are about and do not settle it', async () => {
  const { rpc } = client();
  const notes: number[] = [];
  const a = rpc.request<string>((id) => ({ type: 'ask', id, q: 'a' }), { timeoutMs: 1000, onNote: (n) => notes.push(n) });
  rpc.receive({ type: 'step', id: a.id, n: 1 });
  rpc.receive({ type: 'step', id: a.id, n: 2 });
  assert.ok(rpc.has(a.id));
  rpc.receive({ type: 'answer', id: a.id, a: 'done' });
  assert.equal(await a, 'done');
  assert.deepEqual(notes, [1, 2]);
  assert.equal(rpc.receive({ type: 'step', id: a.id, n: 3 }), false);
});

test('a request that gets no answer is rejected after its timeout, once, and its late answer is dropped', async () => {
  const { rpc } = client();
  let timedOut = 0;
  let settled = 0;
  const a = rpc.request<string>((id) => ({ type: 'ask', id, q: 'a' }), {
    timeoutMs: 20,
    what: 'asking a',
    onTimeout: () => timedOut++,
    onSettle: () => settled++,
  });
  await assert.rejects(a, (e: Error) => e instanceof TimeoutError && /asking a within 0.02 s/.test(e.message));
  assert.equal(rpc.receive({ type: 'answer', id: a.id, a: 'late' }), false);
  assert.deepEqual([timedOut, settled], [1, 1]);
});

test('fail and failAll reject what is open (with what each asked), and the timers stop', async () => {
  const { rpc } = client();
  const a = rpc.request<string>((id) => ({ type: 'ask', id, q: 'a' }), { timeoutMs: 50, what: 'a' });
  const b = rpc.request<string>((id) => ({ type: 'ask', id, q: 'b' }), { timeoutMs: 50, what: 'b' });
  const c = rpc.request<string>((id) => ({ type: 'ask', id, q: 'c' }), {
    timeoutMs: 50,
    what: 'c',
    onTimeout: () => assert.fail('timed out after cancel'),
  });
  assert.equal(rpc.fail(a.id, new CancelledError('newer request')), true);
  assert.equal(rpc.fail(a.id, new Error('twice')), false);
  rpc.failAll((what) => new Error(`restarted while ${what}`));
  await assert.rejects(a, CancelledError);
  await assert.rejects(b, /restarted while b/);
  await assert.rejects(c, /restarted while c/);
  await new Promise((r) => setTimeout(r, 80)); // c's timer must not fire
  assert.equal(rpc.size, 0);
});

test('a request whose sending throws is rejected at once, not left to time out', async () => {
  const rpc = new RpcClient<Out, In, string, number>(() => {
    throw new Error('worker script not found');
  }, route);
  const a = rpc.request<string>((id) => ({ type: 'ask', id, q: 'a' }), { timeoutMs: 60_000 });
  await assert.rejects(a, /worker script not found/);
  assert.equal(rpc.size, 0);
});

test('receiver passes only what the guard accepts', () => {
  const got: string[] = [];
  const bad: unknown[] = [];
  const isText = (x: unknown): x is string => typeof x === 'string';
  const on = receiver(
    isText,
    (s) => got.push(s),
    (raw) => bad.push(raw),
  );
  on('hello');
  on({ type: 'hello' });
  assert.deepEqual(got, ['hello']);
  assert.deepEqual(bad, [{ type: 'hello' }]);
});
