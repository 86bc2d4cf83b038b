// The inspector as the rest of the extension uses it: one object, made in activate() and handed
// to the commands and editors, that subscribes to the runner's events (RunDisplay decides what they
// show) and answers the engine-backed requests of the panel (re-run with another score, Q·K). Only
// this file and the serializer talk to InspectorPanel's statics.
import * as vscode from 'vscode';
import type { EngineHost } from '../engineHost';
import type { RunResult } from '../engine/types';
import type { InspectorView } from '../../common/views';
import type { HeadFocus } from '../../common/webview';
import type { Runner } from '../runner';
import { InspectorPanel } from './inspectorPanel';
import { RunDisplay } from './runDisplay';

export class Inspector implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[];

  constructor(
    private readonly extensionUri: vscode.Uri,
    runner: Runner,
    engine: EngineHost,
  ) {
    const display = new RunDisplay({
      isOpen: () => InspectorPanel.current !== undefined,
      show: (result, title, focus, view) => InspectorPanel.show(extensionUri, result, title, focus, view),
      extend: (result, title) => InspectorPanel.current?.extendResult(result, title),
      setStatus: (state, message, progress) => InspectorPanel.current?.setRunStatus(state, message, progress),
      showError: (message) => InspectorPanel.showError(extensionUri, message),
      hasRun: () => InspectorPanel.current?.result !== undefined,
      showWaiting: (message) => InspectorPanel.showNoRun(extensionUri, message),
      closeEmpty: () => InspectorPanel.closeEmpty(),
    });
    this.disposables = [
      runner.onRun((e) => display.handle(e)),
      // The stepper's score switch (RNN seq2seq): the same input again with another score; the panel shows it.
      InspectorPanel.onRerun((score) => runner.rerun({ score }, { show: false })),
      // The Cancel button of the page's running line.
      InspectorPanel.onCancelRun(() => runner.cancelCurrent()),
      // The Q·K view's vectors: the run's ids through its model file again (the worker keeps it loaded).
      // The heads of a run the worker keeps (runner.ts runs keep theirs there): asked for one at a time.
      InspectorPanel.onKept({
        head: (run, part, layer, head, preview) => engine.head(run, part, layer, head, preview),
        aggregate: (run, part, layer, kind) => engine.aggregate(run, part, layer, kind),
      }),
      InspectorPanel.onQk((result, request) =>
        engine.qk(result === runner.lastResult && runner.resultModel ? runner.resultModel : result.model.file, request),
      ),
    ];
  }

  dispose(): void {
    while (this.disposables.length) this.disposables.pop()?.dispose();
  }

  /** The panel open now, if any (tests check what it shows). */
  get panel(): InspectorPanel | undefined {
    return InspectorPanel.current;
  }

  isOpen(): boolean {
    return InspectorPanel.current !== undefined;
  }

  /** Switches the open panel's view; false when no panel or no run is shown (or nothing to compare). */
  showView(view: InspectorView): boolean {
    return InspectorPanel.showView(view);
  }

  /** Export View…: the saved file, or undefined (cancelled, or nothing to export: said to the person). */
  exportView(): Promise<string | undefined> {
    return InspectorPanel.exportView();
  }

  /** Opens one head of the run on screen; false when no panel is open or it has no such head. */
  focusHead(focus: HeadFocus): boolean {
    return InspectorPanel.current?.focusHead(focus) ?? false;
  }

  showError(message: string): void {
    InspectorPanel.showError(this.extensionUri, message);
  }

  showCompare(a: { result: RunResult; label: string }, b: { result: RunResult; label: string }, title: string): void {
    InspectorPanel.showCompare(this.extensionUri, a, b, title);
  }

  /** The panel's editor column, or undefined when none is open. */
  get viewColumn(): vscode.ViewColumn | undefined {
    return InspectorPanel.current?.panel.viewColumn;
  }

  /** Moves the open panel beside the active editor (a page in its group would cover it). */
  moveBeside(): void {
    InspectorPanel.current?.panel.reveal(vscode.ViewColumn.Beside, true);
  }
}
