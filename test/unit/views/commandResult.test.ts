// A run handed back by a command must serialise to a few bytes (the workbench gets it as JSON),
// while callers in the extension host keep the whole object.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wireSafe } from '../../../src/commandResult';
import { syntheticResult } from '../../webview/synthetic';

test('wireSafe: a run serialises to a short summary, keeps its arrays for callers in the host, other values pass as they are', () => {
  const r = syntheticResult();
  const full = JSON.stringify(r).length;
  const same = wireSafe(r);
  assert.equal(same, r, 'the same object');
  assert.ok(same.attentions[0].probs instanceof Float32Array);
  const wire = JSON.stringify(same);
  assert.ok(wire.length < 300 && wire.length * 20 < full, `${wire.length} bytes on the wire (the arrays as JSON: ${full})`);
  assert.deepEqual(JSON.parse(wire), {
    model: r.model.name,
    file: r.model.file,
    tokens: r.tokens.source.length,
    layers: r.attentions.length,
  });
  assert.ok(!Object.keys(same).includes('toJSON'), 'not an enumerable field');
  for (const v of [true, undefined, 'x', { a: 1 }]) assert.deepEqual(wireSafe(v), v);
});
