// Every palette command, run as a person would from a fresh window (no model chosen, no panel):
// the questions it asks are answered by a scripted Prompter, and the test checks what the
// command produced (the run, its tokens, the panel) against the input given.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { RunResult } from '../../../src/engine/types';
import type { AttentionInspectorApi } from '../../../src/extension';
import { api, exampleModel, EXTENSION_ID, resetState, scripted, waitFor } from './helpers';

suite('Commands from the palette', () => {
  let a: AttentionInspectorApi;
  let model: vscode.Uri;
  let name: string;

  suiteSetup(async () => {
    a = await api();
    model = await exampleModel();
    name = path.basename(model.fsPath);
  });
  setup(() => resetState(a));
  teardown(() => a.setPrompter(undefined));

  test('openHead is internal: hidden from the palette', async () => {
    const ext = vscode.extensions.getExtension('attention-inspector.attention-inspector')!;
    const hidden = (ext.packageJSON.contributes.menus?.commandPalette ?? []) as { command: string; when: string }[];
    assert.ok(hidden.some((m) => m.command === 'attentionInspector.openHead' && m.when === 'false'));
  });

  test('Restricted Mode: supported, and the manifest says what is limited', () => {
    const ext = vscode.extensions.getExtension('attention-inspector.attention-inspector')!;
    const trust = ext.packageJSON.capabilities?.untrustedWorkspaces as {
      supported: unknown;
      description?: string;
      restrictedConfigurations?: string[];
    };
    assert.strictEqual(trust?.supported, true);
    assert.match(trust.description ?? '', /only reads model files/);
    const settings = Object.keys(ext.packageJSON.contributes.configuration.properties as object);
    for (const c of trust.restrictedConfigurations ?? []) assert.ok(settings.includes(c), `${c} is a real setting`);
  });

  test('Open Model… asks for a workspace model and runs its first example', async () => {
    const p = scripted({ pick: name });
    a.setPrompter(p);
    const r = (await vscode.commands.executeCommand('attentionInspector.openModel')) as RunResult | undefined;
    assert.ok(r, 'no run');
    assert.deepStrictEqual(p.asked, ['Attention: choose a model']);
    assert.strictEqual(a.runner.resultModel, model.fsPath);
    assert.ok(a.inspector(), 'the inspector panel is open');
    assert.ok(r.attentions.length > 0);
  });

  test('Open Model… lists Browse…; Escape in the file dialog runs nothing', async () => {
    const p = scripted({ pick: 'Browse…' });
    a.setPrompter(p);
    const r = await vscode.commands.executeCommand('attentionInspector.openModel');
    assert.strictEqual(r, undefined);
    assert.deepStrictEqual(p.asked, ['Attention: choose a model', 'open dialog']);
    assert.strictEqual(a.inspector(), undefined);
  });

  test('Run with Input… offers the examples and runs typed text', async () => {
    const p = scripted({ pick: name }, { type: 'b a d' });
    a.setPrompter(p);
    const r = (await vscode.commands.executeCommand('attentionInspector.runWithInput')) as RunResult | undefined;
    assert.ok(r);
    assert.strictEqual(p.left(), 0);
    for (const t of ['b', 'a', 'd']) assert.ok(r.tokens.source.includes(t), `token ${t} in ${JSON.stringify(r.tokens.source)}`);
    assert.deepStrictEqual(a.runner.lastInput, { text: 'b a d' });
  });

  test('Run with Input…: picking an example runs that example', async () => {
    const summary = await a.engine.info(model.fsPath);
    assert.ok(summary.examples.length, `${name} has examples`);
    const p = scripted({ pick: name }, { first: true });
    a.setPrompter(p);
    const r = (await vscode.commands.executeCommand('attentionInspector.runWithInput')) as RunResult | undefined;
    assert.ok(r);
    assert.strictEqual(a.runner.lastInput?.text, summary.examples[0].text);
  });

  test('Run with Input… on a decoder offers Generate…: an input, then N tokens, continued greedily', async () => {
    // The llama fixture (ids only, no tokenizer) and its greedy continuation from transformers' generate().
    const dir = path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'test', 'fixtures', 'hf-families', 'llama');
    const exp = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8')) as { input_ids: number[]; greedy: number[] };
    const n = exp.greedy.length;
    const p = scripted({ pick: 'Generate…' }, { type: `ids: ${exp.input_ids.join(', ')}` }, { type: 'lots' }, { type: String(n) });
    a.setPrompter(p);
    const r = (await vscode.commands.executeCommand('attentionInspector.runWithInput', vscode.Uri.file(path.join(dir, 'config.json')))) as
      RunResult | undefined;
    assert.ok(r, 'it ran');
    assert.strictEqual(p.left(), 0);
    assert.match(
      p.asked[3],
      /generate — “lots” is not a count: type a whole number from 1 to \d+/,
      'a bad count is asked again, saying why',
    );
    assert.strictEqual(r.generated, n);
    assert.deepStrictEqual(r.ids.source, [...exp.input_ids, ...exp.greedy], "the greedy tokens transformers' generate() chose");
    assert.deepStrictEqual(a.runner.lastInput, { ids: exp.input_ids, generate: n });
  });

  test('Run with Input… offers Generate… only for decoder-only models', async () => {
    a.setPrompter(scripted({ pick: name }, { pick: 'Generate…' }));
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('attentionInspector.runWithInput')),
      /no item matches Generate…/,
      `${name} is not decoder-only: no Generate… item`,
    );
  });

  test('Run on Selection uses the selected text of an editor', async () => {
    const doc = await vscode.workspace.openTextDocument({ content: 'ignored\nc a b\n' });
    const ed = await vscode.window.showTextDocument(doc);
    ed.selection = new vscode.Selection(1, 0, 1, 5);
    a.setPrompter(scripted({ pick: name }));
    const r = (await vscode.commands.executeCommand('attentionInspector.runOnSelection')) as RunResult | undefined;
    assert.ok(r);
    assert.deepStrictEqual(a.runner.lastInput, { text: 'c a b' });
    assert.ok(!r.tokens.source.includes('ignored'));
  });

  test('Step Decoder with no run: asks for a model, runs it, opens the stepper (or says there is no decoder)', async () => {
    a.setPrompter(scripted({ pick: name }));
    const shown = await vscode.commands.executeCommand('attentionInspector.stepDecoder');
    assert.ok(a.runner.lastResult, 'it ran');
    const hasDecoder = a.runner.lastResult.attentions.some((l) => l.part !== 'encoder');
    assert.strictEqual(shown, hasDecoder);
  });

  test('Show Positional Encoding with no run: runs, then shows it only when the model has one', async () => {
    a.setPrompter(scripted({ pick: name }));
    const shown = await vscode.commands.executeCommand('attentionInspector.showPositionalEncoding');
    assert.ok(a.runner.lastResult);
    assert.strictEqual(shown, a.runner.lastResult.positional !== undefined);
  });

  test('Compare Inputs…: two inputs on one model opens the comparison', async () => {
    const p = scripted({ pick: 'Two inputs' }, { pick: name }, { type: 'a b c' }, { type: 'c b a' });
    a.setPrompter(p);
    const ok = await vscode.commands.executeCommand('attentionInspector.compareInputs');
    assert.strictEqual(ok, true);
    assert.strictEqual(p.left(), 0);
    assert.ok(a.inspector());
    assert.match(a.inspector()!.panel.title, /A vs B/);
  });

  test('Compare Inputs…: two models on one input', async () => {
    const p = scripted({ pick: 'Two models' }, { pick: name }, { pick: name }, { type: 'a b' });
    a.setPrompter(p);
    assert.strictEqual(await vscode.commands.executeCommand('attentionInspector.compareInputs'), true);
    assert.match(a.inspector()!.panel.title, / vs /);
  });

  test('Export View… with no run: runs a model first, then asks for a format (Escape cancels)', async () => {
    a.setPrompter(scripted({ pick: name }));
    const done = vscode.commands.executeCommand('attentionInspector.exportView');
    await waitFor('the run', () => a.runner.lastResult);
    // The panel's own format quick pick is open now; a person presses Escape.
    await new Promise((r) => setTimeout(r, 500));
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    assert.strictEqual(await done, undefined);
  });

  test('Toggle Pinned Run on Selection: each new selection re-runs', async () => {
    a.setPrompter(scripted({ pick: name }));
    const doc = await vscode.workspace.openTextDocument({ content: 'a b\nd c\n' });
    const ed = await vscode.window.showTextDocument(doc);
    assert.strictEqual(await vscode.commands.executeCommand('attentionInspector.toggleFollowSelection'), true);
    try {
      ed.selection = new vscode.Selection(1, 0, 1, 3);
      await waitFor('a run of "d c"', () => a.runner.lastResult && a.runner.lastInput?.text === 'd c' && !a.runner.running);
      assert.ok(a.runner.lastResult!.tokens.source.includes('d'));
    } finally {
      assert.strictEqual(await vscode.commands.executeCommand('attentionInspector.toggleFollowSelection'), false);
    }
  });

  test('a model that fails to load: the error names the file and the field, no run is left half-done', async () => {
    const bad = vscode.Uri.joinPath(model, '..', '..', 'no-such-dir', 'missing.model.json');
    const r = await vscode.commands.executeCommand('attentionInspector.openModel', bad);
    assert.strictEqual(r, undefined);
    assert.ok(a.runner.lastError && a.runner.lastError.length > 0);
    assert.ok(a.inspector(), 'the panel opens to show the error');
  });
});
