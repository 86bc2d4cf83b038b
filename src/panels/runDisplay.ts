// What the inspector shows of the runs: the runner emits a run's life as events (asking for its
// input, started, progress, partial, finished, failed) and this subscriber alone decides what the
// panel shows of them. It keeps the display state (which run's partial layers are on screen); the
// runner keeps only the runs. No vscode import: the rules are unit-tested with a fake screen.
import * as path from 'node:path';
import type { ModelSummary, RunResult } from '../engine/types';
import type { InspectorView } from '../../common/views';
import type { HeadFocus, RunProgress } from '../../common/webview';
import { describeInput } from '../inputText';

/** How a run was asked for (the runner's RunOptions, as far as showing it goes). */
export interface ShowOptions {
  focus?: HeadFocus;
  view?: InspectorView;
  /** From the side panel as the person types: shown only in a panel that is open. */
  live?: boolean;
  /** false: the caller shows the result itself (e.g. the panel's own re-run). */
  show?: boolean;
}

export type RunEvent =
  /** `seq` numbers the runs; the runner emits events of its latest run only. */
  | { type: 'started'; seq: number; model: string }
  | { type: 'progress'; seq: number; model: string; message: string; done: number; total: number }
  | { type: 'partial'; seq: number; result: RunResult; opts: ShowOptions }
  | { type: 'finished'; seq: number; result: RunResult; opts: ShowOptions }
  /** `previous`: the last finished run, which the panel shows again. */
  | { type: 'failed'; seq: number; model: string; error: { name: string; message: string }; live: boolean; previous?: RunResult }
  /** Show a finished run again (the panel was closed), opening `focus`. */
  | { type: 'reshow'; result: RunResult; focus?: HeadFocus }
  /** A problem to say in the panel; `open`: also when no panel is open (it opens one). */
  | { type: 'problem'; message: string; open: boolean }
  /** The model's input is being asked for (its first run comes next) … */
  | { type: 'asking'; model: string; summary: ModelSummary }
  /** … and the person dismissed the prompt: no run comes. */
  | { type: 'dismissed'; model: string };

/** The inspector as the display drives it (InspectorPanel in VS Code, a fake in tests). */
export interface InspectorScreen {
  isOpen(): boolean;
  /** Replaces the shown run, opening the panel when none is. */
  show(result: RunResult, title: string, focus?: HeadFocus, view?: InspectorView): void;
  /** More of the streamed run on screen (its id and open head stay). */
  extend(result: RunResult, title: string): void;
  /** A line above the shown run, with how far a running run is; the panel must be open. */
  setStatus(state: 'running' | 'cancelled' | 'failed' | 'idle', message: string, progress?: RunProgress): void;
  /** An error banner, opening the panel when none is. */
  showError(message: string): void;
  /** Whether the open panel shows a run (else it says why it has none). */
  hasRun(): boolean;
  /** Opens a panel that says `message` until a run comes (the panel must not be open). */
  showWaiting(message: string): void;
  /** Closes the open panel if it shows no run. */
  closeEmpty(): void;
}

export const runTitle = (r: RunResult): string => `${r.model.name} — ${describeInput(r)}`;

/** A run stopped by a Cancel, or by a restart of the engine someone asked for: not a failure. */
export function stoppedOnPurpose(e: { name: string }): boolean {
  return e.name === 'CancelledError' || e.name === 'EngineRestarted';
}

/** What a panel opened for a model whose input is being asked for says. */
export function waitingMessage(s: ModelSummary): string {
  const parts = s.parts.map((p) => `${p.part} ${p.layers} × ${p.heads}`).join(', ');
  return (
    `${s.name} (${s.architecture}, ${s.kind}, ${s.parameters.toLocaleString('en-US')} parameters; layers × heads: ${parts || 'none'}). ` +
    'Its attention shows here once it has an input: type one in the prompt at the top of the window.'
  );
}

export class RunDisplay {
  /** The run whose partial layers are on screen (and its latest partial result). */
  private partial?: { seq: number; result: RunResult };
  /** The model whose input is being asked for, when this display opened a panel for it. */
  private waitingFor?: string;

  constructor(private readonly screen: InspectorScreen) {}

  handle(e: RunEvent): void {
    const s = this.screen;
    switch (e.type) {
      case 'started':
      case 'progress': {
        this.waitingFor = undefined;
        // Until its first layers are shown, a run's progress is a line above the previous result.
        if (this.partial?.seq === e.seq || !s.isOpen()) return;
        const below = s.hasRun() ? ' The heads below are from the previous run.' : '';
        s.setStatus(
          'running',
          `Running ${path.basename(e.model)} (${e.type === 'started' ? 'starting' : e.message})…${below}`,
          e.type === 'started' ? { done: 0, total: 1 } : { done: Math.min(e.done, e.total), total: Math.max(1, e.total) },
        );
        return;
      }
      case 'asking':
        // A first run's panel opens while its input is typed: a new panel's page takes the window
        // seconds to load, which the run's first heatmap waited for. An open panel keeps its run.
        if (s.isOpen()) return;
        s.showWaiting(waitingMessage(e.summary));
        this.waitingFor = e.model;
        return;
      case 'dismissed':
        // Escape on the prompt: the panel opened for it goes too (nothing else was shown in it).
        if (this.waitingFor === e.model && s.isOpen()) s.closeEmpty();
        this.waitingFor = undefined;
        return;
      case 'partial': {
        if (e.opts.show === false || (e.opts.live && !s.isOpen())) return;
        const extending = this.partial?.seq === e.seq && s.isOpen();
        this.partial = { seq: e.seq, result: e.result };
        if (extending) s.extend(e.result, runTitle(e.result));
        else s.show(e.result, runTitle(e.result));
        return;
      }
      case 'finished': {
        const streamed = this.partial?.seq === e.seq && s.isOpen();
        if (this.partial?.seq === e.seq) this.partial = undefined;
        // A live run must not pull focus or open a panel the person did not ask for.
        if (e.opts.show === false || (e.opts.live && !s.isOpen())) return;
        // The end of the streamed run on screen: only what the page has not got yet.
        if (streamed && !e.opts.focus && !e.opts.view) s.extend(e.result, runTitle(e.result));
        else s.show(e.result, runTitle(e.result), e.opts.focus, e.opts.view);
        return;
      }
      case 'failed':
        return this.failed(e);
      case 'reshow':
        return s.show(e.result, runTitle(e.result), e.focus);
      case 'problem':
        if (e.open || s.isOpen()) s.showError(e.message);
        return;
    }
  }

  /**
   * A run that showed partial results and then failed or was cancelled: put the last finished run
   * back, or, when there is none, keep the partial layers marked as stopped. Then say so.
   */
  private failed(e: Extract<RunEvent, { type: 'failed' }>): void {
    const s = this.screen;
    const shown = this.partial;
    this.partial = undefined;
    const stopped = stoppedOnPurpose(e.error);
    const why = e.error.name === 'CancelledError' ? 'Run cancelled.' : stopped ? `Run stopped: ${e.error.message}.` : 'The run failed.';
    const say = () => s.setStatus(e.previous ? (stopped ? 'cancelled' : 'failed') : 'idle', `${why} The panel shows the previous run.`);
    if (shown?.seq === e.seq && s.isOpen()) {
      // Said at once, before the page redraws the run it puts back (a whole run), and again after
      // it, since a shown run clears the line; with no earlier result, the stopped run says it.
      if (e.previous) say();
      const r = e.previous ?? {
        ...shown.result,
        running: { ...shown.result.running!, stopped: stopped ? ('cancelled' as const) : ('failed' as const) },
      };
      s.show(r, runTitle(r));
    }
    if (s.isOpen()) say();
    if (!stopped && !e.live) s.showError(e.error.message);
  }
}
