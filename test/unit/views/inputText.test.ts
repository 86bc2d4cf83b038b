import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeInput, inputAsText, parseTypedInput } from '../../../src/inputText';

test('typed input: "ids:" gives ids, anything else is text; inputAsText gives it back', () => {
  assert.deepEqual(parseTypedInput('ids: 4, 5  6'), { ids: [4, 5, 6] });
  assert.deepEqual(parseTypedInput('IDS:1'), { ids: [1] });
  assert.deepEqual(parseTypedInput('the cat sat'), { text: 'the cat sat' });
  assert.equal(inputAsText(parseTypedInput('ids: 4, 5')), 'ids: 4, 5');
  assert.equal(inputAsText({ text: 'a b', targetText: 'b a' }), 'a b');
  assert.equal(inputAsText(undefined), '');
});

test('describeInput shows at most six tokens', () => {
  assert.equal(describeInput({ tokens: { source: ['a', 'b'], target: [] } }), 'a b');
  assert.equal(describeInput({ tokens: { source: '1 2 3 4 5 6 7'.split(' '), target: [] } }), '1 2 3 4 5 6 …');
});
