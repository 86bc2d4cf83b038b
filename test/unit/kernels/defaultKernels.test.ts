// Which kernels the engine worker gets: the WASM kernels on the asked thread count (0 = one per
// core, the setting's default), and the reference kernels — with the reason logged — when
// WebAssembly threads are unavailable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  defaultKernels,
  defaultThreads,
  nativeModule,
  referenceKernels,
  type WasmKernels,
  type NativeKernels,
} from '../../../src/engine/kernels/index';

test('threads: the asked count, or one per core for 0', () => {
  for (const kind of ['wasm', 'fast'] as const) {
    const one = defaultKernels({ kind, threads: 1 }, () => {}) as WasmKernels;
    assert.equal(one.threads, 1);
    const perCore = defaultKernels({ kind, threads: 0 }, () => {}) as WasmKernels;
    assert.equal(perCore.threads, defaultThreads());
    perCore.dispose();
  }
});

test('the default is the native kernels where they run, else WASM, saying why', () => {
  const logged: string[] = [];
  const k = defaultKernels({ threads: 2 }, (why) => logged.push(why)) as WasmKernels | NativeKernels;
  const native = nativeModule();
  if (native.module) {
    assert.equal(k.name, native.isa === 'avx2' ? 'native AVX2' : 'native AVX-512');
    assert.deepEqual(logged, []);
  } else {
    assert.match(k.name, /^WASM/);
    assert.match(logged[0], /native kernels are unavailable \(.+\); using the WASM kernels/);
  }
  assert.match((defaultKernels({ kind: 'wasm', threads: 2 }, assert.fail) as WasmKernels).name, /^WASM/);
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
    assert.equal(
      defaultKernels({ kind: 'wasm', threads: 2 }, (why) => logged.push(why)),
      referenceKernels,
    );
  } finally {
    globalThis.SharedArrayBuffer = sab;
  }
  assert.equal(logged.length, 1);
  assert.match(logged[0], /SharedArrayBuffer.*reference kernels/);
});
