// Model files the views show are read by the engine's worker, never on the extension host's main
// thread: a FIFO named x.safetensors or x.model.json is refused at once (naming the file and "a
// pipe") while the host's event loop keeps ticking, an oversize model JSON is refused by its size
// before it is read or parsed, and no host view or editor module reads or parses a file itself.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EngineHost } from '../../../src/engineHost';
import { ModelFormatError } from '../../../src/engine/format/errors';
import { MAX_FACTS_JSON_BYTES, readCappedFile } from '../../../src/engine/format/modelFileInfo';

const ROOT = path.join(__dirname, '..', '..', '..', '..');
const engine = new EngineHost({ workerScript: path.join(ROOT, 'dist', 'worker.js') });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'host-reads-'));
after(async () => {
  await engine.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** `p` settled within `ms` (a read that waits on a FIFO never settles). */
function within<T>(p: Promise<T>, ms = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** The engine's error for `file`, field "file", whose expectation matches. */
function isError(file: string, expected: RegExp) {
  return (e: unknown) => {
    const { name, file: f, field, message } = e as Error & { file?: string; field?: string };
    return name === 'ModelFormatError' && f === file && field === 'file' && expected.test(message);
  };
}

/** The longest gap between ticks of a 10 ms timer on this (the host's) thread while `work` runs. */
async function longestStall(work: () => Promise<void>): Promise<number> {
  let last = performance.now();
  let worst = 0;
  const tick = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  }, 10);
  try {
    await work();
  } finally {
    clearInterval(tick);
  }
  return Math.max(worst, performance.now() - last);
}

test('a FIFO named x.safetensors or x.model.json is refused by the worker at once; the host never waits', async () => {
  const st = path.join(dir, 'x.safetensors');
  const json = path.join(dir, 'x.model.json');
  execFileSync('mkfifo', [st, json]);
  // A model JSON whose sidecar is the FIFO: the sidecar's name comes back, its header is refused.
  const model = path.join(dir, 'm.model.json');
  fs.writeFileSync(model, JSON.stringify({ config: { heads: 2 }, weights: { safetensors: 'x.safetensors' } }));
  const stall = await longestStall(async () => {
    await assert.rejects(within(engine.header(st, 2)), isError(st, /a \.safetensors file, a regular file; found a pipe$/));
    await assert.rejects(within(engine.modelFile(json)), isError(json, /a model JSON file, a regular file; found a pipe$/));
    const facts = await within(engine.modelFile(model));
    assert.deepEqual(facts, { safetensors: path.join(fs.realpathSync(dir), 'x.safetensors'), heads: 2 });
    await assert.rejects(within(engine.header(facts.safetensors!, 2)), isError(facts.safetensors!, /found a pipe$/));
  });
  // The worker's start-up is in here too; a synchronous read of a FIFO would stall forever.
  assert.ok(stall < 1000, `the host's event loop stalled ${stall.toFixed(0)} ms`);
});

test('an oversize model JSON is refused by its size before it is read or parsed; a directory names what it is', async () => {
  const big = path.join(dir, 'big.model.json');
  fs.writeFileSync(big, '{');
  fs.truncateSync(big, MAX_FACTS_JSON_BYTES + 1); // sparse, and not JSON: refused before any parse
  const expected = new RegExp(`a model JSON file of at most ${MAX_FACTS_JSON_BYTES} bytes; the file has ${MAX_FACTS_JSON_BYTES + 1}$`);
  await assert.rejects(within(engine.modelFile(big)), isError(big, expected));
  assert.throws(
    () => readCappedFile(big, 10, 'a tokenizer'),
    (e: unknown) => e instanceof ModelFormatError && /^a tokenizer of at most 10 bytes/.test(e.expected),
  );
  const sub = path.join(dir, 'd.safetensors');
  fs.mkdirSync(sub);
  await assert.rejects(within(engine.header(sub)), isError(sub, /found a directory$/));
  const missing = path.join(dir, 'none.model.json');
  await assert.rejects(within(engine.modelFile(missing)), isError(missing, /a readable file \(ENOENT\)$/));
  const bad = path.join(dir, 'bad.model.json');
  fs.writeFileSync(bad, '{ "a": ');
  await assert.rejects(within(engine.modelFile(bad)), (e: unknown) => /^line 1, column \d+$/.test(String((e as { field?: string }).field)));
});

test('no host view or editor reads or parses a model file itself (the worker does)', () => {
  const files = ['sidebar', 'editors'].flatMap((d) => fs.readdirSync(path.join(ROOT, 'src', d)).map((f) => path.join(ROOT, 'src', d, f)));
  const reads = /JSON\.parse\(|readFile|\.open\(|openSync|readSync|createReadStream|\.read\(/;
  const offenders = files.filter((f) => reads.test(fs.readFileSync(f, 'utf8'))).map((f) => path.relative(ROOT, f));
  assert.deepEqual(offenders, []);
});
