// What the inspector shows of the runner's events: a running line over the previous run until the
// first layers come, then the partial run (extended, not replaced), the finished run; a failure
// after partial layers puts the previous run back; live runs never open a panel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RunDisplay, type InspectorScreen, type RunEvent } from '../../../src/panels/runDisplay';
import type { ModelSummary, RunResult } from '../../../src/engine/types';

function result(name: string, layers: number, running?: boolean): RunResult {
  return {
    model: { name, file: `/m/${name}.json`, architecture: 'transformer', kind: 'encoder', parameters: 1, details: {} },
    tokens: { source: ['a', 'b'], target: [] },
    ids: { source: [1, 2], target: [] },
    attentions: Array.from({ length: layers }, (_, layer) => ({
      part: 'encoder' as const,
      layer,
      heads: 1,
      queries: 2,
      keys: 2,
      probs: new Float32Array(4),
      scores: new Float32Array(4),
    })),
    addNorm: [],
    ...(running ? { running: { done: layers, total: 4, message: 'encoder layer' } } : {}),
  } as unknown as RunResult;
}

/** A screen that records what it was asked to do, in words. */
function fakeScreen(open = false): InspectorScreen & { log: string[]; open: boolean; shown?: RunResult; statusText: string } {
  const s = {
    log: [] as string[],
    open,
    shown: undefined as RunResult | undefined,
    isOpen: () => s.open,
    show: (r: RunResult) => {
      s.open = true;
      s.shown = r;
      s.log.push(`show ${r.model.name} ${r.attentions.length}${r.running?.stopped ? ` ${r.running.stopped}` : ''}`);
    },
    extend: (r: RunResult) => s.log.push(`extend ${r.attentions.length}`),
    setStatus: (state: string, message: string, progress?: { done: number; total: number }) => {
      s.statusText = message;
      s.log.push(`status ${state}${progress ? ` ${progress.done}/${progress.total}` : ''}`);
    },
    showError: (m: string) => ((s.open = true), s.log.push(`error ${m}`)),
    hasRun: () => s.shown !== undefined,
    showWaiting: (m: string) => {
      assert.ok(!s.open, 'showWaiting is only for a panel that is not open');
      s.open = true;
      s.log.push(`waiting ${m}`);
    },
    closeEmpty: () => {
      if (s.shown) return;
      s.open = false;
      s.log.push('closed');
    },
    /** The running line's text, as the page would show it. */
    statusText: '',
  };
  return s;
}

test('a streamed run: running line, first layers shown, more layers extend it, the end replaces it', () => {
  const screen = fakeScreen(true);
  const d = new RunDisplay(screen);
  const events: RunEvent[] = [
    { type: 'started', seq: 1, model: '/m/b.json' },
    { type: 'progress', seq: 1, model: '/m/b.json', message: 'encoder layer 1/4', done: 0, total: 4 },
    { type: 'partial', seq: 1, result: result('b', 2, true), opts: {} },
    { type: 'progress', seq: 1, model: '/m/b.json', message: 'encoder layer 3/4', done: 2, total: 4 },
    { type: 'partial', seq: 1, result: result('b', 3, true), opts: {} },
    { type: 'finished', seq: 1, result: result('b', 4), opts: {} },
  ];
  for (const e of events) d.handle(e);
  // The running line's bar fills with the layers done (an empty bar at the start, not an animation).
  assert.deepEqual(screen.log, ['status running 0/1', 'status running 0/4', 'show b 2', 'extend 3', 'extend 4']);
  screen.log.length = 0;
  d.handle({ type: 'partial', seq: 2, result: result('c', 1, true), opts: {} });
  d.handle({ type: 'finished', seq: 2, result: result('c', 4), opts: { focus: { part: 'encoder', layer: 3, head: 0 } } });
  assert.deepEqual(screen.log, ['show c 1', 'show c 4'], 'a head to open: the whole run again');
});

/** A streamed run (two layers shown) that ends with `error`, the finished run `a` before it. */
function stoppedRun(error: { name: string; message: string }): { screen: ReturnType<typeof fakeScreen>; d: RunDisplay } {
  const screen = fakeScreen(true);
  const d = new RunDisplay(screen);
  d.handle({ type: 'partial', seq: 2, result: result('b', 2, true), opts: {} });
  d.handle({ type: 'failed', seq: 2, model: '/m/b.json', error, live: false, previous: result('a', 4) });
  return { screen, d };
}

test('a cancelled streamed run puts the previous run back and says so; with none, the partial stays marked', () => {
  const cancelled = { name: 'CancelledError', message: 'run cancelled' };
  const { screen, d } = stoppedRun(cancelled);
  assert.deepEqual(screen.log, ['show b 2', 'status cancelled', 'show a 4', 'status cancelled'], 'said before the redraw, and kept');
  screen.log.length = 0;
  d.handle({ type: 'partial', seq: 3, result: result('c', 1, true), opts: {} });
  d.handle({ type: 'failed', seq: 3, model: '/m/c.json', error: cancelled, live: false });
  assert.deepEqual(screen.log, ['show c 1', 'show c 1 cancelled', 'status idle']);
});

test('a failed palette run shows its error; a failed live run and a cancelled one do not', () => {
  const screen = fakeScreen(true);
  const d = new RunDisplay(screen);
  d.handle({
    type: 'failed',
    seq: 1,
    model: '/m/a.json',
    error: { name: 'EngineError', message: 'bad' },
    live: false,
    previous: result('a', 1),
  });
  d.handle({
    type: 'failed',
    seq: 2,
    model: '/m/a.json',
    error: { name: 'EngineError', message: 'bad' },
    live: true,
    previous: result('a', 1),
  });
  assert.deepEqual(screen.log, ['status failed', 'error bad', 'status failed']);
});

test('live runs and progress never open a panel; a palette run does', () => {
  const screen = fakeScreen(false);
  const d = new RunDisplay(screen);
  d.handle({ type: 'started', seq: 1, model: '/m/a.json' });
  d.handle({ type: 'partial', seq: 1, result: result('a', 1, true), opts: { live: true } });
  d.handle({ type: 'finished', seq: 1, result: result('a', 2), opts: { live: true } });
  d.handle({ type: 'problem', message: 'a.json was deleted', open: false });
  assert.deepEqual(screen.log, []);
  d.handle({ type: 'finished', seq: 2, result: result('a', 2), opts: {} });
  d.handle({ type: 'finished', seq: 3, result: result('a', 3), opts: { show: false } });
  d.handle({ type: 'problem', message: 'gone', open: false });
  assert.deepEqual(screen.log, ['show a 2', 'error gone']);
});

const summary: ModelSummary = {
  name: 'bert-random',
  file: '/m/bert/config.json',
  architecture: 'bert',
  kind: 'encoder',
  parameters: 86_600_000,
  details: {},
  parts: [{ part: 'encoder', layers: 12, heads: 12 }],
  examples: [],
};

test("a model's input asked for opens a panel that names the model; Escape closes it again", () => {
  const screen = fakeScreen(false);
  const d = new RunDisplay(screen);
  d.handle({ type: 'asking', model: '/m/bert', summary });
  assert.equal(screen.log.length, 1);
  assert.match(
    screen.log[0],
    /^waiting bert-random \(bert, encoder, 86,600,000 parameters; layers × heads: encoder 12 × 12\)\. Its attention shows here/,
  );
  d.handle({ type: 'dismissed', model: '/m/bert' });
  assert.deepEqual(screen.log.slice(1), ['closed']);
  assert.equal(screen.open, false);
});

test('the run after the prompt says it is starting, without a previous run to point at', () => {
  const screen = fakeScreen(false);
  const d = new RunDisplay(screen);
  d.handle({ type: 'asking', model: '/m/bert', summary });
  d.handle({ type: 'started', seq: 1, model: '/m/bert' });
  assert.equal(screen.statusText, 'Running bert (starting)…');
  d.handle({ type: 'partial', seq: 1, result: result('bert', 1, true), opts: {} });
  d.handle({ type: 'finished', seq: 1, result: result('bert', 12), opts: {} });
  // A later prompt dismissed does not close the panel that shows a run, nor one it did not open.
  d.handle({ type: 'asking', model: '/m/bert', summary });
  d.handle({ type: 'started', seq: 2, model: '/m/bert' });
  assert.equal(screen.statusText, 'Running bert (starting)… The heads below are from the previous run.');
  d.handle({ type: 'dismissed', model: '/m/bert' });
  assert.deepEqual(screen.log.slice(1), ['status running 0/1', 'show bert 1', 'extend 12', 'status running 0/1']);
  assert.equal(screen.open, true);
});

test('an open panel keeps what it shows while an input is asked for', () => {
  const screen = fakeScreen(true);
  const d = new RunDisplay(screen);
  d.handle({ type: 'asking', model: '/m/bert', summary });
  d.handle({ type: 'dismissed', model: '/m/bert' });
  assert.deepEqual(screen.log, []);
  assert.equal(screen.open, true);
});

test('a run stopped by Restart Engine says so as a stop, with no error; a worker stopped under it is a failure', () => {
  const { screen, d } = stoppedRun({ name: 'EngineRestarted', message: 'the engine was restarted' });
  assert.deepEqual(screen.log, ['show b 2', 'status cancelled', 'show a 4', 'status cancelled']);
  assert.equal(screen.statusText, 'Run stopped: the engine was restarted. The panel shows the previous run.');
  screen.log.length = 0;
  const stuck = { name: 'EngineStopped', message: 'The engine was restarted while running b.' };
  d.handle({ type: 'failed', seq: 3, model: '/m/b.json', error: stuck, live: false, previous: result('a', 4) });
  assert.deepEqual(screen.log, ['status failed', `error ${stuck.message}`]);
  assert.equal(screen.statusText, 'The run failed. The panel shows the previous run.');
});
