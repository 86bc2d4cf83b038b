// activate(): wiring only — the engine host, the side panel tree, the commands and the inspector.
import * as vscode from 'vscode';
import * as path from 'node:path';
import { EngineHost } from './engineHost';
import { ModelTreeProvider, findModels, modelPathOf, type ModelNode } from './views/modelTree';
import { Runner } from './runner';

export interface AttentionInspectorApi {
  engine: EngineHost;
  runner: Runner;
}

export function activate(context: vscode.ExtensionContext): AttentionInspectorApi {
  const config = () => vscode.workspace.getConfiguration('attentionInspector');
  const engine = new EngineHost({
    workerScript: path.join(context.extensionPath, 'dist', 'worker.js'),
    timeoutMs: config().get<number>('runTimeoutSeconds', 300) * 1000,
  });
  const runner = new Runner(context, engine);
  const tree = new ModelTreeProvider(engine);
  context.subscriptions.push(
    { dispose: () => void engine.dispose() },
    tree,
    vscode.window.registerTreeDataProvider('attentionInspector.models', tree),
    vscode.commands.registerCommand('attentionInspector.openModel', async (arg?: vscode.Uri) => {
      const uri = arg instanceof vscode.Uri ? arg : await pickModel();
      if (uri) await runner.runExample(modelPathOf(uri));
    }),
    vscode.commands.registerCommand('attentionInspector.runWithInput', async (arg?: vscode.Uri) => {
      const uri = arg instanceof vscode.Uri ? arg : runner.current ? vscode.Uri.file(runner.current) : await pickModel();
      if (uri) await runner.runWithPrompt(modelPathOf(uri));
    }),
    vscode.commands.registerCommand('attentionInspector.runOnSelection', async () => {
      const editor = vscode.window.activeTextEditor;
      const text = editor?.document.getText(editor.selection).trim();
      if (!text) {
        void vscode.window.showWarningMessage('Attention: select some text in an editor first; it becomes the model input.');
        return;
      }
      const model = runner.current ?? (await pickModel().then((u) => u && modelPathOf(u)));
      if (model) await runner.run(model, { text });
    }),
    vscode.commands.registerCommand('attentionInspector.openHead', async (node: ModelNode & { kind: 'head' }) => {
      await runner.runExample(modelPathOf(node.uri), { part: node.part, layer: node.layer, head: node.head });
    }),
    vscode.commands.registerCommand('attentionInspector.restartEngine', async () => {
      await engine.restart('restarted by the user');
      void vscode.window.showInformationMessage('Attention engine restarted.');
    }),
  );
  return { engine, runner };
}

export function deactivate(): void {}

async function pickModel(): Promise<vscode.Uri | undefined> {
  const found = await findModels();
  const browse = { label: '$(folder-opened) Browse…', uri: undefined as vscode.Uri | undefined };
  const items = found.map((uri) => ({ label: path.basename(modelPathOf(uri)), description: vscode.workspace.asRelativePath(uri), uri }));
  const pick = await vscode.window.showQuickPick([...items, browse], { title: 'Attention: Open Model', placeHolder: 'A model JSON file or a Hugging Face folder' });
  if (!pick) return undefined;
  if (pick.uri) return pick.uri;
  const chosen = await vscode.window.showOpenDialog({
    canSelectFiles: true,
    canSelectFolders: true,
    filters: { 'Model JSON': ['json'] },
    title: 'Open a model JSON file or a Hugging Face folder',
  });
  return chosen?.[0];
}
