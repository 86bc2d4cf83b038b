// Package test: builds the two .vsix files the way a release does (scripts/package.mjs: one for
// linux-x64 carrying the native kernels, one universal without them), checks what is inside each,
// installs each into code-server (as `npm start` does) with a fresh extensions dir, and in the
// browser runs a bundled model and reads which kernels ran.
//
//   node out/test/package/vsix.js        (after `node esbuild.js`)
//
// Leaves dist/ as the production build (minified, no source maps). Environment: AI_VSIX_MAX_MB
// (size budget, default 10), AI_CS_DIR as in test/integration/runCodeServer.ts.
// The last line printed is `N passed, N failed`.

import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import {
  execOrThrow as run,
  runDriver,
  findInstall,
  frameWith,
  launchBrowser,
  makeTempHome,
  newPage,
  notifications,
  paletteTitles,
  pickInQuickOpen,
  repoRoot,
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
const ALLOWED = [
  /^dist\//,
  /^media\//,
  /^examples\//,
  /^docs\/screenshot\.png$/,
  /^package\.json$/,
  /^readme\.md$/i,
  /^license(\.txt)?$/i,
  /^changelog\.md$/i,
];
const NATIVE = 'dist/native/attention-kernels.node';
const EXAMPLE = 'transformer-reverse';

interface Target {
  name: 'linux-x64' | 'universal';
  file: string;
  /** What the header's kernels note must say after a run. */
  kernels: RegExp;
}

async function main(): Promise<number> {
  const t0 = Date.now();
  const root = repoRoot();
  const out = path.join(root, 'dist-vsix');
  const targets: Target[] = [
    { name: 'linux-x64', file: path.join(out, 'attention-inspector-linux-x64.vsix'), kernels: /^native (AVX-512|AVX2)$/ },
    { name: 'universal', file: path.join(out, 'attention-inspector-universal.vsix'), kernels: /^WASM( relaxed)? SIMD$/ },
  ];
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as Manifest & {
    main: string;
    version: string;
    bin?: Record<string, string>;
  };
  const steps = new Steps(path.join(root, 'artifacts', 'package'));
  const servers: RunningServer[] = [];
  const homes: string[] = [];

  console.log('Package checks (screenshots in artifacts/package/)');
  await steps.step(
    'npm run package writes the linux-x64 and the universal .vsix',
    async () => {
      fs.rmSync(out, { recursive: true, force: true });
      run('npm', ['run', 'package'], root);
      const missing = targets.filter((t) => !fs.existsSync(t.file));
      if (missing.length) throw new Error(`not written: ${missing.map((t) => t.file).join(', ')}`);
    },
    { critical: true, timeoutMs: 240_000 },
  );

  const install = findInstall();
  for (const target of targets) {
    const entries = zipEntries(target.file).filter((e) => !e.endsWith('/'));
    const inExt = entries.filter((e) => e.startsWith('extension/')).map((e) => e.slice('extension/'.length));
    const label = `${target.name}:`;

    await steps.step(
      `${label} holds only dist/, media/, examples/, the README (+ its screenshot), LICENSE, CHANGELOG, package.json`,
      async () => {
        const bad = [
          ...inExt.filter((e) => !ALLOWED.some((re) => re.test(e))),
          ...inExt.filter((e) => /(^|\/)node_modules\//.test(e) || e.endsWith('.map') || e.endsWith('.ts')),
          ...entries.filter((e) => !e.startsWith('extension/') && !['extension.vsixmanifest', '[Content_Types].xml'].includes(e)),
        ];
        if (bad.length) throw new Error(`unexpected files in the .vsix:\n${[...new Set(bad)].join('\n')}`);
        const byDir = new Map<string, number>();
        for (const e of inExt) byDir.set(e.split('/')[0], (byDir.get(e.split('/')[0]) ?? 0) + 1);
        console.log(`      ${entries.length} files: ${[...byDir].map(([d, n]) => `${d} (${n})`).join(', ')}`);
      },
    );

    await steps.step(
      `${label} has every file package.json points at; the native module ${target.name === 'universal' ? 'is absent' : 'and its target platform are there'}`,
      async () => {
        const wanted = [
          manifest.main,
          ...Object.values(manifest.bin ?? {}),
          'dist/worker.js',
          // The thread the engine runs Hugging Face tokenizers in (stopped when a pattern runs too long).
          'dist/tokenizerWorker.js',
          ...(target.name === 'linux-x64' ? [NATIVE] : []),
          ...(manifest.contributes.viewsContainers?.activitybar ?? []).map((c) => (c as { icon?: string }).icon ?? ''),
        ].filter(Boolean);
        const have = new Set(inExt);
        const missing = wanted.map((p) => path.posix.normalize(p)).filter((p) => !have.has(p));
        if (missing.length) throw new Error(`missing from the .vsix: ${missing.join(', ')}`);
        const platform = /TargetPlatform="([^"]+)"/.exec(zipText(target.file, 'extension.vsixmanifest'))?.[1];
        if (target.name === 'universal') {
          const native = inExt.filter((e) => e.startsWith('dist/native/') || e.endsWith('.node'));
          if (native.length) throw new Error(`the universal package carries native code: ${native.join(', ')}`);
          if (platform) throw new Error(`the universal package names a target platform: ${platform}`);
        } else if (platform !== target.name) throw new Error(`TargetPlatform is ${platform ?? 'absent'}, expected ${target.name}`);
      },
    );

    await steps.step(`${label} size is within budget`, async () => {
      const max = Number(process.env.AI_VSIX_MAX_MB) || 10;
      const mb = fs.statSync(target.file).size / 1024 / 1024;
      console.log(`      ${path.relative(root, target.file)}: ${mb.toFixed(2)} MB (budget ${max} MB)`);
      if (mb > max) throw new Error(`${mb.toFixed(2)} MB > ${max} MB: check examples/ and dist/ sizes`);
    });

    const home = makeTempHome(`pkg-${target.name}`);
    homes.push(home.dir);
    const extensionsDir = path.join(home.dir, 'extensions');
    await steps.step(
      `${label} code-server --install-extension installs it into a fresh extensions dir`,
      async () => {
        const log = run(
          install.node,
          [
            install.codeServerEntry,
            '--extensions-dir',
            extensionsDir,
            '--user-data-dir',
            path.join(home.dir, 'user'),
            '--install-extension',
            target.file,
            '--force',
          ],
          root,
          home.env,
        );
        const dir = fs.readdirSync(extensionsDir).find((d) => d.startsWith(`${ID}-${manifest.version}`));
        if (!dir || !fs.existsSync(path.join(extensionsDir, dir, manifest.main)))
          throw new Error(`${manifest.main} not installed:\n${log}`);
        // A native module lying in folders above the extension (as in a user's home folder) must not be
        // loaded: the engine takes only its own dist/native/. The decoy is a real, working module.
        if (target.name === 'universal') {
          for (const d of [path.join(extensionsDir, dir, 'native'), path.join(home.dir, 'native'), path.join(home.dir, 'dist', 'native')]) {
            fs.mkdirSync(d, { recursive: true });
            fs.copyFileSync(path.join(root, NATIVE), path.join(d, path.basename(NATIVE)));
          }
        }
      },
      { critical: true, timeoutMs: 120_000 },
    );

    await steps.step(
      `${label} installed in VS Code: commands listed; Open Model… runs ${EXAMPLE} on the ${target.name === 'universal' ? 'WASM' : 'native'} kernels`,
      async () => {
        const server = await startServer(install, { kind: 'code-server', label: `pkg-${target.name}`, extensionsDir });
        servers.push(server);
        const page = await newPage(await launchBrowser());
        steps.page = page;
        await page.goto(workbenchUrl(server, path.join(root, 'examples')), { waitUntil: 'commit', timeout: 60_000 });
        await waitForWorkbench(page);
        await waitForPaletteItems(page, 'Attention: ', paletteTitles(manifest)); // internal commands are hidden
        await waitForPaletteItems(page, 'Attention: Open Model…', ['Attention: Open Model…']);
        await page.locator('.quick-input-list .monaco-list-row').filter({ hasText: 'Open Model…' }).first().click();
        await page
          .locator('.quick-input-widget input[placeholder="A model of this workspace"]')
          .waitFor({ state: 'visible', timeout: 60_000 });
        await pickInQuickOpen(page, EXAMPLE);
        const f = await frameWith(page, '.run-engine[title]', 60_000);
        const note = (await f.locator('.run-engine').first().getAttribute('title')) ?? '';
        const kernels = /ran this on the (.+?) kernels/.exec(note)?.[1] ?? '';
        console.log(`      ${note}`);
        if (!target.kernels.test(kernels)) throw new Error(`ran on "${kernels}", expected ${target.kernels}`);
        const errors = (await notifications(page)).filter((n) => n.severity === 'Error');
        if (errors.length) throw new Error(`error notification: ${errors.map((n) => n.message).join(' / ')}`);
        await page.context().browser()?.close();
        steps.page = undefined;
      },
      { screenshot: true, timeoutMs: 150_000 },
    );
  }

  console.log(`package: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const failed = steps.failed > 0;
  for (const server of servers) {
    if (failed) console.log(`code-server log (tail):\n${server.logTail(20)}\nfiles kept: ${server.tempDir}`);
    await server.stop(failed);
  }
  if (failed) console.log(`files kept: ${homes.join(' ')}`);
  else for (const h of homes) fs.rmSync(h, { recursive: true, force: true });
  console.log(steps.summary());
  return steps.failed ? 1 : 0;
}

interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  localHeader: number;
}

/** A zip's central directory (a .vsix is a zip); no unzip binary needed. */
function zipDirectory(file: string): { buf: Buffer; entries: ZipEntry[] } {
  const buf = fs.readFileSync(file);
  const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error(`${file} is not a zip (no end of central directory)`);
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(at) !== 0x02014b50) throw new Error(`${file}: bad central directory entry ${i}`);
    const nameLen = buf.readUInt16LE(at + 28);
    const skip = nameLen + buf.readUInt16LE(at + 30) + buf.readUInt16LE(at + 32);
    entries.push({
      name: buf.toString('utf8', at + 46, at + 46 + nameLen),
      method: buf.readUInt16LE(at + 10),
      compressedSize: buf.readUInt32LE(at + 20),
      localHeader: buf.readUInt32LE(at + 42),
    });
    at += 46 + skip;
  }
  return { buf, entries };
}

function zipEntries(file: string): string[] {
  return zipDirectory(file).entries.map((e) => e.name);
}

/** One stored (0) or deflated (8) text entry of a zip. */
function zipText(file: string, name: string): string {
  const { buf, entries } = zipDirectory(file);
  const e = entries.find((x) => x.name === name);
  if (!e) throw new Error(`${file} has no ${name}`);
  const start = e.localHeader + 30 + buf.readUInt16LE(e.localHeader + 26) + buf.readUInt16LE(e.localHeader + 28);
  const data = buf.subarray(start, start + e.compressedSize);
  if (e.method === 0) return data.toString('utf8');
  if (e.method === 8) return zlib.inflateRawSync(data).toString('utf8');
  throw new Error(`${file}: ${name} uses zip method ${e.method}`);
}

runDriver(main);
