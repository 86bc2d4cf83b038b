// Runs a model in the engine and emits each run's life as events (asking for its input, started,
// progress, partial, finished, failed): the inspector subscribes (panels/runDisplay.ts decides what
// it shows). Palette runs get a progress notification with Cancel; live runs from the side panel
// show progress in the view instead and never pop notifications per keystroke. Remembers the last
// model + input so other commands, the panel's re-run and file changes reuse it.
import * as vscode from 'vscode';
import * as path from 'node:path';
import type { EngineHost, RunHandle } from './engineHost';
import type { ModelSummary, Progress, RunInput, RunResult } from './engine/types';
import type { HeadFocus } from '../common/webview';
import type { InspectorView } from '../common/views';
import { stoppedOnPurpose, type RunEvent } from './panels/runDisplay';
import { pickInput, type Prompter } from './prompts';
import { ModelFileWatcher } from './sidebar/modelFileWatcher';
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
  private readonly events = new vscode.EventEmitter<RunEvent>();
  /** The latest run's life, and results or problems to show (the inspector subscribes). */
  readonly onRun = this.events.event;
  private readonly watcher: ModelFileWatcher;
  /** Bumped by each run; only the latest run may change the state or emit events. */
  private seq = 0;
  /** How to cancel the latest run (cancelCurrent). */
  private handle?: { seq: number; cancel(): void };
  /** The person cancelled the latest run (not a newer input replacing it): the Run view says so. */
  cancelled = false;
  /** The latest partial result not emitted yet (emitPartial emits it from a timer). */
  private queuedPartial?: { seq: number; result: RunResult; opts: RunOptions };

  constructor(
    private readonly engine: EngineHost,
    public prompter: Prompter,
    /** Whether a run is on screen (an inspector is open): file changes re-run only then. */
    private readonly shown: () => boolean = () => false,
  ) {
    this.watcher = new ModelFileWatcher({
      changed: (restartEngine) => void this.onModelChanged(restartEngine),
      deleted: (file) => this.onModelDeleted(file),
    });
  }

  dispose(): void {
    this.watcher.dispose();
    this.changed.dispose();
    this.events.dispose();
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
    return this.run(
      modelPath,
      { text: ex.text, ids: ex.ids, targetText: ex.targetText, targetIds: ex.targetIds },
      { ...opts, ...(focus ? { focus } : {}) },
    );
  }

  /** Asks for an input (the model's examples offered) and runs it. */
  async askAndRun(modelPath: string, opts: RunOptions = {}, known?: ModelSummary): Promise<RunResult | undefined> {
    const summary = known ?? (await this.summary(modelPath));
    if (!summary) return undefined;
    this.events.fire({ type: 'asking', model: modelPath, summary });
    const input = await pickInput(this.prompter, summary);
    if (!input) this.events.fire({ type: 'dismissed', model: modelPath });
    return input ? this.run(modelPath, input, opts) : undefined;
  }

  /** The current run, or (with no prior state) a model chosen by the person and its first example. */
  async ensureResult(pick: () => Promise<string | undefined>, opts: RunOptions = {}): Promise<RunResult | undefined> {
    if (this.lastResult && this.shown()) return this.lastResult;
    if (this.current && this.lastInput) return this.run(this.current, this.lastInput, opts);
    const model = await pick();
    return model ? this.runExample(model, opts) : undefined;
  }

  /** Starts a run without any UI of its own; the caller shows progress. */
  start(modelPath: string, input: RunInput, onProgress?: (message: string) => void, onPartial?: (r: RunResult) => void): RunHandle {
    // The host adds the limits (attentionInspector.maxSequenceLength, maxRunMemoryMB), clamped.
    return this.engine.run(modelPath, input, (p) => onProgress?.(p.message), onPartial);
  }

  /**
   * A run whose probabilities stay in the engine worker (the inspector asks it for one head at a
   * time): the worker keeps it and the run on screen (lastResult), and drops older ones.
   */
  private startKept(modelPath: string, input: RunInput, onProgress: (p: Progress) => void, onPartial: (r: RunResult) => void): RunHandle {
    return this.engine.run(modelPath, input, onProgress, onPartial, { also: this.lastResult?.kept?.run });
  }

  /**
   * Cancels the run going on (from the palette or the notification, or live from the side panel);
   * false when none is. Cancel from the inspector's line and the Cancel Run command come here.
   */
  cancelCurrent(): boolean {
    if (!this.running) return false;
    debugMark(`cancel ${this.seq}`);
    this.cancelled = true;
    // The notification's progress starts the engine a moment after the run began: cancelled then.
    if (this.handle?.seq === this.seq) this.handle.cancel();
    return true;
  }

  /** The latest run's engine handle, cancelled at once when Cancel came before it. */
  private started(seq: number, handle: RunHandle): void {
    this.handle = { seq, cancel: () => handle.cancel() };
    if (seq === this.seq && this.cancelled) handle.cancel();
  }

  /** Runs with progress + Cancel and shows the result. Live runs return a cancellable handle via `live()`. */
  async run(modelPath: string, input: RunInput, opts: RunOptions = {}): Promise<RunResult | undefined> {
    const seq = this.begin(modelPath, input);
    try {
      const result = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: uiText(`Attention: running ${path.basename(modelPath)}`),
          cancellable: true,
        },
        (progress, token) => {
          const onProgress = (p: Progress) => {
            progress.report({ message: uiText(p.message) });
            this.progressed(seq, modelPath, p);
          };
          const handle = this.startKept(modelPath, input, onProgress, (r) => this.emitPartial(seq, r, opts));
          this.started(seq, handle);
          token.onCancellationRequested(() => {
            debugMark(`cancel ${seq}`);
            if (seq === this.seq) this.cancelled = true;
            handle.cancel();
          });
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
    const handle = this.startKept(
      modelPath,
      input,
      (p) => this.progressed(seq, modelPath, p),
      (r) => this.emitPartial(seq, r, { live: true }),
    );
    this.started(seq, handle);
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
    this.events.fire({ type: 'reshow', result: r, focus });
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
    this.cancelled = false;
    const seq = ++this.seq;
    debugMark(`begin ${seq}`);
    // At once, before the engine answers: what the panel shows is the previous run's.
    this.events.fire({ type: 'started', seq, model: modelPath });
    this.changed.fire();
    return seq;
  }

  private progressed(seq: number, modelPath: string, p: Progress): void {
    debugMark(`progress ${seq}: ${p.message}`);
    if (seq === this.seq) this.events.fire({ type: 'progress', seq, model: modelPath, message: p.message, done: p.done, total: p.total });
  }

  /**
   * A long run's first layers, before it ends (the engine streams them). The worker's messages
   * are handled in one batch when several wait: emitting each partial in its handler kept timers
   * and the workbench's messages (Cancel) waiting until the run ended. Only the latest partial is
   * emitted, from a timer of its own.
   */
  private emitPartial(seq: number, result: RunResult, opts: RunOptions): void {
    const first = !this.queuedPartial;
    this.queuedPartial = { seq, result, opts };
    if (first) setTimeout(() => this.emitQueuedPartial(), 0);
  }

  private emitQueuedPartial(): void {
    const q = this.queuedPartial;
    this.queuedPartial = undefined;
    if (!q || q.seq !== this.seq || !this.running) return;
    debugMark(`partial ${q.seq}: ${q.result.attentions.length} layers`);
    this.events.fire({ type: 'partial', seq: q.seq, result: q.result, opts: q.opts });
  }

  private finish(seq: number, modelPath: string, result: RunResult, opts: RunOptions): void {
    debugMark(`finish ${seq}`);
    if (seq !== this.seq) return; // a newer run replaced this one while it ran
    this.lastResult = result;
    this.resultModel = modelPath;
    this.running = false;
    this.lastError = undefined;
    this.watcher.watch(modelPath);
    this.events.fire({ type: 'finished', seq, result, opts });
    debugMark(`finish ${seq}: panel posted`);
    this.changed.fire();
    debugMark(`finish ${seq}: side panel posted`);
  }

  private fail(seq: number, modelPath: string, e: Error, live: boolean): void {
    debugMark(`failed ${seq}: ${e.name}`);
    if (seq !== this.seq) return;
    this.running = false;
    if (!stoppedOnPurpose(e)) this.lastError = e.message;
    const error = { name: e.name, message: e.message };
    this.events.fire({ type: 'failed', seq, model: modelPath, error, live, previous: this.lastResult });
    this.notifyFailure(modelPath, e, live);
    this.changed.fire();
  }

  /** A failure that is not a run's (the model cannot be read): said in the panel and a notification. */
  private report(modelPath: string, e: Error, live: boolean): void {
    if (e.name !== 'CancelledError') {
      this.lastError = e.message;
      if (!live) this.events.fire({ type: 'problem', message: e.message, open: true });
    }
    this.notifyFailure(modelPath, e, live);
  }

  private notifyFailure(modelPath: string, e: Error, live: boolean): void {
    if (live) return; // the side panel shows it under the input box
    if (e.name === 'CancelledError') void notify.info('Attention: run cancelled.');
    // A restart says so itself (Restart Engine's notification; a changed model file runs again).
    else if (!stoppedOnPurpose(e)) void notify.error(`Attention: ${path.basename(modelPath)}: ${e.message}`);
  }

  private async onModelChanged(restartEngine: boolean): Promise<void> {
    if (!this.current || !this.lastInput || !this.shown()) return;
    // The worker caches a model by the stamp of its main file; a changed sidecar needs a fresh worker.
    if (restartEngine) await this.engine.restart('model files changed on disk');
    await this.rerun();
  }

  private onModelDeleted(file: string): void {
    const message = `${file} was deleted. The panel still shows its last run; open another model to continue.`;
    this.events.fire({ type: 'problem', message, open: false });
  }
}
