// The model-file editor, the inspector's serializer, the side panel's live Run view, the tree and
// file changes, each in a real extension host.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { AttentionInspectorApi } from '../../../src/extension';
import type { ModelPageModel, ModelPageError } from '../../../common/modelPage';
import { ModelCodeLensProvider } from '../../../src/editors/modelCodeLens';
import { api, exampleModel, resetState, scripted, waitFor } from './helpers';
import { W2_VOCAB, writeW2Model } from '../../helpers/w2Model';

/** A copy of the example model (JSON + its sidecar) in a temp folder the test may change and delete. */
function copyModel(src: vscode.Uri): { dir: string; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-model-'));
  const json = JSON.parse(fs.readFileSync(src.fsPath, 'utf8')) as { weights?: { safetensors?: string } };
  const side = json.weights?.safetensors;
  if (side) fs.copyFileSync(path.join(path.dirname(src.fsPath), side), path.join(dir, side));
  const file = path.join(dir, path.basename(src.fsPath));
  fs.copyFileSync(src.fsPath, file);
  return { dir, file };
}

function activeTab(): vscode.Tab | undefined {
  return vscode.window.tabGroups.activeTabGroup.activeTab;
}

suite('Editor, side panel and file changes', () => {
  let a: AttentionInspectorApi;
  let model: vscode.Uri;
  const temp: string[] = [];

  suiteSetup(async () => {
    a = await api();
    model = await exampleModel();
  });
  setup(() => resetState(a));
  teardown(() => a.setPrompter(undefined));
  suiteTeardown(() => temp.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  test('opening a *.model.json shows the model page (custom editor) and runs its first example', async () => {
    await vscode.commands.executeCommand('vscode.open', model);
    await waitFor('the custom editor tab', () => {
      const input = activeTab()?.input;
      return input instanceof vscode.TabInputCustom && input.viewType === 'attentionInspector.modelFile';
    });
    const page = await waitFor('the model page content', () => a.editor.pages.get(model.toString())?.last);
    assert.strictEqual(page.type, 'model');
    const summary = await a.engine.info(model.fsPath);
    assert.strictEqual((page as ModelPageModel).name, summary.name);
    assert.strictEqual((page as ModelPageModel).examples.length, summary.examples.length);
    await waitFor('the first example to run', () => a.runner.lastResult && a.inspector());
    assert.strictEqual(a.runner.lastInput?.text, summary.examples[0]?.text);
  });

  test('Reopen as Text switches the model page to the JSON text editor', async () => {
    await vscode.commands.executeCommand('vscode.openWith', model, 'attentionInspector.modelFile');
    await waitFor('the custom editor', () => activeTab()?.input instanceof vscode.TabInputCustom);
    await vscode.commands.executeCommand('workbench.action.reopenTextEditor');
    await waitFor('the text editor', () => vscode.window.activeTextEditor?.document.uri.fsPath === model.fsPath);
  });

  test('a file that fails to load shows file, field and what was expected', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-bad-'));
    temp.push(dir);
    const bad = path.join(dir, 'bad.model.json');
    fs.writeFileSync(
      bad,
      JSON.stringify({
        format: 'attention-inspector/model',
        version: 1,
        name: 'bad',
        architecture: 'transformer',
        config: { kind: 'encoder', d_model: -3 },
      }),
    );
    await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(bad), 'attentionInspector.modelFile');
    const page = (await waitFor('the error page', () => a.editor.pages.get(vscode.Uri.file(bad).toString())?.last)) as ModelPageError;
    assert.strictEqual(page.type, 'loadError');
    assert.ok(page.file.endsWith('bad.model.json'), page.file);
    assert.ok(page.field && page.field.startsWith('config'), `field: ${page.field}`);
    assert.ok(page.expected.length > 0);
  });

  test('the serializer revives an inspector panel after a reload', async () => {
    const panel = vscode.window.createWebviewPanel('attentionInspector.inspector', 'restored', vscode.ViewColumn.One, {});
    await a.serializer.deserializeWebviewPanel(panel, { title: 'restored run' });
    assert.strictEqual(a.inspector()?.panel, panel);
    assert.strictEqual(panel.title, 'Attention: restored run');
    assert.strictEqual(panel.webview.options.enableScripts, true);
  });

  test('side panel: typing re-runs after a pause, and the view state carries the tokens and heads', async () => {
    a.setPrompter(scripted({ pick: path.basename(model.fsPath) }));
    await vscode.commands.executeCommand('attentionInspector.openModel');
    await vscode.commands.executeCommand('attentionInspector.run.focus');
    const before = a.runner.lastResult;
    a.runView.type('d');
    a.runView.type('d c');
    a.runView.type('d c b');
    await waitFor('the live run of "d c b"', () => a.runner.lastResult !== before && !a.runner.running && a.runner.lastResult);
    assert.deepStrictEqual(a.runner.lastInput, { text: 'd c b' }, 'only the last text ran');
    const s = a.runView.state();
    assert.strictEqual(s.input, 'd c b');
    for (const t of ['d', 'c', 'b']) assert.ok(s.tokens.source.includes(t));
    assert.ok(s.parts.length > 0 && s.parts[0].thumbnails.length === s.parts[0].layers * s.parts[0].heads);
  });

  test('a live run cancelled after its first layers showed: the panel keeps them marked cancelled, or puts the last finished run back; Cancel Run does the same', async function () {
    this.timeout(120_000);
    // A BERT-base-sized encoder (340 MB of random weights): at 512 tokens its run streams its first
    // layers (after 60 ms) long before it ends, so a cancel lands in the middle.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-w2-'));
    temp.push(dir);
    const w2 = writeW2Model(dir);
    const ids = (n: number) => Array.from({ length: n }, (_, i) => (i * 7919) % W2_VOCAB);
    // A finished short run opens the panel (live runs only fill an open one).
    await a.runner.run(w2, { ids: ids(8) });
    await waitFor(
      'the panel with the short run',
      () => a.inspector()?.result?.tokens.source.length === 8 && !a.inspector()?.result?.running,
    );

    // 1. No finished run to go back to: the partial layers stay, marked cancelled.
    a.runner.lastResult = undefined;
    let run = a.runner.live(w2, { ids: ids(512) });
    const partial = await waitFor(
      'a partial result in the panel',
      () => {
        const r = a.inspector()?.result;
        return r?.running && r.tokens.source.length === 512 ? r : undefined;
      },
      60_000,
    );
    run.cancel();
    await assert.rejects(run, (e: Error) => e.name === 'CancelledError');
    const kept = a.inspector()?.result;
    assert.strictEqual(kept?.running?.stopped, 'cancelled', 'the partial run is marked cancelled');
    assert.ok(
      kept.attentions.length >= partial.attentions.length && kept.attentions.length < 12,
      `finished layers kept: ${kept.attentions.length} of 12`,
    );
    assert.strictEqual(a.runner.lastResult, undefined, 'a cancelled run is not the last result');

    // 2. With a finished run before: the cancel puts it back.
    const finished = await a.runner.live(w2, { ids: ids(16) });
    run = a.runner.live(w2, { ids: ids(512) });
    await waitFor(
      'the second partial result',
      () => a.inspector()?.result?.running && a.inspector()?.result?.tokens.source.length === 512,
      60_000,
    );
    run.cancel();
    await assert.rejects(run, (e: Error) => e.name === 'CancelledError');
    const back = a.inspector()?.result;
    assert.strictEqual(back, finished, 'the last finished run is shown again');
    assert.strictEqual(back?.running, undefined);

    // 3. Attention: Cancel Run (the inspector's Cancel button asks the runner the same way).
    run = a.runner.live(w2, { ids: ids(512) });
    await waitFor('the third partial result', () => a.inspector()?.result?.running && a.inspector()?.result !== finished, 60_000);
    assert.strictEqual(await vscode.commands.executeCommand('attentionInspector.cancelRun'), true, 'a run was going on');
    await assert.rejects(run, (e: Error) => e.name === 'CancelledError');
    assert.strictEqual(a.inspector()?.result, finished, 'the last finished run is back');
    assert.match(a.runView.state().message ?? '', /^Run cancelled\./, 'the Run view says so');
    assert.strictEqual(await vscode.commands.executeCommand('attentionInspector.cancelRun'), false, 'nothing left to cancel');
  });

  test('the tree lists the workspace models down to their heads', async () => {
    const roots = await a.tree.getChildren();
    const node = roots.find((n) => n.kind === 'model' && n.uri.fsPath === model.fsPath);
    assert.ok(node && node.kind === 'model' && node.summary, 'the example model is in the tree');
    const parts = await a.tree.getChildren(node);
    assert.ok(parts.length > 0);
    const layers = await a.tree.getChildren(parts[0]);
    const heads = await a.tree.getChildren(layers[0]);
    assert.ok(heads.length > 0 && heads[0].kind === 'head');
    const item = a.tree.getTreeItem(heads[0]);
    assert.strictEqual(item.command?.command, 'attentionInspector.openHead');
    await vscode.commands.executeCommand(item.command.command, ...(item.command.arguments ?? []));
    assert.ok(a.runner.lastResult && a.inspector(), 'clicking a head opens it in the panel');
  });

  test('a model file changed on disk re-runs; deleted, the panel says so and nothing crashes', async () => {
    const { dir, file } = copyModel(model);
    temp.push(dir);
    await vscode.commands.executeCommand('attentionInspector.openModel', vscode.Uri.file(file));
    const first = a.runner.lastResult;
    assert.ok(first);
    const errors: string[] = [];
    const Panel = a.inspector()!.constructor as unknown as { showError(u: vscode.Uri, m: string): unknown };
    const original = Panel.showError;
    Panel.showError = (u, m) => (errors.push(m), original.call(Panel, u, m));
    try {
      const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { description?: string };
      json.description = `${json.description ?? ''} (changed)`;
      fs.writeFileSync(file, JSON.stringify(json, null, 1));
      await waitFor('a re-run after the change', () => a.runner.lastResult !== first && !a.runner.running, 20_000);
      fs.rmSync(file);
      await waitFor('the deleted state', () => errors.find((m) => /was deleted/.test(m)), 20_000);
      assert.ok(a.inspector(), 'the panel is still open');
    } finally {
      Panel.showError = original;
    }
  });

  test('Show Safetensors Header lists the sidecar tensors with dtype and shape', async () => {
    const json = JSON.parse(fs.readFileSync(model.fsPath, 'utf8')) as { weights?: { safetensors?: string } };
    const side = json.weights?.safetensors;
    assert.ok(side, 'the example model has a safetensors sidecar');
    const doc = (await vscode.commands.executeCommand(
      'attentionInspector.showSafetensorsHeader',
      vscode.Uri.joinPath(model, '..', side),
    )) as vscode.TextDocument;
    const text = doc.getText();
    assert.match(text, /^Safetensors header of /);
    // Every tensor the header names appears with a dtype and a shape.
    const raw = fs.readFileSync(path.join(path.dirname(model.fsPath), side));
    const header = JSON.parse(raw.subarray(8, 8 + Number(raw.readBigUInt64LE(0))).toString('utf8')) as Record<
      string,
      { dtype: string; shape: number[] }
    >;
    for (const [name, t] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      assert.ok(
        text.includes(`${name}`) && new RegExp(`${name.replace(/\./g, '\\.')}\\s+${t.dtype}\\s+\\[${t.shape.join(', ')}\\]`).test(text),
        `${name} ${t.dtype} [${t.shape}]`,
      );
    }
  });

  test('CodeLenses in a model JSON: one per layer entry, and the sidecar header', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-lens-'));
    temp.push(dir);
    const file = path.join(dir, 'lens.model.json');
    fs.writeFileSync(
      file,
      [
        '{',
        '  "config": {',
        '    "encoder_layers": 2,',
        '    "decoder_layers": 1',
        '  },',
        '  "weights": { "inline": {',
        '    "encoder.layers.0.self_attn.q.weight": {},',
        '    "encoder.layers.0.self_attn.k.weight": {},',
        '    "encoder.layers.1.self_attn.q.weight": {},',
        '    "decoder.layers.0.self_attn.q.weight": {},',
        '    "decoder.layers.0.cross_attn.q.weight": {}',
        '  } },',
        '  "other": { "safetensors": "w.safetensors" }',
        '}',
      ].join('\n'),
    );
    // The provider the extension registers for **/*.model.json, on the document VS Code opens.
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    assert.strictEqual(vscode.languages.match(ModelCodeLensProvider.selector, doc) > 0, true, 'the lens selector matches a *.model.json');
    const lenses = new ModelCodeLensProvider().provideCodeLenses(doc);
    const titles = lenses.map((l) => `${l.range.start.line}: ${l.command?.title}`);
    assert.deepStrictEqual(titles, [
      '2: $(eye) Inspect encoder layer 0 heads',
      '3: $(eye) Inspect decoder self-attention layer 0 heads',
      '6: $(eye) Inspect encoder layer 0 heads',
      '8: $(eye) Inspect encoder layer 1 heads',
      '9: $(eye) Inspect decoder self-attention layer 0 heads',
      '10: $(eye) Inspect cross-attention layer 0 heads',
      '12: $(list-tree) Show Safetensors Header',
    ]);
    const cross = lenses.find((l) => l.command?.title.includes('cross'))!;
    const arg = cross.command?.arguments?.[0] as { uri: vscode.Uri; part: string; layer: number; head: number };
    assert.deepStrictEqual({ ...arg, uri: arg.uri.fsPath }, { uri: file, part: 'cross', layer: 0, head: 0 });
    // And VS Code itself finds the same lenses through the registered provider.
    const viaVsCode = (await vscode.commands.executeCommand('vscode.executeCodeLensProvider', doc.uri, 10)) as vscode.CodeLens[];
    assert.deepStrictEqual(
      viaVsCode.map((l) => `${l.range.start.line}: ${l.command?.title}`),
      titles,
    );
  });
});
