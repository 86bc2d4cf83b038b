// In-page timing for the UI bench. The inspector already marks what it has drawn: after painting
// the head grid it sets #app[data-grid-ms], after drawing a head's heatmap #app[data-head-ms]
// (webview/inspector/app.ts). A MutationObserver sees each of those writes; the frame that shows
// them is painted after the next requestAnimationFrame callback, so a message posted from inside
// that callback arrives after the paint ("rAF + message" — the usual paint timing trick).
// Also marked: each host message as the page gets it (deliver:) and as it dispatches it (message:),
// and the click / Enter that asks for a head.
//
// Transport. The webview harness moves typed arrays through page.evaluate as base64 JSON over the
// DevTools protocol (~200 ms per MB on this machine; a localhost fetch is ~60 ms per MB), where
// VS Code hands ArrayBuffers to its IPC as binary. Neither belongs in a figure of the page or the
// host, so the bench uploads a message's typed arrays to the page before its clock starts (stage(),
// content-addressed by SHA-1), and the timed post sends only the rest: the page rebuilds the message
// from its staged arrays and hands it over with window.postMessage, transferring the buffers as
// VS Code's webview host frame does (a structured clone of a 2 MB head costs ~25 ms in Chromium,
// a transfer well under 1 ms). Every reply of the session (InspectorSession answering the page's
// requests) goes the same way; a typed array that was not staged still travels inline (base64) and
// is counted in `unstagedBytes`, so a figure that carries transport says so.
import { createHash } from 'node:crypto';
import type { Inspector } from '../../test/webview/harness';
import type { HostToWebview } from '../../common/webview';

export type PaintKind = 'grid' | 'head';

/** A paint seen by Node: when Node heard of it and the page's own marks (page clock, ms). */
export interface Paint {
  kind: PaintKind;
  node: number;
  page: number;
  /** The page's own draw time for it (data-grid-ms / data-head-ms), without layout and paint. */
  js: number;
  /** runId of the host message that was drawn (the page handles one message at a time). */
  runId: number;
}

export interface PageMark {
  name: string;
  t: number;
}

const PROBE = `(() => {
  const marks = (window.__benchMarks = []);
  const mark = (name) => marks.push({ name, t: performance.now() });
  // Bench transport (see above): typed arrays staged by hash, or inline as base64.
  const staged = new Map();
  const typed = (kind, b64) => {
    const bin = atob(b64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return kind === 'Float32Array' ? new Float32Array(bytes.buffer) : bytes;
  };
  window.__benchStage = (items) => { for (const [hash, kind, b64] of items) staged.set(hash, typed(kind, b64)); };
  window.__benchPost = (jsons) => {
    for (const j of jsons) {
      const t = performance.now();
      // Every buffer is transferred, as VS Code's webview frame does (pre/index.html:
      // contentWindow.postMessage(message, origin, transfer)); a staged array is used up by that.
      const transfer = new Set();
      const taken = new Map();
      const take = (h) => {
        if (!taken.has(h)) {
          const a = staged.get(h);
          if (!a) throw new Error('bench transport: ' + h + ' was not staged');
          staged.delete(h);
          taken.set(h, a);
        }
        return taken.get(h);
      };
      const own = (a) => (transfer.add(a.buffer), a);
      const m = JSON.parse(j, (_k, v) => (v && v.__staged ? own(take(v.__staged)) : v && v.__typed ? own(typed(v.__typed, v.b64)) : v));
      marks.push({ name: 'deliver:' + m.type, t });
      if (m.type === 'run') marks.push({ name: 'deliver:run:' + m.runId, t });
      window.postMessage(m, '*', [...transfer]);
    }
  };
  let runId = -1;
  // Marked before the page handles the message: the harness's init script calls this from the
  // page's first message listener (listeners at the window run in the order they were added).
  window.__onMessageFirst = (e) => {
    mark('message:' + (e.data && e.data.type));
    if (e.data && typeof e.data.runId === 'number') runId = e.data.runId;
  };
  document.addEventListener('click', () => mark('input:click'), true);
  document.addEventListener('keydown', (e) => { if (e.key === 'Enter') mark('input:enter'); }, true);
  const app = document.getElementById('app');
  const attrs = { 'data-grid-ms': 'grid', 'data-head-ms': 'head' };
  new MutationObserver((records) => {
    const kinds = new Set(records.map((r) => attrs[r.attributeName]).filter(Boolean));
    const drawnRun = runId; // this callback runs right after the handler of the message drawn
    for (const kind of kinds) {
      const js = Number(app.getAttribute(kind === 'grid' ? 'data-grid-ms' : 'data-head-ms'));
      requestAnimationFrame(() => {
        const ch = new MessageChannel();
        ch.port1.onmessage = () => { const t = performance.now(); mark('painted:' + kind); window.__benchPainted(kind, t, js, drawnRun); };
        ch.port2.postMessage(0);
      });
    }
  }).observe(app, { attributes: true, attributeFilter: Object.keys(attrs) });
})();`;

/** Sum of typed arrays' byteLength in a message, and the size of the rest as JSON. */
export function messageBytes(m: unknown): { typed: number; json: number } {
  let typed = 0;
  const json = JSON.stringify(m, (_k, v: unknown) => {
    if (ArrayBuffer.isView(v)) {
      typed += v.byteLength;
      return 0;
    }
    return v;
  }).length;
  return { typed, json };
}

type Typed = Float32Array | Uint8Array;

/** Every typed array in a message (or messages), depth first. */
export function typedArraysOf(x: unknown, out: Typed[] = []): Typed[] {
  if (x instanceof Float32Array || x instanceof Uint8Array) out.push(x);
  else if (ArrayBuffer.isView(x)) throw new Error(`bench transport: unexpected ${x.constructor.name}`);
  else if (Array.isArray(x)) for (const v of x) typedArraysOf(v, out);
  else if (x && typeof x === 'object') for (const v of Object.values(x)) typedArraysOf(v, out);
  return out;
}

const kindOf = (v: Typed) => (v instanceof Float32Array ? 'Float32Array' : 'Uint8Array');
const bytesOf = (v: Typed) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
const hashOf = (v: Typed) => `${kindOf(v)}:${v.length}:${createHash('sha1').update(bytesOf(v)).digest('base64')}`;

export interface Posted {
  type: string;
  typed: number;
  json: number;
}

export class Probe {
  private paints: Paint[] = [];
  private waiters: { fits(p: Paint): boolean; from: number; resolve(p: Paint): void }[] = [];
  /** Every host → page message since the last reset, with its size. */
  posted: Posted[] = [];

  /** Hashes of the typed arrays the page holds (stage()). */
  private readonly staged = new Set<string>();
  /** Typed-array bytes that crossed inline (base64) in a timed post since the last reset. */
  unstagedBytes = 0;

  private constructor(readonly ins: Inspector) {}

  /** Installs the page probe and the bench transport; from then on the session's replies go through it, counted. */
  static async attach(ins: Inspector): Promise<Probe> {
    const p = new Probe(ins);
    await ins.page.exposeBinding('__benchPainted', (_src, kind: PaintKind, page: number, js: number, runId: number) => {
      const paint = { kind, node: performance.now(), page, js, runId };
      p.paints.push(paint);
      const idx = p.paints.length - 1;
      for (const w of [...p.waiters]) {
        if (w.fits(paint) && idx >= w.from) {
          p.waiters.splice(p.waiters.indexOf(w), 1);
          w.resolve(paint);
        }
      }
    });
    await ins.page.evaluate(PROBE);
    // The harness answers the page's requests through session.handle and posts the replies the slow
    // way; take them over (same replies, same order), counted.
    const handle = ins.session.handle.bind(ins.session);
    ins.session.handle = (raw) => {
      const h = handle(raw);
      void p.send(h.replies);
      void h.later?.then((m) => p.send(m));
      return { ...h, replies: [], later: undefined };
    };
    return p;
  }

  count(messages: HostToWebview[]): void {
    for (const m of messages) this.posted.push({ type: m.type, ...messageBytes(m) });
  }

  /** Uploads typed arrays to the page ahead of the messages that will carry them (untimed). */
  async stage(arrays: (Typed | undefined)[]): Promise<void> {
    const items: [string, string, string][] = [];
    for (const v of arrays) {
      if (!v) continue;
      const h = hashOf(v);
      if (this.staged.has(h)) continue;
      this.staged.add(h);
      items.push([h, kindOf(v), bytesOf(v).toString('base64')]);
    }
    if (items.length)
      await this.ins.page.evaluate((it) => (window as unknown as { __benchStage(i: unknown): void }).__benchStage(it), items);
  }

  /** Posts host messages as the panel would (all at once, in order), counting their bytes. */
  async send(messages: HostToWebview[]): Promise<void> {
    this.count(messages);
    if (!messages.length) return;
    // The page transfers, so uses up, a staged array with the message that carries it (the same
    // array twice in one message is one transfer).
    const jsons = messages.map((m) => {
      const used = new Set<string>();
      return JSON.stringify(m, (_k, v: unknown) => {
        if (!(v instanceof Float32Array || v instanceof Uint8Array)) return v;
        const h = hashOf(v);
        if (this.staged.has(h) || used.has(h)) {
          this.staged.delete(h);
          used.add(h);
          return { __staged: h };
        }
        this.unstagedBytes += v.byteLength;
        return { __typed: kindOf(v), b64: bytesOf(v).toString('base64') };
      });
    });
    await this.ins.page.evaluate((js) => (window as unknown as { __benchPost(j: string[]): void }).__benchPost(js), jsons);
  }

  /** Index to pass to nextPaint so that only paints after now count. */
  get cursor(): number {
    return this.paints.length;
  }

  /** Resolves at the first paint of `kind` with index ≥ from (and of that run, or runs, if given). */
  nextPaint(kind: PaintKind, from: number, runId?: number | ((id: number) => boolean), timeoutMs = 60_000): Promise<Paint> {
    const fits = (p: Paint) => p.kind === kind && (runId === undefined || (typeof runId === 'number' ? p.runId === runId : runId(p.runId)));
    const hit = this.paints.slice(from).find(fits);
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${kind} paint within ${timeoutMs / 1000} s`)), timeoutMs);
      this.waiters.push({ fits, from, resolve: (p) => (clearTimeout(timer), resolve(p)) });
    });
  }

  /** The page's marks (page clock), and clears them. */
  async takeMarks(): Promise<PageMark[]> {
    return this.ins.page.evaluate(() => {
      const w = window as unknown as { __benchMarks: PageMark[] };
      return w.__benchMarks.splice(0);
    });
  }
}

/** Last mark named `name` at or before `t` (page clock). */
export function markBefore(marks: PageMark[], name: string, t: number): number {
  const m = marks.filter((x) => x.name === name && x.t <= t).pop();
  if (!m) throw new Error(`no page mark ${name} before ${t}`);
  return m.t;
}
