// The local Hugging Face cache as a source of models for the Models tree: huggingface_hub keeps each
// repository as models--org--name/snapshots/<revision>/ whose files are symlinks into
// models--org--name/blobs/. Only listed, never downloaded. The cache is outside the workspace, so
// the walk is async, capped, and follows no symlink except a snapshot file's link into its own
// repository's blobs (the engine's containment check, files.ts, accepts exactly that too).
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { hfCacheBlobs, isInside } from '../engine/format/files';

/** Most snapshots listed, and most directory entries looked at, in one walk of the cache. */
export const MAX_CACHE_MODELS = 100;
export const MAX_CACHE_ENTRIES = 2000;

export interface CachedModel {
  /** The snapshot folder, opened as a Hugging Face folder. */
  dir: string;
  /** "org/name" (or "name" for repositories without an organisation). */
  repo: string;
  revision: string;
  /** How many snapshots of this repository are listed (the tree shows the revision when > 1). */
  revisions: number;
}

/** HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub — as huggingface_hub resolves it. */
export function hfCacheDir(env: NodeJS.ProcessEnv = process.env, home = os.homedir()): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  if (env.HF_HOME) return path.join(env.HF_HOME, 'hub');
  return path.join(home, '.cache', 'huggingface', 'hub');
}

/** What the Models tree lists: the cache hfCacheDir(env) names, unless the setting (listHuggingFaceCache) is false. */
export async function cachedModels(setting: unknown, env: NodeJS.ProcessEnv = process.env): Promise<CachedModel[]> {
  return setting === false ? [] : listHfCache(hfCacheDir(env)).catch(() => []);
}

/** The cache's model snapshots that hold config.json and weights; [] when the cache does not exist. */
export async function listHfCache(cache = hfCacheDir(), max = MAX_CACHE_MODELS): Promise<CachedModel[]> {
  const out: CachedModel[] = [];
  let budget = MAX_CACHE_ENTRIES;
  const dirs = async (dir: string): Promise<string[]> => {
    // Real directories only: a symlinked repository or revision could lead anywhere on the disk.
    const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
    const names = entries.slice(0, Math.max(0, budget)).filter((e) => e.isDirectory() && !e.isSymbolicLink());
    budget -= entries.length;
    return names.map((e) => e.name).sort();
  };
  for (const repoDir of (await dirs(cache)).filter((n) => n.startsWith('models--'))) {
    const repo = repoDir.slice('models--'.length).replace('--', '/');
    const found: string[] = [];
    for (const rev of await dirs(path.join(cache, repoDir, 'snapshots'))) {
      if (out.length + found.length >= max) break;
      if (await isModelSnapshot(path.join(cache, repoDir, 'snapshots', rev))) found.push(rev);
    }
    out.push(
      ...found.map((revision) => ({ dir: path.join(cache, repoDir, 'snapshots', revision), repo, revision, revisions: found.length })),
    );
    if (out.length >= max || budget <= 0) break;
  }
  return out;
}

/** config.json and model.safetensors (or its index), each inside the snapshot or its repository's blobs. */
async function isModelSnapshot(snap: string): Promise<boolean> {
  let real: string;
  try {
    real = await fs.realpath(snap);
  } catch {
    return false;
  }
  const blobs = hfCacheBlobs(real);
  const ok = async (f: string) => {
    try {
      const p = await fs.realpath(path.join(snap, f));
      return (isInside(real, p) || (blobs !== undefined && isInside(blobs, p))) && (await fs.stat(p)).isFile();
    } catch {
      return false;
    }
  };
  return (await ok('config.json')) && ((await ok('model.safetensors')) || (await ok('model.safetensors.index.json')));
}
