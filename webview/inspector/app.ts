// The inspector page: receives the run from the host, shows the head grid of one part and the
// selected head in full, asks for one head at a time, and keeps the selection in webview state.
import type { Part } from '../../src/engine/types';
import {
  isHostToWebview,
  sanitizeState,
  type HeadMessage,
  type HostToWebview,
  type InspectorState,
  type PartMeta,
  type RunMeta,
  type Thumbnail,
  type WebviewToHost,
} from '../../src/protocol/webview';
import { clear, custom, el } from '../shared/dom';
import { onThemeChange, readTheme } from '../shared/theme';
import type { VsCodeApi } from '../shared/vscodeApi';
import { AppPane } from './appPane';
import { ErrorBanner } from './banner';
import { DetailPane } from './detail';
import { HeadGrid } from './grid';
import { RunHeader } from './header';
import { partLabel, SORT_OPTIONS, type SortKey } from './labels';
import { Tooltip } from './tooltip';

export const REQUEST_TIMEOUT_MS = 10_000;

interface Pending {
  requestId: number;
  part: Part;
  layer: number;
  head: number;
  timer: ReturnType<typeof setTimeout>;
}

export class InspectorApp {
  private state: InspectorState;
  private theme = readTheme();
  private readonly tooltip = new Tooltip();
  private readonly banner = new ErrorBanner();
  private readonly header = new RunHeader();
  private readonly grid: HeadGrid;
  private readonly detail: DetailPane;
  private readonly appPane = new AppPane();
  private tokens = { source: [] as string[], target: [] as string[] };
  private readonly partSelect = custom('vscode-single-select', { className: 'part-select', attrs: { 'aria-label': 'Attention part' } });
  private readonly sortSelect = custom('vscode-single-select', { className: 'sort-select', attrs: { 'aria-label': 'Order heads by' } });
  private readonly controls = el('div', { className: 'controls' });
  private readonly main = el('main', { className: 'layout' });
  private runId = -1;
  private meta: RunMeta | undefined;
  private thumbs = new Map<Part, Thumbnail[]>();
  private head: HeadMessage | undefined;
  private pending: Pending | undefined;
  private nextRequestId = 1;

  constructor(
    private readonly root: HTMLElement,
    private readonly api: VsCodeApi<WebviewToHost, InspectorState>,
  ) {
    this.state = sanitizeState(api.getState());
    this.grid = new HeadGrid(this.tooltip, { open: (layer, head) => this.select(this.state.part ?? 'encoder', layer, head) }, this.theme);
    this.detail = new DetailPane(this.tooltip, this.theme, (view) => this.save({ view }), (scale) => this.save({ scale }));
    this.detail.setView(this.state.view ?? 'heatmap');
    this.detail.setScale(this.state.scale ?? 'head');

    for (const o of SORT_OPTIONS) this.sortSelect.appendChild(custom('vscode-option', { text: o.label, attrs: { value: o.value } }));
    this.setSelectValue(this.sortSelect, this.state.sort ?? 'grid');
    this.partSelect.addEventListener('change', () => this.choosePart(this.selectValue(this.partSelect) as Part));
    this.sortSelect.addEventListener('change', () => {
      this.save({ sort: this.selectValue(this.sortSelect) as SortKey });
      this.rebuildGrid();
    });

    this.controls.append(
      el('label', { className: 'control' }, [el('span', { text: 'Attention' }), this.partSelect]),
      el('label', { className: 'control' }, [el('span', { text: 'Order heads by' }), this.sortSelect]),
    );
    const gridPane = el('section', { className: 'grid-pane', attrs: { 'aria-label': 'Heads' } }, [
      el('h2', { text: 'Heads' }),
      el('p', { className: 'explain', text: 'Each tile is one head’s attention pattern, shrunk (rows = queries, columns = keys). Rows of tiles are layers (L0 is nearest the input), columns are heads. Hover for statistics; click or press Enter to open.' }),
      this.grid.root,
    ]);
    this.main.append(gridPane, this.detail.root);
    this.root.append(this.banner.root, this.header.root, this.controls, this.main, this.appPane.root);
    this.appPane.hide();
    this.controls.hidden = true;
    this.main.hidden = true;
    this.header.showEmpty('Waiting for the extension…', this.state.title);

    window.addEventListener('message', (e: MessageEvent<unknown>) => this.onMessage(e.data));
    let resize: ReturnType<typeof setTimeout> | undefined;
    window.addEventListener('resize', () => {
      clearTimeout(resize);
      resize = setTimeout(() => this.detail.rerender(), 100);
    });
    onThemeChange(() => {
      this.theme = readTheme();
      this.grid.setTheme(this.theme);
      this.detail.setTheme(this.theme);
      this.appPane.redraw({ theme: this.theme });
    });
    this.api.post({ type: 'ready' });
  }

  private onMessage(data: unknown): void {
    if (!isHostToWebview(data)) {
      this.api.post({ type: 'webviewError', message: 'inspector received a malformed message from the host' });
      return;
    }
    this.handle(data);
  }

  private handle(m: HostToWebview): void {
    switch (m.type) {
      case 'run':
        return this.onRun(m.runId, m.title, m.meta);
      case 'thumbnails':
        if (m.runId !== this.runId) return;
        this.thumbs.set(m.part, m.thumbnails);
        if (m.part === this.state.part) this.grid.setThumbnails(m.thumbnails);
        return;
      case 'head':
        return this.onHead(m);
      case 'focusHead': {
        const pm = this.partMeta(m.part);
        const layer = pm?.layers.find((l) => l.layer === m.layer);
        if (m.runId !== this.runId || !pm || !layer || m.head >= layer.heads) return;
        if (this.state.part !== m.part) {
          this.state.part = m.part;
          this.setSelectValue(this.partSelect, m.part);
          this.rebuildGrid();
        }
        this.select(m.part, m.layer, m.head);
        return;
      }
      case 'headError':
        if (m.requestId !== this.pending?.requestId) return;
        this.clearPending();
        this.detail.showLoading('');
        this.banner.show(m.message);
        return;
      case 'app':
        if (m.runId !== this.runId) return;
        this.appPane.show(m, { theme: this.theme, tooltip: this.tooltip, tokens: this.tokens });
        return;
      case 'error':
        this.banner.show(m.message);
        return;
      case 'noRun':
        this.appPane.hide();
        this.meta = undefined;
        this.controls.hidden = true;
        this.main.hidden = true;
        this.header.showEmpty(m.message, this.state.title);
        return;
    }
  }

  private onRun(runId: number, title: string, meta: RunMeta): void {
    this.runId = runId;
    this.meta = meta;
    this.thumbs.clear();
    this.head = undefined;
    this.appPane.hide();
    this.tokens = { source: [...meta.tokens.source], target: [...meta.tokens.target] };
    this.clearPending();
    this.banner.hide();
    this.save({ title });
    this.header.show(meta, title);
    this.controls.hidden = false;
    this.main.hidden = meta.parts.length === 0;
    if (meta.parts.length === 0) {
      this.banner.show('This run returned no attention layers.');
      return;
    }
    clear(this.partSelect);
    for (const p of meta.parts) {
      this.partSelect.appendChild(custom('vscode-option', { text: partLabel(p.part, meta), attrs: { value: p.part } }));
    }
    const part = meta.parts.some((p) => p.part === this.state.part) ? this.state.part! : meta.parts[0].part;
    this.choosePart(part, true);
  }

  private partMeta(part: Part | undefined): PartMeta | undefined {
    return this.meta?.parts.find((p) => p.part === part);
  }

  /** Switches the grid to a part; keeps the saved layer/head when it exists there. */
  private choosePart(part: Part, keepSelection = false): void {
    const pm = this.partMeta(part);
    if (!pm) return;
    this.setSelectValue(this.partSelect, part);
    const sameLayer = pm.layers.find((l) => l.layer === this.state.layer);
    const fits = (keepSelection || this.state.part === part) && sameLayer && (this.state.head ?? 0) < sameLayer.heads;
    const layer = fits ? sameLayer.layer : pm.layers[0].layer;
    const head = fits ? (this.state.head ?? 0) : 0;
    this.state.part = part;
    this.rebuildGrid();
    this.select(part, layer, head);
  }

  private rebuildGrid(): void {
    const pm = this.partMeta(this.state.part);
    if (!pm) return;
    this.grid.setPart(pm, this.state.sort ?? 'grid');
    const t = this.thumbs.get(pm.part);
    if (t) this.grid.setThumbnails(t);
  }

  /** Selects one head: remembers it and asks the host for its full data. */
  private select(part: Part, layer: number, head: number): void {
    this.save({ part, layer, head });
    this.grid.setSelected(layer, head);
    const h = this.head;
    if (h && h.runId === this.runId && h.part === part && h.layer === layer && h.head === head) return;
    if (this.pending && this.pending.part === part && this.pending.layer === layer && this.pending.head === head) return;
    this.clearPending();
    const requestId = this.nextRequestId++;
    const timer = setTimeout(() => {
      if (this.pending?.requestId !== requestId) return;
      this.pending = undefined;
      this.detail.showLoading('');
      this.banner.show(`The extension did not send layer ${layer} head ${head} within ${REQUEST_TIMEOUT_MS / 1000} s. Try again, or restart the engine.`);
    }, REQUEST_TIMEOUT_MS);
    this.pending = { requestId, part, layer, head, timer };
    this.detail.showLoading(`Loading layer ${layer} · head ${head}…`);
    this.api.post({ type: 'requestHead', requestId, runId: this.runId, part, layer, head });
  }

  private onHead(m: HeadMessage): void {
    if (m.runId !== this.runId || m.requestId !== this.pending?.requestId) return; // stale answer
    this.clearPending();
    const pm = this.partMeta(m.part);
    if (!pm || !this.meta) return;
    if (m.queries !== pm.queries || m.keys !== pm.keys) {
      this.banner.show(`Head data has shape ${m.queries}×${m.keys}, expected ${pm.queries}×${pm.keys}.`);
      return;
    }
    this.head = m; // only one full head is kept
    this.detail.showHead(m, pm, this.meta);
  }

  private clearPending(): void {
    if (this.pending) clearTimeout(this.pending.timer);
    this.pending = undefined;
  }

  private save(patch: Partial<InspectorState>): void {
    this.state = { ...this.state, ...patch };
    this.api.setState(this.state);
  }

  private selectValue(s: HTMLElement): string {
    return (s as HTMLElement & { value?: string }).value ?? '';
  }

  private setSelectValue(s: HTMLElement, value: string): void {
    for (const o of Array.from(s.children)) o.toggleAttribute('selected', o.getAttribute('value') === value);
    (s as HTMLElement & { value?: string }).value = value;
  }
}
