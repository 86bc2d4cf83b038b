// The engine worker runs below the window's processes (EngineHostOptions.nice): its threads, and
// the kernels' threads it starts, get the nice value; the extension host's main thread keeps its own.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EngineHost } from '../../../src/engineHost';
import { lowerThreadPriority } from '../../../src/engine/threadPriority';
import { W2_VOCAB, writeW2Model } from '../../helpers/w2Model';

const WORKER = path.join(__dirname, '..', '..', '..', '..', 'dist', 'worker.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-nice-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Each thread of this process: its id and nice value (Linux: /proc/self/task/<tid>/stat, field 19). */
function threadNices(): { tid: string; nice: number }[] {
  return fs.readdirSync('/proc/self/task').map((tid) => {
    const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // after "pid (comm) "
    return { tid, nice: Number(fields[16]) };
  });
}

test('the engine worker and the kernel threads it starts run at the nice value; the main thread does not', async () => {
  if (process.platform !== 'linux') {
    assert.equal(lowerThreadPriority(5), false, 'elsewhere a process-wide change would slow the window too');
    return;
  }
  const mainNice = os.getPriority();
  const h = new EngineHost({ workerScript: WORKER, threads: () => 2, nice: 7, timeoutMs: 60_000 });
  try {
    const model = writeW2Model(path.join(tmp, 'w2'));
    const ids = Array.from({ length: 64 }, (_, i) => (i * 7919) % W2_VOCAB);
    const before = new Set(threadNices().map((t) => t.tid));
    const r = await h.run(model, { ids });
    assert.equal(r.attentions.length, 12);
    const started = threadNices().filter((t) => !before.has(t.tid) || t.nice === 7);
    const niced = started.filter((t) => t.nice === 7);
    // The worker itself and the kernels' pool (2 threads: itself and one more, or two more).
    assert.ok(niced.length >= 2, `threads at nice 7: ${JSON.stringify(started)}`);
    assert.equal(os.getPriority(), mainNice, 'the main thread keeps its priority');
  } finally {
    await h.dispose();
  }
});
