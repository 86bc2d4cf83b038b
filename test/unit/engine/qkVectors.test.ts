// The Q·K view's vectors: for every cell, scale·Σ_c q_c·k_c recomputed here from the returned q
// and k must equal the score the run reported (the heatmap's number), on bundled models, in
// process (reference kernels) and through the worker (the kernels the extension uses).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { loadModel, runModel } from '../../../src/engine/run';
import { headQK } from '../../../src/engine/qkVectors';
import { EngineHost } from '../../../src/engineHost';
import type { AttentionLayer, HeadQK, QkRequest, RunResult } from '../../../src/engine/types';
import { InspectorSession } from '../../../src/protocol/inspectorSession';
import { isWorkerRequest } from '../../../common/worker';
import type { HostToWebview } from '../../../common/webview';

const ROOT = path.join(__dirname, '..', '..', '..', '..');
const file = (p: string) => path.join(ROOT, p);
const TOL = 1e-5;

/** Largest |scale·q_i·k_j − score_ij| over the head, the dot product taken here in float64. */
function worstCell(qk: HeadQK, layer: AttentionLayer): number {
  assert.equal(qk.queries, layer.queries);
  assert.equal(qk.keys, layer.keys);
  let worst = 0;
  for (let i = 0; i < qk.queries; i++) {
    for (let j = 0; j < qk.keys; j++) {
      let dot = 0;
      for (let c = 0; c < qk.dims; c++) dot += qk.q[i * qk.dims + c] * qk.k[j * qk.dims + c];
      const score = layer.scores[(qk.head * layer.queries + i) * layer.keys + j];
      worst = Math.max(worst, Math.abs(qk.scale * dot - score));
    }
  }
  return worst;
}

const requestOf = (r: RunResult, l: AttentionLayer, head: number) => ({
  ids: r.ids.source,
  ...(r.ids.target.length > 0 ? { targetIds: r.ids.target } : {}),
  part: l.part,
  layer: l.layer,
  head,
});

test('worked example: q and k are the embeddings (identity projections), score = q·k/√2', () => {
  const model = loadModel(file('docs/worked-example.model.json'));
  const r = runModel(model, { text: 'a b c' });
  const qk = headQK(model, requestOf(r, r.attentions[0], 0));
  assert.equal(qk.form, 'scaled-dot');
  assert.equal(qk.dims, 2);
  assert.equal(qk.scale, 1 / Math.SQRT2);
  const emb = [1, 0, 0, 1, 1, 1]; // a, b, c as docs/model-format.md writes them
  assert.deepEqual([...qk.q], emb);
  assert.deepEqual([...qk.k], emb);
  assert.ok(worstCell(qk, r.attentions[0]) <= TOL);
});

for (const name of ['transformer-reverse', 'ut-fill-blanks', 'bert-tiny-mlm']) {
  test(`${name}: scale·q·k equals the run's score in every cell of every head (≤ ${TOL})`, () => {
    const model = loadModel(file(`examples/${name}.model.json`));
    const r = runModel(model, { text: model.examples[0].text });
    let heads = 0;
    for (const l of r.attentions) {
      for (let h = 0; h < l.heads; h++) {
        const qk = headQK(model, requestOf(r, l, h));
        assert.equal(qk.scale, 1 / Math.sqrt(qk.dims));
        const w = worstCell(qk, l);
        assert.ok(w <= TOL, `${l.part} layer ${l.layer} head ${h}: off by ${w}`);
        heads++;
      }
    }
    assert.ok(heads >= 4, `only ${heads} heads checked`);
  });
}

test('RNN dot and general: q is the decoder state (sᵀW for general), k the encoder states; additive gives no vectors', () => {
  for (const score of ['dot', 'general'] as const) {
    const model = loadModel(file(`examples/rnn-reverse-${score}.model.json`));
    const r = runModel(model, { text: model.examples[0].text });
    const qk = headQK(model, { ...requestOf(r, r.attentions[0], 0), targetIds: r.ids.target });
    assert.equal(qk.form, score);
    assert.equal(qk.scale, 1);
    assert.ok(qk.dims > 0);
    const w = worstCell(qk, r.attentions[0]);
    assert.ok(w <= TOL, `${score}: off by ${w}`);
  }
  const model = loadModel(file('examples/rnn-reverse-additive.model.json'));
  const r = runModel(model, { text: model.examples[0].text });
  const qk = headQK(model, { ...requestOf(r, r.attentions[0], 0), targetIds: r.ids.target });
  assert.equal(qk.form, 'additive');
  assert.equal(qk.dims, 0);
});

test('the recomputation stops at the layer boundary after the asked layer, with the same vectors', () => {
  const model = loadModel(file('examples/transformer-reverse.model.json'));
  const r = runModel(model, { text: 'a t t e n t i o n' });
  const seen: string[] = [];
  const ctl = { isCancelled: () => false, progress: (p: { message: string }) => seen.push(p.message) };
  const enc0 = r.attentions.find((a) => a.part === 'encoder' && a.layer === 0)!;
  const qk = headQK(model, requestOf(r, enc0, 2), ctl);
  assert.deepEqual(seen, ['encoder layer 1/2'], 'stopped at the start of the second encoder layer');
  assert.ok(worstCell(qk, enc0) <= TOL);
  const cancelled = { isCancelled: () => true, progress: () => {} };
  assert.throws(() => headQK(model, requestOf(r, enc0, 2), cancelled), /cancelled/, 'a real cancel is still a cancel');
});

test('a head or layer the run does not have is an input error, not a crash', () => {
  const model = loadModel(file('examples/transformer-reverse.model.json'));
  const r = runModel(model, { text: 'a b' });
  assert.throws(() => headQK(model, { ...requestOf(r, r.attentions[0], 0), head: 99 }), /no head 99/);
  assert.throws(() => headQK(model, { ...requestOf(r, r.attentions[0], 0), layer: 42 }), /no encoder layer 42/);
});

test('an architecture that does not record q and k says so (the page shows it instead of a strip)', () => {
  const model = loadModel(file('examples/image-transformer-patterns.model.json'));
  const ex = model.examples[0];
  const r = runModel(model, { text: ex.text, ids: ex.ids });
  assert.throws(() => headQK(model, requestOf(r, r.attentions[0], 0)), /image-transformer models do not give their q and k vectors/);
});

const hosts: EngineHost[] = [];
after(() => Promise.all(hosts.map((h) => h.dispose())));

test("through the worker (fast kernels): the vectors cross as typed arrays and match that run's scores", async () => {
  const host = new EngineHost({ workerScript: path.join(ROOT, 'dist', 'worker.js') });
  hosts.push(host);
  const modelPath = file('examples/transformer-reverse.model.json');
  const r = await host.run(modelPath, { text: 'a t t e n t i o n' });
  for (const part of ['encoder', 'decoder', 'cross'] as const) {
    const l = r.attentions.find((a) => a.part === part && a.layer === 1) ?? r.attentions.find((a) => a.part === part)!;
    const head = l.heads - 1;
    const qk = await host.qk(modelPath, requestOf(r, l, head));
    assert.ok(qk.q instanceof Float32Array && qk.k instanceof Float32Array);
    assert.equal(qk.q.length, l.queries * qk.dims);
    const w = worstCell(qk, l);
    assert.ok(w <= TOL, `${part}: off by ${w}`);
  }
  await assert.rejects(host.qk(modelPath, { ...requestOf(r, r.attentions[0], 0), head: 99 }), /no head 99/);
});

test("ViT/DeiT: the session's request carries the run's pixels, the worker guard takes it, and scale·q·k is the run's score", async () => {
  const folder = file('test/fixtures/hf-vision/deit');
  const model = loadModel(folder);
  const r = runModel(model, { image: file('test/fixtures/hf-vision/image.png') });
  const asked: QkRequest[] = [];
  const session = new InspectorSession(undefined, async (_run, request) => (asked.push(request), headQK(model, request)));
  session.setResult(r, 'deit (image.png)');
  for (const l of r.attentions) {
    const head = (l.layer + 2) % l.heads;
    const h = session.handle({ type: 'requestQk', requestId: 1, runId: session.runId, part: l.part, layer: l.layer, head });
    const [m] = (await h.later) as HostToWebview[];
    assert.equal(m.type, 'qk', m.type === 'viewError' ? m.message : m.type);
    if (m.type !== 'qk') return;
    const w = worstCell(m, l);
    assert.ok(w <= TOL, `layer ${l.layer} head ${head}: off by ${w}`);
  }
  assert.ok(isWorkerRequest({ type: 'qk', id: 1, modelPath: folder, request: asked[0] }), 'the worker accepts the request');
  const noImage = { ...asked[0], pixels: undefined };
  assert.equal(isWorkerRequest({ type: 'qk', id: 1, modelPath: folder, request: noImage }), false, 'no ids and no pixels');
  assert.throws(() => headQK(model, { ...noImage, ids: [0] }), /need the run’s image/);
});

test('ViT through the worker: the run brings its pixels to the host and the q·k of a head on them is its score', async () => {
  const host = new EngineHost({ workerScript: path.join(ROOT, 'dist', 'worker.js') });
  hosts.push(host);
  const folder = file('test/fixtures/hf-vision/vit');
  const r = await host.run(folder, { image: file('test/fixtures/hf-vision/image.png') });
  assert.ok(r.pixels?.data instanceof Float32Array, 'the pixels crossed as a typed array');
  const l = r.attentions.find((a) => a.layer === 1) ?? r.attentions[0];
  const qk = await host.qk(folder, { ids: [], pixels: r.pixels, part: l.part, layer: l.layer, head: l.heads - 1 });
  const w = worstCell(qk, l);
  assert.ok(w <= TOL, `off by ${w}`);
});
