// The CLI as a person runs it: a subprocess, its stdout JSON, its exit code and its one-line errors.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..', '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const FIX = path.join(ROOT, 'test', 'fixtures');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-cli-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('run prints {model, tokens, attentions} with [layer][head][query][key] probabilities', () => {
  const exp = JSON.parse(fs.readFileSync(path.join(FIX, 'expected', 'marian.json'), 'utf8'));
  const r = cli('run', path.join(FIX, 'hf', 'marian'), '--ids', exp.ids.join(','), '--target-ids', exp.target_ids.join(','));
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.deepEqual(Object.keys(j.attentions).sort(), ['cross', 'decoder', 'encoder']);
  assert.equal(j.attentions.cross[0][0].length, exp.target_ids.length); // queries = target
  assert.equal(j.attentions.cross[0][0][0].length, exp.ids.length); // keys = source
  assert.equal(j.tokens.source.length, exp.ids.length);
  assert.equal(typeof j.model.name, 'string');
});

test('run --out writes the same JSON to a file', () => {
  const out = path.join(tmp, 'r.json');
  const r = cli('run', path.join(FIX, 'hf', 'gpt2'), '--ids', '1,2,3', '--out', out);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(fs.readFileSync(out, 'utf8'));
  assert.equal(j.attentions.decoder[0][0][0][1], 0, 'GPT-2 is causal: token 0 cannot see token 1');
});

test('info names the architecture and counts parameters', () => {
  const r = cli('info', path.join(FIX, 'hf', 'bert'));
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /transformer, encoder/);
  assert.match(r.out, /parameters: [\d,]+/);
});

test('bad input exits non-zero with one line naming the file and the field', () => {
  const missing = cli('run', path.join(tmp, 'nope.model.json'), '--ids', '1');
  assert.notEqual(missing.code, 0);
  assert.match(missing.err, /nope\.model\.json/);
  const badId = cli('run', path.join(FIX, 'hf', 'bert'), '--ids', '1,99999');
  assert.equal(badId.code, 1);
  assert.match(badId.err.trim(), /^attention-inspector: ids\[1\]: token id 99999 is outside the vocabulary/);
  assert.equal(badId.err.trim().split('\n').length, 1);
  const usage = cli('run', path.join(FIX, 'hf', 'bert'), '--ids', '1,x');
  assert.equal(usage.code, 2);
  assert.match(usage.err, /--ids: item 1 \("x"\) is not a non-negative integer/);
});

test('convert writes the project format and the converted file gives the same attentions', () => {
  for (const name of ['bert', 'gpt2', 'marian']) {
    const out = path.join(tmp, `${name}.model.json`);
    const c = cli('convert', path.join(FIX, 'hf', name), '--out', out);
    assert.equal(c.code, 0, c.err);
    assert.ok(fs.existsSync(out));
    const args = ['--ids', '3,4,5,6', ...(name === 'marian' ? ['--target-ids', '1,7,8'] : [])];
    const a = JSON.parse(cli('run', path.join(FIX, 'hf', name), ...args).out);
    const b = JSON.parse(cli('run', out, ...args).out);
    assert.deepEqual(b.attentions, a.attentions, `${name}: converted file differs`);
  }
});

// ---- limits: the extension's defaults (maxSequenceLength 1024, maxRunMemoryMB 2048) apply here too
import { writeRandomTransformer } from '../../helpers/randomModel';

const longModel = writeRandomTransformer(path.join(tmp, 'long'), {
  kind: 'encoder',
  dModel: 8,
  heads: 2,
  layers: 1,
  vocab: 16,
  maxPositions: 4096,
});
const idsOf = (n: number) => Array.from({ length: n }, (_, i) => i % 16).join(',');

test('run refuses more than 1024 tokens by default (exit 1, naming the limit and its flag); --max-tokens raises it', () => {
  const r = cli('run', longModel, '--ids', idsOf(1025));
  assert.equal(r.code, 1, r.err);
  assert.match(r.err.trim(), /^attention-inspector: ids: 1025 tokens is over the limit of 1024 \(raise it with --max-tokens\)$/);
  const out = path.join(tmp, 'long.json');
  const ok = cli('run', longModel, '--ids', idsOf(1025), '--max-tokens', '2000', '--out', out);
  assert.equal(ok.code, 0, ok.err);
  assert.equal(JSON.parse(fs.readFileSync(out, 'utf8')).tokens.source.length, 1025);
});

test('run refuses a run estimated over 2048 MB by default (exit 1, naming the limit); --max-memory-mb changes it', () => {
  // 64 heads × 6 layers × [1000, 1000] probabilities and scores ≈ 3 GB, refused before compute.
  const wide = writeRandomTransformer(path.join(tmp, 'wide'), {
    kind: 'encoder',
    dModel: 64,
    heads: 64,
    layers: 6,
    vocab: 16,
    maxPositions: 1024,
  });
  const r = cli('run', wide, '--ids', idsOf(1000));
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, /this run needs ~[\d,]+ MB .*the limit is 2,048 MB \(raise it with --max-memory-mb\)/);
  const small = cli('run', longModel, '--ids', idsOf(500), '--max-memory-mb', '1');
  assert.equal(small.code, 1);
  assert.match(small.err, /the limit is 1 MB \(raise it with --max-memory-mb\): at most about \d+ source tokens fit/);
  const bad = cli('run', longModel, '--ids', '1', '--max-tokens', 'lots');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--max-tokens: expected a whole number ≥ 1, got "lots"/);
});

test('run --generate N continues a decoder greedily: transformers’ greedy ids, counted in "generated", attention over all', () => {
  const dir = path.join(FIX, 'hf-families', 'llama');
  const exp = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8'));
  const r = cli('run', dir, '--ids', exp.input_ids.join(','), '--generate', String(exp.greedy.length));
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.deepEqual(j.ids.source, [...exp.input_ids, ...exp.greedy]);
  assert.equal(j.generated, exp.greedy.length);
  const n = exp.input_ids.length + exp.greedy.length;
  assert.equal(j.attentions.decoder[0][0].length, n); // a row per prompt and generated token
  assert.equal(j.attentions.decoder[0][0][n - 1].length, n);
  const bad = cli('run', path.join(FIX, 'hf', 'bert'), '--ids', '1,2', '--generate', '2');
  assert.equal(bad.code, 1);
  assert.match(bad.err, /generate.*only decoder-only models/);
});
