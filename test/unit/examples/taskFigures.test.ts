// The README's "trained result" figures for the sequence examples, measured on a fixed sample drawn
// here by the rules of their training scripts (scripts/train/tasks.py reverse_batch,
// transformer_examples.py, universal.py, tdmca.py) with a seeded generator. tasks.test.ts and
// utTdmca.test.ts check the bundled inputs and what their views show; this file checks the
// percentages. Each test prints its figure and asserts a bound just under it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { loadModel, runModel } from '../../../src/engine/run';
import { rng } from '../../helpers/randomModel';

const EXAMPLES = path.join(__dirname, '..', '..', '..', '..', 'examples');
const load = (name: string) => loadModel(path.join(EXAMPLES, `${name}.model.json`));
const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
const SYMBOLS = [...'abcdefghijklmnopqrstuvwxyz0123456789'];

function draws(seed: number) {
  const r = rng(seed);
  const below = (n: number) => Math.floor(r() * n);
  const between = (lo: number, hi: number) => lo + below(hi - lo + 1);
  return { below, between, choice: <T>(xs: readonly T[]) => xs[below(xs.length)] };
}

// Lengths as trained: 3–14 symbols for the RNNs, 3–12 for the Transformer.
for (const [name, maxLen, bound] of [
  ['rnn-reverse-additive', 14, 0.99],
  ['rnn-reverse-dot', 14, 0.99],
  ['rnn-reverse-general', 14, 0.99],
  ['transformer-reverse', 12, 0.98],
] as const) {
  test(`${name}: greedy decoding reverses random sequences of 3–${maxLen} symbols`, () => {
    const model = load(name);
    const d = draws(3);
    const total = 500;
    let exact = 0;
    for (let k = 0; k < total; k++) {
      const src = Array.from({ length: d.between(3, maxLen) }, () => d.choice(SYMBOLS));
      const r = runModel(model, { text: src.join(' ') });
      if (r.predicted?.tokens.join(' ') === [...src].reverse().concat('</s>').join(' ')) exact++;
    }
    console.log(`${name}: exact reversals ${pct(exact / total)} (${total} sequences)`);
    assert.ok(exact / total >= bound, `exact reversals ${pct(exact / total)}`);
  });
}

test('ut-fill-blanks: every ? of a random sequence becomes the nearest letter to its left', () => {
  const model = load('ut-fill-blanks');
  const d = draws(8);
  const total = 500;
  let exact = 0;
  for (let k = 0; k < total; k++) {
    // universal.py sample(): letters a–h, each followed by 0–4 blanks, 6–14 tokens.
    const n = d.between(6, 14);
    const seq: string[] = [];
    const answer: string[] = [];
    while (seq.length < n) {
      const letter = d.choice([...'abcdefgh']);
      seq.push(letter);
      answer.push(letter);
      for (let b = d.between(0, 4); b > 0 && seq.length < n; b--) {
        seq.push('?');
        answer.push(letter);
      }
    }
    if (runModel(model, { text: seq.join(' ') }).predicted?.tokens.join(' ') === answer.join(' ')) exact++;
  }
  console.log(`ut-fill-blanks: exact ${pct(exact / total)} (${total} sequences)`);
  assert.ok(exact / total >= 0.97, `exact ${pct(exact / total)}`);
});

test('tdmca-repeat: after the first phrase, the next word of a repeated 6-word phrase', () => {
  const model = load('tdmca-repeat');
  const words = ['the', 'quick', 'brown', 'fox', 'jumps', 'over', 'lazy', 'dog', 'a', 'cat', 'sat', 'on', 'mat',
    'red', 'big', 'sun', 'sky', 'blue', 'sea', 'we', 'go', 'up', 'down', 'now'];
  const d = draws(9);
  const total = 300;
  let right = 0;
  let count = 0;
  for (let k = 0; k < total; k++) {
    // tdmca.py sequence(): 6 distinct words repeated to 13–28 tokens; the model reads all but the last.
    const pool = [...words];
    const phrase = Array.from({ length: 6 }, () => pool.splice(d.below(pool.length), 1)[0]);
    const seq = Array.from({ length: d.between(13, 28) }, (_, i) => phrase[i % 6]);
    const predicted = runModel(model, { text: seq.slice(0, -1).join(' ') }).predicted!.tokens;
    for (let i = 5; i < seq.length - 1; i++) {
      right += Number(predicted[i] === seq[i + 1]);
      count++;
    }
  }
  console.log(`tdmca-repeat: next word after the first phrase ${pct(right / count)} ` +
    `(${total} sequences, ${count} words)`);
  assert.ok(right / count >= 0.99, `next word ${pct(right / count)}`);
});
