// The extension loads in a real extension host and registers everything package.json promises.
// The command list is read from the extension's own manifest, so this stays right as commands
// are added.

import * as assert from 'assert';
import * as vscode from 'vscode';
import { api, exampleModel } from './helpers';

const EXTENSION_ID = 'attention-inspector.attention-inspector';

interface ContributedCommand {
  command: string;
  title: string;
  category?: string;
}

suite('Activation', () => {
  let ext: vscode.Extension<unknown>;
  let contributed: ContributedCommand[];

  suiteSetup(() => {
    const found = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(found, `extension ${EXTENSION_ID} is not loaded (is extensionDevelopmentPath the repo root?)`);
    ext = found;
    contributed = ext.packageJSON?.contributes?.commands ?? [];
  });

  test('the manifest contributes commands in the "Attention" category', () => {
    assert.ok(contributed.length > 0, 'package.json contributes no commands');
    const outside = contributed.filter((c) => c.category !== 'Attention').map((c) => c.command);
    assert.deepStrictEqual(outside, [], 'commands without category "Attention"');
  });

  test('running a contributed command activates the extension', async () => {
    // Restart Engine is harmless: it opens no dialog and needs no model. Its promise may wait for
    // a notification to be dismissed, so wait at most 5 s for it to settle; a rejection (such as
    // "command not found") fails the test.
    const settled = Promise.resolve(vscode.commands.executeCommand('attentionInspector.restartEngine')).then(
      () => undefined,
      (e: unknown) => e ?? new Error('rejected'),
    );
    let timer: number | NodeJS.Timeout | undefined;
    const error = await Promise.race([settled, new Promise<undefined>((r) => (timer = setTimeout(r, 5000)))]);
    clearTimeout(timer);
    if (error) throw error;
    assert.strictEqual(ext.isActive, true, 'not active after running attentionInspector.restartEngine');
  });

  test('activate() resolves without throwing', async () => {
    await ext.activate();
    assert.strictEqual(ext.isActive, true);
  });

  test('every command in package.json is registered', async () => {
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.map((c) => c.command).filter((c) => !registered.has(c));
    assert.deepStrictEqual(missing, [], 'contributed in package.json but not registered by activate()');
  });

  test('every view container in package.json can be opened', async () => {
    const containers: { id: string }[] = ext.packageJSON?.contributes?.viewsContainers?.activitybar ?? [];
    assert.ok(containers.length > 0, 'no activity bar view container contributed');
    for (const { id } of containers) {
      await vscode.commands.executeCommand(`workbench.view.extension.${id}`);
    }
  });

  test('a maxSequenceLength below its minimum (0) is used clamped to 1: a 2-token run is refused naming the limit', async () => {
    // get() does not enforce package.json's minimum: the host reads the setting clamped (src/settings.ts).
    const config = vscode.workspace.getConfiguration('attentionInspector');
    await config.update('maxSequenceLength', 0, vscode.ConfigurationTarget.Global);
    try {
      const a = await api();
      const model = (await exampleModel()).fsPath;
      await assert.rejects(
        Promise.resolve(a.engine.run(model, { ids: [1, 2] })),
        /2 tokens is over the limit of 1 \(setting attentionInspector\.maxSequenceLength\)/,
      );
    } finally {
      await config.update('maxSequenceLength', undefined, vscode.ConfigurationTarget.Global);
    }
  });
});
