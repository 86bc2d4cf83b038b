// A streamed run crosses to the page as deltas: each update carries the statistics and thumbnails
// of the layers the page has not got (each layer's once), and the page's merge of them equals the
// whole run's metadata computed afresh. The host alone decides which head opens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadModel, runModel } from '../../../src/engine/run';
import type { RunResult } from '../../../src/engine/types';
import { InspectorSession } from '../../../src/protocol/inspectorSession';
import { mergeRunMeta, partThumbnails, runMeta } from '../../../common/headData';
import { isHostToWebview, isWebviewToHost, type HostToWebview, type RunMeta, type Thumbnail } from '../../../common/webview';
import { writeRandomTransformer } from '../../helpers/randomModel';

/** A 4-layer encoder run and its partial results after 2 and 3 layers, as the engine hands them out. */
function streamedRun(): { final: RunResult; at: Map<number, RunResult> } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-delta-'));
  try {
    const file = writeRandomTransformer(dir, { kind: 'encoder', dModel: 16, heads: 2, layers: 4 });
    const at = new Map<number, RunResult>();
    const final = runModel(loadModel(file), { ids: [3, 4, 5, 6, 7] }, undefined, (p) => {
      const copy = p.attentions.map((a) => ({ ...a, probs: a.probs.slice(), scores: a.scores.slice() }));
      at.set(p.attentions.length, {
        model: p.model,
        tokens: p.tokens,
        ids: p.ids,
        attentions: copy,
        addNorm: [],
        running: { ...p.progress },
      });
    });
    return { final, at };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const of = <T extends HostToWebview['type']>(ms: HostToWebview[], type: T) =>
  ms.filter((m): m is Extract<HostToWebview, { type: T }> => m.type === type);
const tiles = (ts: Thumbnail[]) => ts.map((t) => `${t.layer}.${t.head}`).join(' ');

test("each streamed layer's statistics and thumbnails are sent once; the merged metadata is the whole run's", () => {
  const { final, at } = streamedRun();
  const s = new InspectorSession();
  const first = s.setResult(at.get(2)!, 't');
  let meta: RunMeta = of(first, 'run')[0].meta;
  let thumbs = of(first, 'thumbnails')[0].thumbnails;
  assert.equal(tiles(thumbs), '0.0 0.1 1.0 1.1');
  const runId = s.runId;
  for (const [next, want] of [
    [at.get(3)!, '2.0 2.1'],
    [final, '3.0 3.1'],
  ] as const) {
    const sent = s.extendResult(next, 't');
    for (const m of sent) assert.ok(isHostToWebview(m), `${m.type} passes the page's guard`);
    const update = of(sent, 'runUpdate')[0];
    assert.equal(update.runId, runId, 'the same run goes on');
    // While streaming, only the new layer's statistics; at the end all (weight norms come with it).
    assert.deepEqual(
      update.meta.parts[0].layers.map((l) => l.layer),
      next.running ? [Number(want[0])] : [0, 1, 2, 3],
    );
    const t = of(sent, 'thumbnails');
    assert.equal(t.length, 1);
    assert.equal(t[0].append, true);
    assert.equal(tiles(t[0].thumbnails), want, "only the new layer's thumbnails");
    meta = mergeRunMeta(meta, update.meta);
    thumbs = [...thumbs, ...t[0].thumbnails];
  }
  // What the page holds now equals the finished run described from scratch.
  assert.deepEqual(meta, runMeta(final));
  assert.deepEqual(thumbs, partThumbnails(final, 'encoder'));
  assert.equal(meta.running, undefined, 'the end of the run clears its progress');
});

test('a reload in the middle of the stream gets every layer again, then deltas from there', () => {
  const { at } = streamedRun();
  const s = new InspectorSession();
  s.setResult(at.get(2)!, 't');
  s.extendResult(at.get(3)!, 't');
  const again = s.handle({ type: 'ready' }).replies;
  assert.equal(tiles(of(again, 'thumbnails')[0].thumbnails), '0.0 0.1 1.0 1.1 2.0 2.1');
  const more = s.extendResult({ ...at.get(3)!, attentions: [...at.get(3)!.attentions] }, 't');
  assert.equal(of(more, 'thumbnails').length, 0, 'nothing new, nothing re-sent');
});

test("the host decides which head opens: a restored page's saved selection, sent with ready", () => {
  const { final } = streamedRun();
  const s = new InspectorSession();
  s.setResult(final, 't');
  const head = of(s.handle({ type: 'ready', selection: { part: 'encoder', layer: 2, head: 1 } }).replies, 'run')[0].head;
  assert.deepEqual(head && [head.part, head.layer, head.head], ['encoder', 2, 1]);
  // The page's later choice wins over what it said at ready.
  s.handle({ type: 'requestHead', requestId: 1, runId: s.runId, part: 'encoder', layer: 3, head: 0 });
  const next = of(s.setResult(final, 't'), 'run')[0].head;
  assert.deepEqual(next && [next.layer, next.head], [3, 0]);
  assert.equal(
    isWebviewToHost({ type: 'ready', selection: { part: 'all', layer: 0, head: 0 } }),
    false,
    'a malformed selection is refused',
  );
  assert.equal(isWebviewToHost({ type: 'ready', selection: { part: 'encoder', layer: -1, head: 0 } }), false);
});
