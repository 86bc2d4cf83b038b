// Aggregates, attention diff and the attention-sink transform against closed-form small cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AttentionLayer } from '../../../src/engine/types';
import { headJsd, hideSinkColumns, jsd, meanOverHeads, rollout, sinkColumns } from '../../../common/aggregates';
import { compareHead, compareRuns } from '../../../common/compare';
import { exportHeadText, exportTitle } from '../../../common/exportData';
import { syntheticResult } from '../../webview/synthetic';

const close = (a: number, b: number, what: string, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

/** A layer from per-head row-major matrices. */
function layer(heads: number[][], n: number, part: AttentionLayer['part'] = 'encoder', index = 0, keys = n): AttentionLayer {
  const probs = Float32Array.from(heads.flat());
  return { part, layer: index, heads: heads.length, queries: n, keys, probs, scores: new Float32Array(probs.length) };
}

test('meanOverHeads: identity and swap heads average to one half everywhere', () => {
  const m = meanOverHeads(
    layer(
      [
        [1, 0, 0, 1],
        [0, 1, 1, 0],
      ],
      2,
    ),
  );
  assert.deepEqual(Array.from(m), [0.5, 0.5, 0.5, 0.5]);
});

test('rollout of uniform 2×2 layers: Â = [[¾,¼],[¼,¾]], so after m layers the diagonal is (1 + 2^−m)/2', () => {
  const u = [0.5, 0.5, 0.5, 0.5];
  const r = rollout([layer([u, u], 2, 'encoder', 0), layer([u], 2, 'encoder', 1), layer([u], 2, 'encoder', 2)]);
  assert.equal(r.length, 3);
  for (let m = 1; m <= 3; m++) {
    const d = (1 + 2 ** -m) / 2;
    close(r[m - 1][0], d, `layer ${m} [0,0]`);
    close(r[m - 1][1], 1 - d, `layer ${m} [0,1]`);
    close(r[m - 1][3], d, `layer ${m} [1,1]`);
  }
});

test('rollout multiplies later layers on the left: R₂ = Â₂·Â₁', () => {
  // Layer 1 copies token 0 everywhere: A = [[1,0],[1,0]] → Â = [[1,0],[½,½]].
  // Layer 2 copies token 1: A = [[0,1],[0,1]] → Â = [[½,½],[0,1]].
  const r = rollout([layer([[1, 0, 1, 0]], 2, 'encoder', 0), layer([[0, 1, 0, 1]], 2, 'encoder', 1)]);
  // [[½,½],[0,1]] · [[1,0],[½,½]] = [[¾,¼],[½,½]]
  assert.deepEqual(Array.from(r[1]), [0.75, 0.25, 0.5, 0.5]);
  assert.deepEqual(Array.from(r[0]), [1, 0, 0.5, 0.5]);
});

test('rollout rejects non-square (cross) layers', () => {
  assert.throws(() => rollout([layer([[1, 0, 0, 1, 0, 0]], 2, 'cross', 0, 3)]), RangeError);
});

test('jsd in bits: 0 for equal, 1 for disjoint, closed form for [1,0] vs [½,½]', () => {
  close(jsd([0.2, 0.8], 0, [0.2, 0.8], 0, 2), 0, 'equal');
  close(jsd([1, 0], 0, [0, 1], 0, 2), 1, 'disjoint');
  // m = [¾, ¼]: ½·log2(1/¾) + ½·(½·log2(½/¾) + ½·log2(½/¼))
  const expected = 0.5 * Math.log2(4 / 3) + 0.5 * (0.5 * Math.log2(2 / 3) + 0.5 * 1);
  close(jsd([1, 0], 0, [0.5, 0.5], 0, 2), expected, '[1,0] vs uniform');
  close(jsd([9, 1, 0], 1, [9, 0, 1], 1, 2), 1, 'offsets');
});

test('headJsd is the mean over query rows (row 0 equal, row 1 disjoint → ½)', () => {
  const a = layer([[1, 0, 1, 0]], 2);
  const b = layer([[1, 0, 0, 1]], 2);
  close(headJsd(a, b, 0), 0.5, 'mean of 0 and 1');
});

test('sink transform: first token and separators hidden, rows renormalised, a row all in sinks stays zero', () => {
  assert.deepEqual(sinkColumns(['[CLS]', 'a', '[SEP]', 'b']), [0, 2]);
  assert.deepEqual(sinkColumns([]), []);
  const p = Float32Array.from([0.5, 0.25, 0.25, /* row 2 */ 1, 0, 0]);
  const out = hideSinkColumns(p, 2, 3, [0]);
  assert.deepEqual(Array.from(out), [0, 0.5, 0.5, 0, 0, 0]);
  assert.deepEqual(Array.from(p), [0.5, 0.25, 0.25, 1, 0, 0], 'input untouched');
});

test('compareRuns: a run against itself ranks every head with JSD 0', () => {
  const r = syntheticResult();
  const c = compareRuns({ result: r, label: 'A' }, { result: r, label: 'B' });
  assert.equal(c.message, undefined);
  assert.equal(c.ranking.length, 2 * 3 * 3); // 2 layers × 3 heads × (encoder, decoder, cross)
  for (const x of c.ranking) close(x.jsd, 0, `${x.part} ${x.layer}/${x.head}`);
  assert.deepEqual(
    c.parts.map((p) => p.part),
    ['encoder', 'decoder', 'cross'],
  );
});

test('compareRuns ranks by JSD: one changed head comes first with its closed-form divergence', () => {
  const a = syntheticResult();
  const b = syntheticResult();
  const enc1 = b.attentions.find((l) => l.part === 'encoder' && l.layer === 1)!;
  const n = enc1.queries * enc1.keys;
  // Head 1 of encoder layer 1 in B: every row puts all mass on key 0.
  for (let i = 0; i < enc1.queries; i++) for (let j = 0; j < enc1.keys; j++) enc1.probs[n + i * enc1.keys + j] = j === 0 ? 1 : 0;
  const c = compareRuns({ result: a, label: 'A' }, { result: b, label: 'B' });
  assert.deepEqual([c.ranking[0].part, c.ranking[0].layer, c.ranking[0].head], ['encoder', 1, 1]);
  const aEnc1 = a.attentions.find((l) => l.part === 'encoder' && l.layer === 1)!;
  let expected = 0;
  for (let i = 0; i < aEnc1.queries; i++) {
    const p = Array.from(aEnc1.probs.subarray(n + i * aEnc1.keys, n + (i + 1) * aEnc1.keys));
    // JSD(p, δ₀) = ½ p₀ log2(2p₀/(p₀+1)) + ½ Σ_{j>0} p_j log2 2 + ½ log2(2/(p₀+1))
    const p0 = p[0];
    expected += 0.5 * p0 * Math.log2((2 * p0) / (p0 + 1)) + 0.5 * (1 - p0) + 0.5 * Math.log2(2 / (p0 + 1));
  }
  close(c.ranking[0].jsd, expected / aEnc1.queries, 'JSD of the changed head', 1e-5);
  for (const x of c.ranking.slice(1)) close(x.jsd, 0, 'others unchanged');
  const h = compareHead(a, b, { requestId: 1, compareId: 1, part: 'encoder', layer: 1, head: 1 });
  assert.ok(typeof h !== 'string');
  assert.equal(h.b.probs[0], 1);
  assert.equal(h.a.probs.length, n);
});

test('compareRuns with different token counts: both runs kept, only same-shape parts ranked, saying why', () => {
  const a = syntheticResult(); // 6 source, 5 target tokens
  const b = syntheticResult(['[CLS]', 'a', 'dog', 'ran', 'far', 'away', '[SEP]']); // 7 source, same target
  const c = compareRuns({ result: a, label: 'first input' }, { result: b, label: 'second input' });
  // Decoder self-attention is 5 × 5 in both: ranked. Encoder (6 × 6 vs 7 × 7) and cross (5 × 6 vs 5 × 7): not.
  assert.deepEqual([...new Set(c.ranking.map((r) => r.part))], ['decoder']);
  assert.equal(c.ranking.length, 2 * 3);
  assert.deepEqual(
    c.unranked.map((r) => `${r.part} ${r.layer}/${r.head}`),
    ['encoder', 'cross'].flatMap((p) => [0, 1].flatMap((l) => [0, 1, 2].map((h) => `${p} ${l}/${h}`))),
  );
  const enc = c.parts.find((p) => p.part === 'encoder')!;
  assert.equal(enc.sameShape, false);
  assert.deepEqual([enc.a.queries, enc.a.keys, enc.b.queries, enc.b.keys], [6, 6, 7, 7]);
  assert.deepEqual(enc.a.keyTokens, a.tokens.source);
  assert.deepEqual(enc.b.keyTokens, b.tokens.source, 'B keeps its own tokens');
  assert.equal(c.parts.find((p) => p.part === 'decoder')!.sameShape, true);
  assert.match(c.message ?? '', /encoder attention is 6 × 6 tokens \(queries × keys\) in first input but 7 × 7 in second input/);
  assert.match(c.message ?? '', /cross attention is 5 × 6 .* but 5 × 7/);
  assert.match(c.message ?? '', /no JSD ranking and no B − A difference; A and B are shown side by side/);

  // Every part differs: nothing ranked, every head still listed and answered on its own shape.
  const d = syntheticResult(['[CLS]', 'hi', '[SEP]'], ['<s>', 'salut', '</s>']);
  const all = compareRuns({ result: a, label: 'A' }, { result: d, label: 'B' });
  assert.equal(all.ranking.length, 0);
  assert.equal(all.unranked.length, 18);
  assert.ok(all.parts.every((p) => !p.sameShape));
  const h = compareHead(a, d, { requestId: 1, compareId: 1, part: 'cross', layer: 1, head: 2 });
  assert.ok(typeof h !== 'string');
  assert.deepEqual([h.a.queries, h.a.keys, h.b.queries, h.b.keys], [5, 6, 3, 3]);
  const la = a.attentions.find((l) => l.part === 'cross' && l.layer === 1)!;
  const ld = d.attentions.find((l) => l.part === 'cross' && l.layer === 1)!;
  assert.deepEqual(Array.from(h.a.probs), Array.from(la.probs.subarray(2 * 30, 3 * 30)));
  assert.deepEqual(Array.from(h.b.probs), Array.from(ld.probs.subarray(2 * 9, 3 * 9)));
  const dec = compareHead(a, d, { requestId: 1, compareId: 1, part: 'decoder', layer: 0, head: 0 });
  assert.ok(typeof dec !== 'string' && dec.a.mask?.length === 25 && dec.b.mask?.length === 9, 'each side its own causal mask');
});

test("export CSV/JSON: title names model, layer, head and input; numbers are the run's own", () => {
  const r = syntheticResult();
  const head = { part: 'encoder' as const, layer: 1, head: 2 };
  assert.equal(exportTitle(r, head, ''), `synthetic-enc-dec · encoder layer 1 head 2 · input: ${r.tokens.source.join(' ')}`);
  const csv = exportHeadText(r, head, 'csv', false)!;
  const lines = csv.trim().split('\n');
  assert.match(lines[0], /^# synthetic-enc-dec · encoder layer 1 head 2 · input: \[CLS\] the cat/);
  assert.equal(lines[2], 'query \\ key,[CLS],the,cat,"<img src=x onerror=""window.__pwned=1"">",sat,[SEP]');
  // Diagonal head: p(i,i) = e⁴/(e⁴ + 5).
  const d = Math.exp(4) / (Math.exp(4) + 5);
  close(Number(lines[3].split(',')[1]), d, 'cell [0,0]', 1e-6);
  const json = JSON.parse(exportHeadText(r, head, 'json', true)!);
  assert.equal(json.layer, 1);
  assert.deepEqual(json.displayTransform.hiddenKeys, [0, 5]);
  // Row 0 with [CLS] and [SEP] hidden: the four uniform others share 1 equally.
  close(json.displayTransform.probabilities[0][1], 0.25, 'renormalised row', 1e-6);
  assert.equal(exportHeadText(r, { part: 'encoder', layer: 9, head: 0 }, 'csv', false), undefined);
});
