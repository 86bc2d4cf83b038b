// Per-head weight norms in a run: closed form on the worked example, and the engine's numbers
// (from the loaded tensors) against the header view's (read straight from the safetensors file).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as path from 'node:path';
import { loadModel, runModel } from '../../../src/engine/run';
import { sliceNorms } from '../../../src/engine/headNorms';
import { runMeta } from '../../../common/headData';
import { readModelFileFacts, readSafetensorsHeader } from '../../../src/engine/format/modelFileInfo';

const ROOT = path.join(__dirname, '..', '..', '..', '..');

test('worked example: identity 2×2 projections, one head → every norm is √2', () => {
  const r = runModel(loadModel(path.join(ROOT, 'docs', 'worked-example.model.json')), { text: 'a b c' });
  assert.deepEqual(r.headNorms?.length, 1);
  for (const k of ['q', 'k', 'v', 'o'] as const) assert.ok(Math.abs(r.headNorms![0][k]![0] - Math.SQRT2) < 1e-12, k);
  // …and they reach the inspector with the head's statistics.
  assert.deepEqual(runMeta(r).parts[0].layers[0].norms?.o?.length, 1);
});

test('sliceNorms: rows for q/k/v, columns for o, in closed form', () => {
  const w = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]); // [4, 2]: two heads of 2 rows each
  assert.deepEqual(sliceNorms(w, 4, 2, 2, false), [Math.sqrt(1 + 4 + 9 + 16), Math.sqrt(25 + 36 + 49 + 64)]);
  const o = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]); // [2, 4]: two heads of 2 columns each
  assert.deepEqual(sliceNorms(o, 2, 4, 2, true), [Math.sqrt(1 + 4 + 25 + 36), Math.sqrt(9 + 16 + 49 + 64)]);
  assert.equal(sliceNorms(w, 4, 2, 3, false), undefined, 'heads must divide the rows');
});

test('transformer-reverse: engine norms equal the header reader’s for every part, layer and head', () => {
  const file = path.join(ROOT, 'examples', 'transformer-reverse.model.json');
  const model = loadModel(file);
  const ex = model.examples[0];
  const r = runModel(model, { text: ex.text, targetText: ex.targetText });
  const parts = new Set(r.headNorms!.map((n) => n.part));
  assert.deepEqual([...parts].sort(), ['cross', 'decoder', 'encoder']);
  const header = readSafetensorsHeader(readModelFileFacts(file).safetensors!, r.headNorms![0].q!.length);
  for (const n of r.headNorms!) {
    const prefix = `${n.part === 'encoder' ? 'encoder' : 'decoder'}.layers.${n.layer}.${n.part === 'cross' ? 'cross_attn' : 'self_attn'}`;
    for (const k of ['q', 'k', 'v', 'o'] as const) {
      const side = header.tensors.find((t) => t.name === `${prefix}.${k}.weight`)!.norms!;
      n[k]!.forEach((x, h) =>
        assert.ok(Math.abs(x - side[h]) <= 1e-9 * Math.max(1, x), `${n.part} ${n.layer} ${k} head ${h}: ${x} vs ${side[h]}`),
      );
    }
  }
});

test('sliceNorms equals the plain definition ‖slice‖₂ for random shapes, by rows and by columns (property)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 1, max: 9 }),
      fc.boolean(),
      fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      (heads, dh, other, byColumn, seed) => {
        const rows = byColumn ? other : heads * dh;
        const cols = byColumn ? heads * dh : other;
        let s = seed;
        const w = Float32Array.from({ length: rows * cols }, () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32) * 4 - 2);
        const want = Array.from({ length: heads }, (_, h) => {
          let sum = 0;
          for (let r = 0; r < rows; r++)
            for (let c = 0; c < cols; c++) if (Math.floor((byColumn ? c : r) / dh) === h) sum += w[r * cols + c] ** 2;
          return Math.sqrt(sum);
        });
        const got = sliceNorms(w, rows, cols, heads, byColumn)!;
        got.forEach((g, h) => assert.ok(Math.abs(g - want[h]) <= 1e-12 * Math.max(1, want[h]), `head ${h}: ${g} vs ${want[h]}`));
      },
    ),
    { numRuns: 200 },
  );
});
