// The host's memory watch measures the engine worker itself (worker.getHeapStatistics: its heap
// plus typed arrays and WASM memory), not the whole extension host: another extension (here, the
// test itself) allocating during a run must not get the engine stopped, and the engine's own
// runaway allocation still must. getHeapStatistics needs Node ≥ 22.16; under an older Node this
// file runs itself again under the VS Code server's Node 24 (test/integration/harness/server.ts).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { CAN_ASK_WORKER, EngineHost, type EngineHostOptions } from '../../../src/engineHost';
import { findInstall } from '../../integration/harness/server';

const WORKER = path.join(__dirname, '..', '..', '..', '..', 'dist', 'worker.js');
const hosts: EngineHost[] = [];
const host = (o: Partial<EngineHostOptions> = {}) => {
  // The watch allows 2 × 16 MB + 32 MB of growth: small, so the test's allocations stay quick.
  const h = new EngineHost({ workerScript: WORKER, faults: true, maxRunMemoryMB: () => 16, memoryHeadroomMB: 32, ...o });
  hosts.push(h);
  return h;
};
after(() => Promise.all(hosts.map((h) => h.dispose())));

/** Three times what the watch allows, touched so it is resident. */
const HOST_GROWTH_MB = 200;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function whileHostGrows<T>(during: () => Promise<T>): Promise<T> {
  const hog = Buffer.alloc(HOST_GROWTH_MB * 1024 * 1024, 1);
  try {
    return await during();
  } finally {
    hog.fill(0, 0, 1); // keep it alive until here
  }
}

if (!CAN_ASK_WORKER) {
  test(`the memory-watch tests, under Node 24 (this Node ${process.version} cannot ask a worker for its heap)`, () => {
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT; // set by a parent `node --test`: the child would report to it, not to stdout
    const r = spawnSync(findInstall().node, ['--test', '--test-reporter=tap', __filename], { encoding: 'utf8', env });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /# pass 3\n# fail 0/);
  });
} else {
  // First, while the process has not yet held (and freed) a hog whose pages a later one could reuse.
  test("measuring the whole process instead (the old watch) stops the engine for the host's growth", async () => {
    const h = host({ timeoutMs: 20_000, measure: 'process' });
    const hang = h.fault('hang');
    await sleep(300);
    await whileHostGrows(async () => {
      await assert.rejects(hang, (e: Error) => e.name === 'MemoryLimitError');
    });
  });

  test('the extension host growing by 200 MB (over the 64 MB the engine may grow) during a run does not stop the engine', async () => {
    const h = host({ timeoutMs: 20_000 });
    const hang = h.fault('hang');
    let settled: unknown;
    hang.catch((e) => (settled = e));
    await sleep(300); // the watch has its baseline
    await whileHostGrows(() => sleep(1500));
    assert.equal(settled, undefined, `the run was stopped: ${String(settled)}`);
    await h.restart();
    await assert.rejects(hang, /restarted/);
  });

  test("the engine's own runaway typed-array allocation is still stopped", async () => {
    const h = host();
    await assert.rejects(h.fault('alloc'), (e: Error) => e.name === 'MemoryLimitError' && /while fault alloc/.test(e.message));
  });
}
