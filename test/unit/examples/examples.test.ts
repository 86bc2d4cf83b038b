// Every bundled example (examples/*.model.json) opens, runs each of its `examples` inputs, and
// reproduces the attention PyTorch computed for its first input when the model was trained.
//
// Shape of examples/<name>.expected.json (written by the training script beside the model; every
// example must have one, whatever script trained it):
//
//   {
//     "model": "<name>.model.json",
//     "text": "<the model's examples[0].text>",      // or null when the example gives ids
//     "target_text": "<examples[0].target_text>",    // or null (greedy decoding / no target side)
//     "ids": [...],                                  // source ids the tokenizer must produce
//     "target_ids": [...],                           // decoder inputs used (given or greedy); [] if none
//     "attentions": { "<part>": [layer][head][query][key] },  // part: encoder | decoder | cross
//     "predicted_ids": [...],                        // optional: argmax after each position / decoder input
//     "tolerance": 1e-5                              // optional, at most 1e-5
//   }
//
// Probabilities come from an independent PyTorch implementation (float64 from the float32
// weights), so this compares the engine against PyTorch, not against itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadModel, runModel } from '../../../src/engine/run';
import { resultToJson } from '../../../src/engine/resultJson';

const EXAMPLES = path.join(__dirname, '..', '..', '..', '..', 'examples');
const MAX_TOL = 1e-5;
/** One example (model JSON + weights + expected) must stay small: the .vsix carries them all. */
const MAX_EXAMPLE_BYTES = 2 * 1024 * 1024;

interface Expected {
  model: string;
  text: string | null;
  target_text: string | null;
  ids: number[];
  target_ids: number[];
  attentions: Record<string, number[][][][]>;
  predicted_ids?: number[];
  tolerance?: number;
}

function maxAbsDiff(a: unknown, b: unknown, where: string): number {
  if (Array.isArray(a) && Array.isArray(b)) {
    assert.equal(a.length, b.length, `${where}: length ${a.length} vs expected ${b.length}`);
    return a.reduce((m: number, x, i) => Math.max(m, maxAbsDiff(x, b[i], `${where}[${i}]`)), 0);
  }
  assert.equal(typeof a, 'number', `${where}: not a number`);
  return Math.abs((a as number) - (b as number));
}

const models = fs.readdirSync(EXAMPLES).filter((f) => f.endsWith('.model.json')).sort();

test('examples/ holds the bundled models', () => {
  assert.ok(models.length >= 1, `no *.model.json in ${EXAMPLES}`);
});

for (const file of models) {
  const name = file.slice(0, -'.model.json'.length);
  const modelPath = path.join(EXAMPLES, file);

  test(`${name}: has a description, 2–3 example inputs and stays under 2 MB`, () => {
    const doc = JSON.parse(fs.readFileSync(modelPath, 'utf8')) as { description?: string; examples?: unknown[]; weights?: { safetensors?: string } };
    assert.ok(doc.description && doc.description.length > 40, 'description says what to look for');
    assert.ok(doc.examples && doc.examples.length >= 2 && doc.examples.length <= 3, `2–3 examples, got ${doc.examples?.length}`);
    const files = [file, `${name}.expected.json`, ...(doc.weights?.safetensors ? [doc.weights.safetensors] : [])];
    const bytes = files.reduce((s, f) => s + fs.statSync(path.join(EXAMPLES, f)).size, 0);
    assert.ok(bytes <= MAX_EXAMPLE_BYTES, `${files.join(' + ')} = ${bytes} bytes > ${MAX_EXAMPLE_BYTES}`);
  });

  test(`${name}: every example input runs`, () => {
    const model = loadModel(modelPath);
    assert.ok(model.examples.length > 0);
    for (const ex of model.examples) {
      const r = runModel(model, ex);
      assert.ok(r.attentions.length > 0, `${JSON.stringify(ex)}: no attention`);
    }
  });

  test(`${name}: first example matches PyTorch (${name}.expected.json)`, () => {
    const expPath = path.join(EXAMPLES, `${name}.expected.json`);
    assert.ok(fs.existsSync(expPath), `${name}.expected.json is missing`);
    const exp = JSON.parse(fs.readFileSync(expPath, 'utf8')) as Expected;
    assert.equal(exp.model, file, 'expected.json names its model');
    const tol = Math.min(exp.tolerance ?? MAX_TOL, MAX_TOL);
    const model = loadModel(modelPath);
    const first = model.examples[0];
    assert.equal(first.text ?? null, exp.text, 'expected.json is for examples[0]');
    assert.equal(first.targetText ?? null, exp.target_text, 'expected.json is for examples[0]');
    const result = runModel(model, first);
    assert.deepEqual(result.ids.source, exp.ids, 'source ids (tokenizer)');
    assert.deepEqual(result.ids.target, exp.target_ids, 'decoder inputs');
    const got = (resultToJson(result) as { attentions: Record<string, number[][][][]> }).attentions;
    assert.deepEqual(Object.keys(got).sort(), Object.keys(exp.attentions).sort(), 'attention parts');
    for (const part of Object.keys(exp.attentions)) {
      const err = maxAbsDiff(got[part], exp.attentions[part], part);
      assert.ok(err <= tol, `${part}: max abs error ${err.toExponential(2)} > ${tol}`);
    }
    if (exp.predicted_ids) assert.deepEqual(result.predicted?.ids, exp.predicted_ids, 'predictions');
  });
}
