// A tokenizer.json whose pattern backtracks without end (ReDoS) costs its caller a short time budget
// and a clear error naming the file and the pattern; tokenizers loaded before still work, and the
// input text is capped before any tokenizer sees it. Each test has a timeout: before the tokenizer
// thread, these calls hung for hours.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { loadModel } from '../../../src/engine/format/load';
import { loadHfTokenizer } from '../../../src/engine/format/modelJson';
import { InputError, ModelFormatError } from '../../../src/engine/format/errors';
import { MAX_TEXT_CHARS } from '../../../src/engine/format/tokenizer';
import { runModel } from '../../../src/engine/run';

const ROOT = path.resolve(__dirname, '../../../..');
const FIX = path.join(ROOT, 'test/fixtures');
const BERT_TOKENIZER = path.join(FIX, 'tokenizers/bert-wordpiece/tokenizer.json');
const BACKTRACKING = path.join(FIX, 'tokenizers/backtracking-split/tokenizer.json');
const REDOS_FOLDER = path.join(FIX, 'malformed/hf-tokenizer-redos');
const load = (file: string) => loadHfTokenizer(file, 'model.json', 'vocab.tokenizer_file');
const LIMIT = { timeout: 30_000 };

function timed<T>(f: () => T): { value?: T; error?: unknown; ms: number } {
  const t0 = performance.now();
  try {
    return { value: f(), ms: performance.now() - t0 };
  } catch (error) {
    return { error, ms: performance.now() - t0 };
  }
}

test('a pattern that hangs the probe: loading fails within 5 s, naming tokenizer.json and the pattern', LIMIT, () => {
  load(BERT_TOKENIZER); // the tokenizer thread is up: the budget is timed, not the thread's start
  const r = timed(() => loadModel(REDOS_FOLDER));
  assert.ok(r.ms < 5000, `${r.ms.toFixed(0)} ms`);
  assert.ok(r.error instanceof ModelFormatError, String(r.error));
  assert.equal(r.error.file, path.join(REDOS_FOLDER, 'tokenizer.json'));
  assert.equal(r.error.field, 'pre_tokenizer.pattern.Regex');
  assert.match(r.error.message, /"\(\?:\.\|\.\|\.\)\*QQ" was still running on a short probe text after 2 s and the tokenizer was stopped/);
});

test(
  'a pattern that hangs on the input (34 × "a" for (a|a)*b): encode fails within the budget; the tokenizers work again after',
  LIMIT,
  () => {
    const bert = load(BERT_TOKENIZER);
    const tok = load(BACKTRACKING); // the probe text has no "a": it loads
    assert.deepEqual(tok.encode('hello ab'), { ids: [4, 3], tokens: ['hello', 'ab'] });
    const r = timed(() => tok.encode('a'.repeat(34)));
    assert.ok(r.ms < 5000, `${r.ms.toFixed(0)} ms`);
    assert.ok(r.error instanceof ModelFormatError, String(r.error));
    assert.equal(r.error.field, 'pre_tokenizer.pretokenizers[1].pattern.Regex');
    assert.match(r.error.message, /"\(a\|a\)\*b" was still running on a text of 34 characters after 2 s/);
    // The thread was stopped with every tokenizer in it; each is loaded again on its next use.
    const again = timed(() => bert.encode('The cat played, unbelievable!'));
    assert.ok(again.ms < 5000, `${again.ms.toFixed(0)} ms`);
    assert.deepEqual(again.value?.ids, [2, 5, 6, 10, 12, 13, 16, 17, 18, 15, 3]);
    assert.deepEqual(tok.encode('hello ab').ids, [4, 3]);
  },
);

test(`a text over ${MAX_TEXT_CHARS} characters is refused before encoding, naming the limit`, LIMIT, () => {
  const tok = load(BERT_TOKENIZER);
  const long = 'a '.repeat(MAX_TEXT_CHARS / 2) + 'b';
  assert.throws(
    () => tok.encode(long),
    (e: unknown) =>
      e instanceof InputError && e.field === 'text' && e.expected === 'a text of at most 100,000 characters; this one has 100,001',
  );
  assert.equal(tok.encode('a '.repeat(MAX_TEXT_CHARS / 2)).ids.length, MAX_TEXT_CHARS / 2 + 2); // at the limit: [CLS] a … a [SEP]
  // A run checks it for every tokenizer (here the project vocabulary), on the side it is given for.
  const model = loadModel(path.join(FIX, 'project/transformer-encdec.model.json'));
  assert.throws(
    () => runModel(model, { text: 'a', targetText: long }),
    (e: unknown) => e instanceof InputError && e.field === 'target_text' && /at most 100,000 characters/.test(e.expected),
  );
});
