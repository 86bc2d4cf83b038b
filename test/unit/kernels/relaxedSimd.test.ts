// The kernels are built twice (plain SIMD, and relaxed SIMD with a fused multiply-add in the
// matmul); heap.ts picks relaxed where the engine validates it — VS Code's Electron and Node ≥ 22
// do, this test runner's Node 20 only with a flag. So the fast-kernel and engine tests run here
// once more in a child Node with the flag, asserting it really used the relaxed build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { kernelBuild } from '../../../src/engine/kernels/wasm/heap';

const FLAG = '--experimental-wasm-relaxed-simd';

test('this process picks the build its engine supports', () => {
  const b = kernelBuild();
  if (process.env.AI_EXPECT_RELAXED === '1') assert.equal(b.relaxed, true, 'relaxed SIMD validates here, so it must be used');
  else assert.equal(typeof b.relaxed, 'boolean');
});

test(
  'with relaxed SIMD, the fast kernels and the engine still match the reference and PyTorch',
  { skip: process.env.AI_EXPECT_RELAXED === '1' },
  () => {
    const v8 = spawnSync(process.execPath, ['--v8-options'], { encoding: 'utf8' }).stdout;
    const args = v8.includes(FLAG) ? [FLAG] : []; // newer Node: on by default, flag gone
    const files = ['relaxedSimd.test.js', 'fastKernels.test.js', 'engineFast.test.js'].map((f) => path.join(__dirname, f));
    // Without NODE_TEST_CONTEXT the child reports plain TAP instead of talking to this runner.
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    const r = spawnSync(process.execPath, [...args, '--test', '--test-reporter=tap', ...files], {
      encoding: 'utf8',
      env: { ...env, AI_EXPECT_RELAXED: '1', ATTENTION_KERNELS: 'wasm' /* the native kernels are tested by this run */ },
      timeout: 240_000,
    });
    const summary = (r.stdout.match(/^# (pass|fail) \d+$/gm) ?? []).join(', ');
    assert.equal(r.status, 0, `child run failed (${summary}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-1000)}`);
    assert.match(summary, /# pass [1-9]\d*, # fail 0/);
  },
);
