import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { loadModel, runModel } from '../../../src/engine/run';
import { InputError } from '../../../src/engine/format/errors';

const FIX = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures');

test('an input over maxTokens is refused before any compute, naming the side and the limit', () => {
  const m = loadModel(path.join(FIX, 'hf', 'bert'));
  assert.throws(
    () => runModel(m, { ids: [1, 2, 3, 4, 5], maxTokens: 4 }),
    (e: InputError) => e instanceof InputError && e.field === 'ids' && /5 tokens is over the limit of 4/.test(e.message),
  );
  assert.equal(runModel(m, { ids: [1, 2, 3, 4], maxTokens: 4 }).tokens.source.length, 4);
});

test('an input longer than the model has positions is refused with the number it can take', () => {
  const m = loadModel(path.join(FIX, 'hf', 'gpt2'));
  const cfg = (m as { config: { max_positions: number } }).config;
  const ids = Array.from({ length: cfg.max_positions + 1 }, () => 1);
  assert.throws(() => runModel(m, { ids }), new RegExp(`at most ${cfg.max_positions} tokens fit`));
});
