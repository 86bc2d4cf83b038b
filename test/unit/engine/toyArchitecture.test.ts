// Adding an architecture is one engine file and one registry line (docs/adding-an-architecture.md):
// the toy of test/helpers/toyArchitecture.ts, registered by one line, is read, checked, estimated
// and run by the unchanged CLI, while the product's CLI, which lacks that line, refuses the file.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import '../../helpers/registerToy';
import { loadModel, runModel, summarize } from '../../../src/engine/run';
import { TOY_D, TOY_HEADS, TOY_TOKENS, toyReference, writeToyModel } from '../../helpers/toyModel';

const ROOT = path.join(__dirname, '..', '..', '..', '..');
const TOY_CLI = path.join(ROOT, 'out', 'test', 'helpers', 'toyCli.js');
const PRODUCT_CLI = path.join(ROOT, 'dist', 'cli.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-toy-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function cli(bundle: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [bundle, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const maxDiff = (a: number[][][], b: number[][][]) => Math.max(...a.flat(2).map((v, i) => Math.abs(v - b.flat(2)[i])));

test('the CLI with the toy registered runs it: probabilities equal the formula computed here', () => {
  const file = writeToyModel(tmp);
  const info = cli(TOY_CLI, 'info', file);
  assert.equal(info.code, 0, info.err);
  assert.match(info.out, /^toy \(toy-attention, toy attention\)/);
  assert.match(info.out, new RegExp(`parameters: ${TOY_TOKENS.length * TOY_D}\\b`));
  const r = cli(TOY_CLI, 'run', file, '--text', 'the cat sat on the mat');
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.deepEqual(j.tokens.source, ['the', 'cat', 'sat', 'on', 'the', 'mat']);
  const ids = [0, 1, 2, 3, 0, 4];
  const probs = j.attentions.encoder[0] as number[][][]; // [head][query][key]
  assert.equal(probs.length, TOY_HEADS);
  assert.ok(maxDiff(probs, toyReference(ids)) < 1e-6, `max |Δp| ${maxDiff(probs, toyReference(ids))}`);
  const causal = JSON.parse(cli(TOY_CLI, 'run', writeToyModel(tmp, { causal: true }, 'causal.model.json'), '--ids', ids.join(',')).out);
  assert.ok(maxDiff(causal.attentions.encoder[0], toyReference(ids, TOY_HEADS, true)) < 1e-6, 'causal');
});

test("the toy's own config schema, checks and memory estimate are applied", () => {
  const extra = cli(TOY_CLI, 'run', writeToyModel(tmp, { dropout: 0.1 }, 'extra.model.json'), '--ids', '1');
  assert.equal(extra.code, 1);
  assert.match(extra.err, /config\.dropout: no such field; known fields: vocab_size, d_model, heads, causal/);
  const heads = cli(TOY_CLI, 'run', writeToyModel(tmp, { heads: 3 }, 'heads.model.json'), '--ids', '1');
  assert.equal(heads.code, 1);
  assert.match(heads.err, /config\.heads: a divisor of config\.d_model 4/);
  const long = Array.from({ length: 600 }, (_, i) => i % TOY_TOKENS.length).join(',');
  const big = cli(TOY_CLI, 'run', writeToyModel(tmp), '--ids', long, '--max-memory-mb', '1');
  assert.equal(big.code, 1);
  assert.match(big.err, /this run needs ~\d+ MB .*limit is 1 MB.*at most about \d+ source tokens fit/);
});

test('without the registry line the same file is refused, naming the known architectures', () => {
  const r = cli(PRODUCT_CLI, 'info', writeToyModel(tmp));
  assert.equal(r.code, 1);
  assert.match(r.err, /architecture: one of "transformer", .*; found "toy-attention"/);
});

test('in process: the summary lists the parts from the descriptor, and they match the run', () => {
  const model = loadModel(writeToyModel(tmp));
  const s = summarize(model);
  assert.deepEqual(s.parts, [{ part: 'encoder', layers: 1, heads: TOY_HEADS }]);
  const result = runModel(model, { text: 'the mat' });
  assert.deepEqual(
    result.attentions.map((a) => [a.part, a.layer, a.heads]),
    [['encoder', 0, TOY_HEADS]],
  );
});

test('docs/adding-an-architecture.md shows this very toy file (only the import paths differ)', () => {
  const doc = fs.readFileSync(path.join(ROOT, 'docs', 'adding-an-architecture.md'), 'utf8');
  const block = /```ts\n\/\/ src\/engine\/architectures\/toyAttention\.ts\n([\s\S]*?)```/.exec(doc);
  assert.ok(block, 'the toy code block is in the guide');
  const body = (src: string) => src.slice(src.indexOf('/** The config')).replace(/declare module '[^']+'/, 'declare module');
  const file = fs.readFileSync(path.join(ROOT, 'test', 'helpers', 'toyArchitecture.ts'), 'utf8');
  assert.equal(body(block[1]), body(file));
});
