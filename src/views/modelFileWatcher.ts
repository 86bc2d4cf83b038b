// Watches the files of the model shown in the panel: its JSON (or a Hugging Face folder's
// config.json) and the weights / tokenizer beside it. A change re-runs the current view (after a
// short pause, since an editor or a training script writes in several steps); deleting the model
// file itself puts the panel in a clear "deleted" state.
import * as vscode from 'vscode';
import * as path from 'node:path';

export interface ModelFileEvents {
  /** `restartEngine`: a file other than the one the worker stamps changed (sidecar, tokenizer). */
  changed(restartEngine: boolean): void;
  deleted(file: string): void;
}

/** Which files of a model's folder matter: the main file, weights and tokenizer. */
export function isModelFile(modelPath: string, changed: string): 'main' | 'related' | undefined {
  const isFolder = !modelPath.endsWith('.json');
  const main = isFolder ? path.join(modelPath, 'config.json') : modelPath;
  if (path.resolve(changed) === path.resolve(main)) return 'main';
  const dir = isFolder ? modelPath : path.dirname(modelPath);
  if (path.resolve(path.dirname(changed)) !== path.resolve(dir)) return undefined;
  const base = path.basename(changed);
  return base.endsWith('.safetensors') || base === 'tokenizer.json' || base.endsWith('.safetensors.index.json') ? 'related' : undefined;
}

export class ModelFileWatcher implements vscode.Disposable {
  private watcher?: vscode.FileSystemWatcher;
  private watched?: string;
  private timer?: ReturnType<typeof setTimeout>;
  private restartEngine = false;

  constructor(
    private readonly events: ModelFileEvents,
    private readonly delayMs = 300,
  ) {}

  /** Watches this model (replacing the previous one). */
  watch(modelPath: string): void {
    if (this.watched === modelPath) return;
    this.stop();
    this.watched = modelPath;
    const dir = modelPath.endsWith('.json') ? path.dirname(modelPath) : modelPath;
    // A RelativePattern on a folder also works outside the workspace (Browse… models).
    const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(dir), '*'));
    const onChange = (uri: vscode.Uri) => {
      const kind = isModelFile(modelPath, uri.fsPath);
      if (!kind) return;
      this.restartEngine ||= kind === 'related' || !modelPath.endsWith('.json');
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.timer = undefined;
        const restart = this.restartEngine;
        this.restartEngine = false;
        this.events.changed(restart);
      }, this.delayMs);
    };
    w.onDidChange(onChange);
    w.onDidCreate(onChange);
    w.onDidDelete((uri) => {
      const kind = isModelFile(modelPath, uri.fsPath);
      if (kind === 'main') {
        if (this.timer) clearTimeout(this.timer);
        this.timer = undefined;
        this.events.deleted(uri.fsPath);
      } else if (kind) {
        onChange(uri); // a missing sidecar: the re-run reports which file is missing
      }
    });
    this.watcher = w;
  }

  private stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.watcher?.dispose();
    this.watcher = undefined;
    this.watched = undefined;
  }

  dispose(): void {
    this.stop();
  }
}
