// The native AVX2 kernels, which CPUs without AVX-512 run: the module picks its ISA once at load,
// so on an AVX-512 machine the native kernel and engine tests (odd shapes against the reference
// kernels, every PyTorch fixture) run once more in a child Node with ATTENTION_NATIVE_ISA=avx2,
// which asserts it really got the AVX2 kernels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { createNativeKernels, nativeModule } from '../../../src/engine/kernels/native';

const native = nativeModule();
const inChild = process.env.AI_EXPECT_AVX2 === '1';

test('the child runs the native AVX2 kernels', { skip: !inChild }, () => {
  assert.equal(native.isa, 'avx2', `native kernels: ${native.isa ?? native.why}`);
  assert.equal(createNativeKernels({ threads: 1 }).name, 'native AVX2');
});

const skip =
  inChild ||
  (!native.module ? `no native kernels: ${native.why}` : native.isa === 'avx2' ? 'this process runs the AVX2 kernels already' : false);

test('the native AVX2 kernels match the reference kernels and PyTorch', { skip, timeout: 300_000 }, () => {
  const files = ['nativeAvx2.test.js', 'fastKernels.test.js', 'engineFast.test.js'].map((f) => path.join(__dirname, f));
  // Without NODE_TEST_CONTEXT the child reports plain TAP instead of talking to this runner.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const r = spawnSync(process.execPath, ['--test', '--test-reporter=tap', '--test-name-pattern=native', ...files], {
    encoding: 'utf8',
    timeout: 280_000,
    env: { ...env, AI_EXPECT_AVX2: '1', ATTENTION_NATIVE_ISA: 'avx2' },
  });
  const summary = (r.stdout.match(/^# (pass|fail) \d+$/gm) ?? []).join(', ');
  assert.equal(r.status, 0, `child run failed (${summary}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-1000)}`);
  assert.match(summary, /# pass [1-9]\d*, # fail 0/);
  assert.match(r.stdout, /^ok \d+ - the child runs the native AVX2 kernels$/m, 'the child used the AVX2 kernels');
  assert.match(r.stdout, /^ok \d+ - native AVX2 kernels match PyTorch and the reference kernels: /m, 'a PyTorch fixture ran on them');
});
