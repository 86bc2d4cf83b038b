// `npm run bench [-- options]`: bundles a bench entry with esbuild, then runs it.
// Usage: node bench/run.js [entry.ts] [args…]   (entry defaults to bench/bench.ts)
const path = require('path');
const { devNativeModuleBanner } = require('../esbuild.js');
const { bundleAndRun } = require('./bundle.js');

async function main() {
  const args = process.argv.slice(2);
  const entry = args[0] && args[0].endsWith('.ts') ? args.shift() : 'bench/bench.ts';
  const outfile = path.join('out', 'bench', path.basename(entry).replace(/\.ts$/, '.js'));
  const { buildWasm } = await import('../scripts/build-wasm.mjs'); // the kernels' generated module
  await buildWasm({ ifStale: true });
  const { buildNative } = await import('../scripts/build-native.mjs'); // the native kernels, where they build
  buildNative({ ifStale: true });
  const nodeArgs = (process.env.BENCH_NODE_ARGS || '').split(' ').filter(Boolean);
  bundleAndRun(entry, outfile, args, { banner: devNativeModuleBanner(), nodeArgs });
}
main();
