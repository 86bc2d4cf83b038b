import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadModel, runModel } from '../../../src/engine/run';
import { describeInput, inputAsText, inputPlaceholder, parseTypedInput } from '../../../src/inputText';

test('typed input: "ids:" gives ids, anything else is text; inputAsText gives it back', () => {
  assert.deepEqual(parseTypedInput('ids: 4, 5  6'), { ids: [4, 5, 6] });
  assert.deepEqual(parseTypedInput('IDS:1'), { ids: [1] });
  assert.deepEqual(parseTypedInput('the cat sat'), { text: 'the cat sat' });
  assert.equal(inputAsText(parseTypedInput('ids: 4, 5')), 'ids: 4, 5');
  assert.equal(inputAsText({ text: 'a b', targetText: 'b a' }), 'a b');
  assert.equal(inputAsText(undefined), '');
});

test('describeInput names a vision run by its image file, not its [CLS] and patch tokens', () => {
  const folder = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'hf-vision');
  const model = loadModel(path.join(folder, 'deit'));
  const r = runModel(model, { image: path.join(folder, 'image.png') });
  assert.equal(describeInput(r), 'image.png');
  const exp = JSON.parse(fs.readFileSync(path.join(folder, 'deit', 'expected.json'), 'utf8')) as { pixel_values: number[][][] };
  assert.equal(describeInput(runModel(model, { pixelValues: exp.pixel_values })), 'pixel_values 3×24×24');
});

test('describeInput shows at most six tokens', () => {
  assert.equal(describeInput({ tokens: { source: ['a', 'b'], target: [] } }), 'a b');
  assert.equal(describeInput({ tokens: { source: '1 2 3 4 5 6 7'.split(' '), target: [] } }), '1 2 3 4 5 6 …');
});

// Issue 20: `ids: 1, x` gave the id NaN, and the engine said "token id NaN is outside the vocabulary".
test('typed ids: never NaN; a word among ids, an empty list or an id past the vocabulary is said in words', () => {
  const vocab = { tokenizer: true, size: 40 };
  assert.throws(
    () => parseTypedInput('ids: 1, x'),
    (e: Error) => e.name === 'TypedInputError' && /“x” is not a token id/.test(e.message) && !/NaN/.test(e.message),
  );
  assert.throws(() => parseTypedInput('ids: 1.5'), /“1\.5” is not a token id/);
  assert.throws(() => parseTypedInput('ids: -1'), /“-1” is not a token id/);
  assert.throws(() => parseTypedInput('ids:   '), /at least one token id/);
  assert.throws(() => parseTypedInput('ids: 3, 40', vocab), /Token id 40 is outside this model's vocabulary \(0…39\)/);
  assert.deepEqual(parseTypedInput('ids: 0, 39', vocab), { ids: [0, 39] });
});

test('a model without a tokenizer: text gets a message about text, bare ids run, the prompt says ids and their range', () => {
  const idsOnly = { tokenizer: false, size: 30522 };
  assert.throws(
    () => parseTypedInput('the cat sat', idsOnly),
    (e: Error) => /no tokenizer, so it cannot read text/.test(e.message) && /0…30521/.test(e.message) && !e.message.startsWith('ids:'),
  );
  assert.deepEqual(parseTypedInput('7 8, 9', idsOnly), { ids: [7, 8, 9] });
  assert.deepEqual(parseTypedInput('ids: 7', idsOnly), { ids: [7] });
  assert.deepEqual(parseTypedInput('7 8', { tokenizer: true, size: 10 }), { text: '7 8' }, 'with a tokenizer, numbers are text');
  assert.match(inputPlaceholder(idsOnly, false), /token ids 0…30521/);
  assert.match(inputPlaceholder(idsOnly, true), /^Pick an example or type an input: token ids 0…30521/);
  assert.doesNotMatch(inputPlaceholder({ tokenizer: true, size: 10 }, false), /token ids 0…/);
});
