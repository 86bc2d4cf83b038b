// The main inspector panel: one WebviewPanel showing the last run's heads. The conversation
// itself (validation, replies) lives in InspectorSession so it can be tested without VS Code;
// this file only owns the panel's life cycle.
import * as os from 'os';
import * as vscode from 'vscode';
import type { HeadQK, QkRequest, RnnScore, RunResult } from '../engine/types';
import { exportHeadText, exportTitle } from '../../common/exportData';
import { InspectorSession, type KeptSource, type SessionEvent } from '../protocol/inspectorSession';
import {
  sanitizeState,
  type ExportFormat,
  type ExportReplyMessage,
  type HeadFocus,
  type HostToWebview,
  type InspectorView,
  type RunProgress,
} from '../../common/webview';
import { CancelledError, RpcClient } from '../../common/rpc';
import { buildWebviewHtml, joinUri, webviewOptions } from '../webviewHtml';
import { notify } from '../notify';
import { debugMark, messageBytes } from '../loopMonitor';

export const INSPECTOR_VIEW_TYPE = 'attentionInspector.inspector';

const PANEL_PREFIX = 'Attention: ';
/** How long Export View waits for the page to draw the image. */
const EXPORT_TIMEOUT_MS = 15_000;

export type RerunHandler = (score: RnnScore) => Promise<RunResult | undefined>;
export type QkHandler = (result: RunResult, request: QkRequest) => Promise<HeadQK>;

/** What the extension registers for the panel (a handler, a source): the latest wins; disposing it clears it. */
class Hook<T> {
  value: T | undefined;

  set(value: T): vscode.Disposable {
    this.value = value;
    return new vscode.Disposable(() => {
      if (this.value === value) this.value = undefined;
    });
  }
}

export class InspectorPanel {
  /** The open inspector, if any (there is at most one; a new run replaces its content). */
  static current: InspectorPanel | undefined;

  private readonly session = new InspectorSession(
    undefined,
    (result, request) => {
      const h = InspectorPanel.qk.value;
      return h ? h(result, request) : Promise.reject(new Error('no engine is registered'));
    },
    {
      head: (...a) => InspectorPanel.kept.value?.head(...a) ?? Promise.reject(new Error('no engine is registered')),
      aggregate: (...a) => InspectorPanel.kept.value?.aggregate(...a) ?? Promise.reject(new Error('no engine is registered')),
    },
  );
  private readonly disposables: vscode.Disposable[] = [];
  private readonly disposeEmitter = new vscode.EventEmitter<void>();
  private disposed = false;
  /** Set while a new kept run waits for its opening head: later posts queue behind it (postInOrder). */
  private waiting: Promise<void> | undefined;
  /** Ends the waits of what is queued (flush). */
  private readonly flushers: (() => void)[] = [];
  /** Fires once, when the user closes the panel. */
  readonly onDidDispose = this.disposeEmitter.event;
  private static readonly rerun = new Hook<RerunHandler>();
  private static readonly runAgain = new Hook<() => Promise<unknown>>();
  private static readonly cancelRun = new Hook<() => unknown>();
  private static readonly qk = new Hook<QkHandler>();
  /** The engine, for the heads of runs it keeps (RunResult.kept). */
  private static readonly kept = new Hook<KeptSource>();
  /** The host's requests to the page (Export View): answered by an exportReply with their id. */
  private readonly toPage = new RpcClient<HostToWebview, ExportReplyMessage>(
    (m) => this.post([m]),
    (r) => ({ id: r.requestId, reply: r }),
  );

  /**
   * Opens (or reveals) the inspector and shows `result`. Safe to call for every new run. With
   * `focus`, that head is opened; otherwise the user's last selection is kept when it exists.
   * With `view`, the panel switches to that view (e.g. 'stepper' for Step Decoder).
   */
  static show(extensionUri: vscode.Uri, result: RunResult, title: string, focus?: HeadFocus, view?: InspectorView): InspectorPanel {
    const p = InspectorPanel.current ?? InspectorPanel.create(extensionUri);
    p.panel.reveal(undefined, true);
    p.setResult(result, title, focus, view);
    return p;
  }

  /** The run the panel shows now (a partial one while a long run goes on). */
  get result(): RunResult | undefined {
    return this.session.currentResult;
  }

  /** Switches the open panel's view; false when no panel or no run is shown (or nothing to compare). */
  static showView(view: InspectorView): boolean {
    const p = InspectorPanel.current;
    const m = p?.session.showView(view);
    if (!p || !m) return false;
    p.panel.reveal(undefined, true);
    p.post([m]);
    return true;
  }

  /** Opens the attention diff of two runs (two inputs on one model, or two models on one input). */
  static showCompare(
    extensionUri: vscode.Uri,
    a: { result: RunResult; label: string },
    b: { result: RunResult; label: string },
    title: string,
  ): InspectorPanel {
    const p = InspectorPanel.current ?? InspectorPanel.create(extensionUri);
    p.panel.reveal(undefined, true);
    p.panel.title = PANEL_PREFIX + title;
    p.post(p.session.setCompare(a, b, title));
    return p;
  }

  /**
   * Export View…: asks which format, asks the page for the current view (PNG/SVG) or head
   * (CSV/JSON), asks where to save, writes the file. Returns its path, or undefined when
   * cancelled or when there is nothing to export (the reason is shown to the user).
   */
  static async exportView(): Promise<string | undefined> {
    const p = InspectorPanel.current;
    if (!p || !p.session.hasResult) {
      void notify.warning('Attention: nothing to export — run a model first.');
      return undefined;
    }
    return p.exportCurrent();
  }

  /** How the host re-runs the current input with another RNN score function (the stepper's switch). */
  static onRerun(handler: RerunHandler): vscode.Disposable {
    return InspectorPanel.rerun.set(handler);
  }

  /** What the "Run again" button of a panel whose run was lost does (see showNoRun). */
  static onRunAgain(handler: () => Promise<unknown>): vscode.Disposable {
    return InspectorPanel.runAgain.set(handler);
  }

  /** What the Cancel button of a running run's line does. */
  static onCancelRun(handler: () => unknown): vscode.Disposable {
    return InspectorPanel.cancelRun.set(handler);
  }

  /**
   * A panel that says why it shows no run (`message`: its run was lost, or its model's input is
   * being asked for), with a button (`runAgain`, its label) that runs the lost run again; opened
   * in `column` (where a lost panel was) when none is open.
   */
  static showNoRun(extensionUri: vscode.Uri, message: string, runAgain?: string, column?: vscode.ViewColumn): InspectorPanel {
    const p = InspectorPanel.current ?? InspectorPanel.create(extensionUri, column);
    p.post(p.session.setNoRun(message, runAgain));
    return p;
  }

  /** Closes the open panel when it shows no run (a panel opened for an input that never came). */
  static closeEmpty(): void {
    const p = InspectorPanel.current;
    if (p && !p.session.hasResult) p.panel.dispose();
  }

  /** Where the heads and aggregates of runs the engine keeps come from (the engine host). */
  static onKept(source: KeptSource): vscode.Disposable {
    return InspectorPanel.kept.set(source);
  }

  /** How the host computes one head's q and k vectors for the Q·K view (the engine worker). */
  static onQk(handler: QkHandler): vscode.Disposable {
    return InspectorPanel.qk.set(handler);
  }

  /**
   * Shows `message` in the panel's error banner; what the panel showed stays visible. Opens an
   * empty panel when none is open, so an error of a first run is not lost.
   */
  static showError(extensionUri: vscode.Uri, message: string): InspectorPanel {
    const p = InspectorPanel.current ?? InspectorPanel.create(extensionUri);
    p.panel.reveal(undefined, true);
    p.showError(message);
    return p;
  }

  /**
   * For a WebviewPanelSerializer: VS Code restored a panel after a reload. The run itself is not
   * persisted (it can be large), so the panel says so; the next show() fills it, and the webview's
   * own saved selection (part, layer, head, view) is applied again.
   */
  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, state: unknown): InspectorPanel {
    InspectorPanel.current?.dispose();
    const p = new InspectorPanel(panel, extensionUri);
    const title = sanitizeState(state).title;
    if (title) panel.title = PANEL_PREFIX + title;
    return p;
  }

  private static create(extensionUri: vscode.Uri, column = vscode.ViewColumn.Beside): InspectorPanel {
    debugMark('panel created');
    const panel = vscode.window.createWebviewPanel(
      INSPECTOR_VIEW_TYPE,
      'Attention Inspector',
      { viewColumn: column, preserveFocus: true },
      { ...webviewOptions(extensionUri), retainContextWhenHidden: false },
    );
    return new InspectorPanel(panel, extensionUri);
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly extensionUri: vscode.Uri,
  ) {
    InspectorPanel.current = this;
    panel.webview.options = webviewOptions(extensionUri);
    panel.iconPath = joinUri(extensionUri, 'media', 'attention.svg');
    panel.webview.html = buildWebviewHtml(panel.webview, extensionUri, {
      name: 'inspector',
      title: 'Attention Inspector',
      styles: ['inspector.css'],
    });
    // With retainContextWhenHidden off, the page reloads when shown again and sends `ready`;
    // the session answers with the whole snapshot, so no state is lost.
    this.disposables.push(
      panel.webview.onDidReceiveMessage((raw: unknown) => this.onMessage(raw)),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  /** Replaces the shown run (a run the engine keeps: posted with the head it opens, see postInOrder). */
  setResult(result: RunResult, title: string, focus?: HeadFocus, view?: InspectorView, score?: RnnScore): void {
    this.panel.title = PANEL_PREFIX + title;
    this.postInOrder(this.session.setResult(result, title, focus, view, score));
  }

  /** The next partial result of the streamed run shown (see InspectorSession.extendResult). */
  extendResult(result: RunResult, title: string): void {
    this.panel.title = PANEL_PREFIX + title;
    this.postInOrder(this.session.extendResult(result, title));
  }

  /**
   * Posts `messages` now, or after what waits before them. The session's state changes at once;
   * only the posting waits: a new kept run goes with the head it opens, asked of the worker
   * (answered within a layer, or posted without it after 0.5 s, and the page asks), and what comes
   * after it (its next layers, a status line, another run) keeps its order.
   */
  private postInOrder(messages: HostToWebview[]): void {
    const wait = this.session.openingWait(messages);
    if (!this.waiting && !wait) return this.post(messages);
    const flushed = new Promise<void>((r) => this.flushers.push(r));
    const p: Promise<void> = (this.waiting ?? Promise.resolve())
      .then(() => Promise.race([wait, flushed]))
      .catch(() => undefined)
      .then(() => {
        if (!this.disposed) this.post(this.session.withOpening(messages));
      })
      .finally(() => {
        if (this.waiting === p) this.waiting = undefined;
      });
    this.waiting = p;
  }

  /** Stops waiting for heads: what is queued is posted now, in order (the page asks for a missing head). */
  private flush(): void {
    for (const f of this.flushers.splice(0)) f();
  }

  /** Opens one head of the current run; false when there is no run or no such head. */
  focusHead(focus: HeadFocus): boolean {
    const m = this.session.focusHead(focus);
    if (!m) return false;
    this.panel.reveal(undefined, true);
    this.post([m]);
    return true;
  }

  /** Says at once that a run started (the shown result is out of date), progressed, or stopped. */
  setRunStatus(state: 'running' | 'cancelled' | 'failed' | 'idle', message: string, progress?: RunProgress): void {
    // A run that stopped says so at once: not after a head the busy worker sends at its next checkpoint.
    if (state !== 'running') this.flush();
    this.postInOrder([this.session.setRunStatus(state, message, progress)]);
  }

  /** Shows an error banner above the current content. */
  showError(message: string): void {
    this.postInOrder([this.session.setError(message)]);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (InspectorPanel.current === this) InspectorPanel.current = undefined;
    while (this.disposables.length) this.disposables.pop()?.dispose();
    this.toPage.failAll(new CancelledError('the panel was closed'));
    this.panel.dispose();
    this.disposeEmitter.fire();
    this.disposeEmitter.dispose();
  }

  private onMessage(raw: unknown): void {
    const what = isHeadRequest(raw) ? `head ${raw.layer}/${raw.head}${raw.prefetch ? ' ahead' : ''}` : undefined;
    if (what) debugMark(`${what}: asked`);
    else debugMark(() => `page: ${(raw as { type?: unknown } | null)?.type}`);
    const { replies, log, event, later } = this.session.handle(raw);
    if (log) console.warn(`[attention-inspector] ${log}`);
    this.post(replies);
    void later?.then((m) => {
      if (what) debugMark(`${what}: answered${m.some((x) => x.type === 'headPreview') ? ' (colours; numbers when asked)' : ''}`);
      if (!this.disposed) this.post(m);
      if (what) debugMark(`${what}: posted`);
    });
    if (event) void this.onEvent(event);
  }

  private async onEvent(e: SessionEvent): Promise<void> {
    if (e.kind === 'export') {
      this.toPage.receive(e.reply);
      return;
    }
    if (e.kind === 'runAgain') {
      await InspectorPanel.runAgain.value?.();
      return;
    }
    if (e.kind === 'cancelRun') {
      InspectorPanel.cancelRun.value?.();
      return;
    }
    const handler = InspectorPanel.rerun.value;
    if (!handler) {
      this.showError('Re-running with another score function is not available here (no run command is registered).');
      return;
    }
    const title = this.session.title;
    try {
      const result = await handler(e.score);
      if (this.disposed) return;
      if (result) this.setResult(result, title, undefined, 'stepper', e.score);
      else this.showError(`The re-run with the ${e.score} score did not finish; the previous result stays.`);
    } catch (err) {
      this.showError(`Re-run with the ${e.score} score failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private async exportCurrent(): Promise<string | undefined> {
    const items: { label: string; description: string; format: ExportFormat }[] = [
      { label: 'PNG', description: 'image of the current view', format: 'png' },
      { label: 'SVG', description: 'image of the current view (text as text)', format: 'svg' },
      { label: 'CSV', description: "the current head's matrix", format: 'csv' },
      { label: 'JSON', description: "the current head's matrix, tokens, scores and mask", format: 'json' },
    ];
    const pick = await vscode.window.showQuickPick(items, { title: 'Attention: Export View', placeHolder: 'Format' });
    if (!pick || this.disposed) return undefined;
    const result = this.session.currentResult;
    if (!result) return undefined;
    const format = pick.format;
    const reply = await this.toPage
      .request<ExportReplyMessage>((requestId) => ({ type: 'exportRequest', requestId, format }), { timeoutMs: EXPORT_TIMEOUT_MS })
      .catch(() => undefined); // no answer in time, or the panel closed: said below
    if (!reply || reply.error) {
      void notify.error(`Attention: cannot export — ${reply?.error ?? 'the panel did not answer (is it visible?)'}`);
      return undefined;
    }
    let bytes: Uint8Array;
    if (pick.format === 'png' || pick.format === 'svg') {
      const m = pick.format === 'png' ? /^data:image\/png;base64,([A-Za-z0-9+/=]+)$/.exec(reply.image ?? '') : undefined;
      if (pick.format === 'png' && !m) {
        void notify.error('Attention: the panel sent no PNG image.');
        return undefined;
      }
      if (pick.format === 'svg' && !reply.image?.startsWith('<svg')) {
        void notify.error('Attention: the panel sent no SVG image.');
        return undefined;
      }
      bytes = m ? Buffer.from(m[1], 'base64') : Buffer.from(reply.image ?? '', 'utf8');
    } else {
      const text = reply.head && exportHeadText(result, reply.head, pick.format, reply.sink);
      if (!text) {
        void notify.error("Attention: open a head first; CSV and JSON export one head's matrix.");
        return undefined;
      }
      bytes = Buffer.from(text, 'utf8');
    }
    const name = (reply.title || exportTitle(result, reply.head, 'view'))
      .split(' · input')[0]
      .replace(/[^\w.-]+/g, '-')
      .slice(0, 80);
    const base = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(os.homedir());
    const target = await vscode.window.showSaveDialog({
      title: 'Attention: Export View',
      defaultUri: vscode.Uri.joinPath(base, `${name}.${pick.format}`),
      filters: { [pick.label]: [pick.format] },
    });
    if (!target) return undefined;
    await vscode.workspace.fs.writeFile(target, bytes);
    return target.fsPath;
  }

  private post(messages: HostToWebview[]): void {
    // postMessage transfers typed arrays as such (VS Code ≥ 1.57); a hidden webview drops
    // messages, which is fine: it asks again with `ready` when it is shown.
    for (const m of messages) {
      debugMark(() => `post ${m.type} ${Math.round(messageBytes(m) / 1024)} KB`);
      void this.panel.webview.postMessage(m);
    }
  }
}

/** For the bench's marks only (the session validates every message). */
function isHeadRequest(raw: unknown): raw is { layer: number; head: number; prefetch?: boolean } {
  return typeof raw === 'object' && raw !== null && (raw as { type?: unknown }).type === 'requestHead';
}
