// The README's "How it is built" map must name paths that exist: a folder moved or renamed without
// the map following is a test failure, not a newcomer's wasted afternoon.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';

const ROOT = path.join(__dirname, '..', '..', '..');

/** The code block under "## How it is built". */
export function layoutBlock(readme: string): string {
  const section = /^## How it is built\n+```\n([\s\S]*?)\n```/m.exec(readme);
  if (!section) throw new Error('README.md has no "## How it is built" section with a code block');
  return section[1];
}

/** A word that names a file or folder: has a slash, or a source/doc extension. */
const PATH = /[A-Za-z_.][\w.-]*(?:\/[\w.-]*)*(?:\/|\.(?:ts|md|c|h|json|mjs))(?=[\s,;:).]|$)/g;

/**
 * Each path with the folders it may be relative to: the repository, the folder of the line's
 * first-column entry and, for indented entries, that entry's parent (an indented entry lives inside
 * the last unindented one; a continuation line keeps the entry above it).
 */
export function namedPaths(block: string): { name: string; line: number; bases: string[] }[] {
  const out: { name: string; line: number; bases: string[] }[] = [];
  let top = '';
  let entry = '';
  block.split('\n').forEach((text, i) => {
    const head = /^(\s*)(\S+\/)(?=\s)/.exec(text);
    if (head && head[1].length === 0) top = entry = head[2];
    else if (head && head[1].length <= 4) entry = top + head[2];
    for (const m of text.matchAll(PATH)) out.push({ name: m[0], line: i + 1, bases: ['', top, entry] });
  });
  return out;
}

test('every path the README\'s "How it is built" names exists', () => {
  const paths = namedPaths(layoutBlock(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')));
  assert.ok(paths.length > 20, `found only ${paths.length} paths; the section's format changed`);
  const missing = paths.filter((p) => !p.bases.some((b) => fs.existsSync(path.join(ROOT, b, p.name))));
  assert.deepEqual(
    missing.map((p) => `line ${p.line}: ${p.name}`),
    [],
    'README.md "How it is built" names paths that do not exist',
  );
});

test('the path check sees a path that does not exist', () => {
  const block = 'src/engine/          engine\n  kernels/           reference.ts, nowhere.ts, wasm/\nsrc/gone/   x';
  const paths = namedPaths(block);
  assert.deepEqual(
    paths.map((p) => p.name),
    ['src/engine/', 'kernels/', 'reference.ts', 'nowhere.ts', 'wasm/', 'src/gone/'],
  );
  const missing = paths.filter((p) => !p.bases.some((b) => fs.existsSync(path.join(ROOT, b, p.name))));
  assert.deepEqual(
    missing.map((p) => p.name),
    ['nowhere.ts', 'src/gone/'],
  );
});
