// common/ is what the host, the engine worker and the webviews share (protocols, guards, rpc, the
// pure maths both sides need). It must not pull engine code at run time: the webview bundles
// would carry it, and the engine would stop being the only place that reads model files.
// Decision: type-only imports from src/engine (`import type`) are allowed — esbuild erases them,
// and the engine's types (RunResult, Part…) are the vocabulary of the messages. This test bundles
// each file as esbuild does and reads which files end up in it, so it judges what really runs,
// not how an import is spelled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as esbuild from 'esbuild';

const ROOT = path.join(__dirname, '..', '..', '..', '..');
// The build's own plugin: the inspector's views come in as a generated module (esbuild.js).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { archViewsPlugin } = require(path.join(ROOT, 'esbuild.js')) as { archViewsPlugin: () => esbuild.Plugin };

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The repo-relative files esbuild puts in the bundle of `entry`, and what it left external. */
async function bundled(entry: string): Promise<{ inputs: string[]; external: string[] }> {
  const r = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'neutral',
    packages: 'external',
    logLevel: 'silent',
    plugins: [archViewsPlugin()],
  });
  const inputs = Object.keys(r.metafile.inputs);
  const external = Object.values(r.metafile.inputs).flatMap((i) => i.imports.filter((x) => x.external).map((x) => x.path));
  return { inputs, external };
}

const engineCode = (inputs: string[]) => inputs.filter((p) => p.replace(/\\/g, '/').startsWith('src/engine/'));

test('nothing under common/ brings engine code (or Node, or vscode) at run time', async () => {
  const files = tsFiles(path.join(ROOT, 'common'));
  assert.ok(files.length >= 2, 'common/ holds the shared modules');
  for (const f of files) {
    const rel = path.relative(ROOT, f);
    const { inputs, external } = await bundled(rel);
    assert.deepEqual(engineCode(inputs), [], `${rel} pulls engine code at run time`);
    assert.deepEqual(
      external.filter((x) => x === 'vscode' || x.startsWith('node:') || x === 'fs'),
      [],
      `${rel} needs Node or vscode`,
    );
  }
});

test('the webview bundles carry no engine code', async () => {
  const entries = fs
    .readdirSync(path.join(ROOT, 'webview'), { withFileTypes: true })
    .filter((e) => e.isDirectory() && fs.existsSync(path.join(ROOT, 'webview', e.name, 'main.ts')))
    .map((e) => path.join('webview', e.name, 'main.ts'));
  assert.ok(entries.length >= 3, 'inspector, side bar, model page');
  for (const entry of entries) {
    const { inputs } = await bundled(entry);
    assert.ok(inputs.length > 1, `${entry} bundles its modules`);
    assert.deepEqual(engineCode(inputs), [], `${entry} bundles engine code`);
  }
});
