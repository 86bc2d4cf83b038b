// A head sent without its probabilities (common/headWire.ts): only when the scores give them back,
// checked against a softmax written out here in float64, and accepted by the message guards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answerHead, compactHead, fullHead } from '../../../common/headWire';
import { isHostToWebview, type HeadMessage } from '../../../common/webview';
import { isWorkerReply } from '../../../common/worker';
import { KeptRuns } from '../../../src/engine/keptRuns';
import type { AttentionLayer } from '../../../src/engine/types';

const Q = 5;
const K = 7;

/** Causal-masked scores and their probabilities, the softmax done in float64 by hand. */
function head(): Omit<HeadMessage, 'type' | 'runId' | 'requestId' | 'part' | 'layer' | 'head'> {
  const scores = Float32Array.from({ length: Q * K }, (_, i) => Math.sin(i * 1.7) * 6);
  const mask = Uint8Array.from({ length: Q * K }, (_, i) => (i % K > Math.floor(i / K) + 2 ? 1 : 0));
  const probs = new Float32Array(Q * K);
  for (let q = 0; q < Q; q++) {
    const live = Array.from({ length: K }, (_, k) => k).filter((k) => !mask[q * K + k]);
    const max = Math.max(...live.map((k) => scores[q * K + k]));
    const z = live.reduce((s, k) => s + Math.exp(scores[q * K + k] - max), 0);
    for (const k of live) probs[q * K + k] = Math.exp(scores[q * K + k] - max) / z;
  }
  return { queries: Q, keys: K, probs, scores, mask };
}

test('a head whose probabilities are the softmax of its scores travels without them and comes back the same', () => {
  const h = head();
  const c = compactHead(h);
  assert.equal(c.probsFromScores, true);
  assert.equal(c.probs.length, 0);
  assert.equal(c.scores, h.scores);
  const back = fullHead(c);
  assert.equal(back.probsFromScores, undefined);
  for (let i = 0; i < Q * K; i++) assert.ok(Math.abs(back.probs[i] - h.probs[i]) <= 1e-6, `${i}: ${back.probs[i]} vs ${h.probs[i]}`);
  const msg = { type: 'head', runId: 1, requestId: 2, part: 'encoder', layer: 0, head: 0, ...c };
  assert.ok(isHostToWebview(msg), 'the page accepts the compact head');
  assert.ok(!isHostToWebview({ ...msg, probsFromScores: undefined }), 'empty probabilities without the flag are refused');
  assert.ok(!isHostToWebview({ ...msg, probs: h.probs }), 'the flag with probabilities is refused');
  assert.ok(isWorkerReply({ type: 'head', id: 3, head: c }), 'the worker may answer with it');
});

test('a head whose probabilities are not the softmax of its scores travels in full', () => {
  const h = head();
  const probs = h.probs.slice();
  probs[3] += 0.01; // e.g. a model that adds a bias the scores do not show
  const c = compactHead({ ...h, probs });
  assert.equal(c.probsFromScores, undefined);
  assert.equal(c.probs, probs);
  assert.equal(fullHead(c).probs, probs);
});

test('the engine worker’s kept run hands out a head the page can complete', () => {
  const h = head();
  const layer: AttentionLayer = {
    part: 'encoder',
    layer: 0,
    heads: 1,
    queries: Q,
    keys: K,
    probs: h.probs,
    scores: h.scores,
    mask: h.mask,
  };
  const kept = new KeptRuns();
  kept.set(1, [layer]);
  const c = compactHead(kept.head(1, 'encoder', 0, 0));
  assert.equal(c.probsFromScores, true);
  assert.deepEqual(
    Array.from(fullHead(c).probs, (p) => p.toFixed(6)),
    Array.from(h.probs, (p) => p.toFixed(6)),
  );
});

test('a head asked for with a preview brings the ramp step of each probability the page will hold, on its own 0…max scale', () => {
  for (const bent of [false, true]) {
    const h = head();
    const probs = h.probs.slice();
    if (bent) probs[3] += 0.01; // travels in full: the levels are of the probabilities sent
    const a = answerHead({ ...h, probs }, true);
    const page = fullHead(a).probs; // what the page draws once the head arrives
    let max = 0;
    for (const p of page) max = Math.max(max, p);
    assert.equal(a.preview?.max, max, 'the top of the scale is the page’s largest probability');
    // The heatmap's ramp index, written out: round(p · 255 / max), clamped to 0…255.
    const want = Array.from(page, (p) => Math.min(255, Math.max(0, Math.round((p * 255) / max))));
    const got = Array.from(a.preview!.levels);
    const off = got.filter((g, i) => Math.abs(g - want[i]) > 0).length;
    assert.equal(off, 0, `${off} of ${got.length} cells in another ramp step (bent: ${bent})`);
    assert.ok(got.includes(255), 'the largest probability is the top step');
    assert.equal(answerHead({ ...h, probs }, false).preview, undefined, 'no preview unless asked');
    assert.ok(isWorkerReply({ type: 'head', id: 3, head: a }), 'the worker may answer with it');
    assert.ok(
      !isWorkerReply({ type: 'head', id: 3, head: { ...a, preview: { levels: new Uint8Array(2), max } } }),
      'levels of another size are refused',
    );
    const msg = {
      type: 'headPreview',
      runId: 1,
      requestId: 2,
      part: 'encoder',
      layer: 0,
      head: 0,
      queries: Q,
      keys: K,
      levels: a.preview!.levels,
      max,
      mask: h.mask,
    };
    assert.ok(isHostToWebview(msg), 'the page accepts the preview');
    assert.ok(!isHostToWebview({ ...msg, levels: new Uint8Array(Q * K - 1) }), 'levels of another size are refused');
    assert.ok(!isHostToWebview({ ...msg, max: Number.NaN }), 'a scale top that is not a number is refused');
    assert.ok(!isHostToWebview({ ...msg, levels: new Float32Array(Q * K) }), 'levels that are not bytes are refused');
  }
});
