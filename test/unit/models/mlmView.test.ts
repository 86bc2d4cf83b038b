// The masked-LM view in closed form: which token is the mask, and the top-5 softmax at each mask.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findMaskToken, mlmView } from '../../../src/engine/models/mlmView';
import type { Tokenizer } from '../../../src/engine/format/loaded';
import { isMlmData } from '../../../common/archViews/mlm';

/** A whitespace tokenizer over `tokens`, optionally wrapping every encode in [CLS] … [SEP] as HF BERT does. */
function tokenizer(tokens: string[], wrap = false): Tokenizer {
  const index = new Map(tokens.map((t, i) => [t, i]));
  return {
    size: tokens.length,
    token: (id) => tokens[id] ?? `[${id}]`,
    encode: (text) => {
      const pieces = text.split(/\s+/).filter(Boolean);
      const ids = pieces.map((p) => {
        const id = index.get(p);
        if (id === undefined) throw new Error(`${p} not in vocabulary`);
        return id;
      });
      return wrap
        ? { ids: [index.get('[CLS]')!, ...ids, index.get('[SEP]')!], tokens: ['[CLS]', ...pieces, '[SEP]'] }
        : { ids, tokens: pieces };
    },
  };
}

test('the mask token is found by its spelling, also when the tokenizer adds [CLS]/[SEP]', () => {
  assert.deepEqual(findMaskToken(tokenizer(['[PAD]', '[CLS]', '[SEP]', '[MASK]', 'a'])), { id: 3, token: '[MASK]' });
  assert.deepEqual(findMaskToken(tokenizer(['[CLS]', '[SEP]', 'a', '[MASK]'], true)), { id: 3, token: '[MASK]' });
  assert.deepEqual(findMaskToken(tokenizer(['<s>', '</s>', '<mask>'])), { id: 2, token: '<mask>' });
  assert.equal(findMaskToken(tokenizer(['a', 'b'])), undefined, 'no mask token: no view');
  assert.equal(findMaskToken(undefined), undefined);
});

test('top-5 guesses at each mask are the softmax over the vocabulary, most probable first', () => {
  const vocab = 7;
  const names = ['[MASK]', 'a', 'b', 'c', 'd', 'e', 'f'];
  // Two positions; only position 1 is a mask. Logits ln(1..7) → probabilities k / 28.
  const logits = new Float32Array(2 * vocab); // [n, vocab]
  for (let j = 0; j < vocab; j++) {
    logits[j] = 100 * (j === 2 ? 1 : 0); // position 0: not a mask, must be ignored
    logits[vocab + j] = Math.log(j + 1);
  }
  const app = mlmView(logits, [1, 0], vocab, { id: 0, token: '[MASK]' }, (id) => names[id]);
  assert.equal(app?.kind, 'mlm');
  assert.ok(isMlmData(app!.data));
  const [m] = app!.data.masks;
  assert.equal(app!.data.masks.length, 1);
  assert.equal(m.position, 1);
  assert.deepEqual(
    m.guesses.map((g) => g.token),
    ['f', 'e', 'd', 'c', 'b'],
  );
  m.guesses.forEach((g, k) => assert.ok(Math.abs(g.probability - (7 - k) / 28) < 1e-6, `${g.token}: ${g.probability}`));
  assert.equal(
    mlmView(logits, [1, 2], vocab, { id: 0, token: '[MASK]' }, (id) => names[id]),
    undefined,
    'no mask in the input: no view',
  );
});

test('the guard refuses malformed view data', () => {
  assert.equal(isMlmData({ maskToken: '[MASK]', masks: [{ position: 1, guesses: [{ id: 0, token: 'a', probability: 2 }] }] }), false);
  assert.equal(isMlmData({ maskToken: '[MASK]', masks: [{ position: -1, guesses: [{ id: 0, token: 'a', probability: 0.5 }] }] }), false);
  assert.equal(isMlmData({ masks: [] }), false);
  assert.equal(isMlmData({ maskToken: '[MASK]', masks: [] }), true);
});
