// Runner for the webview level: `node out/test/webview/run.js` (after `node esbuild.js`).
// Serves the built inspector bundle on 127.0.0.1, drives it in headless Chromium, and prints
// `N passed, N failed` as the last line; exits non-zero on any failure.
import * as fs from 'fs';
import * as path from 'path';
import { chromium, type Browser } from 'playwright-core';
import { ROOT, startServer, type TestServer } from './harness';
import { CASES, type CaseContext } from './cases';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CASE_TIMEOUT_MS = 60_000;
export const ARTIFACTS = path.join(ROOT, 'artifacts', 'webview');

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms / 1000} s`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function main(): Promise<number> {
  const only = process.argv[2];
  const bundle = path.join(ROOT, 'dist', 'webview', 'inspector.js');
  if (!fs.existsSync(bundle)) {
    console.error(`missing ${bundle}: run \`node esbuild.js\` first`);
    console.log('0 passed, 1 failed');
    return 1;
  }
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  let passed = 0;
  let failed = 0;
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  try {
    server = await startServer();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const ctx: CaseContext = { browser, origin: server.origin, artifacts: ARTIFACTS };
    for (const c of CASES) {
      if (only && !c.name.includes(only)) continue;
      const started = Date.now();
      try {
        await withTimeout(c.run(ctx), CASE_TIMEOUT_MS, c.name);
        passed++;
        console.log(`  ✓ ${c.name} (${Date.now() - started} ms)`);
      } catch (e) {
        failed++;
        console.log(`  ✗ ${c.name}\n      ${(e instanceof Error ? (e.stack ?? e.message) : String(e)).split('\n').join('\n      ')}`);
      }
    }
  } catch (e) {
    failed++;
    console.log(`  ✗ setup: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    await browser?.close().catch(() => undefined);
    await server?.close();
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    console.log('0 passed, 1 failed');
    process.exit(1);
  },
);
