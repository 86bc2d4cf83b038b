// The host side of the inspector conversation, without vscode: holds the last RunResult and turns
// each (validated) webview message into the replies to post. InspectorPanel wires it to a real
// WebviewPanel; the webview tests drive the very same class from a simulated host.
import type { RunResult } from '../engine/types';
import { findLayer, partThumbnails, runMeta, sliceHead } from './headData';
import { isWebviewToHost, MAX_WEBVIEW_TEXT, type HeadFocus, type HostToWebview, type RequestHeadMessage } from './webview';

export const NO_RUN_MESSAGE = 'No run to show. Run a model (Attention: Run with Input…) to fill this panel.';

export interface Handled {
  replies: HostToWebview[];
  /** Something worth writing to the extension's log (bad message, webview exception). */
  log?: string;
}

export class InspectorSession {
  private result: RunResult | undefined;
  private runIdValue = 0;
  private titleValue = '';
  private lastError: string | undefined;
  /** A head to open, kept (and re-sent after a reload) until the webview asks for it. */
  private focus: HeadFocus | undefined;

  constructor(private readonly noRunMessage = NO_RUN_MESSAGE) {}

  get runId(): number {
    return this.runIdValue;
  }

  get title(): string {
    return this.titleValue;
  }

  get hasResult(): boolean {
    return this.result !== undefined;
  }

  /**
   * A new run replaces the old one (and clears any error); returns what to post. With `focus`,
   * the webview opens that head instead of the one it had selected.
   */
  setResult(result: RunResult, title: string, focus?: HeadFocus): HostToWebview[] {
    this.result = result;
    this.titleValue = title;
    this.runIdValue++;
    this.lastError = undefined;
    this.focus = focus && findLayer(result, focus.part, focus.layer) ? { ...focus } : undefined;
    return this.snapshot();
  }

  /** Opens a head of the current run; undefined when there is no run or no such head. */
  focusHead(focus: HeadFocus): HostToWebview | undefined {
    const layer = this.result && findLayer(this.result, focus.part, focus.layer);
    if (!layer || focus.head >= layer.heads) return undefined;
    this.focus = { ...focus };
    return { type: 'focusHead', runId: this.runIdValue, ...this.focus };
  }

  /** An error to show above whatever the panel shows now; re-sent if the webview reloads. */
  setError(message: string): HostToWebview {
    this.lastError = message;
    return { type: 'error', message };
  }

  /** Everything a freshly loaded webview needs. */
  snapshot(): HostToWebview[] {
    const out: HostToWebview[] = [];
    const r = this.result;
    if (r) {
      const meta = runMeta(r);
      out.push({ type: 'run', runId: this.runIdValue, title: this.titleValue, meta });
      for (const p of meta.parts) {
        out.push({ type: 'thumbnails', runId: this.runIdValue, part: p.part, thumbnails: partThumbnails(r, p.part) });
      }
      if (r.app) out.push({ type: 'app', runId: this.runIdValue, ...r.app });
      if (this.focus) out.push({ type: 'focusHead', runId: this.runIdValue, ...this.focus });
    } else {
      out.push({ type: 'noRun', message: this.noRunMessage });
    }
    if (this.lastError !== undefined) out.push({ type: 'error', message: this.lastError });
    return out;
  }

  /** Validates an untrusted message and answers it. Invalid messages get no reply, only a log line. */
  handle(raw: unknown): Handled {
    if (!isWebviewToHost(raw)) return { replies: [], log: `ignored malformed webview message: ${describe(raw)}` };
    switch (raw.type) {
      case 'ready':
        return { replies: this.snapshot() };
      case 'requestHead': {
        const f = this.focus;
        if (f && raw.runId === this.runIdValue && f.part === raw.part && f.layer === raw.layer && f.head === raw.head) this.focus = undefined;
        return { replies: [this.answerHead(raw)] };
      }
      case 'webviewError':
        return { replies: [], log: `webview error: ${raw.message.slice(0, MAX_WEBVIEW_TEXT)}` };
    }
  }

  private answerHead(req: RequestHeadMessage): HostToWebview {
    const fail = (message: string): HostToWebview => ({ type: 'headError', runId: req.runId, requestId: req.requestId, message });
    if (!this.result) return fail('No run is loaded.');
    if (req.runId !== this.runIdValue) return fail('That head belongs to an earlier run.');
    const layer = findLayer(this.result, req.part, req.layer);
    if (!layer) return fail(`This run has no ${req.part} layer ${req.layer}.`);
    if (req.head >= layer.heads) return fail(`${req.part} layer ${req.layer} has ${layer.heads} heads; there is no head ${req.head}.`);
    const s = sliceHead(layer, req.head);
    return {
      type: 'head',
      runId: this.runIdValue,
      requestId: req.requestId,
      part: req.part,
      layer: req.layer,
      head: req.head,
      queries: s.queries,
      keys: s.keys,
      probs: s.probs,
      scores: s.scores,
      ...(s.mask ? { mask: s.mask } : {}),
    };
  }
}

function describe(x: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(x) ?? String(x);
  } catch {
    s = Object.prototype.toString.call(x);
  }
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}
