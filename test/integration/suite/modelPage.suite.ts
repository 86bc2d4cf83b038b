// The model page (custom editor) on the malformed-model corpus: for every bad file, the page shows
// exactly the field and the expectation the corpus lists for it (test/fixtures/malformed/cases.json),
// and a Hugging Face folder's config.json opens in the page on request ("Open With…").
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { AttentionInspectorApi } from '../../../src/extension';
import type { ModelPageError, ModelPageModel } from '../../../common/modelPage';
import { api, EXTENSION_ID, resetState, waitFor } from './helpers';

interface Case {
  file: string;
  field: string;
  error: string;
}

suite('Model page', () => {
  let a: AttentionInspectorApi;
  let fixtures: string;

  suiteSetup(async () => {
    a = await api();
    fixtures = path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'test', 'fixtures');
  });
  setup(() => resetState(a));

  async function openPage(file: string, viewType: string) {
    const uri = vscode.Uri.file(file);
    await vscode.commands.executeCommand('vscode.openWith', uri, viewType);
    return waitFor(`the page of ${path.basename(file)}`, () => a.editor.pages.get(uri.toString())?.last);
  }

  test('every malformed model JSON of the corpus: the page names its field and what was expected', async function () {
    this.timeout(120_000);
    const cases = (JSON.parse(fs.readFileSync(path.join(fixtures, 'malformed', 'cases.json'), 'utf8')) as Case[]).filter((c) =>
      c.file.endsWith('.model.json'),
    );
    assert.ok(cases.length > 10);
    const wrong: string[] = [];
    for (const c of cases) {
      const page = (await openPage(path.join(fixtures, 'malformed', c.file), 'attentionInspector.modelFile')) as ModelPageError;
      // The file named is the model JSON or, for a bad sidecar, the sidecar path it gives.
      const stem = c.file.replace(/\.model\.json$/, '');
      const named = path.relative(path.join(fixtures, 'malformed'), page.file);
      if (
        page.type !== 'loadError' ||
        page.field !== c.field ||
        !page.expected.includes(c.error) ||
        ![c.file, `${stem}.safetensors`, ''].includes(named)
      ) {
        wrong.push(`${c.file}: got ${JSON.stringify(page)}`);
      }
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    }
    assert.deepStrictEqual(wrong, []);
    assert.strictEqual(a.runner.lastResult, undefined, 'nothing ran');
  });

  test('a Hugging Face folder: config.json opens in the page with "Open With…", missing weights are named', async () => {
    const gpt2 = (await openPage(path.join(fixtures, 'hf', 'gpt2', 'config.json'), 'attentionInspector.hfConfig')) as ModelPageModel;
    assert.strictEqual(gpt2.type, 'model');
    assert.match(gpt2.architecture, /gpt2|transformer/);
    assert.ok(gpt2.safetensors?.endsWith('model.safetensors'));
    // A modern decoder folder (llama: GQA, RoPE) opens in the page and runs in the engine worker, per query head.
    const llamaDir = path.join(fixtures, 'hf-families', 'llama');
    const llama = (await openPage(path.join(llamaDir, 'config.json'), 'attentionInspector.hfConfig')) as ModelPageModel;
    assert.deepStrictEqual([llama.type, llama.architecture, llama.details.kv_heads], ['model', 'hf-decoder', 2]);
    const run = await a.engine.run(llamaDir, { ids: [13, 59, 42, 17] });
    assert.deepStrictEqual(
      run.attentions.map((x) => [x.part, x.layer, x.heads, x.keys]),
      [
        ['decoder', 0, 4, 4],
        ['decoder', 1, 4, 4],
      ],
    );
    const bad = (await openPage(
      path.join(fixtures, 'malformed', 'hf-no-weights', 'config.json'),
      'attentionInspector.hfConfig',
    )) as ModelPageError;
    assert.deepStrictEqual([bad.type, bad.field], ['loadError', 'model.safetensors']);
    assert.match(bad.expected, /model\.safetensors file beside config\.json/);
  });

  test('an ordinary config.json keeps the JSON editor (the page is only an option for it)', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const editors = ext.packageJSON.contributes.customEditors as {
      viewType: string;
      priority: string;
      selector: { filenamePattern: string }[];
    }[];
    const hf = editors.find((e) => e.viewType === 'attentionInspector.hfConfig')!;
    assert.deepStrictEqual([hf.priority, hf.selector[0].filenamePattern], ['option', 'config.json']);
    const json = editors.find((e) => e.viewType === 'attentionInspector.modelFile')!;
    assert.deepStrictEqual([json.priority, json.selector[0].filenamePattern], ['default', '*.model.json']);
  });
});
