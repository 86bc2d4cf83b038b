// Watches the files of the model shown in the panel: its JSON (or a Hugging Face folder's
// config.json) and the weights / tokenizer beside it. A change re-runs the current view (after a
// short pause, since an editor or a training script writes in several steps); deleting the model
// file itself puts the panel in a clear "deleted" state.
// Node's fs.watch on the model's folder, not vscode.workspace.createFileSystemWatcher: models
// opened with Browse… live outside the workspace, where the workspace watcher reports nothing
// (seen in code-server). The engine reads local files anyway. No vscode import (unit-tested).
import * as fs from 'node:fs';
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

export class ModelFileWatcher {
  private watcher?: fs.FSWatcher;
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
    const main = modelPath.endsWith('.json') ? modelPath : path.join(modelPath, 'config.json');
    try {
      this.watcher = fs.watch(
        dir,
        { persistent: false },
        (_event, name) => name && this.onEvent(modelPath, main, path.join(dir, name.toString())),
      );
      this.watcher.on('error', () => this.stop()); // the folder itself went away
    } catch {
      this.watched = undefined; // nothing to watch (e.g. the folder is gone); runs report that themselves
    }
  }

  private onEvent(modelPath: string, main: string, file: string): void {
    const kind = isModelFile(modelPath, file);
    if (!kind) return;
    if (kind === 'related') this.restartEngine = true;
    else if (!modelPath.endsWith('.json')) this.restartEngine = true; // the worker stamps an HF folder by the folder
    if (this.timer) clearTimeout(this.timer);
    // Wait for the writes to settle, then look: a missing main file is a deletion (an atomic save
    // renames a new file into place, which also arrives as a rename, but the file exists after it).
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!fs.existsSync(main)) {
        this.events.deleted(main);
        return;
      }
      const restart = this.restartEngine;
      this.restartEngine = false;
      this.events.changed(restart);
    }, this.delayMs);
  }

  private stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.watcher?.close();
    this.watcher = undefined;
    this.watched = undefined;
  }

  dispose(): void {
    this.stop();
  }
}
