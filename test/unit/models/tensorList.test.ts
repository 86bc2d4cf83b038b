// Every architecture lists the tensors its builder reads (Architecture.tensors); the file is checked
// against that list before anything is built, and the builder cannot read past it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import '../../helpers/registerToy';
import { loadModel } from '../../../src/engine/format/load';
import { ModelFormatError } from '../../../src/engine/format/errors';
import { checkTensors } from '../../../src/engine/format/tensors';
import type { LoadedModel } from '../../../src/engine/format/loaded';
import { architectureOf, buildModel } from '../../../src/engine/models/registry';
import { TensorReader } from '../../../src/engine/models/tensorReader';
import { tensor } from '../../../src/engine/tensor';

const ROOT = path.join(__dirname, '..', '..', '..', '..');
const modelFiles = ['examples', path.join('test', 'fixtures', 'project')].flatMap((dir) =>
  fs
    .readdirSync(path.join(ROOT, dir))
    .filter((f) => f.endsWith('.model.json'))
    .map((f) => path.join(ROOT, dir, f)),
);

/** The toy model (test/helpers/toyArchitecture.ts), vocabulary 5, d_model 4, with tensors of these shapes. */
function toy(weights: Record<string, number[]>): LoadedModel {
  return {
    file: '/models/toy.model.json',
    name: 'toy',
    architecture: 'toy-attention',
    config: { vocab_size: 5, d_model: 4, heads: 2, causal: false },
    weights: new Map(Object.entries(weights).map(([n, shape]) => [n, tensor(shape)])),
    examples: [],
  } as LoadedModel;
}

function refused(model: LoadedModel, tensorName: string, message: RegExp): void {
  assert.throws(
    () => buildModel(model),
    (e: unknown) => {
      assert.ok(e instanceof ModelFormatError, String(e));
      assert.equal(e.field, tensorName);
      assert.match(e.message, /\/models\/toy\.model\.json/);
      assert.match(e.message, message);
      return true;
    },
  );
}

test('every project model file has exactly the tensors its architecture lists, with their shapes', () => {
  assert.ok(modelFiles.length >= 20, `found ${modelFiles.length} model files`);
  for (const file of modelFiles) {
    const m = loadModel(file);
    const list = [...architectureOf(m).tensors(m.config)];
    assert.doesNotThrow(() => checkTensors(m, list), path.basename(file));
    const required = list.filter((t) => !t.optional).map((t) => t.name);
    assert.ok(required.length > 0 && required.every((n) => m.weights.has(n)), path.basename(file));
    buildModel(m); // and the builder reads exactly what the list gives (else TensorReader throws)
  }
});

test('a missing tensor, a wrong shape and an unlisted tensor are refused before building, naming file, tensor, shape', () => {
  refused(toy({}), 'embed.tokens', /a tensor of shape \[5, 4\]; it is missing/);
  refused(toy({ 'embed.tokens': [5, 3] }), 'embed.tokens', /shape \[5, 4\]; found \[5, 3\]/);
  refused(
    toy({ 'embed.tokens': [5, 4], 'embed.tokenz': [5, 4] }),
    'embed.tokenz',
    /no such tensor in a toy-attention model with this config/,
  );
  assert.doesNotThrow(() => buildModel(toy({ 'embed.tokens': [5, 4] })));
});

test('a config claiming 10⁹ layers is refused at the first missing one, without listing them all', () => {
  const m = loadModel(path.join(ROOT, 'examples', 'transformer-reverse.model.json'));
  assert.equal(m.architecture, 'transformer');
  const stored = m.config.decoder_layers;
  const huge = { ...m, config: { ...m.config, decoder_layers: 1e9 } } as LoadedModel;
  const t0 = Date.now();
  assert.throws(
    () => buildModel(huge),
    (e: unknown) => e instanceof ModelFormatError && e.field === `decoder.layers.${stored}.self_attn.q.weight` && /missing/.test(e.message),
  );
  assert.ok(Date.now() - t0 < 1000, `took ${Date.now() - t0} ms`);
});

test('optional tensors may be absent but are shape-checked when present; null dimensions match any size', () => {
  const m = toy({ 'embed.tokens': [5, 4], 'lm_head.weight': [5, 3] });
  const list = [
    { name: 'embed.tokens', shape: [null, 4] },
    { name: 'lm_head.weight', shape: [5, 4], optional: true },
  ];
  assert.throws(() => checkTensors(m, list), /lm_head\.weight.*shape \[5, 4\]; found \[5, 3\]/);
  assert.doesNotThrow(() => checkTensors(toy({ 'embed.tokens': [7, 4] }), list));
  assert.throws(() => checkTensors(toy({ 'embed.tokens': [7, 5] }), list), /shape \[any, 4\]; found \[7, 5\]/);
});

test('a builder that reads past its list, or leaves a listed tensor unread, is a bug the reader reports', () => {
  const m = toy({ 'embed.tokens': [5, 4] });
  const r = new TensorReader(m, [{ name: 'embed.tokens', shape: [5, 4] }]);
  assert.throws(() => r.get('lm_head.weight', [5, 4]), /the builder reads lm_head\.weight \[5, 4\]; the tensor list does not list it/);
  assert.throws(() => r.get('embed.tokens', [4, 5]), /the tensor list lists it as \[5, 4\]/);
  assert.throws(() => r.finish(), /the tensor list gives embed\.tokens; the builder never reads it/);
  r.get('embed.tokens', [5, 4]);
  assert.doesNotThrow(() => r.finish());
});
