// A panel whose run was lost with the extension host says so and offers Run again (issue 20).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InspectorSession } from '../../../src/protocol/inspectorSession';
import { isHostToWebview, isWebviewToHost } from '../../../common/webview';
import { syntheticResult } from '../../webview/synthetic';

test('a lost run: the page gets the reason and a Run again button; the button asks the host once there is no run', () => {
  const s = new InspectorSession();
  const posted = s.setNoRun('The extension host stopped unexpectedly.', 'Run again');
  assert.deepEqual(
    posted.filter((m) => m.type === 'noRun'),
    [{ type: 'noRun', message: 'The extension host stopped unexpectedly.', runAgain: 'Run again' }],
  );
  assert.ok(posted.every(isHostToWebview));
  assert.deepEqual(
    s.handle({ type: 'ready' }).replies.find((m) => m.type === 'noRun'),
    posted.find((m) => m.type === 'noRun'),
    'a reloaded page gets it again',
  );
  assert.ok(isWebviewToHost({ type: 'runAgain' }));
  assert.deepEqual(s.handle({ type: 'runAgain' }).event, { kind: 'runAgain' });
  s.setResult(syntheticResult(), 'x');
  assert.equal(s.handle({ type: 'runAgain' }).event, undefined, 'a run is shown: a stale button does nothing');
  assert.equal(new InspectorSession().handle({ type: 'runAgain' }).event, undefined, 'no button was offered');
  assert.equal(isHostToWebview({ type: 'noRun', message: 'x', runAgain: 7 }), false);
  assert.equal(isHostToWebview({ type: 'noRun', message: 'x', runAgain: 'r'.repeat(201) }), false);
});

test("the running line's Cancel reaches the host as a cancelRun event, with or without a run shown", () => {
  const s = new InspectorSession();
  assert.ok(isWebviewToHost({ type: 'cancelRun' }));
  assert.deepEqual(s.handle({ type: 'cancelRun' }), { replies: [], event: { kind: 'cancelRun' } });
  s.setResult(syntheticResult(), 'x');
  assert.deepEqual(s.handle({ type: 'cancelRun' }).event, { kind: 'cancelRun' }, 'the runner decides whether a run goes on');
  assert.equal(isWebviewToHost({ type: 'cancelrun' }), false);
});
