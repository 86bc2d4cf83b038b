// Sharded Hugging Face checkpoints: model.safetensors.index.json maps every tensor name to the shard
// file holding it. The index is untrusted: it may list thousands of shards, shards whose sizes add up
// to more than any machine holds, names with paths or symlinks leading out of the folder, or disagree
// with what the shards contain. All of that is a ModelFormatError naming the index and the field,
// raised before any shard is read where it can be.
import * as fs from 'fs';
import * as path from 'path';
import { ModelFormatError, showValue } from './errors';
import { readRegularFile, resolveInModelFolder, statRegularFile } from './files';
import type { HfWeights } from './hf';
import { readJsonObject } from './modelJson';
import { parseSafetensors } from './safetensors';
import { checkWeightsMemory, type LoadLimits } from './weightsMemory';

/** Most shards one index may list (the largest public checkpoints have ~200). */
export const MAX_SHARDS = 512;
/** Most bytes all shards together may take on disk, checked from their sizes before reading any. */
export const MAX_SHARD_BYTES = 64 * 1024 ** 3;

const num = (x: number) => x.toLocaleString('en-US');

/** Every tensor of every shard the index lists, each checked to be in the shard the index names. */
export function readShards(index: string, limits: LoadLimits | undefined): HfWeights {
  const maxShards = limits?.maxShards ?? MAX_SHARDS;
  const maxBytes = limits?.maxShardBytes ?? MAX_SHARD_BYTES;
  const map = readJsonObject(index).weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map) || Object.keys(map).length === 0)
    throw new ModelFormatError(
      index,
      'weight_map',
      `an object {tensor name: shard file} listing at least one tensor; found ${showValue(map)}`,
    );
  const shardOf = new Map<string, string>(); // tensor name → shard file name, as the index says
  for (const [name, f] of Object.entries(map)) {
    // Shards sit beside the index: a name with a path in it could point anywhere on the disk.
    if (typeof f !== 'string' || f === '' || f === '.' || f === '..' || /[\\/]/.test(f))
      throw new ModelFormatError(
        index,
        `weight_map[${JSON.stringify(name)}]`,
        `the file name of a shard in this folder; found ${showValue(f)}`,
      );
    shardOf.set(name, f);
  }
  const names = [...new Set(shardOf.values())];
  if (names.length > maxShards)
    throw new ModelFormatError(index, 'weight_map', `at most ${num(maxShards)} shard files; it lists ${num(names.length)}`);
  // A shard that is a symlink must still resolve inside the folder (or, in the Hugging Face cache, its blobs).
  const files = new Map(names.map((n) => [n, resolveInModelFolder(index, `weight_map (shard ${n})`, n)]));
  let bytes = 0;
  for (const [n, f] of files) {
    if (!fs.existsSync(f)) throw new ModelFormatError(index, 'weight_map', `shard files that exist; ${n} is missing`);
    bytes += statRegularFile(f).size;
  }
  if (bytes > maxBytes)
    throw new ModelFormatError(
      index,
      'weight_map',
      `shards of at most ${num(maxBytes)} bytes together; the ${num(names.length)} listed take ${num(bytes)}`,
    );
  checkWeightsMemory(index, [...files.values()], limits);
  const w: HfWeights = { tensors: new Map(), fileOf: new Map() };
  for (const [n, f] of files) {
    for (const [name, t] of parseSafetensors(f, readRegularFile(f))) {
      const other = w.fileOf.get(name);
      if (other !== undefined) throw new ModelFormatError(f, name, `a tensor stored once; it is also in ${other}`);
      const listed = shardOf.get(name);
      if (listed !== n)
        throw new ModelFormatError(
          f,
          name,
          listed === undefined
            ? `only tensors ${path.basename(index)} lists; this one is not in its weight_map`
            : `only the tensors ${path.basename(index)} assigns to ${n}; it assigns this one to ${listed}`,
        );
      w.tensors.set(name, t);
      w.fileOf.set(name, f);
    }
  }
  for (const [name, n] of shardOf)
    if (!w.tensors.has(name))
      throw new ModelFormatError(
        index,
        `weight_map[${JSON.stringify(name)}]`,
        `a tensor that ${n} holds; ${files.get(n)} has no such tensor`,
      );
  return w;
}
