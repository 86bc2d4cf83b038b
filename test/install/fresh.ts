// Install test: what a new user's machine does with the README's commands, with nothing left from
// earlier runs. A clone without build output type-checks (`npm run typecheck`), and the VS Code
// server installs into an EMPTY cache folder through `npm run` (as `npm run test:all` and `npm start`
// run it: inside npm, whose npm_* variables reach the install script) and then starts.
//
//   node out/test/install/fresh.js        (after `node esbuild.js`; about 3-5 minutes)
//
// The last line printed is `N passed, N failed`.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import {
  execOrThrow as run,
  findInstall,
  makeTempHome,
  runDriver,
  repoRoot,
  startServer,
  Steps,
  type RunningServer,
  type ServerInstall,
} from '../integration/harness';

const CS_VERSION = '4.139.1';

async function main(): Promise<number> {
  const root = repoRoot();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'attention-install-'));
  const steps = new Steps(path.join(root, 'artifacts', 'install'));
  let install: ServerInstall | undefined;
  let server: RunningServer | undefined;
  console.log(`Install checks (temporary folder ${tmp}, removed afterwards)`);

  await steps.step(
    'a fresh clone (no build output) passes npm run typecheck',
    async () => {
      const clone = path.join(tmp, 'clone');
      run('git', ['clone', '--quiet', '--no-local', root, clone], root);
      // The clone's own npm ci would fetch the same packages again: the checked-out tree is the point.
      fs.symlinkSync(path.join(root, 'node_modules'), path.join(clone, 'node_modules'), 'dir');
      if (fs.existsSync(path.join(clone, 'src/engine/kernels/wasm/kernels.wasm.ts'))) throw new Error('the clone has generated files');
      run('npm', ['run', '--silent', 'typecheck'], clone);
    },
    { timeoutMs: 180_000 },
  );

  await steps.step(
    'npm run install:vscode-server installs Node 24 + code-server into an empty cache folder',
    async () => {
      const cacheRoot = path.join(tmp, 'cache');
      fs.mkdirSync(cacheRoot);
      const env: NodeJS.ProcessEnv = { ...process.env, AI_CACHE_DIR: cacheRoot };
      delete env.AI_CS_DIR;
      const t0 = Date.now();
      const out = run('npm', ['run', '--silent', 'install:vscode-server'], root, env);
      const dir = out.trim().split('\n').pop() ?? '';
      console.log(`      installed in ${((Date.now() - t0) / 1000).toFixed(0)} s into ${dir}`);
      if (path.dirname(dir) !== cacheRoot) throw new Error(`the script printed "${dir}", not a folder in ${cacheRoot}`);
      install = findInstall(dir);
    },
    { critical: true, timeoutMs: 900_000 },
  );

  await steps.step('the installed code-server reports its version', async () => {
    const home = makeTempHome('install-version'); // it writes a default config file into XDG_CONFIG_HOME
    try {
      const r = spawnSync(install!.node, [install!.codeServerEntry, '--version'], { encoding: 'utf8', env: home.env });
      const line = `${r.stdout}`.split('\n').find((l) => l.startsWith(`${CS_VERSION} `)) ?? '';
      console.log(`      code-server --version: ${line}`);
      if (r.status !== 0 || !line) throw new Error(`exit ${r.status}: ${r.stdout}${r.stderr}`);
    } finally {
      fs.rmSync(home.dir, { recursive: true, force: true });
    }
  });

  await steps.step(
    'the installed VS Code server starts and serves the workbench page',
    async () => {
      server = await startServer(install!, { kind: 'code-server', label: 'install' });
      const page = await get(server.origin + '/');
      if (!/<html/i.test(page) || !/workbench/i.test(page))
        throw new Error(`GET / did not return the workbench page:\n${page.slice(0, 300)}`);
    },
    { timeoutMs: 90_000 },
  );

  await server?.stop(steps.failed > 0);
  if (steps.failed) console.log(`files kept: ${tmp}`);
  else fs.rmSync(tmp, { recursive: true, force: true });
  console.log(steps.summary());
  return steps.failed ? 1 : 0;
}

/** GET that follows code-server's redirects (/ → ./?folder=…) and returns the body. */
function get(url: string, redirects = 5): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        if (res.statusCode && res.statusCode >= 300 && res.statusCode < 400 && res.headers.location && redirects > 0) {
          res.resume();
          resolve(get(new URL(res.headers.location, url).toString(), redirects - 1));
          return;
        }
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`GET ${url}: ${res.statusCode}`))));
      })
      .on('error', reject);
  });
}

runDriver(main);
