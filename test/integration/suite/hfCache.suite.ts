// The Models tree lists the local Hugging Face cache (a fake one, laid out as huggingface_hub lays it
// out: snapshot files are symlinks into the repository's blobs) and opening the entry runs the model.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { AttentionInspectorApi } from '../../../src/extension';
import type { ModelNode } from '../../../src/sidebar/modelTree';
import { EXTENSION_ID, api, resetState, scripted } from './helpers';

suite('Hugging Face cache in the Models tree', () => {
  let a: AttentionInspectorApi;
  let cache: string;
  const before = process.env.HF_HUB_CACHE;

  suiteSetup(async () => {
    a = await api();
    const llama = path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'test', 'fixtures', 'hf-families', 'llama');
    cache = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-hub-'));
    const repo = path.join(cache, 'models--org--tiny-llama');
    const snap = path.join(repo, 'snapshots', '0123456789abcdef');
    fs.mkdirSync(path.join(repo, 'blobs'), { recursive: true });
    fs.mkdirSync(snap, { recursive: true });
    for (const f of ['config.json', 'model.safetensors']) {
      fs.copyFileSync(path.join(llama, f), path.join(repo, 'blobs', `hash-${f}`));
      fs.symlinkSync(`../../blobs/hash-${f}`, path.join(snap, f));
    }
    process.env.HF_HUB_CACHE = cache; // the extension host is this process: the listing reads it per walk
  });
  setup(() => resetState(a));
  teardown(() => a.setPrompter(undefined));
  suiteTeardown(async () => {
    if (before === undefined) delete process.env.HF_HUB_CACHE;
    else process.env.HF_HUB_CACHE = before;
    await vscode.workspace
      .getConfiguration('attentionInspector')
      .update('listHuggingFaceCache', undefined, vscode.ConfigurationTarget.Global);
    fs.rmSync(cache, { recursive: true, force: true });
  });

  const cachedRoot = async (): Promise<ModelNode | undefined> =>
    (await a.tree.getChildren()).find((n) => n.kind === 'model' && n.cached?.repo === 'org/tiny-llama');

  test('the tree shows the cached model as org/name, and opening it runs', async () => {
    const node = await cachedRoot();
    assert.ok(node && node.kind === 'model' && node.summary, `cached model listed and read (${node?.kind === 'model' ? node.error : ''})`);
    const item = a.tree.getTreeItem(node);
    assert.strictEqual(item.label, 'org/tiny-llama');
    assert.match(String(item.description), /^HF cache · hf-decoder/);
    a.setPrompter(scripted({ type: 'ids: 1, 2, 3' }));
    await vscode.commands.executeCommand(item.command!.command, ...(item.command!.arguments ?? []));
    const r = a.runner.lastResult;
    assert.ok(r && a.inspector(), 'a run shown in the panel');
    assert.deepStrictEqual(r.ids.source, [1, 2, 3]);
    assert.ok(r.attentions.length > 0);
  });

  test('with attentionInspector.listHuggingFaceCache off the cache is not listed', async () => {
    const config = vscode.workspace.getConfiguration('attentionInspector');
    await config.update('listHuggingFaceCache', false, vscode.ConfigurationTarget.Global);
    assert.strictEqual(await cachedRoot(), undefined);
    await config.update('listHuggingFaceCache', undefined, vscode.ConfigurationTarget.Global);
    assert.ok(await cachedRoot());
  });
});
