// A large head's numbers cross in pieces of rows, two on their way at a time; put back together on
// the page they are the head's numbers exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HeadAssembly, headPiece, PIECE_BYTES, PIECES_IN_FLIGHT } from '../../../common/headPieces';
import { HeldNumbers } from '../../../src/protocol/heldNumbers';
import { isHostToWebview, type HeadMessage } from '../../../common/webview';
import { fullHead } from '../../../common/headWire';

function head(queries: number, keys: number, fromScores: boolean, masked: boolean, seed: number): HeadMessage {
  let s = seed;
  const rnd = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296;
  const n = queries * keys;
  return {
    type: 'head',
    runId: 3,
    requestId: 9,
    part: 'encoder',
    layer: 1,
    head: 2,
    queries,
    keys,
    scores: Float32Array.from({ length: n }, rnd),
    probs: fromScores ? new Float32Array(0) : Float32Array.from({ length: n }, rnd),
    ...(masked ? { mask: Uint8Array.from({ length: n }, () => (rnd() < 0.3 ? 1 : 0)) } : {}),
    ...(fromScores ? { probsFromScores: true as const } : {}),
  };
}

test('pieces of any size put back together are the head, each within the byte limit, every message valid (property)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 1, max: 40 }),
      fc.boolean(),
      fc.boolean(),
      fc.integer({ min: 1, max: 3000 }),
      fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      (queries, keys, fromScores, masked, maxBytes, seed) => {
        const m = head(queries, keys, fromScores, masked, seed);
        const rowBytes = keys * (4 + (fromScores ? 0 : 4) + (masked ? 1 : 0));
        const a = new HeadAssembly();
        let from = 0;
        let messages = 0;
        for (;;) {
          const x = headPiece(m, from, maxBytes);
          messages++;
          assert.ok(isHostToWebview(x), `message ${messages} passes the page's guard`);
          const rows = x.type === 'headPiece' ? x.to - from : queries - from;
          assert.ok(rows * rowBytes <= Math.max(maxBytes, rowBytes), `${rows} rows of ${rowBytes} bytes within ${maxBytes}`);
          if (x.type === 'head') {
            const whole = a.finish(x);
            assert.ok(whole);
            assert.deepEqual(whole.scores, m.scores);
            assert.deepEqual(whole.mask, m.mask);
            assert.equal(whole.from, undefined);
            if (messages === 1) assert.equal(whole, m, 'a head that fits is the message itself');
            else {
              // Pieces of scores alone get their probabilities on the way: the bits of the whole head's softmax.
              assert.deepEqual(whole.probs, fullHead(m).probs);
              assert.equal(whole.probsFromScores, undefined);
            }
            break;
          }
          assert.ok(a.add(x));
          from = x.to;
        }
        assert.equal(messages, Math.ceil(queries / Math.max(1, Math.floor(maxBytes / rowBytes))));
      },
    ),
    { numRuns: 200 },
  );
});

test('a head that fits travels whole; at 512 tokens its 1 MB of scores takes eight messages of 128 KB', () => {
  const small = head(100, 100, true, false, 1);
  assert.equal(headPiece(small, 0), small);
  const big = head(512, 512, true, false, 2);
  const first = headPiece(big, 0);
  assert.equal(first.type, 'headPiece');
  assert.ok(first.type === 'headPiece' && first.to * 512 * 4 <= PIECE_BYTES && first.to === 64);
  const last = headPiece(big, 448);
  assert.ok(last.type === 'head' && last.from === 448 && last.scores.length === 64 * 512);
});

/** The page's ask for head 9 of run 3 (the run on screen), from row `from` (all of it without). */
const asker = (held: HeldNumbers) => (from?: number) =>
  held.answer({ type: 'headNumbers', runId: 3, requestId: 9, ...(from !== undefined && { from }) }, 3);

test('the host sends a held head two pieces ahead as the page asks on each arrival; the page gets every row once', () => {
  for (const [queries, keys] of [
    [512, 512],
    [100, 100],
    [130, 512],
    [1024, 1024],
  ]) {
    const m = head(queries, keys, true, false, queries);
    const held = new HeldNumbers();
    held.hold(m);
    const ask = asker(held);
    const page = new HeadAssembly();
    const wire = ask(); // on their way, in order
    let most = wire.length;
    let whole: HeadMessage | undefined;
    while (wire.length) {
      const x = wire.shift()!;
      if (x.type === 'headPiece') {
        assert.ok(page.add(x), `${queries}×${keys}: rows ${x.from}… come next`);
        wire.push(...ask(x.to));
      } else {
        assert.equal(x.type, 'head', `${queries}×${keys}: ${x.type}`);
        if (x.type === 'head') whole = x.from ? page.finish(x) : x;
      }
      most = Math.max(most, wire.length);
    }
    assert.ok(whole, `${queries}×${keys}: the head is complete`);
    assert.ok(
      whole.scores.every((v, i) => Object.is(v, m.scores[i])),
      `${queries}×${keys}: its scores`,
    );
    assert.ok(most <= PIECES_IN_FLIGHT, `${queries}×${keys}: ${most} on their way at once`);
    if (queries * keys * 4 > 2 * PIECE_BYTES) assert.equal(most, PIECES_IN_FLIGHT);
    const after = ask();
    assert.ok(after.length === 1 && after[0].type === 'headError' && /no longer held/.test(after[0].message), 'sent once');
  }
});

test('a page that asks from the first row again gets the pieces again from there', () => {
  const m = head(512, 512, true, false, 4);
  const held = new HeldNumbers();
  held.hold(m);
  const ask = asker(held);
  const first = ask();
  assert.deepEqual(
    first.map((x) => (x.type === 'headPiece' ? x.from : -1)),
    [0, 64],
  );
  assert.deepEqual(
    ask(64).map((x) => (x.type === 'headPiece' ? x.from : -1)),
    [128],
  );
  assert.deepEqual(
    ask(0).map((x) => (x.type === 'headPiece' ? x.from : -1)),
    [0, 64],
    'from the start again',
  );
});

test('pieces out of order, or a last part without its pieces, are refused; so are pieces the guard cannot fit', () => {
  const m = head(10, 8, false, true, 3);
  const p1 = headPiece(m, 0, 300); // 4 rows of 72 bytes a piece
  const p2 = p1.type === 'headPiece' ? headPiece(m, p1.to, 300) : p1;
  assert.ok(p1.type === 'headPiece' && p2.type === 'headPiece');
  const a = new HeadAssembly();
  assert.equal(a.add(p2), false, 'the second piece first');
  assert.ok(a.add(p1));
  const last = headPiece(m, 8, 300);
  assert.ok(last.type === 'head');
  assert.equal(a.finish(last), undefined, 'rows 4… missing');
  assert.equal(isHostToWebview({ ...p1, to: 10 }), false, 'the last rows come in the head message');
  assert.equal(isHostToWebview({ ...p1, scores: p1.scores.subarray(1) }), false);
  assert.equal(isHostToWebview({ ...p1, from: 5, to: 5 }), false);
  assert.equal(isHostToWebview({ ...last, from: 10 }), false);
  assert.equal(isHostToWebview({ ...last, from: 7 }), false, 'rows 7… do not fit the arrays of rows 8…');
});
