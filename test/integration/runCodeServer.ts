// Runs the integration suites (out/test/integration/suite/*.suite.js) in a real VS Code extension
// host, offline: the VS Code server from code-server + headless Chromium (see
// ../shared/VSCODE-TESTING.md). Usage, after `node esbuild.js`:
//
//   node out/test/integration/runCodeServer.js
//
// Environment:
//   AI_TEST_GREP        only tests whose full title matches (passed on to the suite)
//   AI_TIMEOUT          whole-run timeout in seconds (default 180)
//   AI_VERBOSE=1        also print the browser console and the server log
//   AI_EXTENSION_PATH   extension folder to load instead of the repo (to try the harness)
//   AI_CS_DIR           VS Code server install (default: scripts/install-vscode-server.sh)
//
// Exit code: the suite's (0 = all passed). The last line printed is `N passed, N failed`.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  runDriver,
  findInstall,
  onCleanup,
  launchBrowser,
  newPage,
  repoRoot,
  startServer,
  withTimeout,
  workbenchUrl,
  type RunningServer,
} from './harness';

const SUMMARY = /^(\d+) passed, (\d+) failed$/m;

async function main(): Promise<number> {
  const t0 = Date.now();
  const root = repoRoot();
  const extensionPath = path.resolve(process.env.AI_EXTENSION_PATH || root);
  const testsPath = path.join(root, 'out', 'test', 'integration', 'suite', 'index.js');
  const workspace = path.join(root, 'examples');
  const verbose = process.env.AI_VERBOSE === '1';
  if (!fs.existsSync(testsPath)) return fail(`${testsPath} missing: run \`node esbuild.js\` first`);
  if (!fs.existsSync(path.join(extensionPath, 'dist', 'extension.js'))) {
    console.log(`warning: ${extensionPath}/dist/extension.js missing: the extension cannot load`);
  }
  fs.mkdirSync(workspace, { recursive: true });

  const reportDir = fs.mkdtempSync(path.join(os.tmpdir(), 'attention-report-'));
  const report = path.join(reportDir, 'report.txt');
  onCleanup('remove report', () => fs.rmSync(reportDir, { recursive: true, force: true }));
  fs.writeFileSync(report, '');
  const env: Record<string, string> = { AI_TEST_REPORT: report };
  for (const k of ['AI_TEST_GREP', 'AI_TEST_TIMEOUT']) if (process.env[k]) env[k] = process.env[k]!;

  let server: RunningServer | undefined;
  let relayed = 0;
  // Whole lines only, so a read racing a write never splits a character.
  const relay = () => {
    const text = fs.readFileSync(report, 'utf8');
    const upTo = text.lastIndexOf('\n') + 1;
    if (upTo > relayed) process.stdout.write(text.slice(relayed, upTo));
    relayed = Math.max(relayed, upTo);
    return text;
  };
  const poll = setInterval(relay, 250);
  try {
    server = await startServer(findInstall(), { kind: 'vscode-server', label: 'itest', env });
    const browser = await launchBrowser();
    const page = await newPage(browser);
    let exitWith: (code: number) => void = () => undefined;
    const exited = new Promise<number>((resolve) => (exitWith = resolve));
    // The workbench calls this (smoke-test driver) when the extension tests end.
    await page.exposeFunction('codeAutomationExit', (code: number) => exitWith(Number(code)));
    if (verbose) page.on('console', (m) => console.log(`[browser ${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => verbose && console.log(`[page error] ${e.message}`));

    const url = workbenchUrl(server, workspace, [
      ['extensionDevelopmentPath', extensionPath],
      ['extensionTestsPath', testsPath],
    ]);
    console.log(`VS Code server ${server.origin} (pid group in ${server.tempDir}); running suites…`);
    await page.goto(url, { timeout: 90_000 }); // the workbench page loads slowly on a busy machine
    const timeoutS = Number(process.env.AI_TIMEOUT) || 180;
    let code: number;
    try {
      code = await withTimeout(exited, timeoutS * 1000, 'the integration suite');
    } catch (e) {
      fs.mkdirSync(path.join(root, 'artifacts', 'integration'), { recursive: true });
      const shot = path.join(root, 'artifacts', 'integration', 'timeout.png');
      await page.screenshot({ path: shot }).catch(() => undefined);
      relay();
      console.log(`\n${(e as Error).message}; screenshot: ${path.relative(root, shot)}`);
      console.log(`server log (tail):\n${server.logTail(30)}`);
      return fail('timed out');
    }
    clearInterval(poll);
    const text = relay();
    if (verbose) console.log(`server log:\n${server.logTail(200)}`);
    if (!SUMMARY.test(text)) {
      // The suite never reported: extension host crash, or run() never called.
      console.log(`server log (tail):\n${server.logTail(30)}`);
      return fail(`the suite ended with exit code ${code} but wrote no summary`, code);
    }
    const [, passed, failed] = text.match(SUMMARY)!.map(Number);
    if (code !== 0 && failed === 0) return fail(`exit code ${code} although no test failed`, code);
    if (code === 0 && failed > 0) return fail(`exit code 0 although ${failed} failed`);
    console.log(`integration: exit code ${code} in ${((Date.now() - t0) / 1000).toFixed(1)} s (${passed} passed)`);
    if (code === 0) await server.stop(false);
    return code;
  } finally {
    clearInterval(poll);
    fs.rmSync(reportDir, { recursive: true, force: true });
    if (server && fs.existsSync(server.tempDir)) console.log(`server files kept for inspection: ${server.tempDir}`);
  }
}

/** Reports a run that produced no usable summary of its own; counts as one failure. */
function fail(why: string, code = 1): number {
  console.log(`integration run failed: ${why}`);
  console.log('0 passed, 1 failed');
  return code || 1;
}

runDriver(main);
