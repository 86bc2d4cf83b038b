// `npm run package`: the production build, then the two .vsix files VS Code's convention for native
// code asks for (https://code.visualstudio.com/api/working-with-extensions/publishing-extension#platformspecific-extensions):
//   dist-vsix/attention-inspector-linux-x64.vsix   --target linux-x64, carries dist/native/ (AVX-512 / AVX2 kernels)
//   dist-vsix/attention-inspector-universal.vsix   no target, no native module: the engine runs its WASM kernels
// The universal package uses .vscodeignore without its `!dist/native/**` line (a generated ignore
// file), so both packages come from one list of what ships.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const outDir = path.join(root, 'dist-vsix');
const NATIVE_LINE = '!dist/native/**';

const PACKAGES = {
  'linux-x64': path.join(outDir, 'attention-inspector-linux-x64.vsix'),
  universal: path.join(outDir, 'attention-inspector-universal.vsix'),
};

function vsce(args) {
  const bin = path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
  const common = ['package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links'];
  execFileSync(process.execPath, [bin, ...common, ...args], { cwd: root, stdio: 'inherit' });
}

function main() {
  execFileSync(process.execPath, [path.join(root, 'esbuild.js'), '--production'], { cwd: root, stdio: 'inherit' });
  fs.mkdirSync(outDir, { recursive: true });
  const ignore = fs.readFileSync(path.join(root, '.vscodeignore'), 'utf8');
  if (!ignore.split('\n').includes(NATIVE_LINE)) throw new Error(`.vscodeignore: expected a line "${NATIVE_LINE}"`);

  const native = path.join(root, 'dist', 'native', 'attention-kernels.node');
  if (fs.existsSync(native)) vsce(['--target', 'linux-x64', '--out', PACKAGES['linux-x64']]);
  else console.log(`no ${path.relative(root, native)} (it builds on x86-64 Linux with a C compiler): linux-x64 package skipped`);

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-vscodeignore-'));
  try {
    const universalIgnore = path.join(tmp, '.vscodeignore');
    fs.writeFileSync(
      universalIgnore,
      ignore
        .split('\n')
        .filter((l) => l !== NATIVE_LINE)
        .join('\n'),
    );
    vsce(['--ignoreFile', universalIgnore, '--out', PACKAGES.universal]);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
