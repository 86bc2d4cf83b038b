// The CLI's streamed JSON is the same text as JSON.stringify of the result's object form, and it
// is written in bounded pieces: a real-size run's text is longer than any JS string can be.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadModel, runModel } from '../../../src/engine/run';
import { resultToJson, writeResultJson } from '../../../src/engine/resultJson';
import type { AttentionLayer, RunResult } from '../../../src/engine/types';

const FIXTURES = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures');

function fixtureRun(model: string): RunResult {
  const index = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'expected', 'index.json'), 'utf8')) as {
    model: string;
    ids: number[];
    target_ids: number[] | null;
  }[];
  const entry = index.find((e) => e.model.endsWith(model));
  assert.ok(entry, `expected/index.json lists ${model}`);
  return runModel(loadModel(path.join(FIXTURES, entry.model)), {
    ids: entry.ids,
    ...(entry.target_ids ? { targetIds: entry.target_ids } : {}),
  });
}

for (const model of ['transformer-encdec.model.json', 'transformer-decoder-prenorm.model.json', 'hf/marian']) {
  test(`writeResultJson: the same text as JSON.stringify(resultToJson) (${model})`, () => {
    const r = fixtureRun(model);
    const pieces: string[] = [];
    writeResultJson(r, (t) => pieces.push(t), 64);
    assert.ok(pieces.length > 3, `written in ${pieces.length} pieces`);
    assert.equal(pieces.join(''), JSON.stringify(resultToJson(r)));
  });
}

test('writeResultJson: pieces stay near the chunk size however large the run', () => {
  const keys = 300;
  const layer = (l: number): AttentionLayer => {
    const probs = new Float32Array(4 * keys * keys).map((_, i) => ((i * 7919) % 1000) / 1000);
    return { part: 'encoder', layer: l, heads: 4, queries: keys, keys, probs, scores: probs } as unknown as AttentionLayer;
  };
  const r = { ...fixtureRun('transformer-encdec.model.json'), attentions: [layer(0), layer(1)], predicted: undefined };
  const sizes: number[] = [];
  let text = '';
  writeResultJson(
    r,
    (t) => {
      sizes.push(t.length);
      text += t;
    },
    1 << 16,
  );
  const rowText = JSON.stringify(Array.from(r.attentions[0].probs.subarray(0, keys))).length;
  assert.ok(Math.max(...sizes) <= (1 << 16) + rowText + 16, `largest piece ${Math.max(...sizes)} characters`);
  const parsed = JSON.parse(text) as { attentions: { encoder: number[][][][] } };
  assert.equal(parsed.attentions.encoder[1][3][keys - 1][5], r.attentions[1].probs[(3 * keys + keys - 1) * keys + 5]);
});
