// Issue 20: the engine worker summarises each layer (maxima, entropies, thumbnails) before handing it
// over; the host relays those numbers and never passes over a run's probabilities on its main thread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { AttentionLayer, RunResult } from '../../../src/engine/types';
import { partThumbnails, runMeta, PART_ORDER } from '../../../common/headData';
import { layerSummary } from '../../../common/layerSummary';
import { isWorkerReply } from '../../../common/worker';
import { InspectorSession } from '../../../src/protocol/inspectorSession';
import { sidebarParts } from '../../../src/sidebar/sidebarState';
import type { HostToWebview } from '../../../common/webview';
import { syntheticResult } from '../../webview/synthetic';

/** The layers as the worker posts them: own arrays, each with its summary. */
const fromWorker = (r: RunResult): RunResult => ({
  ...r,
  attentions: r.attentions.map((a) => {
    const copy = { ...a, probs: a.probs.slice(), ...(a.rowEntropy && { rowEntropy: a.rowEntropy.slice() }) };
    return { ...copy, summary: layerSummary(copy) };
  }),
});

/** The same layers without summaries (fresh arrays, so no cached pass is reused): today's host path. */
const plain = (r: RunResult): RunResult => ({ ...r, attentions: r.attentions.map((a) => ({ ...a, probs: a.probs.slice() })) });

const everything = (r: RunResult) => ({
  meta: runMeta(r),
  thumbs: PART_ORDER.map((p) => partThumbnails(r, p)),
});

/** Random probabilities (rows need not sum to 1: the summaries do not assume it), with or without row entropies. */
function randomRun(heads: number, n: number, seed: number, withEntropy: boolean): RunResult {
  let s = seed;
  const rnd = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296;
  const base = syntheticResult(
    Array.from({ length: n }, (_, i) => (i === n - 1 ? '[SEP]' : `t${i}`)),
    [],
  );
  const attentions: AttentionLayer[] = [0, 1].map((layer) => {
    const probs = Float32Array.from({ length: heads * n * n }, () => (rnd() < 0.2 ? 0 : rnd()));
    const rowEntropy = Float32Array.from({ length: heads * n }, rnd);
    return {
      part: 'encoder',
      layer,
      heads,
      queries: n,
      keys: n,
      probs,
      scores: new Float32Array(probs.length),
      ...(withEntropy && { rowEntropy }),
    };
  });
  return { ...base, attentions, tokens: { source: base.tokens.source, target: [] } };
}

test('worker-made summaries give exactly the statistics and thumbnails the host computed from the probabilities (property)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 1, max: 70 }),
      fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      fc.boolean(),
      (h, n, seed, e) => {
        const r = randomRun(h, n, seed, e);
        assert.deepStrictEqual(everything(fromWorker(r)), everything(plain(r)));
      },
    ),
    { numRuns: 40 },
  );
  const r = syntheticResult(); // encoder, decoder and cross layers, masked decoder
  assert.deepStrictEqual(everything(fromWorker(r)), everything(plain(r)));
});

test('the host path reads the summaries, not the probabilities: zeroed after receipt, the grid still shows the same numbers', () => {
  const r = randomRun(3, 60, 7, false);
  const want = everything(plain(r));
  const got = fromWorker(r);
  for (const a of got.attentions) a.probs.fill(0); // a pass over the probabilities now would see zeros
  const session = new InspectorSession();
  const sent = session.setResult(got, 'zeroed');
  const run = sent.find((m): m is Extract<HostToWebview, { type: 'run' }> => m.type === 'run');
  const thumbs = sent.filter((m): m is Extract<HostToWebview, { type: 'thumbnails' }> => m.type === 'thumbnails');
  assert.ok(run);
  const stats = (m: typeof want.meta) => m.parts.map((p) => p.layers.map((l) => l.stats.map((s) => [s.entropy, s.max])));
  assert.deepStrictEqual(stats(run.meta), stats(want.meta));
  assert.ok(stats(want.meta)[0][0][0][1] > 0, 'the reference is not all zeros');
  assert.deepStrictEqual(
    thumbs.map((t) => t.thumbnails),
    want.thumbs.filter((t) => t.length),
  );
  // The Run view's thumbnails are pooled from the same summaries.
  assert.ok(sidebarParts(got)[0].thumbnails.some((t) => t.levels.some((v) => v > 0)));
});

test('a partial reply whose summary does not fit its layer is rejected', () => {
  const [a] = fromWorker(randomRun(2, 5, 1, true)).attentions;
  const reply = (layer: AttentionLayer) => ({
    type: 'partial',
    id: 1,
    run: { model: {}, tokens: {}, ids: {} },
    layers: [layer],
    progress: { done: 1, total: 2, message: 'x' },
  });
  assert.ok(isWorkerReply(reply(a)));
  assert.ok(!isWorkerReply(reply({ ...a, summary: { ...a.summary!, max: new Float32Array(1) } })));
  assert.ok(!isWorkerReply(reply({ ...a, summary: { ...a.summary!, thumbs: new Float32Array(3) } })));
  assert.ok(!isWorkerReply(reply({ ...a, summary: { ...a.summary!, rows: 33 } })));
});
