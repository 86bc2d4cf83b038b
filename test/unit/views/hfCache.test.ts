// The Hugging Face cache listing of the Models tree (views/hfCache.ts) on a fake cache laid out as
// huggingface_hub lays it out: snapshot files are symlinks into the repository's blobs.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cachedModels, hfCacheDir, listHfCache } from '../../../src/sidebar/hfCache';
import { loadModel } from '../../../src/engine/run';

const LLAMA = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'hf-families', 'llama');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-hfcache-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** models--<id>/snapshots/<rev>/<file> → ../../blobs/<hash>, for `files` of the llama fixture. */
function addRepo(cache: string, id: string, rev: string, files = ['config.json', 'model.safetensors']): string {
  const repo = path.join(cache, `models--${id.replace('/', '--')}`);
  const snap = path.join(repo, 'snapshots', rev);
  fs.mkdirSync(path.join(repo, 'blobs'), { recursive: true });
  fs.mkdirSync(snap, { recursive: true });
  for (const f of files) {
    const blob = `${rev}-${f}`;
    fs.copyFileSync(path.join(LLAMA, f), path.join(repo, 'blobs', blob));
    fs.symlinkSync(`../../blobs/${blob}`, path.join(snap, f));
  }
  return snap;
}

test('the cache folder: HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub', () => {
  assert.equal(hfCacheDir({ HF_HUB_CACHE: '/a', HF_HOME: '/b' }, '/home/u'), '/a');
  assert.equal(hfCacheDir({ HF_HOME: '/b' }, '/home/u'), path.join('/b', 'hub'));
  assert.equal(hfCacheDir({}, '/home/u'), path.join('/home/u', '.cache', 'huggingface', 'hub'));
});

test('snapshots with config.json and weights are listed as org/name, with their revisions; others are not', async () => {
  const cache = path.join(tmp, 'c1');
  const tiny = addRepo(cache, 'org/tiny-llama', 'aaaa1111');
  addRepo(cache, 'other/two-revs', 'bbbb2222');
  addRepo(cache, 'other/two-revs', 'cccc3333');
  addRepo(cache, 'gpt2', 'dddd4444');
  addRepo(cache, 'org/no-config', 'eeee5555', ['model.safetensors']); // a folder without config.json
  addRepo(cache, 'org/no-weights', 'ffff6666', ['config.json']);
  fs.mkdirSync(path.join(cache, 'datasets--org--data', 'snapshots', 'x'), { recursive: true });
  const listed = await listHfCache(cache);
  assert.deepEqual(
    listed.map((m) => [m.repo, m.revision, m.revisions]),
    [
      ['gpt2', 'dddd4444', 1],
      ['org/tiny-llama', 'aaaa1111', 1],
      ['other/two-revs', 'bbbb2222', 2],
      ['other/two-revs', 'cccc3333', 2],
    ],
  );
  assert.equal(listed[1].dir, tiny);
  // What the tree opens is a real model: the engine's containment check accepts the links into blobs.
  assert.equal(loadModel(listed[1].dir).architecture, 'hf-decoder');
  assert.equal((await listHfCache(cache, 2)).length, 2, 'capped');
  assert.deepEqual(await listHfCache(path.join(tmp, 'no-such-cache')), []);
});

test('hostile symlinks out of the cache are refused: repository, revision and file links', async () => {
  const cache = path.join(tmp, 'c2');
  const outside = path.join(tmp, 'outside');
  fs.cpSync(LLAMA, path.join(outside, 'model'), { recursive: true });
  addRepo(cache, 'org/good', 'r1');
  // A repository folder that is a symlink to a model elsewhere.
  fs.mkdirSync(path.join(outside, 'repo', 'snapshots'), { recursive: true });
  fs.symlinkSync(path.join(outside, 'model'), path.join(outside, 'repo', 'snapshots', 'r'));
  fs.symlinkSync(path.join(outside, 'repo'), path.join(cache, 'models--evil--repo'));
  // A revision that is a symlink out of the cache.
  fs.mkdirSync(path.join(cache, 'models--evil--rev', 'snapshots'), { recursive: true });
  fs.symlinkSync(path.join(outside, 'model'), path.join(cache, 'models--evil--rev', 'snapshots', 'r'));
  // Files that are symlinks out of the cache (not into the repository's blobs).
  const snap = path.join(cache, 'models--evil--files', 'snapshots', 'r');
  fs.mkdirSync(snap, { recursive: true });
  fs.mkdirSync(path.join(cache, 'models--evil--files', 'blobs'));
  for (const f of ['config.json', 'model.safetensors']) fs.symlinkSync(path.join(outside, 'model', f), path.join(snap, f));
  assert.deepEqual(
    (await listHfCache(cache)).map((m) => m.repo),
    ['org/good'],
  );
  // And the engine refuses such a snapshot's shards too (hfShards.test.ts covers the index case).
});

test('the tree lists the cache HF_HUB_CACHE points at, and nothing when the setting is off', async () => {
  const cache = path.join(tmp, 'c3');
  addRepo(cache, 'org/tiny-llama', 'r1');
  const env = { HF_HUB_CACHE: cache };
  assert.deepEqual(
    (await cachedModels(undefined, env)).map((m) => m.repo),
    ['org/tiny-llama'],
    'default: listed',
  );
  assert.deepEqual(
    (await cachedModels(true, env)).map((m) => m.repo),
    ['org/tiny-llama'],
  );
  assert.deepEqual(await cachedModels(false, env), [], 'setting off');
  assert.deepEqual((await cachedModels(undefined, { HF_HOME: path.join(tmp, 'c3-home') })).length, 0);
});
