// Runs a model in the engine and shows the result (or the error, keeping the previous result
// visible) in the inspector panel. Palette runs get a progress notification with Cancel; live runs
// from the side panel show progress in the view instead and never pop notifications per keystroke.
// Remembers the last model + input so other commands, the panel's re-run and file changes reuse it.
import * as vscode from 'vscode';
import * as path from 'node:path';
import type { EngineHost, RunHandle } from './engineHost';
import type { ModelSummary, RunInput, RunResult } from './engine/types';
import type { HeadFocus } from './protocol/webview';
import { InspectorPanel } from './panels/inspectorPanel';
import type { InspectorView } from './protocol/views';
import { describeInput } from './inputText';
import { pickInput, type Prompter } from './prompts';
import { ModelFileWatcher } from './views/modelFileWatcher';
import { notify } from './notify';
import { uiText } from './uiText';
import { debugMark } from './loopMonitor';

export type HeadRef = HeadFocus;

export interface RunOptions {
  focus?: HeadFocus;
  view?: InspectorView;
  /** From the side panel as the person types: no notification, the panel is updated only if open. */
  live?: boolean;
  /** false: only run (the caller shows the result, e.g. the panel's own re-run). */
  show?: boolean;
}

export const RUN_VIEW_ID = 'attentionInspector.run';

export class Runner implements vscode.Disposable {
  /** The model of the last run (commands without a model argument reuse it). */
  current?: string;
  lastInput?: RunInput;
  lastResult?: RunResult;
  /** The model file of lastResult (current may already name another model that failed). */
  resultModel?: string;
  /** Set while a run is under way; cleared when it ends. */
  running = false;
  lastError?: string;
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when a run starts, ends or fails (the side panel redraws). */
  readonly onDidChange = this.changed.event;
  private readonly watcher: ModelFileWatcher;
  /** Bumped by each run; only the latest run may change the state or the panel. */
  private seq = 0;
  /** The partial result on screen while run `seq` goes on (see showPartial). */
  private partial?: { seq: number; result: RunResult };
  /** The latest partial result not shown yet (showPartial shows it from a timer). */
  private queuedPartial?: { seq: number; result: RunResult; opts: RunOptions };

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly engine: EngineHost,
    public prompter: Prompter,
  ) {
    this.watcher = new ModelFileWatcher({
      changed: (restartEngine) => void this.onModelChanged(restartEngine),
      deleted: (file) => this.onModelDeleted(file),
    });
  }

  dispose(): void {
    this.watcher.dispose();
    this.changed.dispose();
  }

  /** The model's summary, or undefined after showing why it cannot be read. */
  async summary(modelPath: string): Promise<ModelSummary | undefined> {
    try {
      return await this.engine.info(modelPath);
    } catch (e) {
      this.report(modelPath, e as Error, false);
      return undefined;
    }
  }

  /** Runs the file's first example (or asks for input when it has none). */
  async runExample(modelPath: string, opts: RunOptions = {}): Promise<RunResult | undefined> {
    const summary = await this.summary(modelPath);
    if (!summary) return undefined;
    const ex = summary.examples[0];
    if (!ex) return this.askAndRun(modelPath, opts, summary);
    // Opening a model shows the head its file names first (open_first), unless the caller names one.
    const focus = opts.focus ?? summary.openFirst;
    return this.run(modelPath, { text: ex.text, ids: ex.ids, targetText: ex.targetText, targetIds: ex.targetIds }, { ...opts, ...(focus ? { focus } : {}) });
  }

  /** Asks for an input (the model's examples offered) and runs it. */
  async askAndRun(modelPath: string, opts: RunOptions = {}, known?: ModelSummary): Promise<RunResult | undefined> {
    const summary = known ?? (await this.summary(modelPath));
    if (!summary) return undefined;
    const input = await pickInput(this.prompter, summary);
    return input ? this.run(modelPath, input, opts) : undefined;
  }

  /** The current run, or (with no prior state) a model chosen by the person and its first example. */
  async ensureResult(pick: () => Promise<string | undefined>, opts: RunOptions = {}): Promise<RunResult | undefined> {
    if (this.lastResult && InspectorPanel.current) return this.lastResult;
    if (this.current && this.lastInput) return this.run(this.current, this.lastInput, opts);
    const model = await pick();
    return model ? this.runExample(model, opts) : undefined;
  }

  /** Starts a run without any UI of its own; the caller shows progress. */
  start(modelPath: string, input: RunInput, onProgress?: (message: string) => void, onPartial?: (r: RunResult) => void): RunHandle {
    // The host adds the limits (attentionInspector.maxSequenceLength, maxRunMemoryMB), clamped.
    return this.engine.run(modelPath, input, (p) => onProgress?.(p.message), onPartial);
  }

  /** Runs with progress + Cancel and shows the result. Live runs return a cancellable handle via `live()`. */
  async run(modelPath: string, input: RunInput, opts: RunOptions = {}): Promise<RunResult | undefined> {
    const seq = this.begin(modelPath, input);
    try {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: uiText(`Attention: running ${path.basename(modelPath)}`), cancellable: true },
        (progress, token) => {
          const onProgress = (message: string) => {
            progress.report({ message: uiText(message) });
            this.progressed(seq, modelPath, message);
          };
          const handle = this.start(modelPath, input, onProgress, (r) => this.showPartial(seq, r, opts));
          token.onCancellationRequested(() => handle.cancel());
          return handle;
        },
      );
      this.finish(seq, modelPath, result, opts);
      return result;
    } catch (e) {
      this.fail(seq, modelPath, e as Error, false);
      return undefined;
    }
  }

  /** A side-panel run: progress in the view, cancellable by the next keystroke. */
  live(modelPath: string, input: RunInput): RunHandle {
    const seq = this.begin(modelPath, input);
    const handle = this.start(modelPath, input, (m) => this.progressed(seq, modelPath, m), (r) => this.showPartial(seq, r, { live: true }));
    void vscode.window.withProgress({ location: { viewId: RUN_VIEW_ID } }, () => handle.catch(() => undefined));
    const shown = handle.then(
      (result) => (this.finish(seq, modelPath, result, { live: true }), result),
      (e: Error) => {
        this.fail(seq, modelPath, e, true);
        throw e;
      },
    );
    return Object.assign(shown, { cancel: () => handle.cancel() });
  }

  /** Shows the last result again (e.g. the panel was closed after a live run), opening `focus`. */
  showLast(focus?: HeadFocus): boolean {
    const r = this.lastResult;
    if (!r) return false;
    InspectorPanel.show(this.extensionUri, r, `${r.model.name} — ${describeInput(r)}`, focus);
    return true;
  }

  /** Runs the last input again, optionally changed (e.g. another score function). */
  async rerun(change: Partial<RunInput> = {}, opts: RunOptions = {}): Promise<RunResult | undefined> {
    if (!this.current || !this.lastInput) return undefined;
    return this.run(this.current, { ...this.lastInput, ...change }, opts);
  }

  private begin(modelPath: string, input: RunInput): number {
    this.current = modelPath;
    this.lastInput = input;
    this.running = true;
    const seq = ++this.seq;
    debugMark(`begin ${seq}`);
    // At once, before the engine answers: what the panel shows is the previous run's.
    this.progressed(seq, modelPath, 'starting');
    this.changed.fire();
    return seq;
  }

  /** Until its first layers are shown, a run's progress is a line above the previous result. */
  private progressed(seq: number, modelPath: string, message: string): void {
    if (seq !== this.seq || this.partial?.seq === seq) return;
    InspectorPanel.current?.setRunStatus('running', `Running ${path.basename(modelPath)} (${message})… The heads below are from the previous run.`);
  }

  /**
   * A long run's first layers, shown before it ends (the engine streams them), under the same
   * rules as a finished run: only the latest run, and a live run only into an open panel.
   */
  private showPartial(seq: number, result: RunResult, opts: RunOptions): void {
    // The worker's messages are handled in one batch when several wait: showing each partial in
    // its handler kept timers and the workbench's messages (Cancel) waiting until the run ended.
    // Only the latest partial is shown, from a timer of its own.
    const first = !this.queuedPartial;
    this.queuedPartial = { seq, result, opts };
    if (first) setTimeout(() => this.showQueuedPartial(), 0);
  }

  private showQueuedPartial(): void {
    const q = this.queuedPartial;
    this.queuedPartial = undefined;
    if (!q) return;
    const { seq, result, opts } = q;
    if (seq !== this.seq || !this.running || opts.show === false || (opts.live && !InspectorPanel.current)) return;
    debugMark(`partial ${seq}: ${result.attentions.length} layers`);
    const panel = this.partial?.seq === seq ? InspectorPanel.current : undefined;
    this.partial = { seq, result };
    const title = `${result.model.name} — ${describeInput(result)}`;
    // Later layers of the same run: only what changed, the open head stays.
    if (panel) panel.extendResult(result, title);
    else InspectorPanel.show(this.extensionUri, result, title);
  }

  /**
   * A run that showed partial results and then failed or was cancelled: put the last finished
   * run back, or, when there is none, keep the partial layers marked as stopped.
   */
  private retractPartial(seq: number, e: Error): void {
    const shown = this.partial;
    this.partial = undefined;
    if (!shown || shown.seq !== seq || !InspectorPanel.current) return;
    const r = this.lastResult ?? { ...shown.result, running: { ...shown.result.running!, stopped: e.name === 'CancelledError' ? 'cancelled' : 'failed' } };
    InspectorPanel.show(this.extensionUri, r, `${r.model.name} — ${describeInput(r)}`);
  }

  private finish(seq: number, modelPath: string, result: RunResult, opts: RunOptions): void {
    debugMark(`finish ${seq}`);
    if (seq !== this.seq) return; // a newer run replaced this one while it ran
    if (this.partial?.seq === seq) this.partial = undefined;
    this.lastResult = result;
    this.resultModel = modelPath;
    this.running = false;
    this.lastError = undefined;
    this.watcher.watch(modelPath);
    // A live run must not pull focus or open a panel the person did not ask for.
    if (opts.show !== false && (!opts.live || InspectorPanel.current)) {
      InspectorPanel.show(this.extensionUri, result, `${result.model.name} — ${describeInput(result)}`, opts.focus, opts.view);
    }
    debugMark(`finish ${seq}: panel posted`);
    this.changed.fire();
    debugMark(`finish ${seq}: side panel posted`);
  }

  private fail(seq: number, modelPath: string, e: Error, live: boolean): void {
    if (seq !== this.seq) return;
    this.retractPartial(seq, e);
    const cancelled = e.name === 'CancelledError';
    // Said in the panel at once; with no earlier result, the stopped partial run says it itself.
    InspectorPanel.current?.setRunStatus(
      this.lastResult ? (cancelled ? 'cancelled' : 'failed') : 'idle',
      cancelled ? 'Run cancelled. The panel shows the previous run.' : 'The run failed. The panel shows the previous run.',
    );
    this.running = false;
    if (e.name !== 'CancelledError') this.lastError = e.message;
    this.report(modelPath, e, live);
    this.changed.fire();
  }

  private report(modelPath: string, e: Error, live: boolean): void {
    if (e.name === 'CancelledError') {
      if (!live) void notify.info('Attention: run cancelled.');
      return;
    }
    this.lastError = e.message;
    if (live) return; // the side panel shows it under the input box
    InspectorPanel.showError(this.extensionUri, e.message);
    void notify.error(`Attention: ${path.basename(modelPath)}: ${e.message}`);
  }

  private async onModelChanged(restartEngine: boolean): Promise<void> {
    if (!this.current || !this.lastInput || !InspectorPanel.current) return;
    // The worker caches a model by the stamp of its main file; a changed sidecar needs a fresh worker.
    if (restartEngine) await this.engine.restart('model files changed on disk');
    await this.rerun();
  }

  private onModelDeleted(file: string): void {
    if (!InspectorPanel.current) return;
    InspectorPanel.showError(this.extensionUri, `${file} was deleted. The panel still shows its last run; open another model to continue.`);
  }
}
