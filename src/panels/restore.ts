// Brings the last run back after Developer: Reload Window (the inspector is revived by its
// serializer and runs it again; the Run view gets its model and input back), and replaces the
// dead inspector an extension host left behind when it was killed or crashed: VS Code starts a
// new host, but the old panel's messages go nowhere, so it would say "Running…" for good.
import * as vscode from 'vscode';
import * as path from 'node:path';
import type { Runner } from '../runner';
import { inputAsText } from '../inputText';
import { HostMarks, loadRuns, saveRuns, type SavedRun } from './recovery';
import { INSPECTOR_VIEW_TYPE, InspectorPanel } from './inspectorPanel';

export const LOST_MESSAGE =
  'The extension host stopped unexpectedly (it was killed or crashed) and VS Code started a new one: the run this panel showed was lost.';

export class RunRestorer implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private readonly marks: HostMarks;
  private shown: SavedRun | undefined;
  private lastResult: unknown;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly runner: Runner,
  ) {
    const saved = loadRuns(context.workspaceState);
    this.shown = saved.shown;
    // The Run view shows the model and input it had (its page asks with `ready`).
    if (!runner.current && saved.view) {
      runner.current = saved.view.model;
      runner.lastInput = saved.view.input;
    }
    this.marks = new HostMarks((context.storageUri ?? context.globalStorageUri).fsPath);
    this.disposables.push(
      runner.onDidChange(() => this.save()),
      InspectorPanel.onRunAgain(() => this.runShown()),
    );
    let dead: number[] = [];
    try {
      dead = this.marks.begin();
    } catch (e) {
      console.warn(`[attention-inspector] cannot keep the host mark: ${(e as Error).message}`);
    }
    if (dead.length) void this.replaceDeadPanels();
  }

  /** The serializer revived the inspector after a reload: run what it showed again. */
  async revived(): Promise<void> {
    if (this.runner.lastResult || this.runner.running) return;
    if (this.shown) await this.runShown();
  }

  /** Runs the last shown run again (the lost panel's button, a revived panel). */
  private async runShown(): Promise<unknown> {
    const r = this.shown;
    return r ? this.runner.run(r.model, r.input) : undefined;
  }

  private save(): void {
    const r = this.runner;
    // A run that finished is what the inspector shows; its input is the last one given.
    if (r.lastResult && r.lastResult !== this.lastResult && r.resultModel && r.lastInput) {
      this.lastResult = r.lastResult;
      this.shown = { model: r.resultModel, input: r.lastInput };
    }
    const view = r.current && r.lastInput ? { model: r.current, input: r.lastInput } : undefined;
    void saveRuns(this.context.workspaceState, { view, shown: this.shown });
  }

  /** Closes the inspector tabs no host owns and opens a panel in their place that says so. */
  private async replaceDeadPanels(): Promise<void> {
    if (InspectorPanel.current) return;
    const tabs = vscode.window.tabGroups.all
      .flatMap((g) => g.tabs)
      .filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith(INSPECTOR_VIEW_TYPE));
    if (!tabs.length) return;
    const column = tabs[0].group.viewColumn;
    await vscode.window.tabGroups.close(tabs, true);
    const r = this.shown;
    const what = r ? ` It was ${path.basename(r.model)} on “${inputAsText(r.input).slice(0, 80)}”.` : '';
    InspectorPanel.showNoRun(this.context.extensionUri, LOST_MESSAGE + what, r ? 'Run again' : undefined, column);
  }

  dispose(): void {
    this.marks.end();
    while (this.disposables.length) this.disposables.pop()?.dispose();
  }
}
