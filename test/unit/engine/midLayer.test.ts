// A Cancel (or a head the inspector asks for during a run, which the worker answers when it polls
// for Cancel) is seen between a layer's attention and its feed-forward, not only between layers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { loadModel, runModel } from '../../../src/engine/run';

const FIX = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures');

for (const [name, dir, ids] of [
  ['BERT (encoder stack)', path.join(FIX, 'hf', 'bert'), [2, 5, 7, 3]],
  ['GPT-2 (decoder stack)', path.join(FIX, 'hf', 'gpt2'), [1, 2, 3]],
  ['Llama (hf-decoder)', path.join(FIX, 'hf-families', 'llama'), [1, 2, 3]],
] as const) {
  test(`${name}: polled twice per layer, and a Cancel asked during the first layer's attention stops it before its feed-forward`, () => {
    const m = loadModel(dir);
    const progress: string[] = [];
    let polls = 0;
    const counting = { isCancelled: () => (polls++, false), progress: (p: { message: string }) => void progress.push(p.message) };
    const r = runModel(m, { ids: [...ids] }, counting);
    const layers = progress.length;
    assert.ok(layers >= 2, `progress per layer: ${progress.join(' | ')}`);
    assert.ok(polls >= 2 * layers, `${polls} polls for ${layers} layers`);
    assert.ok(r.attentions.length > 0);

    progress.length = 0;
    let calls = 0;
    const cancelAtSecond = { isCancelled: () => ++calls >= 2, progress: (p: { message: string }) => void progress.push(p.message) };
    assert.throws(() => runModel(m, { ids: [...ids] }, cancelAtSecond), { name: 'CancelledError' });
    assert.equal(progress.length, 1, `stopped inside the first layer: ${progress.join(' | ')}`);
  });
}
