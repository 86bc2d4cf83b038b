// Entry of the inspector webview bundle (dist/webview/inspector.js). Only the vscode-elements
// we use are imported, one module each, to keep the bundle small.
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-radio-group/index.js';
import '@vscode-elements/elements/dist/vscode-radio/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import type { InspectorState, WebviewToHost } from '../../common/webview';
import { vscodeApi } from '../shared/vscodeApi';
import { InspectorApp } from './app';

const api = vscodeApi<WebviewToHost, InspectorState>();

function report(message: string): void {
  try {
    api.post({ type: 'webviewError', message: message.slice(0, 2000) });
  } catch {
    // nothing else to do from inside the page
  }
}

window.addEventListener('error', (e) => report(`${e.message} (${e.filename}:${e.lineno})`));
window.addEventListener('unhandledrejection', (e) => report(String(e.reason)));

const root = document.getElementById('app');
if (root) new InspectorApp(root, api);
