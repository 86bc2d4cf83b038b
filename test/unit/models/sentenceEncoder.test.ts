// sentence-encoder architecture without the npm package (the pretrained check is
// test/unit/pretrained/energeticAi.test.ts): the t2t timing signal and the pooling in closed form,
// malformed files and inputs naming file + field, and the app-view guard.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadModel } from '../../../src/engine/format/load';
import { runModel, summarize } from '../../../src/engine/run';
import { InputError, ModelFormatError } from '../../../src/engine/format/errors';
import { t2tTimingSignal } from '../../../src/engine/positional';
import { isSentenceEmbeddingData, type SentenceEmbeddingData } from '../../../common/archViews/sentence-embedding';

const CFG = { vocab_size: 5, embed_dim: 4, d_model: 6, heads: 2, d_ff: 3, layers: 2, max_positions: 8, embedding_scale: 2 };

/** Every tensor the config needs, zero except the embeddings (id i: i + 1 everywhere) and the pooler bias. */
function tensors(poolerBias: number[]): Map<string, { shape: number[]; data: number[] }> {
  const { vocab_size: v, embed_dim: e, d_model: d, d_ff: f } = CFG;
  const m = new Map<string, { shape: number[]; data: number[] }>();
  const put = (n: string, shape: number[], fill: (i: number) => number = () => 0) =>
    m.set(n, { shape, data: Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => fill(i)) });
  put('embed.tokens', [v, e], (i) => Math.floor(i / e) + 1);
  for (let l = 0; l < CFG.layers; l++) {
    const w = l === 0 ? e : d;
    const p = `encoder.layers.${l}`;
    put(`${p}.self_attn_norm.weight`, [w], () => 1);
    put(`${p}.self_attn_norm.bias`, [w]);
    for (const s of ['q', 'k', 'v']) {
      put(`${p}.self_attn.${s}.weight`, [w, w]);
      put(`${p}.self_attn.${s}.bias`, [w]);
    }
    put(`${p}.self_attn.o.weight`, [d, w]);
    put(`${p}.self_attn.o.bias`, [d]);
    if (w !== d) {
      put(`${p}.residual_proj.weight`, [d, w]);
      put(`${p}.residual_proj.bias`, [d]);
    }
    put(`${p}.ffn_norm.weight`, [d], () => 1);
    put(`${p}.ffn_norm.bias`, [d]);
    put(`${p}.ffn.fc1.weight`, [f, d]);
    put(`${p}.ffn.fc1.bias`, [f]);
    put(`${p}.ffn.fc2.weight`, [d, f]);
    put(`${p}.ffn.fc2.bias`, [d]);
  }
  put('pooler.dense.weight', [d, d]);
  m.set('pooler.dense.bias', { shape: [d], data: poolerBias });
  return m;
}

function writeModel(dir: string, config: object, weights: Map<string, { shape: number[]; data: number[] }>): string {
  const inline: Record<string, { shape: number[]; data: string }> = {};
  for (const [n, t] of weights) inline[n] = { shape: t.shape, data: Buffer.from(new Float32Array(t.data).buffer).toString('base64') };
  const file = path.join(dir, 'se.model.json');
  fs.writeFileSync(
    file,
    JSON.stringify({ format: 'attention-inspector/model', version: 1, architecture: 'sentence-encoder', config, weights: { inline } }),
  );
  return file;
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'se-'));

test('t2t timing signal: sin half then cos half, inv_i = 10⁴^(−i/(n−1))', () => {
  const pe = t2tTimingSignal(3, 8); // n = 4 timescales
  assert.deepEqual(Array.from(pe.subarray(0, 8)), [0, 0, 0, 0, 1, 1, 1, 1], 'position 0');
  for (let i = 0; i < 4; i++) {
    const angle = 2 * Math.pow(1e4, -i / 3);
    assert.ok(Math.abs(pe[16 + i] - Math.sin(angle)) < 1e-6, `sin dim ${i}`);
    assert.ok(Math.abs(pe[16 + 4 + i] - Math.cos(angle)) < 1e-6, `cos dim ${i}`);
  }
});

test('zero attention weights give uniform rows; embedding = tanh(pooler bias) / ‖·‖ with its norms in the view', () => {
  const dir = tmp();
  try {
    const bias = [0.5, -1, 2, 0, 0.25, -0.75];
    const r = runModel(loadModel(writeModel(dir, CFG, tensors(bias))), { ids: [1, 2, 3] });
    assert.deepEqual(
      r.attentions.map((a) => [a.part, a.layer, a.heads, a.queries, a.keys]),
      [
        ['encoder', 0, 2, 3, 3],
        ['encoder', 1, 2, 3, 3],
      ],
    );
    for (const a of r.attentions) for (const p of a.probs) assert.ok(Math.abs(p - 1 / 3) < 1e-7, 'q = k = 0 → uniform');
    assert.equal(r.app?.kind, 'sentence-embedding');
    const d = r.app!.data as SentenceEmbeddingData;
    assert.ok(isSentenceEmbeddingData(d));
    const t = bias.map(Math.tanh);
    const norm = Math.hypot(...t);
    d.embedding.forEach((v, j) => assert.ok(Math.abs(v - t[j] / norm) < 1e-6, `dim ${j}`));
    assert.ok(Math.abs(d.tanhNorm - norm) < 1e-6);
    assert.ok(Math.abs(d.norm - 1) < 1e-6);
    assert.equal(d.pooledNorm, 0, 'every sub-layer outputs 0 and the residual projection is 0');
    assert.equal(d.tokens, 3);
    assert.equal(r.positional?.scheme, 't2t-timing');
    // The side panel's tree (src/sidebar/modelTree.ts partsOf) lists heads from the summary's parts.
    const summary = summarize(loadModel(path.join(dir, 'se.model.json')));
    assert.deepEqual([summary.details.encoder_layers, summary.details.heads], [2, 2]);
    assert.deepEqual(summary.parts, [{ part: 'encoder', layers: 2, heads: 2 }]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('malformed sentence-encoder files and inputs name file + field', () => {
  const dir = tmp();
  try {
    const bias = [0, 0, 0, 0, 0, 0];
    assert.throws(
      () => loadModel(writeModel(dir, { ...CFG, heads: 3 }, tensors(bias))),
      (e: unknown) => e instanceof ModelFormatError && e.field === 'config.heads' && e.message.includes('se.model.json'),
    );
    const noProj = tensors(bias);
    noProj.delete('encoder.layers.0.residual_proj.weight');
    assert.throws(
      () => runModel(loadModel(writeModel(dir, CFG, noProj)), { ids: [1] }),
      (e: unknown) => e instanceof ModelFormatError && /residual_proj\.weight/.test(e.message),
    );
    const model = loadModel(writeModel(dir, CFG, tensors(bias)));
    assert.throws(
      () => runModel(model, { ids: Array(9).fill(1) }),
      (e: unknown) => e instanceof InputError && /at most 8 tokens/.test(e.message),
    );
    assert.throws(
      () => runModel(model, { ids: [7] }),
      (e: unknown) => e instanceof InputError,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the sentence-embedding guard refuses what the view cannot draw', () => {
  const ok = { embedding: [0.6, -0.8], pooledNorm: 1, tanhNorm: 0.5, norm: 1, tokens: 2 };
  assert.ok(isSentenceEmbeddingData(ok));
  for (const bad of [
    null,
    [],
    { ...ok, embedding: [] },
    { ...ok, embedding: [NaN] },
    { ...ok, embedding: 'x' },
    { ...ok, norm: -1 },
    { ...ok, tokens: 0 },
    { ...ok, tokens: 1.5 },
    { ...ok, tanhNorm: undefined },
    { ...ok, embedding: Array(5000).fill(0) },
  ]) {
    assert.equal(isSentenceEmbeddingData(bad), false, JSON.stringify(bad)?.slice(0, 60));
  }
});
