// What survives the extension host (src/panels/recovery.ts): the saved runs, and which earlier
// hosts died without shutting down.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HostMarks, loadRuns, saveRuns, type Store } from '../../../src/panels/recovery';

function memento(): Store & { data: Map<string, unknown> } {
  const data = new Map<string, unknown>();
  return { data, get: (k) => data.get(k), update: async (k, v) => void data.set(k, JSON.parse(JSON.stringify(v))) };
}

test('saved runs round-trip without the limits; malformed saved values are ignored', async () => {
  const m = memento();
  assert.deepEqual(loadRuns(m), {});
  await saveRuns(m, {
    view: { model: '/w/a.model.json', input: { text: 'd c b' } },
    shown: { model: '/w/b.model.json', input: { ids: [1, 2], maxTokens: 9, maxRunMemoryMB: 5 } },
  });
  assert.deepEqual(loadRuns(m), {
    view: { model: '/w/a.model.json', input: { text: 'd c b' } },
    shown: { model: '/w/b.model.json', input: { ids: [1, 2] } },
  });
  for (const bad of [
    7,
    'x',
    { view: { model: 3, input: {} } },
    { shown: { model: '/m', input: { ids: ['1'] } } },
    { view: { model: '', input: {} } },
  ]) {
    m.data.set('attentionInspector.lastRun', bad);
    assert.deepEqual(loadRuns(m), {}, JSON.stringify(bad));
  }
});

test('a chat prompt survives a reload; a malformed one is ignored', async () => {
  const m = memento();
  const chat = { system: 'Be brief.', user: 'Hi' };
  await saveRuns(m, { view: { model: '/w/llama', input: { chat } } });
  assert.deepEqual(loadRuns(m), { view: { model: '/w/llama', input: { chat } } });
  m.data.set('attentionInspector.lastRun', { view: { model: '/w/llama', input: { chat: { system: 'x' } } } });
  assert.deepEqual(loadRuns(m), {});
});

test('host marks: a host that never deactivated and whose process is gone is reported once; living or cleanly ended ones are not', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'marks-'));
  try {
    const alive = new Set([100, 200]);
    const isAlive = (pid: number) => alive.has(pid);
    const first = new HostMarks(dir, 100, isAlive);
    assert.deepEqual(first.begin(), []);
    const clean = new HostMarks(dir, 200, isAlive);
    assert.deepEqual(clean.begin(), [], 'the other host still lives (a reload: the old host ends after the new one starts)');
    clean.end();
    alive.delete(200);
    alive.delete(100); // killed: no end()
    const next = new HostMarks(dir, 300, (pid) => pid === 300);
    assert.deepEqual(next.begin(), [100]);
    assert.deepEqual(new HostMarks(dir, 400, (pid) => pid === 300 || pid === 400).begin(), [], 'reported once');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
