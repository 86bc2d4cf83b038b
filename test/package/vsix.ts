// Package test: builds the .vsix the way a release does, checks what is inside, installs it into
// code-server (as `npm start` does) with a fresh extensions dir, and confirms in the browser that
// the installed extension's commands are listed and run.
//
//   node out/test/package/vsix.js        (after `node esbuild.js`)
//
// Leaves dist/ as the production build (minified, no source maps). Environment: AI_VSIX_MAX_MB
// (size budget, default 10), AI_CS_DIR as in test/integration/runCodeServer.ts.
// The last line printed is `N passed, N failed`.

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import {
  finish,
  findInstall,
  launchBrowser,
  makeTempHome,
  newPage,
  notifications,
  paletteTitles,
  repoRoot,
  runCommand,
  sleep,
  startServer,
  Steps,
  waitForPaletteItems,
  waitForWorkbench,
  workbenchUrl,
  type Manifest,
  type RunningServer,
} from '../integration/harness';

const ID = 'attention-inspector.attention-inspector';
/** Everything in the .vsix lives under extension/ and in one of these (vsce renames README etc.). */
const ALLOWED = [/^dist\//, /^media\//, /^examples\//, /^docs\/screenshot\.png$/, /^package\.json$/, /^readme\.md$/i, /^license(\.txt)?$/i, /^changelog\.md$/i];

async function main(): Promise<number> {
  const t0 = Date.now();
  const root = repoRoot();
  const vsix = path.join(root, 'dist-vsix', 'attention-inspector.vsix');
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as Manifest & {
    main: string;
    version: string;
    bin?: Record<string, string>;
  };
  const steps = new Steps(path.join(root, 'artifacts', 'package'));
  let entries: string[] = [];
  let server: RunningServer | undefined;

  console.log('Package checks (screenshots in artifacts/package/)');
  await steps.step(
    'npm run package writes dist-vsix/attention-inspector.vsix',
    async () => {
      fs.rmSync(vsix, { force: true });
      run('npm', ['run', 'package'], root);
      if (!fs.existsSync(vsix)) throw new Error(`${vsix} not written`);
      entries = zipEntries(vsix).filter((e) => !e.endsWith('/'));
    },
    { critical: true, timeoutMs: 180_000 },
  );

  await steps.step('the .vsix holds only dist/, media/, examples/, the README (+ its screenshot), LICENSE, CHANGELOG, package.json', async () => {
    const inExt = entries.filter((e) => e.startsWith('extension/')).map((e) => e.slice('extension/'.length));
    const bad = [
      ...inExt.filter((e) => !ALLOWED.some((re) => re.test(e))),
      ...inExt.filter((e) => /(^|\/)node_modules\//.test(e) || e.endsWith('.map') || e.endsWith('.ts')),
      ...entries.filter((e) => !e.startsWith('extension/') && !['extension.vsixmanifest', '[Content_Types].xml'].includes(e)),
    ];
    if (bad.length) throw new Error(`unexpected files in the .vsix:\n${[...new Set(bad)].join('\n')}`);
    const byDir = new Map<string, number>();
    for (const e of inExt) byDir.set(e.split('/')[0], (byDir.get(e.split('/')[0]) ?? 0) + 1);
    console.log(`      ${entries.length} files: ${[...byDir].map(([d, n]) => `${d} (${n})`).join(', ')}`);
  });

  await steps.step('every file package.json points at is in the .vsix', async () => {
    const wanted = [
      manifest.main,
      ...Object.values(manifest.bin ?? {}),
      'dist/worker.js',
      // The thread the engine runs Hugging Face tokenizers in (stopped when a pattern runs too long).
      'dist/tokenizerWorker.js',
      // The native kernels the worker loads beside it (built on x86-64; elsewhere the engine uses WASM).
      ...(process.arch === 'x64' && process.platform !== 'win32' ? ['dist/native/attention-kernels.node'] : []),
      ...(manifest.contributes.viewsContainers?.activitybar ?? []).map((c) => (c as { icon?: string }).icon ?? ''),
    ].filter(Boolean);
    const have = new Set(entries);
    const missing = wanted.map((p) => `extension/${path.posix.normalize(p)}`).filter((p) => !have.has(p));
    if (missing.length) throw new Error(`missing from the .vsix: ${missing.join(', ')}`);
  });

  await steps.step('the .vsix size is within budget', async () => {
    const max = Number(process.env.AI_VSIX_MAX_MB) || 10;
    const mb = fs.statSync(vsix).size / 1024 / 1024;
    console.log(`      ${path.relative(root, vsix)}: ${mb.toFixed(2)} MB (budget ${max} MB)`);
    if (mb > max) throw new Error(`${mb.toFixed(2)} MB > ${max} MB: check examples/ and dist/ sizes`);
  });

  const install = findInstall();
  const home = makeTempHome('pkg');
  const extensionsDir = path.join(home.dir, 'extensions');
  await steps.step(
    'code-server --install-extension installs it into a fresh extensions dir',
    async () => {
      const out = run(
        install.node,
        [install.codeServerEntry, '--extensions-dir', extensionsDir, '--user-data-dir', path.join(home.dir, 'user'), '--install-extension', vsix, '--force'],
        root,
        home.env,
      );
      const dir = path.join(extensionsDir, `${ID}-${manifest.version}`);
      if (!fs.existsSync(path.join(dir, manifest.main))) throw new Error(`${dir}/${manifest.main} not installed:\n${out}`);
    },
    { critical: true, timeoutMs: 120_000 },
  );

  await steps.step(
    'code-server lists the installed commands in the palette',
    async () => {
      server = await startServer(install, { kind: 'code-server', label: 'pkg-serve', extensionsDir });
      const page = await newPage(await launchBrowser());
      steps.page = page;
      await page.goto(workbenchUrl(server, path.join(root, 'examples')));
      await waitForWorkbench(page);
      const titles = paletteTitles(manifest); // internal commands are hidden from the palette
      await waitForPaletteItems(page, 'Attention: ', titles);
    },
    { critical: true, screenshot: true, timeoutMs: 90_000 },
  );

  await steps.step(
    'the installed extension activates: Attention: Restart Engine raises no error',
    async () => {
      const page = steps.page!;
      await runCommand(page, 'Attention: Restart Engine');
      await sleep(1500);
      const all = await notifications(page);
      for (const n of all) console.log(`      notification: ${n.severity}: ${n.message}`);
      const errors = all.filter((n) => n.severity === 'Error');
      if (errors.length) throw new Error(`error notification: ${errors.map((n) => n.message).join(' / ')}`);
    },
    { screenshot: true },
  );

  console.log(`package: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (steps.failed) {
    if (server) console.log(`code-server log (tail):\n${(server as RunningServer).logTail(20)}\nfiles kept: ${home.dir} ${(server as RunningServer).tempDir}`);
  } else {
    await (server as RunningServer | undefined)?.stop();
    fs.rmSync(home.dir, { recursive: true, force: true });
  }
  console.log(steps.summary());
  return steps.failed ? 1 : 0;
}

/** Names in a zip's central directory (a .vsix is a zip); no unzip binary needed. */
function zipEntries(file: string): string[] {
  const buf = fs.readFileSync(file);
  const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error(`${file} is not a zip (no end of central directory)`);
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(at) !== 0x02014b50) throw new Error(`${file}: bad central directory entry ${i}`);
    const nameLen = buf.readUInt16LE(at + 28);
    const skip = nameLen + buf.readUInt16LE(at + 30) + buf.readUInt16LE(at + 32);
    names.push(buf.toString('utf8', at + 46, at + 46 + nameLen));
    at += 46 + skip;
  }
  return names;
}

/** Runs a command, returns its output; on failure throws with the output's tail. */
function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  try {
    return execFileSync(cmd, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; status?: number };
    const out = `${err.stdout ?? ''}${err.stderr ?? ''}`.trim().split('\n').slice(-30).join('\n');
    throw new Error(`${path.basename(cmd)} ${args.join(' ')} exited with ${err.status}:\n${out}`);
  }
}

main().then(
  (code) => finish(code),
  (e) => {
    console.log(String((e as Error)?.stack ?? e));
    console.log('0 passed, 1 failed');
    return finish(1);
  },
);
