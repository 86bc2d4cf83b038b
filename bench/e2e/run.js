// `npm run bench:e2e [-- --small]`: bundles bench/e2e/e2e.ts to out/bench/e2e/e2e.js (three levels
// under the repository, where the harness finds its root) and runs it. Needs `node esbuild.js`
// first for dist/ (the npm script does both).
const esbuild = require('esbuild');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.join(__dirname, '..', '..');
const outfile = path.join(root, 'out', 'bench', 'e2e', 'e2e.js');
esbuild.buildSync({
  entryPoints: [path.join(__dirname, 'e2e.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  packages: 'external',
  logLevel: 'warning',
});
const r = spawnSync(process.execPath, ['--enable-source-maps', outfile, ...process.argv.slice(2)], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
