// The side panel's "Run" webview view: an input box that re-runs the current model as the person
// types (debounced, the previous run cancelled), the tokens of the current run and a small head
// grid; clicking a head opens it in the main panel. The view may be hidden and re-shown at any
// time (its page is then reloaded), so it asks with `ready` and gets the whole state again.
import * as vscode from 'vscode';
import type { RunResult } from '../engine/types';
import { isSidebarToHost, type SidebarProgress, type SidebarState, type SidebarToHost } from '../../common/sidebar';
import { receiver } from '../../common/rpc';
import { sidebarState } from './sidebarState';
import { buildWebviewHtml, webviewOptions } from '../webviewHtml';
import { parseTypedInput, type InputVocab } from '../inputText';
import { LiveRun } from './liveRun';
import { RUN_VIEW_ID, type Runner } from '../runner';
import type { HeadFocus } from '../../common/webview';

export class RunViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  private view?: vscode.WebviewView;
  private readonly disposables: vscode.Disposable[] = [];
  readonly live: LiveRun<RunResult>;
  /** The typed input's problem, or the live run's error; cleared when the next run starts. */
  private inputError: string | undefined;
  /** The model and input came back from the workspace state (a reload) and nothing ran since. */
  private restorePending: boolean;
  /** The view's "Apply chat template" box: the typed text is the chat's user message. */
  private chat = false;
  /** The view's "Generate N tokens" field (decoder-only models); 0: none. */
  private generate = 0;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly runner: Runner,
    private readonly actions: { chooseModel(): Promise<string | undefined>; openHead(focus: HeadFocus): Promise<void> },
    delayMs = 400,
  ) {
    this.live = new LiveRun<RunResult>(
      {
        start: (text) => {
          const input = this.chat ? { chat: { user: text } } : parseTypedInput(text, this.vocab());
          return this.runner.live(this.runner.current!, this.generate ? { ...input, generate: this.generate } : input);
        },
        onStart: () => (this.inputError = undefined),
        onResult: () => undefined, // the runner's change event redraws
        onError: (_text, e) => {
          // A typed input the model cannot take never reaches the runner: say it here.
          this.inputError = e.name === 'CancelledError' ? undefined : e.message;
          this.post();
        },
      },
      delayMs,
    );
    this.restorePending = !!runner.current && !!runner.lastInput && !runner.lastResult;
    this.disposables.push(
      runner.onDidChange(() => {
        this.restorePending = false; // a run started (the inspector's own restore, or the person's)
        this.post();
      }),
      // The view's own bar fills as layers finish: a small message, not the whole state again.
      runner.onRun((e) => {
        if (e.type === 'progress' && this.view?.visible)
          void this.view.webview.postMessage({
            type: 'progress',
            done: e.done,
            total: e.total,
            message: e.message,
          } satisfies SidebarProgress);
      }),
    );
  }

  static register(provider: RunViewProvider): vscode.Disposable {
    return vscode.window.registerWebviewViewProvider(RUN_VIEW_ID, provider);
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    view.webview.options = webviewOptions(this.extensionUri);
    view.webview.html = buildWebviewHtml(view.webview, this.extensionUri, {
      name: 'sidebar',
      title: 'Attention: Run',
      styles: ['sidebar.css'],
    });
    this.disposables.push(
      view.webview.onDidReceiveMessage(
        receiver(
          isSidebarToHost,
          (m) => void this.onMessage(m),
          () => console.warn('[attention-inspector] dropped a malformed message from the side panel'),
        ),
      ),
      view.onDidChangeVisibility(() => view.visible && this.post()),
      view.onDidDispose(() => (this.view = undefined)),
    );
  }

  /** What the view shows now (tests read it). */
  state(): SidebarState {
    return sidebarState(this.runner, this.inputError);
  }

  /** The current model's ids range, when known from its last run. */
  private vocab(): InputVocab | undefined {
    const r = this.runner.lastResult;
    return r && this.runner.resultModel === this.runner.current ? r.model.vocab : undefined;
  }

  /** After a reload the runner has the model and input back but no result: run it, once. */
  private restoreRun(): void {
    const { current, lastInput, lastResult, running, lastError } = this.runner;
    if (!this.restorePending) return;
    this.restorePending = false;
    if (!current || !lastInput || lastResult || running || lastError || this.live.busy) return;
    this.runner.live(current, lastInput).catch(() => undefined);
  }

  /** Same as the person typing `text` into the box. */
  type(text: string): void {
    if (!this.runner.current) return;
    this.live.type(text);
  }

  private async onMessage(raw: SidebarToHost): Promise<void> {
    switch (raw.type) {
      case 'ready':
        this.restoreRun();
        return this.post();
      case 'input':
        this.chat = raw.chat === true;
        if (!this.runner.current) return this.post();
        this.generate = raw.generate ?? 0;
        return raw.text.trim() ? this.live.type(raw.text) : undefined;
      case 'runNow':
        this.chat = raw.chat === true;
        if (!this.runner.current) return this.post();
        this.generate = raw.generate ?? 0;
        return raw.text.trim() ? this.live.now(raw.text) : undefined;
      case 'chooseModel': {
        const model = await this.actions.chooseModel();
        if (model) await this.runner.runExample(model);
        return;
      }
      case 'openHead':
        return this.actions.openHead({ part: raw.part, layer: raw.layer, head: raw.head });
      case 'cancel':
        this.live.cancel(); // a pause's pending run too
        this.runner.cancelCurrent(); // a run from the palette shows its progress here as well
        return;
    }
  }

  private post(): void {
    if (!this.view?.visible) return; // a hidden view drops messages; it sends `ready` when shown
    void this.view.webview.postMessage(this.state());
  }

  dispose(): void {
    this.live.dispose();
    while (this.disposables.length) this.disposables.pop()?.dispose();
  }
}
