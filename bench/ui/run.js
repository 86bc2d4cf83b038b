// `npm run bench:ui [-- args]`: bundles bench/ui/ui.ts to out/bench/ui/ui.js (three levels under the
// repository, as the webview harness expects to find its root) and runs it. Needs `node esbuild.js`
// first for dist/webview/inspector.js and dist/worker.js (the npm script does both).
const esbuild = require('esbuild');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.join(__dirname, '..', '..');
const outfile = path.join(root, 'out', 'bench', 'ui', 'ui.js');
esbuild.buildSync({
  entryPoints: [path.join(__dirname, 'ui.ts')],
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
