// The main inspector panel: one WebviewPanel showing the last run's heads. The conversation
// itself (validation, replies) lives in InspectorSession so it can be tested without VS Code;
// this file only owns the panel's life cycle.
import * as vscode from 'vscode';
import type { RunResult } from '../engine/types';
import { InspectorSession } from '../protocol/inspectorSession';
import { sanitizeState, type HeadFocus, type HostToWebview } from '../protocol/webview';
import { buildWebviewHtml, joinUri, webviewOptions } from '../webviewHtml';

export const INSPECTOR_VIEW_TYPE = 'attentionInspector.inspector';

const PANEL_PREFIX = 'Attention: ';

export class InspectorPanel {
  /** The open inspector, if any (there is at most one; a new run replaces its content). */
  static current: InspectorPanel | undefined;

  private readonly session = new InspectorSession();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly disposeEmitter = new vscode.EventEmitter<void>();
  private disposed = false;
  /** Fires once, when the user closes the panel. */
  readonly onDidDispose = this.disposeEmitter.event;

  /**
   * Opens (or reveals) the inspector and shows `result`. Safe to call for every new run. With
   * `focus`, that head is opened; otherwise the user's last selection is kept when it exists.
   */
  static show(extensionUri: vscode.Uri, result: RunResult, title: string, focus?: HeadFocus): InspectorPanel {
    const p = InspectorPanel.current ?? InspectorPanel.create(extensionUri);
    p.panel.reveal(undefined, true);
    p.setResult(result, title, focus);
    return p;
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

  private static create(extensionUri: vscode.Uri): InspectorPanel {
    const panel = vscode.window.createWebviewPanel(
      INSPECTOR_VIEW_TYPE,
      'Attention Inspector',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
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

  /** Replaces the shown run. */
  setResult(result: RunResult, title: string, focus?: HeadFocus): void {
    this.panel.title = PANEL_PREFIX + title;
    this.post(this.session.setResult(result, title, focus));
  }

  /** Opens one head of the current run; false when there is no run or no such head. */
  focusHead(focus: HeadFocus): boolean {
    const m = this.session.focusHead(focus);
    if (!m) return false;
    this.panel.reveal(undefined, true);
    this.post([m]);
    return true;
  }

  /** Shows an error banner above the current content. */
  showError(message: string): void {
    this.post([this.session.setError(message)]);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (InspectorPanel.current === this) InspectorPanel.current = undefined;
    while (this.disposables.length) this.disposables.pop()?.dispose();
    this.panel.dispose();
    this.disposeEmitter.fire();
    this.disposeEmitter.dispose();
  }

  private onMessage(raw: unknown): void {
    const { replies, log } = this.session.handle(raw);
    if (log) console.warn(`[attention-inspector] ${log}`);
    this.post(replies);
  }

  private post(messages: HostToWebview[]): void {
    // postMessage transfers typed arrays as such (VS Code ≥ 1.57); a hidden webview drops
    // messages, which is fine: it asks again with `ready` when it is shown.
    for (const m of messages) void this.panel.webview.postMessage(m);
  }
}
