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
import { readLimitSettings } from './settings';
import { notify } from './notify';
import { startLoopMonitor } from './loopMonitor';
import { RunRestorer } from './panels/restore';

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
  const limits = () => {
    const config = vscode.workspace.getConfiguration('attentionInspector');
    return readLimitSettings((key) => config.get(key));
  };
  const engine = new EngineHost({
    workerScript: path.join(context.extensionPath, 'dist', 'worker.js'),
    timeoutMs: limits().settings.runTimeoutSeconds * 1000,
    threads: () => limits().settings.engineThreads,
    maxRunMemoryMB: () => limits().settings.maxRunMemoryMB,
    maxTokens: () => limits().settings.maxSequenceLength,
  });
  // Out-of-range values are used clamped; say so once at start and after each change.
  const reportLimits = () => {
    const { problems } = limits();
    if (problems.length) void notify.warning(`Attention: ${problems.join(' ')}`);
  };
  reportLimits();
  const runner = new Runner(context.extensionUri, engine, vscodePrompter);
  // Before the Run view and the serializer: both show what it restores.
  const restorer = new RunRestorer(context, runner);
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
      void restorer.revived(); // not awaited: VS Code waits for this before showing the panel
    },
  };
  const loopMonitor = startLoopMonitor();
  context.subscriptions.push(
    { dispose: () => loopMonitor?.dispose() },
    { dispose: () => void engine.dispose() },
    runner,
    restorer,
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
    // The Q·K view's vectors: the run's ids through its model file again (the worker keeps it loaded).
    InspectorPanel.onQk((result, request) =>
      engine.qk(result === runner.lastResult && runner.resultModel ? runner.resultModel : result.model.file, request),
    ),
    ...registerCommands(context.extensionUri, engine, runner),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('attentionInspector')) reportLimits();
    }),
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
