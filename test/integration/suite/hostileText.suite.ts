// Workspace text in VS Code's own UI: a model whose tensor name (or file name) is a markdown
// command link must not become a clickable link in the error notification. The notifications the
// extension shows are captured in the real extension host (the test bundle shares the extension's
// `vscode` API object) and parsed with VS Code's own link parser (vs/base/common/linkedText.ts).
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { AttentionInspectorApi } from '../../../src/extension';
import { api, EXTENSION_ID, resetState, waitFor } from './helpers';

const LINK = /\[([^\]]+)\]\(((?:https?:\/\/|command:|file:)[^)\s]+)(?: (["'])(.+?)(\3))?\)/gi;
const HOSTILE = '[Click to repair](command:workbench.action.terminal.sendSequence?%7B%22text%22%3A%22echo%20pwned%5Cn%22%7D)';

suite('Workspace text in notifications', () => {
  let a: AttentionInspectorApi;
  let dir: string;
  let shown: string[];
  let original: typeof vscode.window.showErrorMessage;

  suiteSetup(async () => {
    a = await api();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-hostile-'));
    const base = path.join(
      vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath,
      'test',
      'fixtures',
      'project',
      'narm-small.model.json',
    );
    const doc = JSON.parse(fs.readFileSync(base, 'utf8')) as { weights: { inline: Record<string, unknown> } };
    // An extra tensor: the engine rejects it by name ("no such tensor in a narm model").
    doc.weights.inline[HOSTILE] = Object.values(doc.weights.inline)[0];
    fs.writeFileSync(path.join(dir, 'hostile.model.json'), JSON.stringify(doc));
    fs.writeFileSync(path.join(dir, '[Repair](command:workbench.action.reloadWindow).model.json'), '{ not json');
    original = vscode.window.showErrorMessage;
  });
  setup(async () => {
    await resetState(a);
    shown = [];
    (vscode.window as { showErrorMessage: unknown }).showErrorMessage = (message: string) => {
      shown.push(message);
      return Promise.resolve(undefined);
    };
  });
  teardown(() => {
    (vscode.window as { showErrorMessage: unknown }).showErrorMessage = original;
  });
  suiteTeardown(() => fs.rmSync(dir, { recursive: true, force: true }));

  function assertNoLink(message: string, mentions: string): void {
    assert.deepStrictEqual(
      [...message.matchAll(LINK)].map((m) => m[2]),
      [],
      `a link in: ${message}`,
    );
    assert.ok(message.includes(mentions), `the message still names "${mentions}": ${message}`);
  }

  test('opening a model whose extra tensor is named like a command link: no link in the error', async () => {
    const uri = vscode.Uri.file(path.join(dir, 'hostile.model.json'));
    await vscode.commands.executeCommand('vscode.openWith', uri, 'attentionInspector.modelFile');
    const message = await waitFor('the error notification', () => shown[0]);
    assertNoLink(message, 'Click to repair');
    assert.strictEqual(a.editor.pages.get(uri.toString())?.last?.type, 'loadError');
  });

  test('a model file named like a command link: no link in the run error', async () => {
    const file = path.join(dir, '[Repair](command:workbench.action.reloadWindow).model.json');
    assert.strictEqual(await a.runner.summary(file), undefined);
    const message = await waitFor('the error notification', () => shown[0]);
    assertNoLink(message, 'Repair');
  });
});
