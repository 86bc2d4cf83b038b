// Builds each entry separately (extension host, engine worker, CLI, webview bundles, tests).
// Usage: node esbuild.js [--watch] [--production]
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

function walk(dir, pred) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p, pred) : pred(p) ? [p] : [];
  });
}

const nodeBase = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  plugins: [archViewsPlugin()],
};

/**
 * Test and bench bundles live in out/, not beside dist/native/, and the engine looks for its native
 * module only beside its own bundle: point them at the clone's build (unless the caller chose one).
 */
function devNativeModuleBanner() {
  const file = path.resolve(__dirname, 'dist', 'native', 'attention-kernels.node');
  return `process.env.ATTENTION_NATIVE_MODULE ??= ${JSON.stringify(file)};`;
}

/**
 * `import { views } from 'arch-views:all'` (webview/inspector/archViews/index.ts): the `view` export
 * of every other file of that folder (index.ts and types.ts aside), in file-name order, so that a
 * new architecture view is its file alone. A file without `view` fails the build by name.
 */
function archViewsPlugin(dir = path.join(__dirname, 'webview', 'inspector', 'archViews')) {
  return {
    name: 'arch-views',
    setup(build) {
      build.onResolve({ filter: /^arch-views:all$/ }, () => ({ path: dir, namespace: 'arch-views' }));
      build.onLoad({ filter: /.*/, namespace: 'arch-views' }, () => {
        const files = fs
          .readdirSync(dir)
          .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && f !== 'index.ts' && f !== 'types.ts')
          .sort();
        const imports = files.map((f, i) => `import { view as v${i} } from ${JSON.stringify(`./${f}`)};`);
        const contents = `${imports.join('\n')}\nexport const views = [${files.map((_, i) => `v${i}`).join(', ')}];\n`;
        return { contents, resolveDir: dir, loader: 'js', watchDirs: [dir] };
      });
    },
  };
}

const builds = [
  // Extension host: vscode is provided by the host at run time.
  { ...nodeBase, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
  // Engine worker and CLI never import vscode; bundling them keeps the .vsix free of node_modules.
  { ...nodeBase, entryPoints: ['src/engine/worker.ts'], outfile: 'dist/worker.js' },
  // Hugging Face tokenizers run in their own thread, which is stopped when a pattern runs too long.
  { ...nodeBase, entryPoints: ['src/engine/format/tokenizerThread.ts'], outfile: 'dist/tokenizerWorker.js' },
  { ...nodeBase, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  // Webviews: browser bundles, no Node APIs.
  ...walk('webview', (p) => /[\\/]main\.ts$/.test(p)).map((entry) => ({
    bundle: true,
    platform: 'browser',
    target: 'chrome120',
    format: 'iife',
    sourcemap: !production,
    minify: production,
    logLevel: 'warning',
    plugins: [archViewsPlugin()],
    entryPoints: [entry],
    outfile: path.join('dist', 'webview', path.basename(path.dirname(entry)) + '.js'),
  })),
];

if (!production) {
  // Tests: one bundle per file, dependencies left to node_modules.
  const tests = walk('test', (p) => p.endsWith('.ts') && !p.endsWith('.d.ts') && !p.includes(`${path.sep}fixtures${path.sep}`));
  builds.push({
    ...nodeBase,
    entryPoints: tests,
    outbase: '.',
    outdir: 'out',
    packages: 'external',
    external: ['vscode'],
    banner: { js: devNativeModuleBanner() },
  });
}

async function main() {
  // The WASM SIMD kernels are compiled from AssemblyScript into a generated module first.
  const { buildWasm } = await import('./scripts/build-wasm.mjs');
  await buildWasm({ ifStale: true });
  // The native AVX-512 / AVX2 kernels where there is a C compiler (the engine falls back to WASM).
  const { buildNative } = await import('./scripts/build-native.mjs');
  buildNative({ ifStale: true });
  if (watch) {
    for (const b of builds) await (await esbuild.context(b)).watch();
    console.log('[esbuild] watching');
    return;
  }
  await Promise.all(builds.map((b) => esbuild.build(b)));
  fs.chmodSync('dist/cli.js', 0o755);
}

module.exports = { devNativeModuleBanner, archViewsPlugin };

if (require.main === module)
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
