// The limit settings as the extension reads them (src/settings.ts): VS Code's get() hands over
// whatever settings.json holds, so each value must come out clamped, whole and reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  readLimitSettings,
  Settings,
  MAX_ENGINE_THREADS,
  windowThreads,
  MAX_RUN_TIMEOUT_SECONDS,
  type LimitSettings,
} from '../../src/settings';
import * as fs from 'node:fs';
import * as path from 'node:path';

const machine = { cores: 8, totalMemoryMB: 16_384 };
const read = (values: Partial<Record<keyof LimitSettings, unknown>>, m = machine) => readLimitSettings((k) => values[k], m);

test("absent settings give package.json's defaults and no problems", () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8'));
  const props = pkg.contributes.configuration.properties;
  const { settings, problems } = read({});
  for (const key of Object.keys(settings) as (keyof LimitSettings)[]) {
    assert.equal(settings[key], props[`attentionInspector.${key}`].default, key);
  }
  assert.deepEqual(problems, []);
});

test('values in range pass unchanged', () => {
  const given = { maxSequenceLength: 4096, maxRunMemoryMB: 512, runTimeoutSeconds: 30, engineThreads: 4 };
  assert.deepEqual(read(given), { settings: given, problems: [] });
});

test('a huge engineThreads is capped at twice the cores, and never above the hard cap', () => {
  const r = read({ engineThreads: 1e6 });
  assert.equal(r.settings.engineThreads, 16);
  assert.match(r.problems.join(' '), /attentionInspector\.engineThreads 1000000 .*using 16/);
  assert.equal(read({ engineThreads: 1e6 }, { cores: 256, totalMemoryMB: 1 << 20 }).settings.engineThreads, MAX_ENGINE_THREADS);
  assert.equal(read({ engineThreads: -3 }).settings.engineThreads, 0);
});

test("below package.json's minimum is raised to it (get() does not enforce minimum)", () => {
  const { settings, problems } = read({ maxSequenceLength: 0, maxRunMemoryMB: 1, runTimeoutSeconds: -5 });
  assert.deepEqual({ n: settings.maxSequenceLength, mb: settings.maxRunMemoryMB, s: settings.runTimeoutSeconds }, { n: 1, mb: 64, s: 1 });
  assert.equal(problems.length, 3);
});

test('a timeout that would overflow setTimeout (2^31 ms) is capped at one day', () => {
  const r = read({ runTimeoutSeconds: 1e10 });
  assert.equal(r.settings.runTimeoutSeconds, MAX_RUN_TIMEOUT_SECONDS);
  assert.ok(r.settings.runTimeoutSeconds * 1000 < 2 ** 31);
});

test("run memory above the machine's memory is capped at it; fractions are rounded down", () => {
  assert.equal(read({ maxRunMemoryMB: 1e9 }).settings.maxRunMemoryMB, 16_384);
  assert.equal(read({ maxSequenceLength: 100.7 }).settings.maxSequenceLength, 100);
});

test('a non-number gets the default, and the problem does not quote the string', () => {
  const hostile = '[Click](command:workbench.action.terminal.sendSequence)';
  const r = read({ maxSequenceLength: hostile, engineThreads: NaN, runTimeoutSeconds: Infinity, maxRunMemoryMB: true });
  assert.deepEqual(r.settings, { maxSequenceLength: 1024, maxRunMemoryMB: 2048, runTimeoutSeconds: 300, engineThreads: 0 });
  assert.equal(r.problems.length, 4);
  assert.doesNotMatch(r.problems.join(' '), /command:|\[Click/);
  assert.match(r.problems.join(' '), /maxSequenceLength is not a number \(string\)/);
});

test('Settings reads the values as they are now, and says when a change needs a fresh engine worker', () => {
  const values: Partial<Record<keyof LimitSettings, unknown>> = { runTimeoutSeconds: 30 };
  const s = new Settings(() => (k) => values[k], machine);
  assert.equal(s.current.runTimeoutSeconds, 30);
  values.runTimeoutSeconds = 5; // no reload: the next read has it
  assert.equal(s.current.runTimeoutSeconds, 5);
  assert.deepEqual(s.changed(), { restartWorker: false, problems: [] }, 'a timeout needs no new worker');
  values.engineThreads = 3;
  assert.equal(s.changed().restartWorker, true, 'the worker starts its kernel threads once');
  assert.equal(s.changed().restartWorker, false, 'reported once');
  values.maxRunMemoryMB = -1;
  const c = s.changed();
  assert.equal(c.restartWorker, true, "the heap limit is the worker's from its start");
  assert.equal(c.problems.length, 1);
});

test('engineThreads 0 in VS Code leaves one core to the window, and never goes below one thread', () => {
  const m = (cores: number) => ({ cores, totalMemoryMB: 8192 });
  assert.deepEqual(
    [1, 2, 4, 16].map((c) => windowThreads(m(c))),
    [1, 1, 3, 15],
  );
});
