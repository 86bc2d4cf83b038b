// Messages from the webview are untrusted (a compromised or buggy page can post anything). A
// property test over random values and mutated real messages: InspectorSession.handle never
// throws, answers malformed input with nothing but a log line, and every reply it does send passes
// the host→webview guard — the host never posts what its own page would reject.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InspectorSession } from '../../../src/protocol/inspectorSession';
import { isHostToWebview, isWebviewToHost } from '../../../common/webview';
import { syntheticResult } from '../../webview/synthetic';

const seed = Number(process.env.AI_FUZZ_SEED ?? 20261125);

const hostile = fc.constantFrom<unknown>(
  -1,
  0,
  1,
  2,
  1.5,
  NaN,
  Infinity,
  1e300,
  2 ** 53,
  '',
  '0',
  '__proto__',
  'constructor',
  '<img src=x onerror=alert(1)>',
  null,
  true,
  [],
  {},
  { valueOf: 1 },
  'encoder',
  'decoder',
  'cross',
  'mean',
  'rollout',
  'dot',
  'additive',
  'png',
  'x'.repeat(3000),
);
const field = fc.oneof(hostile, fc.integer({ min: -2, max: 8 }), fc.anything({ maxDepth: 2 }));
const TYPES = [
  'ready',
  'requestHead',
  'headShown',
  'webviewError',
  'rerun',
  'requestAggregate',
  'requestPositional',
  'requestCompareHead',
  'exportReply',
  'toString',
  '__proto__',
];
const KEYS = ['runId', 'requestId', 'part', 'layer', 'head', 'kind', 'score', 'message', 'compareId', 'title', 'sink', 'image', 'error'];

/** Mostly message-shaped records (a known type, some known keys with odd values), some anything. */
const message = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .record({ type: fc.constantFrom(...TYPES), fields: fc.dictionary(fc.constantFrom(...KEYS), field, { maxKeys: 6 }) })
      .map(({ type, fields }) => ({ ...fields, type })),
  },
  { weight: 1, arbitrary: fc.anything({ maxDepth: 3 }) },
);

test('InspectorSession.handle: malformed webview messages get no reply, and every reply passes the page’s guard', () => {
  const session = new InspectorSession();
  session.setResult(syntheticResult(), 'fuzz');
  let answered = 0;
  let dropped = 0;
  fc.assert(
    fc.property(message, (raw) => {
      const wellFormed = isWebviewToHost(raw);
      const { replies, log } = session.handle(raw);
      if (!wellFormed) {
        assert.equal(replies.length, 0, 'no reply to a malformed message');
        assert.match(log ?? '', /malformed/);
        dropped++;
      } else answered++;
      for (const r of replies) assert.ok(isHostToWebview(r), `reply fails the host→webview guard: ${JSON.stringify(r).slice(0, 200)}`);
    }),
    { seed, numRuns: 3000 },
  );
  console.log(
    `webview→host messages: ${answered} well-formed (answered or refused with an error reply), ${dropped} malformed (dropped); seed ${seed}`,
  );
  assert.ok(answered > 100 && dropped > 100, 'both kinds were exercised');
});
