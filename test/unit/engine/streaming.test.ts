// A long run is shown before it ends: at each checkpoint the engine hands out the attention layers
// finished so far (runModel's onPartial), and the worker protocol carries them to the host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadModel, runModel } from '../../../src/engine/run';
import type { PartialRun } from '../../../src/engine/types';
import { isWorkerReply, isWorkerRequest } from '../../../common/worker';
import { writeRandomTransformer } from '../../helpers/randomModel';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-stream-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** What the partial held at the moment it was handed out (the engine's array keeps growing). */
const snapshot = (p: PartialRun) => ({
  layers: p.attentions.map((a) => `${a.part}${a.layer}`),
  progress: { ...p.progress },
  first: p.attentions[0],
});

test('an encoder–decoder run hands out its finished layers at each layer checkpoint, each a prefix of the final result', () => {
  const file = writeRandomTransformer(tmp, { kind: 'encoder-decoder', dModel: 16, layers: 3 });
  const seen: ReturnType<typeof snapshot>[] = [];
  const parts: PartialRun[] = [];
  const r = runModel(loadModel(file), { ids: [3, 4, 5, 6], targetIds: [1, 5, 6] }, undefined, (p) => {
    seen.push(snapshot(p));
    parts.push(p);
  });
  // Encoder checkpoints before layers 1 and 2 (layer 0's has nothing finished yet), then the
  // decoder's before its layers 0, 1, 2: the encoder is done, the decoder layers (self + cross) grow.
  assert.deepEqual(
    seen.map((s) => s.layers.join(' ')),
    [
      'encoder0',
      'encoder0 encoder1',
      'encoder0 encoder1 encoder2',
      'encoder0 encoder1 encoder2 decoder0 cross0',
      'encoder0 encoder1 encoder2 decoder0 cross0 decoder1 cross1',
    ],
  );
  assert.deepEqual(
    seen.map((s) => `${s.progress.done}/${s.progress.total}`),
    ['1/3', '2/3', '0/3', '1/3', '2/3'],
  );
  assert.match(seen[0].progress.message, /encoder layer 2\/3/);
  // The layers handed out are the very ones the final result holds (same numbers, same objects).
  for (const s of seen) assert.equal(s.first, r.attentions[0]);
  assert.deepEqual(parts[0].tokens.source, r.tokens.source);
  assert.deepEqual(parts[0].ids.target, [1, 5, 6]);
  assert.equal(parts[0].model.name, r.model.name);
});

test('without onPartial nothing extra happens, and the result is the same', () => {
  const file = writeRandomTransformer(tmp, { kind: 'encoder', dModel: 16, layers: 2 });
  const a = runModel(loadModel(file), { ids: [3, 4, 5] });
  let calls = 0;
  const b = runModel(loadModel(file), { ids: [3, 4, 5] }, undefined, () => calls++);
  assert.equal(calls, 1);
  assert.deepEqual(Array.from(b.attentions[1].probs), Array.from(a.attentions[1].probs));
  assert.equal(b.running, undefined, 'a finished result is not marked running');
});

test('the worker protocol: run requests may ask to stream, partial replies are checked', () => {
  const cancel = new SharedArrayBuffer(4);
  assert.ok(isWorkerRequest({ type: 'run', id: 1, modelPath: 'm', input: { ids: [1] }, cancel, stream: true }));
  assert.ok(!isWorkerRequest({ type: 'run', id: 1, modelPath: 'm', input: { ids: [1] }, cancel, stream: 'yes' }));
  const layer = { part: 'encoder', layer: 0, heads: 1, queries: 1, keys: 1, probs: new Float32Array(1), scores: new Float32Array(1) };
  const run = { model: { name: 'm' }, tokens: { source: ['a'], target: [] }, ids: { source: [1], target: [] } };
  const progress = { done: 1, total: 2, message: 'encoder layer 2/2' };
  assert.ok(isWorkerReply({ type: 'partial', id: 1, run, layers: [layer], progress }));
  assert.ok(
    !isWorkerReply({ type: 'partial', id: 1, run, layers: [{ ...layer, probs: [0.5] }], progress }),
    'probs must be a Float32Array',
  );
  assert.ok(
    !isWorkerReply({ type: 'partial', id: 1, run, layers: [layer], progress: { done: 1, total: 2 } }),
    'progress needs its message',
  );
  assert.ok(!isWorkerReply({ type: 'partial', id: 1, layers: [layer], progress }), 'the run (model, tokens) is required');
});
