// The message guards (untrusted webview input), the host session, and the webview HTML/CSP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as vscode from 'vscode';
import { InspectorSession, type KeptSource } from '../../../src/protocol/inspectorSession';
import { KeptRuns, keptLayer } from '../../../src/engine/keptRuns';
import { answerHead, fullHead, SAME_PROBS } from '../../../common/headWire';
import { isHostToWebview, isWebviewToHost, MAX_WEBVIEW_TEXT, sanitizeState, type HeadMessage } from '../../../common/webview';
import { buildWebviewHtml, contentSecurityPolicy, localResourceRoots, makeNonce } from '../../../src/webviewHtml';
import { prob, syntheticResult } from '../../webview/synthetic';

const req = (over: Record<string, unknown> = {}) => ({
  type: 'requestHead',
  requestId: 1,
  runId: 1,
  part: 'encoder',
  layer: 0,
  head: 0,
  ...over,
});

test('isWebviewToHost accepts the three well-formed messages', () => {
  assert.ok(isWebviewToHost({ type: 'ready' }));
  assert.ok(isWebviewToHost(req()));
  assert.ok(isWebviewToHost({ type: 'webviewError', message: 'x' }));
});

test('isWebviewToHost rejects malformed or hostile input', () => {
  const bad: unknown[] = [
    null,
    undefined,
    42,
    'ready',
    [],
    [{ type: 'ready' }],
    {},
    { type: 'READY' },
    { type: 'runModel' },
    req({ part: 'everything' }),
    req({ layer: -1 }),
    req({ head: 1.5 }),
    req({ head: '0' }),
    req({ layer: NaN }),
    req({ layer: Infinity }),
    req({ head: 1e12 }),
    req({ requestId: undefined }),
    req({ runId: null }),
    { type: 'webviewError', message: 'x'.repeat(MAX_WEBVIEW_TEXT + 1) },
    { type: 'webviewError', message: { toString: 1 } },
  ];
  for (const b of bad) assert.equal(isWebviewToHost(b), false, JSON.stringify(b) ?? String(b));
});

test('sanitizeState keeps only well-formed fields', () => {
  assert.deepEqual(sanitizeState({ part: 'cross', layer: 2, head: 3, view: 'lines', sort: 'entropy', scale: 'one', title: 't' }), {
    part: 'cross',
    layer: 2,
    head: 3,
    view: 'lines',
    sort: 'entropy',
    scale: 'one',
    title: 't',
  });
  assert.deepEqual(sanitizeState({ part: 'x', layer: -2, head: 'a', view: 'svg', sort: 'constructor', scale: 2 }), {});
  assert.deepEqual(sanitizeState('nope'), {});
  assert.deepEqual(sanitizeState(undefined), {});
});

test('session: ready without a run answers noRun; with a run, run + thumbnails per part', () => {
  const s = new InspectorSession();
  assert.deepEqual(
    s.handle({ type: 'ready' }).replies.map((m) => m.type),
    ['noRun'],
  );
  const sent = s.setResult(syntheticResult(), 'first');
  assert.deepEqual(
    sent.map((m) => m.type),
    ['run', 'thumbnails', 'thumbnails', 'thumbnails'],
  );
  assert.deepEqual(
    s.handle({ type: 'ready' }).replies.map((m) => m.type),
    ['run', 'thumbnails', 'thumbnails', 'thumbnails'],
  );
  for (const m of sent) assert.ok(isHostToWebview(m), `${m.type} passes the webview guard`);
});

test('session: errors are re-sent after a reload and cleared by a new run', () => {
  const s = new InspectorSession();
  s.setResult(syntheticResult(), 'a');
  assert.deepEqual(s.setError('boom'), { type: 'error', message: 'boom' });
  const again = s.handle({ type: 'ready' }).replies;
  assert.deepEqual(again[again.length - 1], { type: 'error', message: 'boom' });
  const runId = s.runId;
  s.setResult(syntheticResult(), 'b');
  assert.equal(s.runId, runId + 1);
  assert.ok(s.handle({ type: 'ready' }).replies.every((m) => m.type !== 'error'));
});

test('session: requestHead answers with exactly that head, as typed arrays', () => {
  const r = syntheticResult();
  const s = new InspectorSession();
  s.setResult(r, 't');
  const { replies } = s.handle(req({ runId: s.runId, requestId: 7, part: 'cross', layer: 1, head: 2 }));
  assert.equal(replies.length, 1);
  const h = replies[0] as HeadMessage;
  assert.equal(h.type, 'head');
  assert.deepEqual([h.requestId, h.part, h.layer, h.head, h.queries, h.keys], [7, 'cross', 1, 2, 5, 6]);
  assert.ok(h.probs instanceof Float32Array && h.scores instanceof Float32Array);
  assert.equal(h.probs[3 * 6 + 4], prob(r, 'cross', 1, 2, 3, 4));
  assert.equal(h.mask, undefined, 'cross-attention has no mask');
  const dec = s.handle(req({ runId: s.runId, part: 'decoder', layer: 0, head: 0 })).replies[0] as HeadMessage;
  assert.ok(dec.mask instanceof Uint8Array && dec.mask[0 * 5 + 1] === 1 && dec.mask[1 * 5 + 0] === 0, 'causal mask');
  assert.ok(isHostToWebview(h) && isHostToWebview(dec));
});

test('session: every bad request gets one headError; malformed messages only a log line', () => {
  const s = new InspectorSession();
  assert.equal(s.handle(req()).replies[0].type, 'headError', 'no run yet');
  s.setResult(syntheticResult(), 't');
  for (const over of [{ runId: s.runId + 5 }, { layer: 9 }, { head: 3 }]) {
    const { replies } = s.handle(req({ runId: s.runId, ...over }));
    assert.equal(replies.length, 1);
    assert.equal(replies[0].type, 'headError', JSON.stringify(over));
    // Only a request of another run says so: the page then waits for the run instead of failing.
    assert.equal(replies[0].type === 'headError' && replies[0].earlier, 'runId' in over ? true : undefined, JSON.stringify(over));
  }
  const junk = s.handle({ type: 'requestHead', part: '__proto__' });
  assert.equal(junk.replies.length, 0);
  assert.match(junk.log ?? '', /malformed/);
  assert.match(s.handle({ type: 'webviewError', message: 'oops' }).log ?? '', /oops/);
});

test('isHostToWebview rejects arrays whose length does not match the shape', () => {
  const s = new InspectorSession();
  s.setResult(syntheticResult(), 't');
  const h = s.handle(req({ runId: s.runId })).replies[0] as HeadMessage;
  assert.ok(isHostToWebview(h));
  assert.equal(isHostToWebview({ ...h, probs: h.probs.subarray(1) }), false);
  assert.equal(isHostToWebview({ ...h, probs: Array.from(h.probs) }), false, 'nested JSON arrays are not accepted');
  assert.equal(isHostToWebview({ ...h, mask: new Uint8Array(3) }), false);
  const run = s.snapshot()[0];
  assert.ok(run.type === 'run');
  const broken = { ...run, meta: { ...run.meta, parts: [{ ...run.meta.parts[0], queryTokens: ['only one'] }] } };
  assert.equal(isHostToWebview(broken), false);
});

class FakeUri {
  constructor(readonly path: string) {}
  with(c: { path?: string }): FakeUri {
    return new FakeUri(c.path ?? this.path);
  }
  toString(): string {
    return `https://webview.test${this.path}`;
  }
}

test('webview HTML: strict CSP, nonce from crypto on the only script, resources from dist/webview and media', () => {
  const ext = new FakeUri('/ext') as unknown as vscode.Uri;
  const webview = { cspSource: 'https://webview.test', asWebviewUri: (u: vscode.Uri) => u };
  const html = buildWebviewHtml(webview, ext, { name: 'inspector', title: 'T "<x>"', styles: ['inspector.css'] });
  const csp = /Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? '';
  assert.match(csp, /default-src 'none'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
  const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
  assert.ok(nonce && Buffer.from(nonce, 'base64').length === 16, '128-bit nonce');
  const scripts = html.match(/<script[^>]*>/g) ?? [];
  assert.equal(scripts.length, 1);
  assert.ok(scripts[0].includes(`nonce="${nonce}"`) && scripts[0].includes('/ext/dist/webview/inspector.js'));
  assert.ok(html.includes('href="https://webview.test/ext/media/inspector.css"'));
  assert.ok(html.includes('<title>T &quot;&lt;x&gt;&quot;</title>'), 'title escaped');
  assert.notEqual(makeNonce(), makeNonce());
  assert.deepEqual(localResourceRoots(ext).map(String), ['https://webview.test/ext/dist/webview', 'https://webview.test/ext/media']);
  assert.equal(contentSecurityPolicy('S', 'n'), "default-src 'none'; img-src S data: blob:; style-src S; font-src S; script-src 'nonce-n'");
});

test('session: a focus head is sent after the run and re-sent after reloads until the webview asks for it', () => {
  const s = new InspectorSession();
  const sent = s.setResult(syntheticResult(), 't', { part: 'cross', layer: 1, head: 2 });
  assert.deepEqual(sent[sent.length - 1], { type: 'focusHead', runId: s.runId, part: 'cross', layer: 1, head: 2 });
  assert.ok(isHostToWebview(sent[sent.length - 1]));
  const again = s.handle({ type: 'ready' }).replies;
  assert.equal(again[again.length - 1].type, 'focusHead', 'still pending after a reload');
  s.handle(req({ runId: s.runId, part: 'encoder', layer: 0, head: 0 }));
  assert.ok(
    s.snapshot().some((m) => m.type === 'focusHead'),
    'another head does not clear it',
  );
  s.handle(req({ runId: s.runId, part: 'cross', layer: 1, head: 2 }));
  assert.ok(!s.snapshot().some((m) => m.type === 'focusHead'), 'cleared once the webview asked for it');
  assert.equal(s.focusHead({ part: 'cross', layer: 1, head: 3 }), undefined, 'no head 3');
  assert.equal(s.focusHead({ part: 'encoder', layer: 5, head: 0 }), undefined, 'no layer 5');
  assert.deepEqual(s.focusHead({ part: 'decoder', layer: 0, head: 1 }), {
    type: 'focusHead',
    runId: s.runId,
    part: 'decoder',
    layer: 0,
    head: 1,
  });
  const s2 = new InspectorSession();
  assert.ok(
    !s2.setResult(syntheticResult(), 't', { part: 'encoder', layer: 7, head: 0 }).some((m) => m.type === 'focusHead'),
    'invalid focus dropped',
  );
});

test('session: the run message brings the head the page will open — first head, then the last one opened, the focus, or layer 0 when the layer is gone', () => {
  const r = syntheticResult();
  const s = new InspectorSession();
  type Run = { type: 'run'; head?: HeadMessage; runId: number };
  const runOf = (msgs: { type: string }[]) => msgs.find((m) => m.type === 'run') as Run;
  const where = (h: HeadMessage | undefined) => h && `${h.part}/${h.layer}/${h.head}/${h.requestId}`;
  let run = runOf(s.setResult(r, 'one'));
  assert.equal(where(run.head), 'encoder/0/0/0', 'first part, layer 0, head 0; requestId 0 (unasked)');
  assert.equal(run.head?.runId, run.runId);
  assert.ok(isHostToWebview(run), 'passes the page’s guard');

  s.handle(req({ runId: s.runId, part: 'cross', layer: 1, head: 2 }));
  run = runOf(s.setResult(r, 'two'));
  assert.equal(where(run.head), 'cross/1/2/0', 'the head last asked for');
  assert.equal(run.head?.probs[3 * 6 + 4], prob(r, 'cross', 1, 2, 3, 4), 'its probabilities');

  s.handle({ type: 'headShown', runId: s.runId, part: 'decoder', layer: 1, head: 1 });
  assert.equal(where(runOf(s.snapshot()).head), 'decoder/1/1/0', 'headShown moves the selection as a request would');
  s.handle({ type: 'headShown', runId: s.runId, part: 'decoder', layer: 1, head: 9 });
  s.handle({ type: 'headShown', runId: s.runId + 1, part: 'encoder', layer: 0, head: 2 });
  assert.equal(where(runOf(s.snapshot()).head), 'decoder/1/1/0', 'a head that does not exist, or of another run, changes nothing');

  run = runOf(s.setResult(r, 'three', { part: 'encoder', layer: 1, head: 0 }));
  assert.equal(where(run.head), 'encoder/1/0/0', 'a focus wins');
  s.handle({ type: 'headShown', runId: s.runId, part: 'encoder', layer: 1, head: 0 });
  assert.equal(s.snapshot().filter((m) => m.type === 'focusHead').length, 0, 'the focus is done once the page shows it');

  // A result with one layer per part: the selection's layer 1 is gone.
  const short = { ...r, attentions: r.attentions.filter((a) => a.layer === 0) };
  run = runOf(s.setResult(short, 'four'));
  assert.equal(where(run.head), 'encoder/0/0/0', 'layer 0, head 0 of the same part');
});

test('session: a run status passes the guard, is re-sent after a reload, and a new result clears it', () => {
  const s = new InspectorSession();
  s.setResult(syntheticResult(), 'first');
  const running = s.setRunStatus('running', 'Running m (layer 1/12)…');
  assert.ok(isHostToWebview(running));
  assert.deepEqual(
    s.snapshot().filter((m) => m.type === 'runStatus'),
    [running],
    'a reloaded page is told again',
  );
  assert.ok(isHostToWebview(s.setRunStatus('cancelled', 'Run cancelled.')));
  s.setRunStatus('idle', '');
  assert.equal(
    s.snapshot().some((m) => m.type === 'runStatus'),
    false,
    'idle forgets it',
  );
  s.setRunStatus('running', 'Running m…');
  s.setResult(syntheticResult(), 'second');
  assert.equal(
    s.snapshot().some((m) => m.type === 'runStatus'),
    false,
    'the new result replaces the line',
  );
  for (const bad of [
    { type: 'runStatus', state: 'paused', message: '' },
    { type: 'runStatus', state: 'running' },
  ])
    assert.equal(isHostToWebview(bad), false);
});

test('session: a head fetched ahead (prefetch) is answered but becomes the open head only when the page says it opened it', () => {
  const s = new InspectorSession();
  s.setResult(syntheticResult(), 't');
  const opening = () => {
    const run = s.handle({ type: 'ready' }).replies.find((m) => m.type === 'run');
    return run?.type === 'run' && run.head ? `${run.head.part}/${run.head.layer}/${run.head.head}` : 'none';
  };
  const before = opening();
  const { replies } = s.handle(req({ runId: s.runId, part: 'cross', layer: 1, head: 2, prefetch: true }));
  assert.equal(replies[0]?.type, 'head', 'answered');
  assert.equal(opening(), before, 'a reload still opens the head that was open');
  s.handle({ type: 'headShown', runId: s.runId, part: 'cross', layer: 1, head: 2 });
  assert.equal(opening(), 'cross/1/2', 'opened once the page shows it');
  s.handle(req({ runId: s.runId, part: 'decoder', layer: 0, head: 1 }));
  assert.equal(opening(), 'decoder/0/1', 'a plain request opens its head');
  assert.equal(isWebviewToHost(req({ prefetch: 1 })), false, 'prefetch is true or absent');
  assert.equal(isWebviewToHost(req({ prefetch: 'yes' })), false);
  assert.ok(isWebviewToHost(req({ prefetch: true, preview: true })));
});

test('a running status carries its layers done of total, or none; the page rejects a bar that cannot be', () => {
  const s = new InspectorSession();
  const m = s.setRunStatus('running', 'Running m (encoder layer 2/12)…', { done: 1, total: 12 });
  assert.ok(isHostToWebview(m));
  assert.deepEqual(m.type === 'runStatus' && m.progress, { done: 1, total: 12 });
  assert.ok(isHostToWebview(s.setRunStatus('cancelled', 'Run cancelled.')), 'no bar');
  for (const progress of [{ done: 5, total: 4 }, { done: 0, total: 0 }, { done: -1, total: 3 }, { done: 1 }, 'half'])
    assert.equal(isHostToWebview({ type: 'runStatus', state: 'running', message: 'x', progress }), false, JSON.stringify(progress));
});

test('a head whose colours go first: its numbers wait on the host until the page asks, once, for this run only', async () => {
  const full = syntheticResult();
  const store = new KeptRuns();
  store.set(3, full.attentions);
  const kept: KeptSource = {
    head: async (run, part, layer, head, preview) => answerHead(store.head(run, part, layer, head), preview === true),
    aggregate: async (run, part, layer, kind) => store.aggregate(run, part, layer, kind, false),
  };
  const s = new InspectorSession(undefined, undefined, kept);
  s.setResult({ ...full, attentions: full.attentions.map((a) => keptLayer(a, full)), kept: { run: 3 } }, 't');
  const ask = (requestId: number, preview: boolean) =>
    s.handle({ type: 'requestHead', requestId, runId: s.runId, part: 'encoder', layer: 0, head: 1, ...(preview && { preview: true }) });
  const first = await ask(5, true).later;
  assert.deepEqual(
    first?.map((m) => m.type),
    ['headPreview'],
    'the colours alone',
  );
  const numbers = (runId: number, requestId: number) => s.handle({ type: 'headNumbers', runId, requestId }).replies;
  const [head] = numbers(s.runId, 5);
  assert.equal(head?.type, 'head');
  const want = store.head(3, 'encoder', 0, 1);
  const got = head?.type === 'head' ? fullHead(head).probs : new Float32Array(0);
  assert.equal(got.length, want.probs.length);
  assert.ok(
    got.every((p, i) => Math.abs(p - want.probs[i]) <= SAME_PROBS),
    'the numbers of the head asked for',
  );
  const again = numbers(s.runId, 5);
  assert.ok(again[0]?.type === 'headError' && !again[0].earlier && /no longer held/.test(again[0].message), 'sent once');
  assert.deepEqual(
    (await ask(6, false).later)?.map((m) => m.type),
    ['head'],
    'without a preview the head comes at once',
  );
  await ask(7, true).later;
  const old = s.runId;
  s.setResult(full, 'next');
  const stale = numbers(old, 7);
  assert.ok(stale[0]?.type === 'headError' && stale[0].earlier, 'a new run drops the numbers held for the old one');
  assert.equal(isWebviewToHost({ type: 'headNumbers', runId: 1, requestId: -1 }), false);
  assert.equal(isWebviewToHost({ type: 'headNumbers', runId: 1 }), false);
});
