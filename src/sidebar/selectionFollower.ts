// "Run on Selection", pinned: while on, every new selection in a text editor (after a short pause)
// re-runs the current model on the selected text, cancelling the run of the previous selection.
// A status bar item shows that it is on and turns it off when clicked.
import * as vscode from 'vscode';
import type { RunResult } from '../engine/types';
import type { Runner } from '../runner';
import { LiveRun } from './liveRun';

/** Longest selection that is followed (a whole-file selection is not meant as model input). */
const MAX_FOLLOWED = 4000;

export class SelectionFollower implements vscode.Disposable {
  private sub?: vscode.Disposable;
  private readonly item = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 50);
  private readonly live: LiveRun<RunResult>;
  private lastText = '';

  constructor(
    private readonly runner: Runner,
    private readonly pick: () => Promise<string | undefined>,
  ) {
    this.live = new LiveRun<RunResult>({
      start: (text) => this.runner.live(this.runner.current!, { text }),
      onResult: () => undefined,
      onError: () => undefined, // shown in the side panel; a notification per selection would be noise
    });
    this.item.text = '$(pinned) Attention: following selection';
    this.item.tooltip = 'Attention: the selected text re-runs the model. Click to stop.';
    this.item.command = 'attentionInspector.toggleFollowSelection';
  }

  get on(): boolean {
    return this.sub !== undefined;
  }

  async toggle(): Promise<boolean> {
    if (this.sub) {
      this.stop();
      return false;
    }
    const model = this.runner.current ?? (await this.pick());
    if (!model) return false;
    if (!this.runner.current) this.runner.current = model;
    this.sub = vscode.window.onDidChangeTextEditorSelection((e) => this.onSelection(e.textEditor));
    this.item.show();
    if (vscode.window.activeTextEditor) this.onSelection(vscode.window.activeTextEditor);
    return true;
  }

  private onSelection(editor: vscode.TextEditor): void {
    if (editor.document.uri.scheme === 'output') return;
    const text = editor.document.getText(editor.selection).trim();
    if (!text || text.length > MAX_FOLLOWED || text === this.lastText || !this.runner.current) return;
    this.lastText = text;
    this.live.type(text);
  }

  private stop(): void {
    this.sub?.dispose();
    this.sub = undefined;
    this.lastText = '';
    this.live.cancel();
    this.item.hide();
  }

  dispose(): void {
    this.stop();
    this.live.dispose();
    this.item.dispose();
  }
}
