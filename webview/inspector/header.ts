// The run summary at the top: model, architecture, size and the tokens the model saw.
import type { RunMeta, RunProgress } from '../../common/webview';
import { clear, displayToken, el, fmtCount } from '../shared/dom';

const MAX_CHIPS = 160;

export class RunHeader {
  readonly root = el('header', { className: 'run-header' });
  /** A newer run under way, or how the last one stopped (see setPending); cleared by show(). */
  private pending: HTMLElement | undefined;
  /**
   * Cancel was clicked and the host has not said yet how the run ended: the running line says
   * "Cancelling…" through the progress the host still sends meanwhile.
   */
  private cancelling = false;
  /** The streamed run's line while it runs, updated in place by each update (see show). */
  private runLine: { root: HTMLElement; bar: HTMLElement; text: HTMLElement; layers: number } | undefined;
  /** What show() drew, but for the running line: an update that changes only that line keeps the rest. */
  private shownKey: string | undefined;

  /** `cancel`: what the running line's Cancel button does (asks the host to cancel the run). */
  constructor(private readonly cancel: () => void) {}

  /**
   * Says that a run started or went on (what is shown is out of date: marked `stale`), with a bar of
   * its layers done, or that it was cancelled or failed (what is shown is the previous run); 'idle'
   * removes the line. The bar is never indeterminate: Chromium repaints an indeterminate one every
   * frame, which on a machine without GPU compositing took CPU from the run and the window.
   */
  setPending(state: 'running' | 'cancelled' | 'failed' | 'idle', message: string, progress?: RunProgress): void {
    this.pending?.remove();
    this.pending = undefined;
    if (state !== 'running') this.cancelling = false;
    // The streamed run on screen stopped: its "Running…" line goes now, not when the run put back
    // in its place has been drawn (the host sends that next; it took the page 30-100 ms in VS Code).
    if (state === 'cancelled' || state === 'failed') {
      this.runLine?.root.remove();
      this.runLine = undefined;
    }
    if (state === 'idle') return;
    const running = state === 'running';
    const text = el('span', { className: 'run-pending-text', text: running && this.cancelling ? CANCELLING_PENDING : message });
    this.pending = el('div', { className: `run-pending ${running ? 'stale' : state}`, attrs: { role: 'status', 'aria-live': 'polite' } }, [
      running && progress ? progressBar(progress) : null,
      text,
      running ? this.cancelButton(() => (text.textContent = CANCELLING_PENDING)) : null,
    ]);
    this.root.appendChild(this.pending);
  }

  get stale(): boolean {
    return !!this.pending?.classList.contains('stale');
  }

  /** No run to show: why, what was shown before, and (for a run that was lost) a button to run it again. */
  showEmpty(message: string, title?: string, runAgain?: { label: string; run(): void }): void {
    clear(this.root);
    this.pending = undefined;
    this.runLine = this.shownKey = undefined;
    this.root.append(
      el('h1', { className: 'run-model', text: 'Attention Inspector' }),
      el('p', { className: 'empty-message', text: message }),
    );
    if (title) this.root.appendChild(el('p', { className: 'run-details', text: `Last shown here: ${title}` }));
    if (runAgain) {
      const b = el('button', { className: 'run-again', text: runAgain.label, attrs: { type: 'button' } });
      b.addEventListener('click', () => {
        b.disabled = true;
        runAgain.run();
      });
      this.root.appendChild(b);
    }
  }

  show(meta: RunMeta, title: string): void {
    if (!meta.running || meta.running.stopped) this.cancelling = false;
    const m = meta.model;
    const key = JSON.stringify([title, m, meta.details, meta.tokens, meta.predicted, meta.generated, meta.engine, meta.unkToken]);
    const layers = meta.parts.reduce((n, p) => n + p.layers.length, 0);
    // More layers of the run going on change only its line: the rest stays, and so does the Cancel
    // button (rebuilt at each update, a click whose press and release straddled one was lost).
    if (key === this.shownKey && !this.pending && this.runLine?.root.isConnected && meta.running && !meta.running.stopped) {
      this.updateRunning(meta.running, layers);
      return;
    }
    clear(this.root);
    this.pending = undefined;
    this.runLine = undefined;
    this.shownKey = key;
    const titleRow = el('div', { className: 'run-title-row' }, [
      el('h1', { className: 'run-model', text: m.name }),
      title && title !== m.name ? el('span', { className: 'run-title', text: title }) : null,
      el('span', { className: 'badge', text: `${m.architecture} · ${m.kind}` }),
      el('span', { className: 'badge', text: `${fmtCount(m.parameters)} parameters` }),
      meta.engine
        ? el('span', {
            className: 'badge run-engine',
            text: `ran in ${fmtMs(meta.engine.ms)}`,
            attrs: {
              title: `The engine ran this on the ${meta.engine.kernels} kernels, ${meta.engine.threads} thread${meta.engine.threads === 1 ? '' : 's'} (setting attentionInspector.engineThreads).`,
            },
          })
        : null,
    ]);
    const details = Object.entries(meta.details)
      .map(([k, v]) => `${k} ${String(v)}`)
      .join(' · ');
    this.root.append(titleRow, el('p', { className: 'run-details', text: details, attrs: { title: m.file } }));
    const rows = el('div', { className: 'token-rows' });
    // `generated`: how many of the row's last tokens the model wrote itself (RunInput.generate).
    const addRow = (label: string, tokens: string[], generated = 0) => {
      if (tokens.length === 0) return;
      const chips = el('div', { className: 'chips' });
      const from = tokens.length - generated;
      tokens.slice(0, MAX_CHIPS).forEach((t, i) => chips.appendChild(tokenChip(t, i, meta.unkToken, i >= from ? i - from + 1 : undefined)));
      if (tokens.length > MAX_CHIPS) chips.appendChild(el('span', { className: 'chip more', text: `… ${tokens.length - MAX_CHIPS} more` }));
      const count = generated ? `${tokens.length}, ${generated} generated` : `${tokens.length}`;
      rows.append(el('span', { className: 'token-row-label', text: `${label} (${count})` }), chips);
    };
    addRow(m.kind === 'decoder' ? 'tokens' : 'source', meta.tokens.source, meta.generated);
    addRow('target', meta.tokens.target);
    // An encoder's head predicts each position (e.g. a masked-LM guess); decoders predict what comes next.
    const encoderOnly = /\bencoder\b/i.test(m.kind) && !/decoder/i.test(m.kind);
    if (meta.predicted) addRow(encoderOnly ? 'output at each token' : 'predicted next', meta.predicted);
    this.root.appendChild(rows);
    if (meta.running) this.root.appendChild(this.runningStatus(meta.running, layers));
  }

  /** What a partial run shows: how far the run is, and that only the finished layers are drawn. */
  private runningStatus(r: NonNullable<RunMeta['running']>, shown: number): HTMLElement {
    const status = (stopped: boolean, children: HTMLElement[]) =>
      el('div', { className: `run-status${stopped ? ' stopped' : ''}`, attrs: { role: 'status', 'aria-live': 'polite' } }, children);
    const bar = progressBar(r);
    if (r.stopped) {
      const text = `The run was ${r.stopped} (at ${r.message}): only the ${layerCount(shown)} finished before it stopped are shown.`;
      return status(true, [bar, el('span', { className: 'run-status-text', text })]);
    }
    const text = el('span', { className: 'run-status-text' });
    const cancel = this.cancelButton(() => (text.textContent = cancellingStreamed(this.runLine?.layers ?? shown)));
    const root = status(false, [bar, text, cancel]);
    this.runLine = { root, bar, text, layers: shown };
    this.updateRunning(r, shown);
    return root;
  }

  private updateRunning(r: NonNullable<RunMeta['running']>, shown: number): void {
    const line = this.runLine!;
    line.layers = shown;
    line.bar.setAttribute('max', String(r.total));
    line.bar.setAttribute('value', String(r.done));
    line.text.textContent = this.cancelling
      ? cancellingStreamed(shown)
      : `Running (${r.message})… Showing the ${layerCount(shown)} finished so far; the rest appear when the run ends.`;
  }

  /**
   * The running line's Cancel: says "Cancelling…" in the same frame as the click (`saySo`; the
   * host's answer crosses the workbench, 40–500 ms in VS Code) and asks the host once.
   */
  private cancelButton(saySo: () => void): HTMLButtonElement {
    const b = el('button', { className: 'run-cancel', text: 'Cancel', attrs: { type: 'button', title: 'Stop this run' } });
    b.disabled = this.cancelling;
    b.addEventListener('click', () => {
      if (this.cancelling) return;
      this.cancelling = true;
      b.disabled = true;
      saySo();
      this.cancel();
    });
    return b;
  }
}

/** A run's layers done of its total: a bar that fills, never an animation. */
const progressBar = (p: RunProgress): HTMLElement =>
  el('progress', { className: 'run-progress', attrs: { max: String(p.total), value: String(p.done), 'aria-label': 'run progress' } });
const layerCount = (n: number): string => (n === 1 ? '1 layer' : `${n} layers`);
const cancellingStreamed = (layers: number): string => `Cancelling the run… Showing the ${layerCount(layers)} finished so far.`;
const CANCELLING_PENDING = 'Cancelling the run… The heads below are from the previous run.';

function fmtMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(ms >= 10_000 ? 0 : 1)} s` : `${Math.max(1, Math.round(ms))} ms`;
}

/**
 * One token of a strip; the unknown-word token is marked, since the model saw none of that word,
 * and so is a token the model generated (`step`: its greedy step, from 1).
 */
export function tokenChip(token: string, index: number, unkToken: string | undefined, step?: number): HTMLElement {
  const unknown = unkToken !== undefined && token === unkToken;
  const title = unknown ? `#${index}: ${token}, a word not in the vocabulary (the model sees only ${token})` : `#${index}: ${token}`;
  return el('span', {
    className: `chip${unknown ? ' unk' : ''}${step ? ' generated' : ''}`,
    text: displayToken(token),
    attrs: { title: step ? `${title}, generated at greedy step ${step}` : title },
  });
}
