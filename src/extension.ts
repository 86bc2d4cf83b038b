// activate(): wiring only — the engine host, the side panel (tree + Run view), the commands, the
// model file editor, CodeLenses, the header view and the inspector's serializer.
import * as vscode from 'vscode';
import * as path from 'node:path';
import { EngineHost } from './engineHost';
import { ModelTreeProvider } from './views/modelTree';
import { Runner } from './runner';
import { registerCommands } from './commands';
import { vscodePrompter, pickModel, type Prompter } from './prompts';
import { RunViewProvider } from './views/runView';
import { ModelEditorProvider } from './editors/modelEditor';
import { ModelCodeLensProvider } from './editors/modelCodeLens';
import { HEADER_SCHEME, SafetensorsHeaderProvider } from './views/safetensorsDocument';
import { INSPECTOR_VIEW_TYPE, InspectorPanel } from './panels/inspectorPanel';
import { DEFAULT_MAX_RUN_MEMORY_MB } from './engine/limits';
import { startLoopMonitor } from './loopMonitor';

export interface AttentionInspectorApi {
  engine: EngineHost;
  runner: Runner;
  tree: ModelTreeProvider;
  runView: RunViewProvider;
  editor: ModelEditorProvider;
  serializer: vscode.WebviewPanelSerializer;
  /** Tests answer the commands' questions with a scripted Prompter; undefined restores the real one. */
  setPrompter(p: Prompter | undefined): void;
  /** The inspector panel open now (tests check what it shows). */
  inspector(): InspectorPanel | undefined;
}

export function activate(context: vscode.ExtensionContext): AttentionInspectorApi {
  const config = () => vscode.workspace.getConfiguration('attentionInspector');
  const engine = new EngineHost({
    workerScript: path.join(context.extensionPath, 'dist', 'worker.js'),
    timeoutMs: config().get<number>('runTimeoutSeconds', 300) * 1000,
    threads: () => config().get<number>('engineThreads', 0),
    maxRunMemoryMB: () => config().get<number>('maxRunMemoryMB', DEFAULT_MAX_RUN_MEMORY_MB),
  });
  const runner = new Runner(context.extensionUri, engine, vscodePrompter);
  const tree = new ModelTreeProvider(engine);
  const runView = new RunViewProvider(context.extensionUri, runner, {
    chooseModel: () => pickModel(runner.prompter),
    openHead: async (focus) => {
      await vscode.commands.executeCommand('attentionInspector.openHead', { uri: vscode.Uri.file(runner.resultModel ?? runner.current ?? ''), ...focus });
    },
  });
  const editor = new ModelEditorProvider(context.extensionUri, engine, runner);
  const serializer: vscode.WebviewPanelSerializer = {
    async deserializeWebviewPanel(panel, state) {
      InspectorPanel.revive(panel, context.extensionUri, state);
    },
  };
  const loopMonitor = startLoopMonitor();
  context.subscriptions.push(
    { dispose: () => loopMonitor?.dispose() },
    { dispose: () => void engine.dispose() },
    runner,
    tree,
    runView,
    vscode.window.registerTreeDataProvider('attentionInspector.models', tree),
    RunViewProvider.register(runView),
    ...ModelEditorProvider.register(editor),
    vscode.languages.registerCodeLensProvider(ModelCodeLensProvider.selector, new ModelCodeLensProvider()),
    vscode.workspace.registerTextDocumentContentProvider(HEADER_SCHEME, new SafetensorsHeaderProvider()),
    vscode.window.registerWebviewPanelSerializer(INSPECTOR_VIEW_TYPE, serializer),
    // The stepper's score switch (RNN seq2seq): the same input again with another score; the panel shows it.
    InspectorPanel.onRerun((score) => runner.rerun({ score }, { show: false })),
    ...registerCommands(context.extensionUri, engine, runner),
  );
  return {
    engine,
    runner,
    tree,
    runView,
    editor,
    serializer,
    setPrompter: (p) => (runner.prompter = p ?? vscodePrompter),
    inspector: () => InspectorPanel.current,
  };
}

export function deactivate(): void {}
