// The native module's argument limits as JavaScript sees them (native/addon.c): a size outside
// int32 or not whole is an error, not a wrapped or truncated size; a packed length near INT32_MAX
// is computed without int overflow; a kernel whose scratch cannot be allocated throws instead of
// returning with its output unwritten (stale, pooled data the caller would take for a result).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { nativeModule } from '../../../src/engine/kernels/native';

const native = nativeModule();
const skip = !native.module && `no native kernels: ${native.why}`;
type Mod = {
  packedFloats(n: number, k: number): number;
  matmul(a: Float32Array, m: number, k: number, b: Float32Array, n: number, out: Float32Array): void;
  activate(x: Float32Array, kind: number): void;
};
const mod = () => native.module as unknown as Mod;

test('sizes outside int32, or not whole, throw instead of wrapping', { skip }, () => {
  const m = mod();
  for (const bad of [2 ** 32 + 5, 2 ** 31, 1.5, -2, NaN, Infinity]) {
    assert.throws(() => m.packedFloats(bad, 1), /sizes must be integers from 0 to 2\^31 − 1/, `packedFloats(${bad}, 1)`);
  }
  // matmul with m = 2^32 + 1 wrapped to 1 used to pass the length checks and run on 1 row.
  const a = new Float32Array(4),
    b = new Float32Array(4),
    out = new Float32Array(4);
  assert.throws(() => m.matmul(a, 2 ** 32 + 1, 2, b, 2, out), /matmul: bad sizes/);
  assert.throws(() => m.activate(a, 2 ** 32 + 1), /kind 0…3/);
});

test('packedFloats near INT32_MAX: ⌈n / 32⌉ · 32 · k + 16, computed without int overflow', { skip }, () => {
  const m = mod();
  for (const n of [2 ** 31 - 1, 2 ** 31 - 20, 2 ** 31 - 32]) {
    assert.equal(m.packedFloats(n, 1), Math.ceil(n / 32) * 32 + 16, `n = ${n}`);
  }
  assert.equal(m.packedFloats(5, 3), 32 * 3 + 16);
});

test('a kernel whose scratch cannot be allocated throws, and leaves no stale output', { skip, timeout: 120_000 }, () => {
  // feedForward's hidden layer [m, hidden] is native scratch: m = hidden = 2^20 asks for 4 TB while
  // its inputs are ~140 MB. In a child under an 8 GB address-space limit, so the allocation fails
  // whatever the machine's overcommit policy.
  const child = `
    const m = require(process.env.MOD);
    const M = 2 ** 20, H = 2 ** 20;
    const x = new Float32Array(M), p1 = new Float32Array(m.packedFloats(H, 1)), p2 = new Float32Array(m.packedFloats(1, H));
    const out = new Float32Array(M).fill(7);
    try {
      m.feedForward(x, M, 1, p1, H, null, p2, 1, null, -1, out);
      console.log('returned; out[0] = ' + out[0]);
    } catch (e) {
      console.log('threw ' + e.code + ': ' + e.message);
    }`;
  const r = spawnSync('bash', ['-c', 'ulimit -v 8388608 && exec "$NODE" -e "$CHILD"'], {
    encoding: 'utf8',
    timeout: 110_000,
    env: { ...process.env, MOD: native.file, NODE: process.execPath, CHILD: child },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(
    r.stdout.trim(),
    /^threw ERR_NATIVE_NO_MEMORY: attention native kernels: feedForward: out of memory for the kernel's scratch$/,
  );
});
