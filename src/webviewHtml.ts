// The one place that builds webview HTML: a Content-Security-Policy that only lets our own
// bundle run (nonce from crypto.randomBytes), only our own stylesheets load, and resources come
// only from dist/webview and media. Only vscode *types* are imported, so the webview tests can
// build the exact same page outside VS Code.
import { randomBytes } from 'crypto';
import * as path from 'path';
import type * as vscode from 'vscode';

/** 128 bits from the OS CSPRNG, base64: a fresh one for every page load. */
export function makeNonce(): string {
  return randomBytes(16).toString('base64');
}

/** Uri.joinPath without a runtime vscode import (Uri.with exists on every Uri instance). */
export function joinUri(base: vscode.Uri, ...segments: string[]): vscode.Uri {
  return base.with({ path: path.posix.join(base.path, ...segments) });
}

/** The only folders a webview may load from: its bundles and the media folder. */
export function localResourceRoots(extensionUri: vscode.Uri): vscode.Uri[] {
  return [joinUri(extensionUri, 'dist', 'webview'), joinUri(extensionUri, 'media')];
}

/** Options for createWebviewPanel / webview.options. */
export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return { enableScripts: true, localResourceRoots: localResourceRoots(extensionUri) };
}

export interface PageSpec {
  /** Bundle name: loads dist/webview/<name>.js. */
  name: string;
  /** Document title (for screen readers; panels show their own title). */
  title: string;
  /** Stylesheets under media/, e.g. ['inspector.css']. */
  styles?: string[];
}

/** The Content-Security-Policy of every webview page. No 'unsafe-inline' anywhere. */
export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data: blob:`, // blob: the head grid's thumbnail atlas, made in the page
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
}

function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Full HTML for a webview page: CSP meta, stylesheets, an empty #app and the nonce'd bundle. */
export function buildWebviewHtml(
  webview: Pick<vscode.Webview, 'cspSource' | 'asWebviewUri'>,
  extensionUri: vscode.Uri,
  spec: PageSpec,
  nonce: string = makeNonce(),
): string {
  const script = webview.asWebviewUri(joinUri(extensionUri, 'dist', 'webview', `${spec.name}.js`)).toString();
  const links = (spec.styles ?? [])
    .map((s) => webview.asWebviewUri(joinUri(extensionUri, 'media', s)).toString())
    .map((href) => `    <link rel="stylesheet" href="${escapeAttr(href)}">`)
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <meta http-equiv="Content-Security-Policy" content="${escapeAttr(contentSecurityPolicy(webview.cspSource, nonce))}">
    <meta name="viewport" content="width=device-width, initial-scale=1.0">
${links}
    <title>${escapeAttr(spec.title)}</title>
  </head>
  <body>
    <div id="app"></div>
    <script nonce="${escapeAttr(nonce)}" src="${escapeAttr(script)}"></script>
  </body>
</html>`;
}
