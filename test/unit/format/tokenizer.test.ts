import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'path';
import { VocabTokenizer, vocabTokenizer } from '../../../src/engine/format/tokenizer';
import { loadHfTokenizer } from '../../../src/engine/format/modelJson';
import { InputError, ModelFormatError } from '../../../src/engine/format/errors';

const ROOT = path.resolve(__dirname, '../../../..');
const BERT_TOKENIZER = path.join(ROOT, 'test/fixtures/tokenizers/bert-wordpiece/tokenizer.json');

test('whitespace split, lowercase, unk', () => {
  const t = new VocabTokenizer({ tokens: ['<unk>', 'a', 'b', 'the'], split: 'whitespace', unk_token: '<unk>', lowercase: true });
  assert.deepEqual(t.encode('  The A\tzebra\nb '), { ids: [3, 1, 0, 2], tokens: ['the', 'a', '<unk>', 'b'] });
  assert.equal(t.size, 4);
  assert.equal(t.token(2), 'b');
  assert.equal(t.token(9), '[9]');
  assert.equal(t.token(-1), '[-1]');
});

test('without unk_token an unknown token is an InputError naming the token', () => {
  const t = new VocabTokenizer({ tokens: ['a', 'b'], split: 'whitespace', lowercase: false }, 'target_text');
  assert.throws(
    () => t.encode('a A'),
    (e: unknown) => e instanceof InputError && e.field === 'target_text' && /"A" is not in it/.test(e.expected),
  );
});

test('chars split skips whitespace unless the vocabulary has it; code points, not UTF-16 units', () => {
  const t = new VocabTokenizer({ tokens: ['a', 'b', '😀'], split: 'chars', lowercase: false });
  assert.deepEqual(t.encode('ab 😀a').ids, [0, 1, 2, 0]);
  const withSpace = new VocabTokenizer({ tokens: ['a', ' '], split: 'chars', lowercase: false });
  assert.deepEqual(withSpace.encode('a a').ids, [0, 1, 0]);
});

test('vocabTokenizer rejects duplicates and an unk_token outside the list', () => {
  assert.throws(
    () => vocabTokenizer('m.json', 'vocab.tokens', { tokens: ['a', 'b', 'a'], split: 'whitespace', lowercase: false }, 'text'),
    (e: unknown) => e instanceof ModelFormatError && e.field === 'vocab.tokens[2]' && /also token 0/.test(e.expected),
  );
  assert.throws(
    () => vocabTokenizer('m.json', 'vocab.tokens', { tokens: ['a'], split: 'whitespace', unk_token: '<unk>', lowercase: false }, 'text'),
    (e: unknown) => e instanceof ModelFormatError && e.field === 'vocab.unk_token',
  );
});

test('BERT WordPiece tokenizer.json: ids worked out by hand, [CLS] … [SEP] from the post-processor', () => {
  const t = loadHfTokenizer(BERT_TOKENIZER, 'model.json', 'vocab.tokenizer_file');
  // lowercased; split on punctuation; play + ##ed; un + ##believ + ##able
  assert.deepEqual(t.encode('The cat played, unbelievable!'), {
    ids: [2, 5, 6, 10, 12, 13, 16, 17, 18, 15, 3],
    tokens: ['[CLS]', 'the', 'cat', 'play', '##ed', ',', 'un', '##believ', '##able', '!', '[SEP]'],
  });
  assert.deepEqual(t.encode('PLAYING zebra').ids, [2, 10, 11, 1, 3]); // zebra → [UNK]
  assert.equal(t.token(17), '##believ');
  assert.equal(t.token(999), '[999]');
  assert.equal(t.size, 20);
});

test('a missing or unreadable tokenizer file is a ModelFormatError', () => {
  assert.throws(
    () => loadHfTokenizer(path.join(ROOT, 'no/such/tokenizer.json'), 'model.json', 'vocab.tokenizer_file'),
    (e: unknown) =>
      e instanceof ModelFormatError && e.file === 'model.json' && e.field === 'vocab.tokenizer_file' && /not found/.test(e.expected),
  );
});

test('each tokenizer names its unknown-word token, which the token strips mark', async () => {
  const hf = loadHfTokenizer(BERT_TOKENIZER, 'model.json', 'vocab.tokenizer_file');
  assert.equal(hf.unkToken, '[UNK]'); // tokenizer.json's model.unk_token
  assert.equal(hf.encode('zebra').tokens[1], hf.unkToken);
  assert.equal(new VocabTokenizer({ tokens: ['<unk>', 'a'], split: 'whitespace', unk_token: '<unk>', lowercase: false }).unkToken, '<unk>');
  assert.equal(new VocabTokenizer({ tokens: ['a'], split: 'whitespace', lowercase: false }).unkToken, undefined);
  // Through a run: the summary carries it, so the page can tell [UNK] from the tokens the input had.
  const { loadModel, runModel } = await import('../../../src/engine/run');
  const r = runModel(loadModel(path.join(ROOT, 'examples/bert-tiny-mlm.model.json')), { text: 'the zebra' });
  assert.equal(r.model.unkToken, '[UNK]');
  assert.ok(r.tokens.source.includes('[UNK]'), `tokens: ${r.tokens.source.join(' ')}`);
});
