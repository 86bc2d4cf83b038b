// Loading refuses weights estimated over the memory limit *before* reading them (weightsMemory.ts).
// The big files here are sparse: their headers claim tens of MB of tensors, the disk holds none.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadModel } from '../../../src/engine/run';
import { ModelFormatError } from '../../../src/engine/format/errors';
import { safetensorsMemory } from '../../../src/engine/format/weightsMemory';
import { EngineHost } from '../../../src/engineHost';
import { writeRandomTransformer } from '../../helpers/randomModel';

const ROOT = path.join(__dirname, '..', '..', '..', '..');
const FIX = path.join(ROOT, 'test', 'fixtures');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-weights-'));
const hosts: EngineHost[] = [];
after(async () => {
  await Promise.all(hosts.map((h) => h.dispose()));
  fs.rmSync(tmp, { recursive: true, force: true });
});
const MB = 1024 * 1024;

/** A safetensors file whose one tensor has `count` values of `dtype`; the data section is a hole. */
function sparseSafetensors(file: string, dtype: 'F32' | 'F16', count: number, claimBytes?: number): string {
  const bytes = count * (dtype === 'F32' ? 4 : 2);
  const header = Buffer.from(
    JSON.stringify({ 'bert.embeddings.word_embeddings.weight': { dtype, shape: [count], data_offsets: [0, bytes] } }),
  );
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  fs.writeFileSync(file, Buffer.concat([len, header]));
  fs.truncateSync(file, 8 + header.length + (claimBytes ?? bytes));
  return file;
}

/** An HF folder (bert config) whose weights are `shards` sparse F32 shards of `mbEach` MB. */
function shardedFolder(name: string, shards: number, mbEach: number): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  fs.copyFileSync(path.join(FIX, 'hf', 'bert', 'config.json'), path.join(dir, 'config.json'));
  const weightMap: Record<string, string> = {};
  for (let i = 0; i < shards; i++) {
    const f = `model-0000${i + 1}-of-0000${shards}.safetensors`;
    sparseSafetensors(path.join(dir, f), 'F32', (mbEach * MB) / 4);
    weightMap[`t${i}`] = f;
  }
  fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: weightMap }));
  return dir;
}

const isWeightsError = (mb: RegExp) => (e: unknown) =>
  e instanceof ModelFormatError &&
  e.field === 'weights' &&
  mb.test(e.message) &&
  /setting attentionInspector\.maxRunMemoryMB/.test(e.message);

test('three 40 MB shards are refused over a 64 MB limit (maxRunMemoryMB 32), before any is read, naming the total', () => {
  const dir = shardedFolder('sharded', 3, 40);
  // F32 weights take their files' size (headers included): 3 × (40 MB + a header) → 121 MB.
  const total = Math.ceil(
    fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.safetensors'))
      .reduce((s, f) => s + fs.statSync(path.join(dir, f)).size, 0) / MB,
  );
  assert.equal(total, 121);
  assert.throws(
    () => loadModel(dir, { maxRunMemoryMB: 32 }),
    isWeightsError(
      /fit in 64 MB \(2 × 32 MB, setting attentionInspector\.maxRunMemoryMB\); .*describe ~121 MB as stored in 3 files, refused before reading/,
    ),
  );
  assert.match(String(catchMessage(() => loadModel(dir, { maxRunMemoryMB: 32 }))), /model\.safetensors\.index\.json: weights:/);
});

test('F16 weights count at their stored size (they are not widened to float32): a 30 MB file passes a 50 MB limit, not a 24 MB one', () => {
  const dir = path.join(tmp, 'half');
  fs.mkdirSync(dir);
  fs.copyFileSync(path.join(FIX, 'hf', 'bert', 'config.json'), path.join(dir, 'config.json'));
  const file = sparseSafetensors(path.join(dir, 'model.safetensors'), 'F16', (30 * MB) / 2);
  assert.equal(Math.round(safetensorsMemory(file) / MB), 30);
  assert.throws(() => loadModel(dir, { maxRunMemoryMB: 12 }), isWeightsError(/describe ~31 MB as stored in one file/));
  // At 25 MB (a 50 MB limit) the estimate lets it through: whatever else happens is not a weights error.
  assert.doesNotMatch(String(catchMessage(() => loadModel(dir, { maxRunMemoryMB: 25 }))), /weights:/);
});

test("a project model's safetensors sidecar is checked the same way", () => {
  const json = writeRandomTransformer(path.join(tmp, 'project'), { kind: 'encoder', dModel: 8, heads: 2, layers: 1 });
  const doc = JSON.parse(fs.readFileSync(json, 'utf8'));
  sparseSafetensors(path.join(tmp, 'project', 'big.safetensors'), 'F32', (80 * MB) / 4);
  fs.writeFileSync(json, JSON.stringify({ ...doc, weights: { safetensors: 'big.safetensors' } }));
  assert.throws(() => loadModel(json, { maxRunMemoryMB: 32 }), isWeightsError(/describe ~81 MB/));
});

test('a header claiming more than the file holds counts as the file size: the reader reports the bad offsets', () => {
  const file = sparseSafetensors(path.join(tmp, 'liar.safetensors'), 'F32', 1e12, 16);
  assert.equal(safetensorsMemory(file), fs.statSync(file).size);
});

test('weights under the limit load as before', () => {
  const m = loadModel(path.join(FIX, 'hf', 'bert'), { maxRunMemoryMB: 32 });
  assert.ok(m.weights.size > 0);
});

test('the engine worker applies maxRunMemoryMB to loading (info and run)', async () => {
  const dir = shardedFolder('sharded-host', 2, 48);
  const h = new EngineHost({ workerScript: path.join(ROOT, 'dist', 'worker.js'), maxRunMemoryMB: () => 32 });
  hosts.push(h);
  await assert.rejects(
    h.info(dir),
    (e: Error & { field?: string }) => e.field === 'weights' && /~97 MB as stored in 2 files/.test(e.message),
  );
  await assert.rejects(h.run(dir, { ids: [1, 2] }), (e: Error & { field?: string }) => e.field === 'weights');
});

function catchMessage(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  return undefined;
}
