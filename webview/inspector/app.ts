// The inspector page: receives the run from the host, shows the head grid of one part and the
// selected head in full, asks for one head at a time, and keeps the selection in webview state.
import type { Part } from '../../src/engine/types';
import {
  isHostToWebview,
  sanitizeState,
  type ExportRequestMessage,
  type HeadMessage,
  type HeadPreviewMessage,
  type HostToWebview,
  type InspectorState,
  type InspectorView,
  type PartMeta,
  type RunMeta,
  type Thumbnail,
  type WebviewToHost,
} from '../../common/webview';
import { mergeRunMeta } from '../../common/headData';
import { clear, custom, el, selectValue, setSelectValue } from '../shared/dom';
import { onThemeChange, readTheme } from '../shared/theme';
import type { VsCodeApi } from '../shared/vscodeApi';
import { ArchViewPane } from './archViewPane';
import { ErrorBanner } from './banner';
import { DetailPane } from './detail';
import { gridSection, HeadGrid } from './grid';
import { RunHeader } from './header';
import { partLabel, SORT_OPTIONS, type SortKey } from './labels';
import { Tooltip } from './tooltip';
import { exportReply } from './exporter';
import { receiver } from '../../common/rpc';
import { HeadLoader } from './headLoader';
import { PaintFirst } from './paintFirst';
import { pageRpc, Requests } from './requests';
import { ViewSwitcher } from './switcher';
import { MainViews } from './mainViews';
import { recordPaint } from './paintTimings';
import { sinkOffered } from './sink';

export class InspectorApp {
  private state: InspectorState;
  private theme = readTheme();
  private readonly tooltip = new Tooltip();
  private readonly banner = new ErrorBanner();
  private readonly header = new RunHeader(() => this.api.post({ type: 'cancelRun' }));
  private readonly grid: HeadGrid;
  private readonly detail: DetailPane;
  private readonly archPane = new ArchViewPane();
  private tokens = { source: [] as string[], target: [] as string[] };
  private readonly partSelect = custom('vscode-single-select', { className: 'part-select', attrs: { 'aria-label': 'Attention part' } });
  private readonly sortSelect = custom('vscode-single-select', { className: 'sort-select', attrs: { 'aria-label': 'Order heads by' } });
  private readonly controls = el('div', { className: 'controls' });
  private readonly main = el('main', { className: 'layout' });
  private runId = -1;
  private meta: RunMeta | undefined;
  private thumbs = new Map<Part, Thumbnail[]>();
  private head: HeadMessage | undefined;
  private readonly loader: HeadLoader;
  private readonly requests: Requests;
  private readonly switcher: ViewSwitcher;
  private readonly headsView = el('div', { className: 'heads-view view' });
  /** Q·K, stepper, aggregates, positional, compare. */
  private readonly views: MainViews;
  private wantCompare = false;

  constructor(
    private readonly root: HTMLElement,
    private readonly api: VsCodeApi<WebviewToHost, InspectorState>,
  ) {
    this.state = sanitizeState(api.getState());
    const rpc = pageRpc((m) => this.api.post(m));
    this.requests = new Requests(rpc);
    this.switcher = new ViewSwitcher(
      (v) => this.showMain(v),
      (on) => this.setSink(on),
    );
    this.views = new MainViews(
      this.tooltip,
      this.theme,
      this.requests,
      (patch) => this.save(patch),
      (score) => this.api.post({ type: 'rerun', runId: this.runId, score }),
    );
    this.grid = new HeadGrid(
      this.tooltip,
      {
        open: (layer, head) => this.select(this.state.part ?? 'encoder', layer, head),
        pointed: (layer, head) => {
          const part = this.state.part ?? 'encoder';
          if (!this.isShown(part, layer, head)) this.loader.prefetch(this.runId, part, layer, head);
        },
      },
      this.theme,
    );
    this.detail = new DetailPane(
      this.tooltip,
      this.theme,
      (view) => this.save({ view }),
      (scale) => this.save({ scale }),
    );
    this.loader = new HeadLoader(rpc, {
      show: (m, waitMs) => this.showHead(m, waitMs),
      canPreview: (part) => {
        const pm = this.partMeta(part);
        return !!pm && this.detail.canPreview(pm.queries, pm.keys);
      },
      preview: (p, waitMs) => this.showPreview(p, waitMs),
      loading: (t) => this.detail.showLoading(t),
      error: (t) => this.banner.show(t),
    });
    this.detail.setView(this.state.view ?? 'heatmap');
    this.detail.setScale(this.state.scale ?? 'head');

    for (const o of SORT_OPTIONS) this.sortSelect.appendChild(custom('vscode-option', { text: o.label, attrs: { value: o.value } }));
    setSelectValue(this.sortSelect, this.state.sort ?? 'grid');
    this.partSelect.addEventListener('change', () => this.choosePart(selectValue(this.partSelect) as Part));
    this.sortSelect.addEventListener('change', () => {
      this.save({ sort: selectValue(this.sortSelect) as SortKey });
      this.rebuildGrid();
    });

    this.controls.append(
      el('label', { className: 'control' }, [el('span', { text: 'Attention' }), this.partSelect]),
      el('label', { className: 'control' }, [el('span', { text: 'Order heads by' }), this.sortSelect]),
    );
    this.main.append(gridSection(this.grid), this.detail.root);
    this.headsView.append(this.controls, this.main, this.archPane.root);
    this.root.append(this.banner.root, this.header.root, this.switcher.root, this.headsView, ...this.views.roots);
    this.archPane.hide();
    this.controls.hidden = true;
    this.main.hidden = true;
    this.switcher.root.hidden = true;
    this.switcher.setSink(!!this.state.sink);
    this.switcher.setAvailable('compare', false);
    this.detail.setSink(!!this.state.sink);
    this.setVisibleView(undefined);
    this.header.showEmpty('Waiting for the extension…', this.state.title);

    window.addEventListener('message', (e: MessageEvent<unknown>) => this.onMessage(e.data));
    let resize: ReturnType<typeof setTimeout> | undefined;
    window.addEventListener('resize', () => {
      clearTimeout(resize);
      resize = setTimeout(() => this.detail.resize(), 100);
    });
    onThemeChange(() => {
      this.theme = readTheme();
      this.grid.setTheme(this.theme);
      this.detail.setTheme(this.theme);
      this.archPane.redraw({ theme: this.theme });
      this.views.setTheme(this.theme);
    });
    const { part, layer, head } = this.state;
    this.api.post({ type: 'ready', ...(part && layer !== undefined ? { selection: { part, layer, head: head ?? 0 } } : {}) });
  }

  private readonly inOrder = new PaintFirst<HostToWebview>(
    (m) => this.handle(m),
    // A run that stopped: the host puts the previous run back right after the line. (A running
    // line is not followed by much: holding what comes after it would only delay a first heatmap.)
    (m) => m.type === 'runStatus' && (m.state === 'cancelled' || m.state === 'failed'),
  );

  private readonly onMessage = receiver(
    isHostToWebview,
    (m) => this.inOrder.push(m),
    () => this.api.post({ type: 'webviewError', message: 'inspector received a malformed message from the host' }),
  );

  private handle(m: HostToWebview): void {
    if (this.requests.settle(m)) return;
    switch (m.type) {
      case 'showView':
        if ((this.state.viewSeq ?? -1) === m.seq) return; // applied before this reload
        this.save({ viewSeq: m.seq });
        this.switcher.set(m.view);
        return this.showMain(m.view);
      case 'compare':
        this.views.compare.set(m, !!this.state.sink);
        this.switcher.setAvailable('compare', true);
        if (this.wantCompare) {
          this.wantCompare = false;
          this.switcher.set('compare');
          this.showMain('compare');
        }
        return;
      case 'exportRequest':
        return this.exportView(m);
      case 'aggregate':
      case 'positional':
      case 'compareHead':
      case 'qk':
      case 'viewError':
      case 'headPreview':
      case 'headError':
        return; // an answer nobody waits for any more
      case 'head':
        return this.loader.sentFull(m); // the head a run message brought the colours of, else dropped
      case 'headPiece':
        return this.loader.sentPiece(m); // a piece of its numbers
      case 'run':
        return this.onRun(m.runId, m.title, m.meta, m.head, m.preview);
      case 'runUpdate':
        return this.onRunUpdate(m.runId, m.meta);
      case 'thumbnails': {
        if (m.runId !== this.runId) return;
        const all = m.append ? [...(this.thumbs.get(m.part) ?? []), ...m.thumbnails] : m.thumbnails;
        this.thumbs.set(m.part, all);
        if (m.part === this.state.part) {
          const t0 = performance.now();
          const runId = this.runId;
          // Timed until the tiles show them: the atlas image decodes off the main thread.
          this.grid.setThumbnails(all).then(
            () => {
              if (runId === this.runId) recordPaint(this.root, 'grid', t0);
            },
            (e: unknown) => this.api.post({ type: 'webviewError', message: e instanceof Error ? e.message : String(e) }),
          );
        }
        return;
      }
      case 'focusHead': {
        const pm = this.partMeta(m.part);
        const layer = pm?.layers.find((l) => l.layer === m.layer);
        if (m.runId !== this.runId || !pm || !layer || m.head >= layer.heads) return;
        if (this.state.part !== m.part) {
          this.state.part = m.part;
          setSelectValue(this.partSelect, m.part);
          this.rebuildGrid();
        }
        this.select(m.part, m.layer, m.head);
        return;
      }
      case 'app':
        if (m.runId !== this.runId) return;
        this.archPane.show(m, { theme: this.theme, tooltip: this.tooltip, tokens: this.tokens, open: this.openHead() });
        return;
      case 'error':
        this.banner.show(m.message);
        this.views.stepper.rerunFailed();
        return;
      case 'runStatus':
        this.header.setPending(m.state, m.message, m.progress);
        this.main.classList.toggle('stale-content', this.header.stale);
        return;
      case 'noRun':
        this.archPane.hide();
        this.meta = undefined;
        this.controls.hidden = true;
        this.main.hidden = true;
        this.switcher.root.hidden = true;
        this.setVisibleView(undefined);
        this.header.showEmpty(
          m.message,
          this.state.title,
          m.runAgain ? { label: m.runAgain, run: () => this.api.post({ type: 'runAgain' }) } : undefined,
        );
        return;
    }
  }

  private onRun(runId: number, title: string, meta: RunMeta, head?: HeadMessage, preview?: HeadPreviewMessage): void {
    // A head clicked just before this run came, which the host had not opened yet: the run's
    // opening head is the host's older choice, and the click would be lost.
    const clicked = this.loader.waiting();
    this.runId = runId;
    this.meta = meta;
    this.loader.newRun(head, preview);
    this.requests.cancelAll();
    this.views.compare.set(undefined, !!this.state.sink);
    this.switcher.setAvailable('compare', false);
    this.switcher.root.hidden = false;
    this.thumbs.clear();
    this.head = undefined;
    this.archPane.hide();
    this.tokens = { source: [...meta.tokens.source], target: [...meta.tokens.target] };
    this.banner.hide();
    // The host decided which head opens (and sent it along); the page follows.
    const inRun = clicked && meta.parts.find((p) => p.part === clicked.part)?.layers.find((l) => l.layer === clicked.layer);
    const opens = clicked && inRun && clicked.head < inRun.heads ? clicked : (head ?? preview);
    this.save(opens ? { title, part: opens.part, layer: opens.layer, head: opens.head } : { title });
    this.header.show(meta, title);
    this.detail.setSink(this.sinkOn()); // a saved "on" stays for text runs, is off for image-keyed ones
    this.views.setSink(this.sinkOn());
    this.main.classList.remove('stale-content');
    this.controls.hidden = false;
    this.main.hidden = meta.parts.length === 0;
    if (meta.parts.length === 0) {
      this.banner.show('This run returned no attention layers.');
      return;
    }
    // Options re-slotted cost the select a relayout (25 ms at BERT-base): kept when they are the same.
    const options = meta.parts.map((p) => [p.part, partLabel(p.part, meta)]);
    if (JSON.stringify(options) !== this.partSelect.dataset.options) {
      clear(this.partSelect);
      for (const [value, text] of options) this.partSelect.appendChild(custom('vscode-option', { text, attrs: { value } }));
      this.partSelect.dataset.options = JSON.stringify(options);
    }
    this.grid.forgetThumbnails();
    const part = meta.parts.some((p) => p.part === this.state.part) ? this.state.part! : meta.parts[0].part;
    this.choosePart(part, true);
    // A comparison arrives right after its run; until then show the heads.
    this.wantCompare = this.state.main === 'compare';
    const main = this.state.main && this.state.main !== 'compare' ? this.state.main : 'heads';
    this.switcher.set(main);
    this.showMain(main);
  }

  /**
   * More layers of the streamed run on screen (a delta, see mergeRunMeta), or its end: the header
   * and the grid are redrawn, the open head and its pending request stay. A run whose parts
   * changed is shown afresh.
   */
  private onRunUpdate(runId: number, update: RunMeta): void {
    const old = this.meta;
    if (runId !== this.runId || !old) return;
    const meta = mergeRunMeta(old, update);
    if (meta.parts.map((p) => p.part).join() !== old.parts.map((p) => p.part).join()) {
      const thumbs = new Map(this.thumbs); // the update's thumbnails are appended to these
      this.onRun(runId, this.state.title ?? '', meta);
      this.thumbs = thumbs;
      return this.rebuildGrid();
    }
    this.meta = meta;
    if (this.state.main && this.state.main !== 'heads') this.showMain(this.state.main);
    this.header.show(meta, this.state.title ?? '');
    this.main.classList.remove('stale-content');
    const pm = this.partMeta(this.state.part);
    if (pm) {
      const sort = this.state.sort ?? 'grid';
      if (!this.grid.extendPart(pm, sort)) this.grid.setPart(pm, sort); // in grid order only the new rows are built
      if (this.state.layer !== undefined) this.grid.setSelected(this.state.layer, this.state.head ?? 0);
    }
  }

  /** Shows one of the main views and fills it from what the page has. */
  private showMain(v: InspectorView): void {
    this.save({ main: v });
    this.setVisibleView(v);
    const s = { ...this.state, sink: this.sinkOn() };
    if (this.meta) this.views.show(v, this.meta, this.runId, s, this.head, this.partMeta(this.head?.part));
  }

  private setVisibleView(v: InspectorView | undefined): void {
    this.headsView.hidden = v !== 'heads';
    this.views.setVisible(v);
    // The display transform changes the heatmaps, the stepper, aggregates and compare; offered only there.
    const changes = v === 'heads' || v === 'stepper' || v === 'aggregates' || v === 'compare';
    this.switcher.sinkBox.hidden = !changes || !sinkOffered(this.meta);
  }

  /** The sink transform as applied: the saved choice, where the run's keys are tokens. */
  private sinkOn(): boolean {
    return !!this.state.sink && sinkOffered(this.meta);
  }

  private setSink(on: boolean): void {
    this.save({ sink: on });
    this.detail.setSink(on);
    this.views.setSink(on);
  }

  /** Answers the host's Export View: an image of the current view, or which head is open. */
  private exportView(m: ExportRequestMessage): void {
    const root = [this.headsView, ...this.views.roots].find((r) => !r.hidden);
    this.api.post(
      exportReply(m, {
        view: this.state.main ?? 'heads',
        head: this.head,
        meta: this.meta,
        sink: this.sinkOn(),
        root,
        theme: this.theme,
      }),
    );
  }

  private partMeta(part: Part | undefined): PartMeta | undefined {
    return this.meta?.parts.find((p) => p.part === part);
  }

  /** Switches the grid to a part; keeps the saved layer/head when it exists there. */
  private choosePart(part: Part, keepSelection = false): void {
    const pm = this.partMeta(part);
    if (!pm) return;
    setSelectValue(this.partSelect, part);
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
    if (t)
      this.grid
        .setThumbnails(t)
        .catch((e: unknown) => this.api.post({ type: 'webviewError', message: e instanceof Error ? e.message : String(e) }));
  }

  /** Selects one head: remembers it and asks the host for its full data. */
  private select(part: Part, layer: number, head: number): void {
    this.save({ part, layer, head });
    this.grid.setSelected(layer, head);
    this.archPane.redraw({ open: { part, layer, head } });
    if (!this.isShown(part, layer, head)) this.loader.open(this.runId, part, layer, head);
  }

  /** Whether the detail pane shows this head of the current run. */
  private isShown(part: Part, layer: number, head: number): boolean {
    const h = this.head;
    return !!h && h.runId === this.runId && h.part === part && h.layer === layer && h.head === head;
  }

  private openHead(): { part: Part; layer: number; head: number } | undefined {
    const { part, layer, head } = this.state;
    return part && layer !== undefined ? { part, layer, head: head ?? 0 } : undefined;
  }

  private showHead(m: HeadMessage, waitMs?: number): void {
    const pm = this.partMeta(m.part);
    if (!pm || !this.meta) return;
    if (m.queries !== pm.queries || m.keys !== pm.keys) {
      this.banner.show(`Head data has shape ${m.queries}×${m.keys}, expected ${pm.queries}×${pm.keys}.`);
      return;
    }
    this.head = m; // only one full head is kept (the stepper's are its own)
    const t0 = performance.now();
    this.detail.showHead(m, pm, this.meta);
    recordPaint(this.root, 'head', t0, waitMs);
    if (this.state.main === 'qk') this.views.qk.show(m, pm, this.meta, this.state.query ?? 0);
  }

  /** A head's colours ahead of its numbers (showHead follows with them). */
  private showPreview(p: HeadPreviewMessage, waitMs: number): boolean {
    const pm = this.partMeta(p.part);
    if (!pm || !this.meta || p.queries !== pm.queries || p.keys !== pm.keys) return false;
    const t0 = performance.now();
    const shown = this.detail.showPreview(p, pm, this.meta);
    if (shown) recordPaint(this.root, 'head', t0, waitMs, true);
    return shown;
  }

  private save(patch: Partial<InspectorState>): void {
    this.state = { ...this.state, ...patch };
    this.api.setState(this.state);
  }
}
