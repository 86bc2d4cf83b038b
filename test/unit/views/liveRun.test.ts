// Live re-run: keystrokes within the pause start one run; a newer keystroke cancels the run under
// way and its result is never reported; Enter runs at once.
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { LiveRun, type Cancellable } from '../../../src/sidebar/liveRun';

function fakeRuns() {
  const started: { text: string; cancelled: boolean; resolve(v: string): void; reject(e: Error): void }[] = [];
  const start = (text: string): Cancellable<string> => {
    let resolve!: (v: string) => void;
    let reject!: (e: Error) => void;
    const p = new Promise<string>((res, rej) => ((resolve = res), (reject = rej)));
    const entry = { text, cancelled: false, resolve, reject };
    started.push(entry);
    return Object.assign(p, {
      cancel: () => {
        entry.cancelled = true;
        reject(Object.assign(new Error('run cancelled'), { name: 'CancelledError' }));
      },
    });
  };
  return { started, start };
}

const tick = () => new Promise<void>((r) => setImmediate(r));

test('typing within the pause starts a single run of the last text', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const { started, start } = fakeRuns();
    const results: string[] = [];
    const live = new LiveRun<string>(
      { start, onResult: (t, r) => results.push(`${t}=${r}`), onError: () => assert.fail('no error expected') },
      400,
    );
    live.type('t');
    mock.timers.tick(200);
    live.type('th');
    mock.timers.tick(200);
    live.type('the');
    mock.timers.tick(399);
    assert.equal(started.length, 0, 'nothing runs before a 400 ms pause');
    mock.timers.tick(1);
    assert.deepEqual(
      started.map((s) => s.text),
      ['the'],
    );
    started[0].resolve('ok');
    await tick();
    assert.deepEqual(results, ['the=ok']);
    assert.equal(live.busy, false);
  } finally {
    mock.timers.reset();
  }
});

test('a keystroke cancels the run under way; only the newest result is reported', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const { started, start } = fakeRuns();
    const results: string[] = [];
    const errors: string[] = [];
    const live = new LiveRun<string>(
      { start, onResult: (t) => results.push(t), onError: (t, e) => errors.push(`${t}: ${e.message}`) },
      400,
    );
    live.type('the cat');
    mock.timers.tick(400);
    assert.equal(started.length, 1);
    live.type('the cat sat');
    assert.equal(started[0].cancelled, true, 'the previous run is cancelled as soon as the text changes');
    started[0].resolve('late'); // a result arriving anyway must be dropped
    mock.timers.tick(400);
    assert.equal(started.length, 2);
    started[1].resolve('fresh');
    await tick();
    assert.deepEqual(results, ['the cat sat']);
    assert.deepEqual(errors, [], 'the cancellation of a superseded run is not an error to show');
  } finally {
    mock.timers.reset();
  }
});

test('Enter runs at once; a failure of the latest run is reported; dispose stops everything', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const { started, start } = fakeRuns();
    const errors: string[] = [];
    const live = new LiveRun<string>({ start, onResult: () => undefined, onError: (t, e) => errors.push(`${t}: ${e.message}`) }, 400);
    live.type('zz');
    const now = live.now('zz');
    assert.equal(started.length, 1, 'no pause for Enter');
    started[0].reject(new Error('token "zz" is not in the vocabulary'));
    await now;
    assert.deepEqual(errors, ['zz: token "zz" is not in the vocabulary']);
    mock.timers.tick(1000);
    assert.equal(started.length, 1, 'the pending pause was dropped by Enter');
    live.type('a');
    live.dispose();
    mock.timers.tick(1000);
    assert.equal(started.length, 1);
  } finally {
    mock.timers.reset();
  }
});

test('cancel() drops the pending pause but the runner can be used again', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const { started, start } = fakeRuns();
    const live = new LiveRun<string>({ start, onResult: () => undefined, onError: () => undefined }, 400);
    live.type('a');
    live.cancel();
    mock.timers.tick(1000);
    assert.equal(started.length, 0);
    live.type('b');
    mock.timers.tick(400);
    assert.deepEqual(
      started.map((s) => s.text),
      ['b'],
    );
    started[0].resolve('x');
  } finally {
    mock.timers.reset();
  }
});
