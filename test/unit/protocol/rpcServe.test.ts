// The answering side of common/rpc.ts (serve), as the engine worker and the tokenizer thread use it:
// the request's id on every answer, exactly one answer (reply, thrown error, or "no answer"),
// notes only before it, typed error replies, and a refused message answered with its own id.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RpcClient, serve, type Replier } from '../../../common/rpc';

type Req = { type: 'ask'; id: number; q: string } | { type: 'forget'; id: number };
type Reply = { type: 'answer'; id: number; a: string } | { type: 'error'; id: number; error: { name: string; message: string } };
type Note = { type: 'step'; id: number; n: number };
const isReq = (x: unknown): x is Req => {
  const m = x as Req;
  return (
    typeof m === 'object' &&
    m !== null &&
    typeof m.id === 'number' &&
    (m.type === 'forget' || (m.type === 'ask' && typeof m.q === 'string'))
  );
};

function server(handle: (req: Req, r: Replier<Reply, Note>) => void) {
  const posted: (Reply | Note)[] = [];
  const onMessage = serve<Req, Reply, Note>({
    guard: isReq,
    post: (m) => posted.push(m),
    error: (e) => ({ type: 'error', error: { name: e instanceof Error ? e.name : 'Error', message: String((e as Error).message ?? e) } }),
    malformed: { reply: { type: 'error', error: { name: 'ProtocolError', message: 'malformed' } }, fallbackId: -1 },
    oneWay: (m) => m.type === 'forget',
    handle,
  });
  return { posted, onMessage };
}

test('a reply and its notes carry the request id; the handler never writes it', () => {
  const { posted, onMessage } = server((req, r) => {
    r.note({ type: 'step', n: 1 });
    if (req.type === 'ask') r.reply({ type: 'answer', a: req.q.toUpperCase() });
  });
  onMessage({ type: 'ask', id: 7, q: 'hi' });
  assert.deepEqual(posted, [
    { type: 'step', n: 1, id: 7 },
    { type: 'answer', a: 'HI', id: 7 },
  ]);
});

test('what the handler throws is the typed error reply; a refused message is answered with its own id', () => {
  const { posted, onMessage } = server(() => {
    throw new RangeError('too big');
  });
  onMessage({ type: 'ask', id: 3, q: 'x' });
  onMessage({ type: 'ask', id: 4 }); // no q: the guard refuses it
  onMessage('garbage');
  assert.deepEqual(posted, [
    { type: 'error', error: { name: 'RangeError', message: 'too big' }, id: 3 },
    { type: 'error', error: { name: 'ProtocolError', message: 'malformed' }, id: 4 },
    { type: 'error', error: { name: 'ProtocolError', message: 'malformed' }, id: -1 },
  ]);
});

test('exactly one answer: a second one throws, a missing one becomes an error, a one-way request gets none', () => {
  const { posted, onMessage } = server((req, r) => {
    if (req.type !== 'ask') return;
    if (req.q === 'twice') {
      r.reply({ type: 'answer', a: '1' });
      r.reply({ type: 'answer', a: '2' });
    }
    if (req.q === 'late note') {
      r.reply({ type: 'answer', a: 'done' });
      r.note({ type: 'step', n: 9 });
    }
  });
  assert.throws(() => onMessage({ type: 'ask', id: 1, q: 'twice' }), /request 1 is answered twice/);
  assert.throws(() => onMessage({ type: 'ask', id: 2, q: 'late note' }), /a note about request 2 after its answer/);
  onMessage({ type: 'ask', id: 3, q: 'silence' });
  onMessage({ type: 'forget', id: 4 });
  assert.deepEqual(
    posted.map((m) => [m.id, m.type]),
    [
      [1, 'answer'],
      [2, 'answer'],
      [3, 'error'],
    ],
  );
  assert.match(JSON.stringify(posted[2]), /request 3 \(ask\) got no answer from its handler/);
});

test('serve and RpcClient talk to each other: the client gets the reply and the notes of its own request', async () => {
  const onMessage = serve<Req, Reply, Note>({
    guard: isReq,
    post: (m) => queueMicrotask(() => client.receive(m)),
    error: () => ({ type: 'error', error: { name: 'Error', message: 'x' } }),
    malformed: { reply: { type: 'error', error: { name: 'ProtocolError', message: 'malformed' } }, fallbackId: -1 },
    handle: (req, r) => {
      r.note({ type: 'step', n: req.id });
      if (req.type === 'ask') r.reply({ type: 'answer', a: `${req.q}!` });
    },
  });
  const client = new RpcClient<Req, Reply | Note, string, number>(
    (m) => queueMicrotask(() => onMessage(m)),
    (m) =>
      m.type === 'answer'
        ? { id: m.id, reply: m.a }
        : m.type === 'step'
          ? { id: m.id, note: m.n }
          : { id: m.id, error: new Error(m.error.message) },
  );
  const notes: number[] = [];
  const a = client.request<string>((id) => ({ type: 'ask', id, q: 'a' }), { timeoutMs: 1000, onNote: (n) => notes.push(n) });
  const b = client.request<string>((id) => ({ type: 'ask', id, q: 'b' }), { timeoutMs: 1000 });
  assert.deepEqual(await Promise.all([a, b]), ['a!', 'b!']);
  assert.deepEqual(notes, [a.id]);
});
