// Which kernels the engine worker gets: the WASM kernels on the asked thread count (0 = one per
// core, the setting's default), and the reference kernels — with the reason logged — when
// WebAssembly threads are unavailable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultKernels, defaultThreads, referenceKernels, type FastKernels } from '../../../src/engine/kernels/index';

test('threads: the asked count, or one per core for 0', () => {
  const one = defaultKernels({ threads: 1 }, assert.fail) as FastKernels;
  assert.equal(one.threads, 1);
  const perCore = defaultKernels({ threads: 0 }, assert.fail) as FastKernels;
  assert.equal(perCore.threads, defaultThreads());
  perCore.dispose();
});

test('kind reference gives the reference kernels', () => {
  assert.equal(defaultKernels({ kind: 'reference' }, assert.fail), referenceKernels);
});

test('without SharedArrayBuffer the engine falls back to the reference kernels and says why', () => {
  const sab = globalThis.SharedArrayBuffer;
  const logged: string[] = [];
  try {
    // @ts-expect-error: simulating a host without WebAssembly threads
    delete globalThis.SharedArrayBuffer;
    assert.equal(defaultKernels({ threads: 2 }, (why) => logged.push(why)), referenceKernels);
  } finally {
    globalThis.SharedArrayBuffer = sab;
  }
  assert.equal(logged.length, 1);
  assert.match(logged[0], /SharedArrayBuffer.*reference kernels/);
});
