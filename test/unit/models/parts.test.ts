// The side panel lists heads from partShapes (config only); every model's real run must record
// exactly those parts, with the same heads, and layers within the stated count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadModel, runModel } from '../../../src/engine/run';
import { partShapes } from '../../../src/engine/models/parts';

const ROOT = path.join(__dirname, '..', '..', '..', '..');
const files = ['examples', 'test/fixtures/project'].flatMap((d) =>
  fs
    .readdirSync(path.join(ROOT, d))
    .filter((f) => f.endsWith('.model.json'))
    .map((f) => path.join(ROOT, d, f)),
);

test('there are models to check', () => assert.ok(files.length >= 20, `${files.length} model files`));

for (const file of files) {
  test(`parts from the config match the run: ${path.relative(ROOT, file)}`, () => {
    const model = loadModel(file);
    const ex = model.examples[0];
    if (!ex) return; // nothing to run without input; partShapes is still used by the tree
    const shapes = partShapes(model);
    const r = runModel(model, { text: ex.text, ids: ex.ids, targetText: ex.targetText, targetIds: ex.targetIds });
    const recurrent = model.architecture === 'universal';
    const seen = new Set(r.attentions.map((a) => a.part));
    assert.deepEqual([...seen].sort(), shapes.map((s) => s.part).sort(), 'parts');
    for (const s of shapes) {
      const layers = r.attentions.filter((a) => a.part === s.part);
      for (const a of layers) {
        assert.equal(a.heads, s.heads, `${s.part} layer ${a.layer} heads`);
        assert.ok(a.layer < s.layers, `${s.part} layer ${a.layer} < ${s.layers}`);
      }
      if (!recurrent) assert.equal(new Set(layers.map((a) => a.layer)).size, s.layers, `${s.part} layer count`);
    }
  });
}
