// A view of an architecture is its file alone: the build hands every file of
// webview/inspector/archViews/ to the index (esbuild.js archViewsPlugin), each registering the kind
// it exports. Checked on the real folder and on a scratch folder with one new view file.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { APP_RENDERERS } from '../../../webview/inspector/archViews/index';

const ROOT = path.join(__dirname, '..', '..', '..', '..');
const DIR = path.join(ROOT, 'webview', 'inspector', 'archViews');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { archViewsPlugin } = require(path.join(ROOT, 'esbuild.js')) as { archViewsPlugin: (dir?: string) => esbuild.Plugin };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-arch-views-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The kinds 'arch-views:all' gives when the build reads `dir`. */
async function kindsIn(dir: string): Promise<string[]> {
  const r = await esbuild.build({
    stdin: { contents: "export { views } from 'arch-views:all';", resolveDir: dir, loader: 'ts' },
    bundle: true,
    write: false,
    format: 'cjs',
    platform: 'node',
    logLevel: 'silent',
    plugins: [archViewsPlugin(dir)],
  });
  const mod = { exports: {} as { views: { kind: string }[] } };
  new Function('module', 'exports', r.outputFiles[0].text)(mod, mod.exports);
  return mod.exports.views.map((v) => v.kind);
}

test("every file of webview/inspector/archViews/ registers its kind with the inspector's index", () => {
  const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && f !== 'index.ts' && f !== 'types.ts');
  assert.ok(files.length >= 8, `found ${files.length} view files`);
  // Each file is named after the kind it draws.
  assert.deepEqual(Object.keys(APP_RENDERERS).sort(), files.map((f) => f.replace(/\.ts$/, '')).sort());
  for (const r of Object.values(APP_RENDERERS)) assert.equal(typeof r.render, 'function');
});

test('a new view file is picked up with no line anywhere else; a file without `view` fails the build by name', async () => {
  const view = (kind: string) => `export const view = { kind: '${kind}', renderer: { render() {} } };\n`;
  fs.writeFileSync(path.join(tmp, 'index.ts'), 'not a view\n');
  fs.writeFileSync(path.join(tmp, 'types.ts'), 'export type NotAView = 1;\n');
  fs.writeFileSync(path.join(tmp, 'toy.ts'), view('toy-attention'));
  assert.deepEqual(await kindsIn(tmp), ['toy-attention']);
  fs.writeFileSync(path.join(tmp, 'another.ts'), view('another'));
  assert.deepEqual(await kindsIn(tmp), ['another', 'toy-attention']);
  fs.writeFileSync(path.join(tmp, 'broken.ts'), 'export const renderer = {};\n');
  await assert.rejects(kindsIn(tmp), /No matching export in "broken\.ts" for import "view"|broken\.ts/);
});
