// How every bench entry is built and run (bench/run.js, bench/e2e/run.js, bench/ui/run.js): esbuild
// bundles the TypeScript entry, dependencies left to node_modules, then Node runs it with source maps.
const esbuild = require('esbuild');
const { spawnSync } = require('child_process');

/**
 * Bundles `entry` to `outfile`, runs it with `args` and exits with its status.
 * `banner`: JavaScript put first in the bundle; `cwd`: where it runs; `nodeArgs`: Node's own flags.
 */
function bundleAndRun(entry, outfile, args, { banner, cwd, nodeArgs = [] } = {}) {
  esbuild.buildSync({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: true,
    packages: 'external',
    logLevel: 'warning',
    ...(banner && { banner: { js: banner } }),
  });
  const r = spawnSync(process.execPath, ['--enable-source-maps', ...nodeArgs, outfile, ...args], { stdio: 'inherit', cwd });
  process.exit(r.status ?? 1);
}

module.exports = { bundleAndRun };
