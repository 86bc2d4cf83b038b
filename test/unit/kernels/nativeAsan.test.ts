// The native kernels under AddressSanitizer: a memory error in C would take the whole extension
// host down with it, so the native kernel and engine tests run once more in child Nodes with an
// ASan build of the module (LD_PRELOAD of gcc's libasan), once per ISA this CPU runs (AVX-512 and
// AVX2, or AVX2). Skipped where the CPU cannot run the native kernels, and outside CI where there
// is no native module, gcc or libasan (in CI, which installs them, their absence fails). Also the
// thread pool's regression case: a job posted right after the pool is (re)made must still be run by
// the new threads (it once waited for ever).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createNativeKernels, nativeModule } from '../../../src/engine/kernels/native';
import { referenceKernels as R } from '../../../src/engine/kernels/reference';
import { nativeSkip, skipOutsideCi } from '../../helpers/ci';

const ROOT = path.join(__dirname, '..', '..', '..', '..');
const native = nativeModule();

test('a job posted right after the pool is re-made runs (pool start-up)', { skip: nativeSkip() }, () => {
  assert.ok(native.module, `no native kernels: ${native.why}`);
  // In a child process: a hang inside the native call cannot be interrupted here, only killed there.
  const child = `
    const m = require(process.env.MOD);
    const x = Float32Array.from({ length: 64 * 48 }, (_, i) => Math.sin(i)), g = new Float32Array(48).fill(1), b = new Float32Array(48);
    m.setMinParallelWork(0);
    const first = new Float32Array(x.length);
    m.layerNorm(x, 64, 48, g, b, 1e-5, first);
    for (let i = 0; i < 300; i++) {
      m.setThreads(1 + (i % 2)); // 1 ↔ 2 threads: the pool is re-made each time
      const out = new Float32Array(x.length);
      m.layerNorm(x, 64, 48, g, b, 1e-5, out);
      if (out.some((v, j) => v !== first[j])) throw new Error('round ' + i + ': a different result');
    }
    console.log('300 rounds');`;
  const r = spawnSync(process.execPath, ['-e', child], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, MOD: native.file } });
  assert.equal(r.signal, null, 'the child hung (killed after 60 s): a job was never run');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /300 rounds/);
  const K = createNativeKernels({ threads: 2, minParallelWork: 0 });
  const x = Float32Array.from({ length: 64 * 48 }, (_, i) => Math.cos(i)),
    g = new Float32Array(48).fill(1),
    b = new Float32Array(48);
  const want = R.layerNorm(x, 64, 48, g, b, 1e-5);
  assert.ok(K.layerNorm(x, 64, 48, g, b, 1e-5).every((v, j) => Math.abs(v - want[j]) < 1e-5));
});

const asan = spawnSync('gcc', ['-print-file-name=libasan.so'], { encoding: 'utf8' }).stdout?.trim();
const noAsan = !asan || !path.isAbsolute(asan) || !fs.existsSync(asan) ? 'gcc with libasan is not installed' : false;
const skip = nativeSkip() || skipOutsideCi(noAsan);

test('the native kernels and the engine on them pass under AddressSanitizer', { skip, timeout: 600_000 }, () => {
  assert.ok(native.module, `no native kernels: ${native.why}`);
  assert.ok(!noAsan, noAsan || '');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-asan-'));
  try {
    const include = path.dirname(require.resolve('node-api-headers/include/node_api.h'));
    const flags = ['-O1', '-g', '-fsanitize=address', '-fno-omit-frame-pointer', '-fPIC', '-pthread', '-std=gnu11', `-I${include}`];
    const objs: string[] = [];
    for (const [file, extra] of [
      ['addon.c', []],
      ['pool.c', []],
      ['kernels_avx512.c', ['-mavx512f', '-mavx512dq', '-mavx512bw', '-mavx512vl', '-mfma', '-Wno-psabi']],
      ['kernels_avx2.c', ['-mavx2', '-mfma', '-Wno-psabi']],
    ] as const) {
      const obj = path.join(dir, file.replace('.c', '.o'));
      const r = spawnSync('gcc', [...flags, ...extra, '-c', path.join(ROOT, 'native', file), '-o', obj], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      objs.push(obj);
    }
    const mod = path.join(dir, 'attention-kernels.node');
    const link = spawnSync('gcc', ['-shared', '-fsanitize=address', '-pthread', ...objs, '-o', mod], { encoding: 'utf8' });
    assert.equal(link.status, 0, link.stderr);
    const files = ['fastKernels.test.js', 'engineFast.test.js'].map((f) => path.join(__dirname, f));
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    for (const isa of native.isa === 'avx512' ? ['avx512', 'avx2'] : [native.isa ?? '']) {
      const r = spawnSync(process.execPath, ['--test', '--test-reporter=tap', '--test-name-pattern=native', ...files], {
        encoding: 'utf8',
        timeout: 270_000,
        env: {
          ...env,
          ATTENTION_NATIVE_MODULE: mod,
          ATTENTION_NATIVE_ISA: isa,
          LD_PRELOAD: asan,
          ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=1',
        },
      });
      const summary = (r.stdout.match(/^# (pass|fail) \d+$/gm) ?? []).join(', ');
      assert.doesNotMatch(r.stderr, /ERROR: AddressSanitizer/, `${isa}: ${r.stderr.slice(0, 4000)}`);
      assert.equal(r.status, 0, `${isa}: child run failed (${summary}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-2000)}`);
      assert.match(summary, /# pass [1-9]\d*, # fail 0/);
      assert.match(r.stdout, new RegExp(`\\(native ${isa}, 2 threads\\)`), `${isa}: the child ran these kernels`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
