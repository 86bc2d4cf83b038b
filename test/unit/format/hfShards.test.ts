// Sharded Hugging Face checkpoints (model.safetensors.index.json): a committed single-file fixture is
// split into shards at test time, byte for byte (each tensor's dtype and bytes unchanged), and must
// run to the very same numbers; malformed indexes are errors naming the index, the field and the limit.
// Also the Hugging Face cache layout, whose snapshot files are symlinks into the repository's blobs.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadModel, runModel } from '../../../src/engine/run';
import { resultToJson } from '../../../src/engine/resultJson';
import { ModelFormatError } from '../../../src/engine/format/errors';
import type { LoadLimits } from '../../../src/engine/format/weightsMemory';

const LLAMA = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'hf-families', 'llama');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-shards-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

type Entry = { dtype: string; shape: number[]; data_offsets: [number, number] };

/** The safetensors header and each tensor's raw bytes (independent of the engine's reader). */
function rawTensors(file: string): [string, { dtype: string; shape: number[]; bytes: Buffer }][] {
  const b = fs.readFileSync(file);
  const n = Number(b.readBigUInt64LE(0));
  const header = JSON.parse(b.subarray(8, 8 + n).toString('utf8')) as Record<string, Entry>;
  return Object.entries(header)
    .filter(([k]) => k !== '__metadata__')
    .map(([k, e]) => [k, { dtype: e.dtype, shape: e.shape, bytes: b.subarray(8 + n + e.data_offsets[0], 8 + n + e.data_offsets[1]) }]);
}

function writeRaw(file: string, tensors: [string, { dtype: string; shape: number[]; bytes: Buffer }][]): void {
  const header: Record<string, Entry> = {};
  let at = 0;
  for (const [k, t] of tensors) {
    header[k] = { dtype: t.dtype, shape: t.shape, data_offsets: [at, at + t.bytes.length] };
    at += t.bytes.length;
  }
  let text = JSON.stringify(header);
  text += ' '.repeat((8 - (text.length % 8)) % 8); // the format pads the header to 8 bytes with spaces
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(text)));
  fs.writeFileSync(file, Buffer.concat([len, Buffer.from(text), ...tensors.map(([, t]) => t.bytes)]));
}

let n = 0;
/** The llama fixture split into `shards` files + index; `edit` may change the weight_map before it is written. */
function sharded(shards: number, edit?: (map: Record<string, string>) => void): string {
  const dir = path.join(tmp, `s${n++}`);
  fs.mkdirSync(dir);
  for (const f of ['config.json', 'generation_config.json']) fs.copyFileSync(path.join(LLAMA, f), path.join(dir, f));
  const all = rawTensors(path.join(LLAMA, 'model.safetensors'));
  const map: Record<string, string> = {};
  const per = Math.ceil(all.length / shards);
  for (let i = 0; i < shards; i++) {
    const name = `model-${String(i + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
    const part = all.slice(i * per, (i + 1) * per);
    writeRaw(path.join(dir, name), part);
    for (const [k] of part) map[k] = name;
  }
  edit?.(map);
  fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: 0 }, weight_map: map }));
  return dir;
}

const IDS = (JSON.parse(fs.readFileSync(path.join(LLAMA, 'expected.json'), 'utf8')) as { input_ids: number[] }).input_ids;
/** The run's JSON without its "model" (file and folder name differ; every number must not). */
function run(dir: string, limits?: LoadLimits): unknown {
  const { model, ...rest } = resultToJson(runModel(loadModel(dir, limits), { ids: IDS })) as { model: unknown };
  assert.ok(model);
  return rest;
}

function rejects(dir: string, file: RegExp, field: RegExp, expected: RegExp, limits?: LoadLimits): void {
  assert.throws(
    () => loadModel(dir, limits),
    (e: unknown) => {
      assert.ok(e instanceof ModelFormatError, `not a ModelFormatError: ${String(e)}`);
      assert.match(e.file, file);
      assert.match(e.field, field);
      assert.match(e.expected, expected);
      return true;
    },
  );
}

test('a llama checkpoint split into 2 and 3 shards runs to exactly the single-file numbers', () => {
  const single = run(LLAMA);
  for (const k of [2, 3]) {
    const dir = sharded(k);
    assert.ok(!fs.existsSync(path.join(dir, 'model.safetensors')));
    assert.equal(fs.readdirSync(dir).filter((f) => f.endsWith('.safetensors')).length, k);
    assert.deepEqual(run(dir), single);
  }
});

test('shard count and total size over the cap are refused before reading, naming the index and the limit', () => {
  const dir = sharded(3);
  rejects(dir, /model\.safetensors\.index\.json$/, /^weight_map$/, /at most 2 shard files; it lists 3/, { maxShards: 2 });
  const size = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.safetensors'))
    .reduce((s, f) => s + fs.statSync(path.join(dir, f)).size, 0);
  rejects(
    dir,
    /index\.json$/,
    /^weight_map$/,
    new RegExp(`at most 1,000 bytes together; the 3 listed take ${size.toLocaleString('en-US')}`),
    {
      maxShardBytes: 1000,
    },
  );
  assert.doesNotThrow(() => loadModel(dir, { maxShards: 3, maxShardBytes: size }));
});

test('malformed indexes: paths, symlinks out of the folder, missing, misplaced and doubled tensors', () => {
  const first = 'model-00001-of-00002.safetensors';
  const second = 'model-00002-of-00002.safetensors';
  rejects(
    sharded(2, (m) => (m['model.norm.weight'] = '../x.safetensors')),
    /index\.json$/,
    /weight_map\["model\.norm\.weight"\]/,
    /file name/,
  );
  rejects(
    sharded(2, (m) => (m['model.norm.weight'] = 'gone.safetensors')),
    /index\.json$/,
    /^weight_map$/,
    /gone\.safetensors is missing/,
  );
  // A tensor the index lists that its shard does not hold: the index entry and the shard are named.
  rejects(
    sharded(2, (m) => (m['model.extra.weight'] = second)),
    /index\.json$/,
    /"model\.extra\.weight"/,
    new RegExp(`${second} has no such`),
  );
  // A tensor in the first shard that the index assigns to the second.
  let name = '';
  rejects(
    sharded(2, (m) => {
      name = Object.keys(m).find((k) => m[k] === first)!;
      m[name] = second;
    }),
    new RegExp(`${first}$`),
    /./,
    new RegExp(`assigns to ${first}; it assigns this one to ${second}`),
  );
  // The same tensor stored in two shards.
  const dir = sharded(2);
  const a = rawTensors(path.join(dir, first));
  writeRaw(path.join(dir, second), [...rawTensors(path.join(dir, second)), a[0]]);
  rejects(dir, /\.safetensors$/, new RegExp(a[0][0].replace(/\./g, '\\.')), new RegExp(`also in .*${first}`));
  // A shard that is a symlink to a file outside the model's folder.
  const out = sharded(2);
  fs.renameSync(path.join(out, second), path.join(tmp, 'elsewhere.safetensors'));
  fs.symlinkSync(path.join(tmp, 'elsewhere.safetensors'), path.join(out, second));
  rejects(out, /index\.json$/, /weight_map \(shard/, /leads outside/);
  rejects(
    sharded(2, (m) => Object.keys(m).forEach((k) => delete m[k])),
    /index\.json$/,
    /^weight_map$/,
    /at least one tensor/,
  );
});

/** models--org--name/{blobs/<hash>, snapshots/<rev>/<file> → ../../blobs/<hash>} as huggingface_hub lays it out. */
function hfCacheRepo(src: string, cache: string): string {
  const repo = path.join(cache, 'models--org--tiny-llama');
  const snap = path.join(repo, 'snapshots', 'abc123');
  fs.mkdirSync(path.join(repo, 'blobs'), { recursive: true });
  fs.mkdirSync(snap, { recursive: true });
  fs.readdirSync(src).forEach((f, i) => {
    fs.copyFileSync(path.join(src, f), path.join(repo, 'blobs', `blob${i}`));
    fs.symlinkSync(`../../blobs/blob${i}`, path.join(snap, f));
  });
  return snap;
}

test('a Hugging Face cache snapshot whose shards are symlinks into its blobs runs; a link out of the cache does not', () => {
  const snap = hfCacheRepo(sharded(2), path.join(tmp, 'cache'));
  assert.deepEqual(run(snap), run(LLAMA));
  // The same symlink pointing at a file outside this repository's blobs is refused.
  const shard = path.join(snap, 'model-00002-of-00002.safetensors');
  fs.copyFileSync(shard, path.join(tmp, 'outside.safetensors'));
  fs.rmSync(shard);
  fs.symlinkSync(path.join(tmp, 'outside.safetensors'), shard);
  rejects(snap, /index\.json$/, /weight_map \(shard/, /leads outside/);
});
