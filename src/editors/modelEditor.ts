// Read-only custom editor for model files: a *.model.json (the default editor for them) and a
// Hugging Face folder's config.json (offered under "Open With…" only, so ordinary config.json
// files keep their JSON editor). Opening one shows the model page here and runs the first example
// in the inspector beside it; a file that cannot be read shows file, field and what was expected.
// "Reopen as Text" (editor title and on the page) switches to the normal text editor.
import * as vscode from 'vscode';
import * as path from 'node:path';
import type { EngineHost } from '../engineHost';
import type { ModelSummary } from '../engine/types';
import { isModelPageToHost, splitEngineError, type HostToModelPage, type ModelPageToHost } from '../../common/modelPage';
import { receiver } from '../../common/rpc';
import { buildWebviewHtml, webviewOptions } from '../webviewHtml';
import type { Runner } from '../runner';
import type { Inspector } from '../panels/inspector';
import { modelPathOf } from '../sidebar/modelTree';
import { notify } from '../notify';

export const MODEL_EDITOR = 'attentionInspector.modelFile';
export const HF_CONFIG_EDITOR = 'attentionInspector.hfConfig';

/** What the JSON itself says beyond the engine's summary: description and weights sidecar (read by the worker). */
async function readExtras(engine: EngineHost, file: string): Promise<{ description?: string; safetensors?: string }> {
  try {
    const { description, safetensors } = await engine.modelFile(file);
    return { ...(description !== undefined ? { description } : {}), ...(safetensors !== undefined ? { safetensors } : {}) };
  } catch {
    return {}; // the engine reports the JSON error itself
  }
}

export function modelPageMessage(
  summary: ModelSummary,
  file: string,
  extras: { description?: string; safetensors?: string },
): HostToModelPage {
  return {
    type: 'model',
    file,
    name: summary.name,
    architecture: summary.architecture,
    kind: summary.kind,
    parameters: summary.parameters,
    details: { ...summary.details },
    examples: summary.examples.map((e) => {
      const src = e.text ?? `ids: ${(e.ids ?? []).join(', ')}`;
      return e.targetText !== undefined ? `${src} → ${e.targetText}` : src;
    }),
    ...extras,
  };
}

export class ModelEditorProvider implements vscode.CustomReadonlyEditorProvider {
  /** Pages currently open, by file (tests and file changes reach them). */
  readonly pages = new Map<string, { panel: vscode.WebviewPanel; last?: HostToModelPage }>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly engine: EngineHost,
    private readonly runner: Runner,
    private readonly inspector: Inspector,
    /** Whether opening a page also runs the model (off in a test that only looks at the page). */
    readonly options: { autoRun: boolean } = { autoRun: true },
  ) {}

  static register(provider: ModelEditorProvider): vscode.Disposable[] {
    const opts = { webviewOptions: { retainContextWhenHidden: false }, supportsMultipleEditorsPerDocument: true };
    return [
      vscode.window.registerCustomEditorProvider(MODEL_EDITOR, provider, opts),
      vscode.window.registerCustomEditorProvider(HF_CONFIG_EDITOR, provider, opts),
    ];
  }

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  async resolveCustomEditor(doc: vscode.CustomDocument, panel: vscode.WebviewPanel): Promise<void> {
    const file = doc.uri.fsPath;
    const key = doc.uri.toString();
    panel.webview.options = webviewOptions(this.extensionUri);
    panel.webview.html = buildWebviewHtml(panel.webview, this.extensionUri, {
      name: 'modelpage',
      title: path.basename(file),
      styles: ['sidebar.css'],
    });
    const entry: { panel: vscode.WebviewPanel; last?: HostToModelPage } = { panel };
    this.pages.set(key, entry);
    const watcher = vscode.workspace.createFileSystemWatcher(
      new vscode.RelativePattern(vscode.Uri.file(path.dirname(file)), path.basename(file)),
    );
    const reload = () => void this.load(doc.uri, entry, false);
    const subs = [
      watcher,
      watcher.onDidChange(reload),
      watcher.onDidCreate(reload),
      watcher.onDidDelete(() => this.post(entry, { type: 'loadError', file, expected: 'the file was deleted' })),
      panel.webview.onDidReceiveMessage(receiver(isModelPageToHost, (m) => void this.onMessage(doc.uri, entry, m))),
    ];
    panel.onDidDispose(() => {
      subs.forEach((s) => s.dispose());
      if (this.pages.get(key) === entry) this.pages.delete(key);
    });
    await this.load(doc.uri, entry, this.options.autoRun);
  }

  private async load(uri: vscode.Uri, entry: { panel: vscode.WebviewPanel; last?: HostToModelPage }, run: boolean): Promise<void> {
    const file = uri.fsPath;
    const modelPath = modelPathOf(uri);
    let summary: ModelSummary;
    try {
      summary = await this.engine.info(modelPath);
    } catch (e) {
      const err = splitEngineError(e as Error & { file?: string; field?: string }, file);
      this.post(entry, err);
      void notify.error(`Attention: cannot open ${path.basename(file)}: ${err.field ? `${err.field}: ` : ''}${err.expected}`);
      return;
    }
    const extras =
      path.basename(file) === 'config.json'
        ? { safetensors: path.join(path.dirname(file), 'model.safetensors') }
        : await readExtras(this.engine, file);
    this.post(entry, modelPageMessage(summary, file, extras));
    // Opening a file never asks a question: without examples, the page's "Run with Input…" is there.
    if (!run || !summary.examples.length) return;
    // The inspector opens beside this page; one already open in this page's group would cover it.
    const column = this.inspector.viewColumn;
    if (column !== undefined && column === entry.panel.viewColumn) this.inspector.moveBeside();
    // Not awaited: VS Code waits for resolveCustomEditor, and the page is ready before the run ends.
    void this.runner.runExample(modelPath);
  }

  private post(entry: { panel: vscode.WebviewPanel; last?: HostToModelPage }, m: HostToModelPage): void {
    entry.last = m;
    void entry.panel.webview.postMessage(m);
  }

  private async onMessage(
    uri: vscode.Uri,
    entry: { panel: vscode.WebviewPanel; last?: HostToModelPage },
    raw: ModelPageToHost,
  ): Promise<void> {
    const modelPath = modelPathOf(uri);
    switch (raw.type) {
      case 'ready':
        if (entry.last) void entry.panel.webview.postMessage(entry.last);
        return;
      case 'runExample': {
        const summary = await this.runner.summary(modelPath);
        const ex = summary?.examples[raw.index];
        if (ex) await this.runner.run(modelPath, { text: ex.text, ids: ex.ids, targetText: ex.targetText, targetIds: ex.targetIds });
        return;
      }
      case 'runWithInput':
        await this.runner.askAndRun(modelPath);
        return;
      case 'reopenAsText':
        // Acts on the active editor, which is this page: its button was just clicked.
        await vscode.commands.executeCommand('workbench.action.reopenTextEditor');
        return;
      case 'showHeader':
        if (entry.last?.type === 'model' && entry.last.safetensors) {
          await vscode.commands.executeCommand('attentionInspector.showSafetensorsHeader', vscode.Uri.file(entry.last.safetensors));
        }
        return;
    }
  }
}
