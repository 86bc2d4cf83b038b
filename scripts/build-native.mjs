// Compiles the native kernels (native/*.c: an AVX-512 and an AVX2 unit, picked at load) into
// dist/native/attention-kernels.node, a Node-API module: one binary serves Node and VS Code's
// Electron alike, with no node-gyp, just the C compiler and the `node-api-headers` devDependency.
// esbuild.js calls buildNative() before bundling; when there is no C compiler or the CPU is not
// x86-64 it says so and the engine runs on the WASM kernels. Only rebuilt when a source is newer
// than the module.
// By hand: node scripts/build-native.mjs
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'native');
export const NATIVE_MODULE = path.join(root, 'dist', 'native', 'attention-kernels.node');

const mtime = (f) => (fs.existsSync(f) ? fs.statSync(f).mtimeMs : -1);

/** Builds the module; returns true when it exists afterwards. Never throws: the WASM kernels are the fallback. */
export function buildNative({ ifStale = false, log = console.log } = {}) {
  const sources = fs
    .readdirSync(src)
    .filter((f) => /\.[ch]$/.test(f))
    .map((f) => path.join(src, f));
  if (ifStale && mtime(NATIVE_MODULE) >= Math.max(...sources.map(mtime), mtime(fileURLToPath(import.meta.url)))) return true;
  if (process.platform === 'win32' || process.arch !== 'x64') {
    log(
      `build-native: skipped (${process.platform}-${process.arch}: the native kernels are x86-64 only); the engine uses the WASM kernels`,
    );
    return false;
  }
  const cc = process.env.CC || 'cc';
  let include;
  try {
    include = createRequire(import.meta.url)
      .resolve('node-api-headers/include/node_api.h')
      .replace(/[\\/]node_api\.h$/, '');
  } catch {
    log('build-native: skipped (node-api-headers is not installed: run npm ci); the engine uses the WASM kernels');
    return false;
  }
  fs.mkdirSync(path.dirname(NATIVE_MODULE), { recursive: true });
  const objDir = fs.mkdtempSync(path.join(path.dirname(NATIVE_MODULE), '.obj-'));
  const common = ['-O3', '-fPIC', '-pthread', '-std=gnu11', '-fvisibility=hidden', '-Wall', `-I${include}`];
  // Only each kernel unit gets its ISA's flags: the glue must load on any x86-64 CPU and check it first.
  const units = [
    ['addon.c', []],
    ['pool.c', []],
    ['kernels_avx512.c', ['-mavx512f', '-mavx512dq', '-mavx512bw', '-mavx512vl', '-mfma', '-Wno-psabi']],
    ['kernels_avx2.c', ['-mavx2', '-mfma', '-Wno-psabi']],
  ];
  const run = (args) => spawnSync(cc, args, { encoding: 'utf8' });
  try {
    const objs = [];
    for (const [file, flags] of units) {
      const obj = path.join(objDir, file.replace(/\.c$/, '.o'));
      const r = run([...common, ...flags, '-c', path.join(src, file), '-o', obj]);
      if (r.error || r.status !== 0) {
        log(`build-native: ${cc} failed on native/${file}; the engine uses the WASM kernels\n${r.error?.message ?? r.stderr}`);
        return false;
      }
      objs.push(obj);
    }
    // Node-API symbols resolve against the host process when the module is loaded. -z nodelete:
    // Node unloads an addon when the last worker that loaded it ends, but the pool's threads live
    // on inside it (a restarted engine's first run then hung).
    const tmp = NATIVE_MODULE + '.tmp';
    const link = run([
      '-shared',
      '-pthread',
      ...objs,
      '-o',
      tmp,
      ...(process.platform === 'darwin' ? ['-undefined', 'dynamic_lookup'] : ['-Wl,-z,nodelete']),
    ]);
    if (link.error || link.status !== 0) {
      log(`build-native: linking failed; the engine uses the WASM kernels\n${link.error?.message ?? link.stderr}`);
      return false;
    }
    fs.renameSync(tmp, NATIVE_MODULE);
    log(`build-native: wrote ${path.relative(root, NATIVE_MODULE)} (${fs.statSync(NATIVE_MODULE).size} bytes)`);
    return true;
  } finally {
    fs.rmSync(objDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) buildNative();
