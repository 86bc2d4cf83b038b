// Test harness for the inspector webview outside VS Code: a static server on 127.0.0.1 (random
// port) that serves the page built by the real buildWebviewHtml (same CSP), a fake
// acquireVsCodeApi, and a host simulator that answers with the real InspectorSession.
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type * as vscode from 'vscode';
import type { RunResult } from '../../src/engine/types';
import { InspectorSession, type KeptSource, type QkSource } from '../../src/protocol/inspectorSession';
import { loadModel } from '../../src/engine/run';
import { headQK } from '../../src/engine/qkVectors';
import type { HostToWebview } from '../../common/webview';
import type { HostToSidebar } from '../../common/sidebar';
import { buildWebviewHtml } from '../../src/webviewHtml';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
const THEMES = path.join(ROOT, 'test', 'webview', 'themes');

const TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};

/** Minimal stand-in for vscode.Uri: what buildWebviewHtml uses (path, with, toString). */
class FakeUri {
  constructor(
    readonly path: string,
    private readonly origin = '',
  ) {}
  with(change: { path?: string }): FakeUri {
    return new FakeUri(change.path ?? this.path, this.origin);
  }
  toString(): string {
    return this.origin + this.path;
  }
}

export interface TestServer {
  origin: string;
  close(): Promise<void>;
}

/** The pages as the extension builds them: the inspector panel, and the side panel's Run view. */
const PAGES: Record<string, { name: string; title: string; styles: string[] }> = {
  '/': { name: 'inspector', title: 'Attention Inspector', styles: ['inspector.css'] },
  '/sidebar': { name: 'sidebar', title: 'Attention: Run', styles: ['sidebar.css'] },
};

/** Serves '/' (the inspector page), '/sidebar' (the Run view), /dist/webview/*, /media/* and /themes/* — nothing else. */
export async function startServer(): Promise<TestServer> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    const page = PAGES[url.pathname];
    if (page) {
      const asked = url.searchParams.get('theme');
      const theme = asked === 'light' || asked === 'high-contrast' ? asked : 'dark';
      const webview = {
        cspSource: origin,
        asWebviewUri: (u: vscode.Uri) => new FakeUri(u.path.slice(ROOT.length), origin) as unknown as vscode.Uri,
      };
      let html = buildWebviewHtml(webview, new FakeUri(ROOT) as unknown as vscode.Uri, page);
      // VS Code injects the theme's --vscode-* variables; we link a captured theme instead.
      html = html.replace('<head>', `<head>\n    <link rel="stylesheet" href="${origin}/themes/${theme}.css">`);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(html);
      return;
    }
    const allowed = [
      ['/dist/webview/', path.join(ROOT, 'dist', 'webview')],
      ['/media/', path.join(ROOT, 'media')],
      ['/themes/', THEMES],
    ].find(([prefix]) => url.pathname.startsWith(prefix));
    if (!allowed) {
      res.writeHead(404).end();
      return;
    }
    const file = path.resolve(allowed[1], '.' + decodeURIComponent(url.pathname.slice(allowed[0].length - 1)));
    if (!file.startsWith(allowed[1] + path.sep) || !fs.existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Typed arrays cross page.evaluate as base64, rebuilt as typed arrays in the page (as VS Code does). */
type Encoded =
  { __typed: 'Float32Array' | 'Uint8Array'; b64: string } | Encoded[] | { [k: string]: Encoded } | string | number | boolean | null;

function encode(x: unknown): Encoded {
  if (x instanceof Float32Array || x instanceof Uint8Array) {
    return {
      __typed: x instanceof Float32Array ? 'Float32Array' : 'Uint8Array',
      b64: Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('base64'),
    };
  }
  if (Array.isArray(x)) return x.map(encode);
  if (x && typeof x === 'object')
    return Object.fromEntries(
      Object.entries(x)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, encode(v)]),
    );
  return x as string | number | boolean | null;
}

// Runs in the page before any page script (CDP injection, so the page CSP does not apply to it).
const INIT_SCRIPT = `(() => {
  window.__posted = [];
  window.__cspViolations = [];
  window.__dialogs = 0;
  document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));
  const KEY = '__vscodeState';
  let acquired = false;
  window.acquireVsCodeApi = () => {
    if (acquired) throw new Error('acquireVsCodeApi called twice');
    acquired = true;
    return {
      postMessage(m) { const c = JSON.parse(JSON.stringify(m)); window.__posted.push(c); window.__toHost(c); },
      getState() { const s = sessionStorage.getItem(KEY); return s ? JSON.parse(s) : undefined; },
      setState(s) { sessionStorage.setItem(KEY, JSON.stringify(s)); return s; },
    };
  };
  const decode = (x) => {
    if (Array.isArray(x)) return x.map(decode);
    if (x && typeof x === 'object') {
      if (x.__typed) {
        const bin = atob(x.b64);
        const bytes = new Uint8Array(bin.length);
        for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
        return x.__typed === 'Float32Array' ? new Float32Array(bytes.buffer) : bytes;
      }
      return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, decode(v)]));
    }
    return x;
  };
  // First of the page's message listeners (before any page script): the UI bench marks each
  // message's dispatch here, ahead of the page's own handler.
  window.addEventListener('message', (e) => window.__onMessageFirst?.(e), true);
  window.__deliver = (m) => window.dispatchEvent(new MessageEvent('message', { data: decode(m) }));
  document.addEventListener('DOMContentLoaded', () => document.body.classList.add(window.__themeClass || 'vscode-dark'));
})();`;

export interface Inspector {
  page: Page;
  session: InspectorSession;
  /** Every message the webview posted, in order (as the host received them). */
  received: unknown[];
  /** Page errors and console errors seen so far. */
  errors: string[];
  /** Sends host messages to the webview (e.g. an error, a new run). */
  send(messages: HostToWebview[]): Promise<void>;
  /** Sends host messages all in one task of the page (no frame between them). */
  sendInOneTask(messages: HostToWebview[]): Promise<void>;
  /** Waits until the webview has posted a message matching `pred`, starting at index `from`. */
  waitForPosted(pred: (m: Record<string, unknown>) => boolean, from?: number): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

/** The Q·K view's vectors as the extension gets them, from the engine (here in process) on the run's model file. */
const engineQk: QkSource = async (result, request) => headQK(loadModel(result.model.file), request);

/** Opens the inspector page in a new browser context, answered by a session holding `result`. */
/** Which captured VS Code theme the page gets (`true` = light, for older callers). */
export type ThemeName = 'dark' | 'light' | 'high-contrast';
const THEME_CLASS: Record<ThemeName, string> = { dark: 'vscode-dark', light: 'vscode-light', 'high-contrast': 'vscode-high-contrast' };

export async function openInspector(
  browser: Browser,
  origin: string,
  result: RunResult | undefined,
  title = 'synthetic run',
  light: boolean | ThemeName = false,
  /** A run the engine keeps (RunResult.kept): where the session asks for its heads. */
  kept?: KeptSource,
): Promise<Inspector> {
  const theme: ThemeName = light === true ? 'light' : light === false ? 'dark' : light;
  const session = new InspectorSession(undefined, engineQk, kept);
  if (result) session.setResult(result, title);
  const received: unknown[] = [];
  const { context, page, errors } = await harnessPage(browser, { width: 1500, height: 950 }, theme, async (msg) => {
    received.push(msg);
    const { replies, later } = session.handle(msg);
    await send(replies);
    if (later) void later.then(send);
  });
  const send = (messages: HostToWebview[]) => deliver(page, messages);
  // As VS Code can: several messages handled back to back in one task, no frame between them.
  const sendInOneTask = async (messages: HostToWebview[]) => {
    await page.evaluate(
      (json) => {
        const w = window as unknown as { __deliver(x: unknown): void };
        for (const m of JSON.parse(json) as unknown[]) w.__deliver(m);
      },
      JSON.stringify(messages.map(encode)),
    );
  };
  await page.goto(`${origin}/?theme=${theme}`);
  const waitForPosted = async (pred: (m: Record<string, unknown>) => boolean, from = 0) => {
    const deadline = Date.now() + 5000;
    for (;;) {
      const hit = received
        .slice(from)
        .find((m): m is Record<string, unknown> => !!m && typeof m === 'object' && pred(m as Record<string, unknown>));
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error(`webview did not post the expected message; got ${JSON.stringify(received.slice(from))}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  return { page, session, received, errors, send, sendInOneTask, waitForPosted, close: () => context.close() };
}

/** The side panel's Run view in a page of its own: what it posts, and a way to send it the host's messages. */
export interface RunViewPage {
  page: Page;
  received: unknown[];
  errors: string[];
  send(messages: HostToSidebar[]): Promise<void>;
  close(): Promise<void>;
}

export async function openRunView(browser: Browser, origin: string): Promise<RunViewPage> {
  const received: unknown[] = [];
  const { context, page, errors } = await harnessPage(browser, { width: 360, height: 700 }, 'dark', (msg) => void received.push(msg));
  await page.goto(`${origin}/sidebar`);
  return { page, received, errors, send: (messages: HostToSidebar[]) => deliver(page, messages), close: () => context.close() };
}

/**
 * A page in a browser context of its own with the fake VS Code API and a captured theme: what it
 * posts goes to `toHost`; its errors, console errors and dialogs are collected. The caller loads it.
 */
async function harnessPage(
  browser: Browser,
  viewport: { width: number; height: number },
  theme: ThemeName,
  toHost: (msg: unknown) => Promise<void> | void,
): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('dialog', (d) => {
    errors.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  await page.exposeBinding('__toHost', (_src, msg: unknown) => toHost(msg));
  await page.addInitScript(`window.__themeClass = ${JSON.stringify(THEME_CLASS[theme])};`);
  await page.addInitScript(INIT_SCRIPT);
  return { context, page, errors };
}

/**
 * The host's messages to the page, one task each, in the order posted, as VS Code delivers them: a
 * reply posted while earlier messages are still being delivered waits for them (the page's pieces
 * of a head must not overtake each other).
 */
const delivering = new WeakMap<Page, Promise<void>>();
function deliver(page: Page, messages: unknown[]): Promise<void> {
  const done = (delivering.get(page) ?? Promise.resolve()).then(async () => {
    for (const m of messages)
      await page.evaluate(
        (json) => (window as unknown as { __deliver(x: unknown): void }).__deliver(JSON.parse(json)),
        JSON.stringify(encode(m)),
      );
  });
  delivering.set(
    page,
    done.catch(() => undefined),
  );
  return done;
}
