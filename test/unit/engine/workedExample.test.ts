// The worked example of docs/model-format.md, checked against the closed form the doc walks
// through: identity Q/K projections and no positions, so score_ij = e_i·e_j / √2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'path';
import { loadModel, runModel } from '../../../src/engine/run';

const FILE = path.join(__dirname, '../../../../docs/worked-example.model.json');

test('docs worked example: attention equals softmax(e_i·e_j/√2) computed by hand', () => {
  const r = runModel(loadModel(FILE), { text: 'a b c' });
  const emb = [
    [1, 0],
    [0, 1],
    [1, 1],
  ]; // a, b, c as in the doc
  const layer = r.attentions.find((a) => a.part === 'encoder' && a.layer === 0)!;
  assert.deepEqual([layer.heads, layer.queries, layer.keys], [1, 3, 3]);
  for (let i = 0; i < 3; i++) {
    const s = emb.map((e) => (e[0] * emb[i][0] + e[1] * emb[i][1]) / Math.SQRT2);
    const z = s.reduce((acc, v) => acc + Math.exp(v), 0);
    for (let j = 0; j < 3; j++) {
      assert.ok(Math.abs(layer.probs[i * 3 + j] - Math.exp(s[j]) / z) < 1e-6, `row ${i} col ${j}`);
      assert.ok(Math.abs(layer.scores[i * 3 + j] - s[j]) < 1e-6, `score ${i} ${j}`);
    }
  }
  // The numbers printed in the doc.
  assert.ok(Math.abs(layer.probs[0] - 0.4011) < 1e-4 && Math.abs(layer.probs[8] - 0.5035) < 1e-4);
});
