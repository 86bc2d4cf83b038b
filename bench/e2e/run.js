// `npm run bench:e2e [-- --small]`: bundles bench/e2e/e2e.ts to out/bench/e2e/e2e.js (three levels
// under the repository, where the harness finds its root) and runs it. Needs `node esbuild.js`
// first for dist/ (the npm script does both).
const path = require('path');
const { bundleAndRun } = require('../bundle.js');

const root = path.join(__dirname, '..', '..');
bundleAndRun(path.join(__dirname, 'e2e.ts'), path.join(root, 'out', 'bench', 'e2e', 'e2e.js'), process.argv.slice(2), { cwd: root });
