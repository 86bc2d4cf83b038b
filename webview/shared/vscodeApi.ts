// Typed access to the webview API VS Code injects (acquireVsCodeApi may be called only once).
// The test runner injects a fake with the same shape.

interface RawVsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState<T>(state: T): T;
}

declare function acquireVsCodeApi(): RawVsCodeApi;

export interface VsCodeApi<Out, State> {
  post(message: Out): void;
  /** Whatever was saved last; untrusted (it survives reloads), so callers sanitize it. */
  getState(): unknown;
  setState(state: State): void;
}

let api: RawVsCodeApi | undefined;

export function vscodeApi<Out, State>(): VsCodeApi<Out, State> {
  api ??= acquireVsCodeApi();
  const raw = api;
  return {
    post: (m) => raw.postMessage(m),
    getState: () => raw.getState(),
    setState: (s) => void raw.setState(s),
  };
}
