// Runs whose probabilities stay in the engine worker (run `keep`): the host gets summaries and
// statistics only and asks for one head or an aggregate; the worker's guards refuse malformed
// requests and replies; old runs are dropped and say "run it again".
import { fullHead, SAME_PROBS } from '../../../common/headWire';
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { EngineHost } from '../../../src/engineHost';
import { isWorkerReply, isWorkerRequest } from '../../../common/worker';
import { findLayer, runMeta, sliceHead } from '../../../common/headData';
import { meanOverHeads, rollout } from '../../../common/aggregates';
import { layerSummary } from '../../../common/layerSummary';
import type { RunResult } from '../../../src/engine/types';
import { writeRandomTransformer } from '../../helpers/randomModel';
import { W2_VOCAB, writeW2Model } from '../../helpers/w2Model';

const ROOT = path.join(__dirname, '..', '..', '..', '..');
const WORKER = path.join(ROOT, 'dist', 'worker.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-kept-'));
const small = writeRandomTransformer(tmp, { kind: 'encoder-decoder', dModel: 16, layers: 2 });
const input = { text: 'w3 w4 w5 w6 w3', targetIds: [1, 5, 6] };
let w2Path: string | undefined;
/** BERT-base-shaped random weights (340 MB), written once for the tests that need a run long enough to act during. */
const w2 = () => (w2Path ??= writeW2Model(path.join(tmp, 'w2')));
const hosts: EngineHost[] = [];
const host = () => {
  const h = new EngineHost({ workerScript: WORKER, timeoutMs: 60_000 });
  hosts.push(h);
  return h;
};
after(async () => {
  await Promise.all(hosts.map((h) => h.dispose()));
  fs.rmSync(tmp, { recursive: true, force: true });
});

const noEngine = (r: RunResult) => ({ ...r, engine: undefined, kept: undefined });

test('the worker guards refuse malformed head and aggregate requests and replies', () => {
  const ok = { type: 'head', id: 1, run: 3, part: 'encoder', layer: 0, head: 1 };
  assert.ok(isWorkerRequest(ok));
  for (const bad of [
    { ...ok, run: -1 },
    { ...ok, run: '3' },
    { ...ok, part: 'middle' },
    { ...ok, head: 1.5 },
    { ...ok, layer: undefined },
    { type: 'aggregate', id: 1, run: 3, part: 'encoder', layer: 0, kind: 'max' },
    { type: 'run', id: 2, modelPath: 'm', input: {}, cancel: new SharedArrayBuffer(4), keep: { also: 'x' } },
    { type: 'run', id: 2, modelPath: 'm', input: {}, cancel: new SharedArrayBuffer(4), keep: 1 },
  ]) {
    assert.equal(isWorkerRequest(bad), false, JSON.stringify(bad));
  }
  assert.ok(isWorkerRequest({ type: 'aggregate', id: 1, run: 3, part: 'decoder', layer: 2, kind: 'rollout' }));
  assert.ok(isWorkerRequest({ type: 'run', id: 2, modelPath: 'm', input: {}, cancel: new SharedArrayBuffer(4), keep: { also: 1 } }));

  const head = { queries: 2, keys: 3, probs: new Float32Array(6), scores: new Float32Array(6) };
  assert.ok(isWorkerReply({ type: 'head', id: 1, head }));
  assert.ok(isWorkerReply({ type: 'head', id: 1, head: { ...head, mask: new Uint8Array(6) } }));
  for (const bad of [
    { ...head, probs: new Float32Array(5) },
    { ...head, scores: [0, 0, 0, 0, 0, 0] },
    { ...head, mask: new Uint8Array(2) },
    { ...head, queries: -2 },
  ]) {
    assert.equal(isWorkerReply({ type: 'head', id: 1, head: bad }), false);
  }
  assert.equal(isWorkerReply({ type: 'aggregate', id: 1, data: [1, 2] }), false);
  // A layer without its probabilities must bring its statistics, or the host could show nothing of it.
  const probs = new Float32Array(8).fill(0.5);
  const layer = { part: 'encoder', layer: 0, heads: 2, queries: 2, keys: 2, probs, scores: probs };
  const summary = layerSummary(layer as never);
  const kept = { ...layer, probs: new Float32Array(0), scores: new Float32Array(0), summary };
  const reply = (l: unknown) => ({ type: 'result', id: 1, result: { attentions: [l] } });
  assert.equal(isWorkerReply(reply(kept)), false);
  const stat = { entropy: 0.69, max: 0.5, toFirst: 0.5, toSep: null, toSelf: 0.5 };
  assert.ok(isWorkerReply(reply({ ...kept, summary: { ...summary, stats: [stat, stat] } })));
  assert.equal(isWorkerReply(reply({ ...kept, summary: { ...summary, stats: [stat] } })), false);
  assert.equal(isWorkerReply(reply({ ...kept, summary: { ...summary, stats: [stat, { ...stat, max: 'x' }] } })), false);
});

test('a kept run crosses without probabilities, and each head, mean and rollout the worker sends equals the full run’s', async () => {
  const h = host();
  const full = await h.run(small, input);
  const kept = await h.run(small, input, undefined, undefined, {});
  assert.ok(kept.kept, 'the result names its kept run');
  for (const l of kept.attentions) {
    assert.equal(l.probs.length, 0);
    assert.equal(l.scores.length, 0);
  }
  // The grid's numbers (statistics, thumbnails) are those of the full run.
  assert.deepEqual(runMeta(noEngine(kept)), runMeta(noEngine(full)));
  for (const a of full.attentions) {
    for (let head = 0; head < a.heads; head++) {
      // Softmax attention: the worker sends the scores only and the page's softmax gives the probabilities back.
      const compact = await h.head(kept.kept!.run, a.part, a.layer, head);
      assert.equal(compact.probsFromScores, true, `${a.part} ${a.layer} head ${head} crosses without its probabilities`);
      const { probs, ...got } = fullHead(compact);
      const { probs: wantProbs, ...want } = sliceHead(a, head);
      assert.deepEqual(got, want, `${a.part} ${a.layer} head ${head}`);
      assert.ok(
        probs.length === wantProbs.length && probs.every((p, i) => Math.abs(p - wantProbs[i]) <= SAME_PROBS),
        `${a.part} ${a.layer} head ${head}: probabilities`,
      );
    }
    assert.deepEqual(await h.aggregate(kept.kept!.run, a.part, a.layer, 'mean'), meanOverHeads(a));
  }
  const enc = full.attentions.filter((a) => a.part === 'encoder').sort((a, b) => a.layer - b.layer);
  assert.deepEqual(await h.aggregate(kept.kept!.run, 'encoder', 1, 'rollout'), rollout(enc)[1]);
  await assert.rejects(h.head(kept.kept!.run, 'encoder', 7, 0), /no encoder layer 7/);
  await assert.rejects(h.head(kept.kept!.run, 'encoder', 0, 9), /not 9/);
});

test('the worker keeps the run on screen and the one running; an older one, or any after a restart, says run again', async () => {
  const h = host();
  const a = await h.run(small, input, undefined, undefined, {});
  const b = await h.run(small, input, undefined, undefined, { also: a.kept!.run });
  assert.ok(await h.head(a.kept!.run, 'encoder', 0, 0), 'the run on screen stays');
  const c = await h.run(small, input, undefined, undefined, { also: b.kept!.run });
  await assert.rejects(h.head(a.kept!.run, 'encoder', 0, 0), /Run it again/);
  assert.ok(await h.head(b.kept!.run, 'encoder', 0, 0));
  assert.ok(await h.head(c.kept!.run, 'encoder', 0, 0));
  await h.restart();
  await assert.rejects(h.head(c.kept!.run, 'encoder', 0, 0), /Run it again/);
});

test('a head of a kept run is answered while the run goes on, between its layers', async () => {
  const h = host();
  const ids = Array.from({ length: 128 }, (_, i) => (i * 7919) % W2_VOCAB);
  let asked: Promise<unknown> | undefined;
  let answeredAt = Infinity;
  let partials = 0;
  const run = h.run(
    w2(),
    { ids },
    undefined,
    (r) => {
      partials++;
      if (asked || !r.kept) return;
      asked = h.head(r.kept.run, 'encoder', 0, 3).then((s) => ((answeredAt = performance.now()), s));
    },
    {},
  );
  const result = await run;
  const endedAt = performance.now();
  assert.ok(partials > 0 && asked, 'the run streamed');
  const slice = (await asked) as ReturnType<typeof sliceHead>;
  assert.ok(answeredAt < endedAt, 'answered before the run ended');
  assert.equal(slice.queries, 128);
  assert.ok(findLayer(result, 'encoder', 0));
  const again = await h.head(result.kept!.run, 'encoder', 0, 3);
  assert.deepEqual(again, slice, 'the head asked during the run is the run’s');
});

test('Cancel of a kept run answers at once and leaves the worker running: the run on screen keeps its heads', async () => {
  const h = host();
  const ids = Array.from({ length: 256 }, (_, i) => (i * 7919) % W2_VOCAB);
  const shown = await h.run(w2(), { ids: ids.slice(0, 16) }, undefined, undefined, {});
  const starts = h.starts;
  let computing!: () => void;
  const started = new Promise<void>((r) => (computing = r));
  const run = h.run(w2(), { ids }, () => computing(), undefined, { also: shown.kept!.run });
  await started;
  const t0 = performance.now();
  run.cancel();
  await assert.rejects(run, (e: Error) => e.name === 'CancelledError');
  assert.ok(performance.now() - t0 < 50, 'answered without waiting for the worker');
  const head = await h.head(shown.kept!.run, 'encoder', 0, 0);
  assert.equal(head.queries, 16);
  assert.equal(h.starts, starts, 'the worker was not restarted');
  const again = await h.run(w2(), { ids: ids.slice(0, 8) }, undefined, undefined, { also: shown.kept!.run });
  assert.equal(again.ids.source.length, 8);
});
