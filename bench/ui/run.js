// `npm run bench:ui [-- args]`: bundles bench/ui/ui.ts to out/bench/ui/ui.js (three levels under the
// repository, as the webview harness expects to find its root) and runs it. Needs `node esbuild.js`
// first for dist/webview/inspector.js and dist/worker.js (the npm script does both).
const path = require('path');
const { bundleAndRun } = require('../bundle.js');

const root = path.join(__dirname, '..', '..');
bundleAndRun(path.join(__dirname, 'ui.ts'), path.join(root, 'out', 'bench', 'ui', 'ui.js'), process.argv.slice(2), { cwd: root });
