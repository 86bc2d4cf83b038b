// The host side of the inspector conversation, without vscode: holds the last RunResult and turns
// each (validated) webview message into the replies to post. InspectorPanel wires it to a real
// WebviewPanel; the webview tests drive the very same class from a simulated host.
import type { AttentionLayer, Part, RnnScore, RunResult } from '../engine/types';
import { compareHead, compareRuns, type CompareInput } from '../../common/compare';
import { findLayer, partThumbnails, runMeta, type HeadSlice } from '../../common/headData';
import {
  isWebviewToHost,
  MAX_WEBVIEW_TEXT,
  type ExportReplyMessage,
  type HeadFocus,
  type HeadMessage,
  type HostToWebview,
  type InspectorView,
  type RequestHeadMessage,
  type RunMessage,
  type RunMeta,
  type RunProgress,
  type RunStatusMessage,
} from '../../common/webview';
import { HeldNumbers } from './heldNumbers';
import { describeMessage, EARLIER, headOfEarlierRun, previewMessages, ViewAnswers, type KeptSource, type QkSource } from './viewAnswers';

export { MAX_ROLLOUT_TOKENS, type KeptSource, type QkSource } from './viewAnswers';

export const NO_RUN_MESSAGE = 'No run to show. Run a model (Attention: Run with Input…) to fill this panel.';

/** Something the panel acts on beyond posting replies (it needs VS Code to do it). */
export type SessionEvent =
  { kind: 'rerun'; score: RnnScore } | { kind: 'export'; reply: ExportReplyMessage } | { kind: 'runAgain' } | { kind: 'cancelRun' };

export interface Handled {
  replies: HostToWebview[];
  /** Something worth writing to the extension's log (bad message, webview exception). */
  log?: string;
  event?: SessionEvent;
  /** Replies that take a while (rollout of long inputs): post them when this settles. */
  later?: Promise<HostToWebview[]>;
}

export class InspectorSession {
  private result: RunResult | undefined;
  private runIdValue = 0;
  private titleValue = '';
  private lastError: string | undefined;
  /** A head to open, kept (and re-sent after a reload) until the webview asks for it. */
  private focus: HeadFocus | undefined;
  /** The head the page last asked for: it keeps that selection across runs (see openingHead). */
  private selected: HeadFocus | undefined;
  /** A view to switch to, sent with every snapshot until another is asked for. */
  private view: InspectorView | undefined;
  private viewSeq = 0;
  private score: RnnScore | undefined;
  private compare: { id: number; a: CompareInput; b: CompareInput; title: string } | undefined;
  private compareIdValue = 0;
  /** Heads, aggregates and q/k vectors: from the run here, or from the engine. */
  private readonly answers: ViewAnswers;
  /** A run under way (or just stopped) that has not replaced the shown one; re-sent after a reload. */
  private status: RunStatusMessage | undefined;
  /** The layers (`part/layer`) of the shown run whose statistics and thumbnails the page has. */
  private sentLayers = new Set<string>();

  /** A kept run's head the run message went without (the worker was asked for it): see withOpening. */
  private pendingOpen: { runId: number; result: RunResult; open: HeadFocus } | undefined;

  /** The button a panel without a run offers (its run was lost with the extension host). */
  private runAgain: string | undefined;

  /** Heads whose colours went ahead: their numbers, until the page asks (headNumbers). */
  private readonly held = new HeldNumbers();

  constructor(
    private noRunMessage = NO_RUN_MESSAGE,
    qkSource?: QkSource,
    /** Where the heads of a run the engine keeps (RunResult.kept) come from. */
    kept?: KeptSource,
  ) {
    this.answers = new ViewAnswers(() => this.runIdValue, qkSource, kept);
  }

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
  setResult(result: RunResult, title: string, focus?: HeadFocus, view?: InspectorView, score?: RnnScore): HostToWebview[] {
    this.result = result;
    this.titleValue = title;
    this.runIdValue++;
    this.lastError = undefined;
    this.status = undefined;
    this.score = score;
    this.answers.reset();
    this.held.clear();
    this.focus = focus && findLayer(result, focus.part, focus.layer) ? { ...focus } : undefined;
    if (view) {
      this.view = view;
      this.viewSeq++;
    }
    if (this.view === 'compare' && !view) this.view = undefined;
    return this.snapshot();
  }

  /**
   * The next partial result of the streamed run on screen, or its end: the run keeps its id, so
   * the page keeps the open head and its pending request, and only a delta is sent: the metadata
   * with the new layers' statistics and the new layers' thumbnails (each layer's are sent once).
   * Anything else (another model or input, a stopped run) is a new run.
   */
  extendResult(result: RunResult, title: string): HostToWebview[] {
    const shown = this.result;
    if (!this.extends(result) || !shown) return this.setResult(result, title);
    this.result = result;
    this.titleValue = title;
    this.status = undefined;
    this.answers.reset(); // rollouts were computed over the layers there were
    const fresh = (l: AttentionLayer) => !this.sentLayers.has(layerKey(l));
    // The end brings what the layers had not while streaming (weight norms): all statistics then.
    const meta = runMeta(result, this.score, result.running ? fresh : undefined);
    const runId = this.runIdValue;
    const out: HostToWebview[] = [
      { type: 'runUpdate', runId, meta },
      ...meta.parts.flatMap((p): HostToWebview[] => {
        const thumbnails = partThumbnails(result, p.part, undefined, fresh);
        return thumbnails.length ? [{ type: 'thumbnails', runId, part: p.part, thumbnails, append: true }] : [];
      }),
      ...(result.app && !result.running ? [{ type: 'app', runId, ...result.app } as HostToWebview] : []),
    ];
    for (const l of result.attentions) this.sentLayers.add(layerKey(l));
    return out;
  }

  /** Whether `result` is more of the streamed run on screen (extendResult sends a delta), not a new run. */
  private extends(result: RunResult): boolean {
    const shown = this.result;
    return (
      !!shown?.running &&
      !shown.running.stopped &&
      shown.model.file === result.model.file &&
      shown.ids.source.join() === result.ids.source.join()
    );
  }

  /** When `messages` bring a kept run without its opening head: settles when the head is here, failed, or
   *  after `waitMs` (withOpening then adds it). Undefined: nothing to wait for. */
  openingWait(messages: HostToWebview[], waitMs = 500): Promise<unknown> | undefined {
    const o = this.pendingOpen;
    if (!o || !messages.some((m) => m.type === 'run' && !m.head && m.runId === o.runId)) return undefined;
    const { part, layer, head } = o.open;
    return Promise.race([this.answers.prefetch(o.result, part, layer, head), new Promise((r) => setTimeout(r, waitMs))]);
  }

  /** `messages` with the kept run's opening head in its run message, when it has arrived (see openingWait). */
  withOpening(messages: HostToWebview[]): HostToWebview[] {
    const o = this.pendingOpen;
    if (!o || o.runId !== this.runIdValue) return messages;
    const ready = this.answers.ready(o.result, o.open.part, o.open.layer, o.open.head);
    if (!ready) return messages;
    this.pendingOpen = undefined;
    const head = this.headMessage(o.result, o.open.part, o.open.layer, o.open.head, 0, ready);
    if (head instanceof Promise || head.type !== 'head') return messages;
    let after: HeadMessage | undefined;
    const out = messages.map((m) => {
      if (m.type !== 'run' || m.runId !== o.runId || m.head || m.preview) return m;
      const w = withHead(m, head, ready);
      after = w.after;
      return w.run;
    });
    if (after) this.held.hold(after);
    return out;
  }

  get currentResult(): RunResult | undefined {
    return this.result;
  }

  /**
   * Compares two runs (issue 9.1). The first run also becomes the current run, so the other
   * views keep working on it; the panel switches to the compare view.
   */
  setCompare(a: CompareInput, b: CompareInput, title: string): HostToWebview[] {
    this.compare = { id: ++this.compareIdValue, a, b, title };
    return this.setResult(a.result, title, undefined, 'compare');
  }

  /** Switches the page's view; undefined when there is nothing to show it with. */
  showView(view: InspectorView): HostToWebview | undefined {
    if (!this.result) return undefined;
    if (view === 'compare' && this.compare?.a.result !== this.result) return undefined;
    this.view = view;
    return { type: 'showView', view, seq: ++this.viewSeq };
  }

  /** Opens a head of the current run; undefined when there is no run or no such head. */
  focusHead(focus: HeadFocus): HostToWebview | undefined {
    const layer = this.result && findLayer(this.result, focus.part, focus.layer);
    if (!layer || focus.head >= layer.heads) return undefined;
    this.focus = { ...focus };
    return { type: 'focusHead', runId: this.runIdValue, ...this.focus };
  }

  /** A run started, progressed or stopped without replacing the shown result ('idle' forgets it). */
  setRunStatus(state: RunStatusMessage['state'], message: string, progress?: RunProgress): HostToWebview {
    const m: RunStatusMessage = { type: 'runStatus', state, message, ...(progress && { progress }) };
    this.status = state === 'idle' ? undefined : m;
    return m;
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
      const meta = runMeta(r, this.score);
      this.sentLayers = new Set(r.attentions.map(layerKey));
      const open = this.openingHead(meta);
      // A head the engine keeps comes along when it has arrived (withOpening); else it is asked
      // for now, and the page asks for it when the run arrives without one.
      const ready = open && r.kept ? this.answers.ready(r, open.part, open.layer, open.head) : undefined;
      if (open && r.kept && !ready) void this.answers.prefetch(r, open.part, open.layer, open.head);
      this.pendingOpen = open && r.kept && !ready ? { runId: this.runIdValue, result: r, open } : undefined;
      const head = open && (!r.kept || ready) ? this.headMessage(r, open.part, open.layer, open.head, 0, ready) : undefined;
      const run: RunMessage = { type: 'run', runId: this.runIdValue, title: this.titleValue, meta };
      const opening = head && !(head instanceof Promise) && head.type === 'head' ? withHead(run, head, ready) : { run };
      out.push(opening.run);
      for (const p of meta.parts) {
        out.push({ type: 'thumbnails', runId: this.runIdValue, part: p.part, thumbnails: partThumbnails(r, p.part) });
      }
      if (opening.after) this.held.hold(opening.after); // the page asks for it once it has the colours
      if (r.app) out.push({ type: 'app', runId: this.runIdValue, ...r.app });
      const c = this.compare;
      if (c && c.a.result === r) {
        out.push({
          type: 'compare',
          compareId: c.id,
          title: c.title,
          a: { label: c.a.label, model: c.a.result.model.name },
          b: { label: c.b.label, model: c.b.result.model.name },
          ...compareRuns(c.a, c.b),
        });
      }
      if (this.view) out.push({ type: 'showView', view: this.view, seq: this.viewSeq });
      if (this.focus) out.push({ type: 'focusHead', runId: this.runIdValue, ...this.focus });
    } else {
      out.push({ type: 'noRun', message: this.noRunMessage, ...(this.runAgain ? { runAgain: this.runAgain } : {}) });
    }
    if (this.lastError !== undefined) out.push({ type: 'error', message: this.lastError });
    if (this.status) out.push(this.status);
    return out;
  }

  /** A panel with no run says why (`message`) and offers a button with this label; returns what to post. */
  setNoRun(message: string, runAgain?: string): HostToWebview[] {
    this.noRunMessage = message;
    this.runAgain = runAgain;
    return this.result ? [] : this.snapshot();
  }

  /** Validates an untrusted message and answers it. Invalid messages get no reply, only a log line. */
  handle(raw: unknown): Handled {
    if (!isWebviewToHost(raw)) return { replies: [], log: `ignored malformed webview message: ${describeMessage(raw)}` };
    switch (raw.type) {
      case 'ready':
        // A restored page knows which head it had open; this host may not (the host decides).
        this.selected ??= raw.selection && { part: raw.selection.part, layer: raw.selection.layer, head: raw.selection.head };
        return { replies: this.snapshot() };
      case 'requestHead': {
        const reply = this.answerHead(raw);
        const opened = (ms: HostToWebview[]) => {
          const answered = (m: HostToWebview) => (m.type === 'head' || m.type === 'headPreview') && m.runId === this.runIdValue;
          if (!raw.prefetch && ms.some(answered)) this.opened(raw);
          return ms;
        };
        return reply instanceof Promise ? { replies: [], later: reply.then(opened) } : { replies: opened(reply) };
      }
      case 'headNumbers':
        return { replies: this.held.answer(raw, this.runIdValue) };
      case 'headShown': {
        const layer = raw.runId === this.runIdValue && this.result ? findLayer(this.result, raw.part, raw.layer) : undefined;
        if (layer && raw.head < layer.heads) this.opened(raw);
        return { replies: [] };
      }
      case 'runAgain':
        return { replies: [], event: this.runAgain && !this.result ? { kind: 'runAgain' } : undefined };
      case 'cancelRun':
        return { replies: [], event: { kind: 'cancelRun' } };
      case 'webviewError':
        return { replies: [], log: `webview error: ${raw.message.slice(0, MAX_WEBVIEW_TEXT)}` };
      case 'rerun': {
        const allowed = this.result?.model.scores ?? [];
        if (raw.runId !== this.runIdValue || !allowed.includes(raw.score)) {
          return {
            replies: [this.setError(`This model cannot re-run with the “${raw.score}” score (it has: ${allowed.join(', ') || 'none'}).`)],
          };
        }
        return { replies: [], event: { kind: 'rerun', score: raw.score } };
      }
      case 'requestAggregate': {
        if (!this.result || raw.runId !== this.runIdValue) return { replies: [viewError(raw.requestId, EARLIER)] };
        const a = this.answers.aggregate(this.result, raw);
        return a instanceof Promise ? { replies: [], later: a.then((m) => [m]) } : { replies: [a] };
      }
      case 'requestPositional': {
        const pe = this.result?.positional;
        if (!this.result || raw.runId !== this.runIdValue) return { replies: [viewError(raw.requestId, EARLIER)] };
        if (!pe)
          return { replies: [{ type: 'viewError', requestId: raw.requestId, message: 'This model has no fixed positional encoding.' }] };
        return {
          replies: [
            {
              type: 'positional',
              requestId: raw.requestId,
              runId: this.runIdValue,
              positions: pe.positions,
              dims: pe.dims,
              scheme: pe.scheme,
              data: pe.data.slice(),
            },
          ],
        };
      }
      case 'requestCompareHead': {
        const c = this.compare;
        if (!c || raw.compareId !== c.id)
          return { replies: [{ type: 'viewError', requestId: raw.requestId, message: 'That comparison is no longer open.' }] };
        const m = compareHead(c.a.result, c.b.result, raw);
        return { replies: [typeof m === 'string' ? { type: 'viewError', requestId: raw.requestId, message: m } : m] };
      }
      case 'requestQk': {
        const a = this.result && raw.runId === this.runIdValue ? this.answers.qk(this.result, raw, this.score) : EARLIER;
        if (typeof a === 'string') return { replies: [{ type: 'viewError', requestId: raw.requestId, message: a }] };
        return { replies: [], later: a.then((m) => [m]) };
      }
      case 'exportReply':
        return { replies: [], event: { kind: 'export', reply: raw } };
    }
  }

  /** The page opened this head of the current run: it is the selection now, and a focus on it is done. */
  private opened(h: HeadFocus): void {
    const f = this.focus;
    if (f && f.part === h.part && f.layer === h.layer && f.head === h.head) this.focus = undefined;
    this.selected = { part: h.part, layer: h.layer, head: h.head };
  }

  /** The head asked for; with `preview`, its colour levels when the engine made them (its numbers when the page asks). */
  private answerHead(req: RequestHeadMessage): HostToWebview[] | Promise<HostToWebview[]> {
    const { runId, requestId, part, layer, head } = req;
    const fail = (message: string): HostToWebview[] => [{ type: 'headError', runId, requestId, message }];
    const earlier: HostToWebview[] = [headOfEarlierRun(runId, requestId)];
    const result = this.result;
    if (!result) return fail('No run is loaded.');
    if (runId !== this.runIdValue) return earlier;
    const s = this.answers.head(result, part, layer, head, req.preview === true);
    if (typeof s === 'string') return fail(s);
    const both = (x: HeadSlice): HostToWebview[] => {
      const m = this.headMessage(result, part, layer, head, requestId, x);
      if (m instanceof Promise) return fail('internal: a known head was not answered at once'); // headMessage answers `known` at once
      const preview = previewMessages(req, x);
      if (!preview.length || m.type !== 'head') return [...preview, m];
      this.held.hold(m);
      return preview;
    };
    if (!(s instanceof Promise)) return both(s);
    return s.then(
      (x) => (runId === this.runIdValue ? both(x) : earlier),
      (e: unknown) => fail(e instanceof Error ? e.message : String(e)),
    );
  }

  /** One head as the page gets it; a promise when the engine keeps the run's probabilities. */
  private headMessage(
    result: RunResult,
    part: Part,
    layer: number,
    head: number,
    requestId: number,
    known?: HeadSlice,
  ): HostToWebview | Promise<HostToWebview> {
    const runId = this.runIdValue;
    const fail = (message: string): HostToWebview => ({ type: 'headError', runId, requestId, message });
    const message = (s: HeadSlice): HostToWebview => ({
      type: 'head',
      runId,
      requestId,
      part,
      layer,
      head,
      queries: s.queries,
      keys: s.keys,
      probs: s.probs,
      scores: s.scores,
      ...(s.mask ? { mask: s.mask } : {}),
      ...(s.probsFromScores ? { probsFromScores: true } : {}),
    });
    const s = known ?? this.answers.head(result, part, layer, head);
    if (typeof s === 'string') return fail(s);
    if (!(s instanceof Promise)) return message(s);
    return s.then(
      (x): HostToWebview => (runId === this.runIdValue ? message(x) : headOfEarlierRun(runId, requestId)),
      (e: unknown) => fail(e instanceof Error ? e.message : String(e)),
    );
  }

  /**
   * Which head opens when this run arrives; the host alone decides, the page opens the head sent
   * with the run: the focus if one is set, else the selection (the head the page last opened) in
   * its part, or the first part when this run has not got it, when the layer and head exist there,
   * else that part's first layer, head 0.
   */
  private openingHead(meta: RunMeta, focus: HeadFocus | null | undefined = this.focus): HeadFocus | undefined {
    if (focus) return focus;
    const sel = this.selected;
    const pm = meta.parts.find((p) => p.part === sel?.part) ?? meta.parts[0];
    if (!pm || pm.layers.length === 0) return undefined;
    // A layer and head that exist carry over even when the part had to change.
    const same = sel && pm.layers.find((l) => l.layer === sel.layer);
    return same && sel && sel.head < same.heads
      ? { part: pm.part, layer: sel.layer, head: sel.head }
      : { part: pm.part, layer: pm.layers[0].layer, head: 0 };
  }
}

const layerKey = (l: AttentionLayer) => `${l.part}/${l.layer}`;

/**
 * A run message with the head it opens: inline, or, when the engine made its colour levels, those
 * inline (a quarter of the bytes on the first heatmap's way) and the head itself after it.
 */
function withHead(run: RunMessage, head: HeadMessage, slice?: HeadSlice): { run: RunMessage; after?: HeadMessage } {
  const [preview] = slice ? previewMessages(head, slice) : [];
  return preview ? { run: { ...run, preview }, after: head } : { run: { ...run, head } };
}

const viewError = (requestId: number, message: string): HostToWebview => ({ type: 'viewError', requestId, message });
