// activate(): wiring only — the engine host, the side panel (tree + Run view), the commands, the
// model file editor, CodeLenses, the header view and the inspector's serializer.
import * as vscode from 'vscode';
import * as path from 'node:path';
import { EngineHost } from './engineHost';
import { ModelTreeProvider } from './sidebar/modelTree';
import { Runner } from './runner';
import { registerCommands } from './commands';
import { vscodePrompter, pickModel, type Prompter } from './prompts';
import { RunViewProvider } from './sidebar/runView';
import { ModelEditorProvider } from './editors/modelEditor';
import { ModelCodeLensProvider } from './editors/modelCodeLens';
import { HEADER_SCHEME, SafetensorsHeaderProvider } from './sidebar/safetensorsDocument';
import { INSPECTOR_VIEW_TYPE, InspectorPanel } from './panels/inspectorPanel';
import { Inspector } from './panels/inspector';
import { Settings, thisMachine, windowThreads } from './settings';
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

/** The engine worker's nice value (Linux): low enough that the window's processes come first. */
const ENGINE_NICE = 10;

export function activate(context: vscode.ExtensionContext): AttentionInspectorApi {
  const settings = new Settings(() => {
    const config = vscode.workspace.getConfiguration('attentionInspector');
    return (key) => config.get(key);
  });
  // Each read sees the settings as they are now: a change applies to the next run, no reload.
  const engine = new EngineHost({
    workerScript: path.join(context.extensionPath, 'dist', 'worker.js'),
    timeoutMs: () => settings.current.runTimeoutSeconds * 1000,
    threads: () => settings.current.engineThreads || windowThreads(thisMachine()),
    maxRunMemoryMB: () => settings.current.maxRunMemoryMB,
    maxTokens: () => settings.current.maxSequenceLength,
    // Below the window's processes: on a machine with few cores a run must not delay the editor.
    nice: ENGINE_NICE,
  });
  // Out-of-range values are used clamped; say so once at start and after each change.
  const reportLimits = (problems: string[]) => {
    if (problems.length) void notify.warning(`Attention: ${problems.join(' ')}`);
  };
  reportLimits(settings.read().problems);
  const runner: Runner = new Runner(engine, vscodePrompter, (): boolean => inspector.isOpen());
  const inspector = new Inspector(context.extensionUri, runner, engine);
  // Before the Run view and the serializer: both show what it restores.
  const restorer = new RunRestorer(context, runner);
  const tree = new ModelTreeProvider(engine);
  const runView = new RunViewProvider(context.extensionUri, runner, {
    chooseModel: () => pickModel(runner.prompter),
    openHead: async (focus) => {
      await vscode.commands.executeCommand('attentionInspector.openHead', {
        uri: vscode.Uri.file(runner.resultModel ?? runner.current ?? ''),
        ...focus,
      });
    },
  });
  const editor = new ModelEditorProvider(context.extensionUri, engine, runner, inspector);
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
    inspector,
    restorer,
    tree,
    runView,
    vscode.window.registerTreeDataProvider('attentionInspector.models', tree),
    RunViewProvider.register(runView),
    ...ModelEditorProvider.register(editor),
    vscode.languages.registerCodeLensProvider(ModelCodeLensProvider.selector, new ModelCodeLensProvider()),
    vscode.workspace.registerTextDocumentContentProvider(HEADER_SCHEME, new SafetensorsHeaderProvider(engine)),
    vscode.window.registerWebviewPanelSerializer(INSPECTOR_VIEW_TYPE, serializer),
    ...registerCommands(inspector, engine, runner),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration('attentionInspector')) return;
      const { restartWorker, problems } = settings.changed();
      reportLimits(problems);
      // Threads and the heap limit are the worker's from its start: a fresh one takes the new values.
      if (restartWorker) engine.restartWhenIdle();
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
    inspector: () => inspector.panel,
  };
}

export function deactivate(): void {}
