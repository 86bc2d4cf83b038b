// A model file can name the head the inspector opens first (open_first): a head the model has,
// or a load error naming the field. transformer-reverse names the anti-diagonal its description
// points at, which is in the cross-attention, not the encoder's L0 H0 (issue 20).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadModel, runModel, summarize } from '../../../src/engine/run';
import { ModelFormatError } from '../../../src/engine/format/errors';

const ROOT = path.resolve(__dirname, '../../../..');
const REVERSE = path.join(ROOT, 'examples', 'transformer-reverse.model.json');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-openfirst-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Mean probability on the reversal's anti-diagonal: decoder input t looks at source n − 1 − t. */
function antiDiagonal(probs: Float32Array, queries: number, keys: number, head: number): number {
  let s = 0;
  let n = 0;
  for (let t = 0; t < queries; t++) {
    const j = keys - 1 - t;
    if (j < 0) continue;
    s += probs[(head * queries + t) * keys + j];
    n++;
  }
  return s / n;
}

test('transformer-reverse opens first the head that is the anti-diagonal, of all its heads', () => {
  const model = loadModel(REVERSE);
  const first = summarize(model).openFirst;
  assert.ok(first, 'transformer-reverse names a head to open first');
  const r = runModel(model, { text: 'a t t e n t i o n' });
  const scored = r.attentions.flatMap((a) =>
    a.part === 'cross'
      ? Array.from({ length: a.heads }, (_, h) => ({
          part: a.part,
          layer: a.layer,
          head: h,
          score: antiDiagonal(a.probs, a.queries, a.keys, h),
        }))
      : [],
  );
  const best = scored.reduce((a, b) => (b.score > a.score ? b : a));
  assert.deepEqual(first, { part: best.part, layer: best.layer, head: best.head }, `anti-diagonal scores: ${JSON.stringify(scored)}`);
  assert.ok(best.score > 0.6, `the named head's anti-diagonal holds ${best.score} of each row`);
});

test('open_first naming a head the model lacks, or malformed, is a load error naming the field', () => {
  const doc = JSON.parse(fs.readFileSync(REVERSE, 'utf8')) as Record<string, unknown>;
  doc.weights = { safetensors: path.join(ROOT, 'examples', 'transformer-reverse.safetensors') };
  const cases: [unknown, RegExp][] = [
    [{ part: 'cross', layer: 2, head: 0 }, /open_first\.layer: a cross layer 0…1; found 2/],
    [{ part: 'cross', layer: 0, head: 4 }, /open_first\.head: a head 0…3; found 4/],
    [{ part: 'cross', layer: -1, head: 0 }, /open_first/],
    [{ part: 'cross', layer: 0 }, /open_first/],
    [{ part: 'all', layer: 0, head: 0 }, /open_first/],
  ];
  for (const [value, message] of cases) {
    const file = path.join(tmp, 'm.model.json');
    fs.writeFileSync(file, JSON.stringify({ ...doc, open_first: value }));
    assert.throws(
      () => loadModel(file),
      (e: Error) => e instanceof ModelFormatError && message.test(e.message),
      JSON.stringify(value),
    );
  }
  const encoderOnly = {
    ...doc,
    config: { ...(doc.config as object), kind: 'encoder', decoder_layers: 0 },
    open_first: { part: 'cross', layer: 0, head: 0 },
  };
  fs.writeFileSync(path.join(tmp, 'e.model.json'), JSON.stringify(encoderOnly));
  assert.throws(() => loadModel(path.join(tmp, 'e.model.json')), /open_first\.part: one of "encoder"; found "cross"/);
});
