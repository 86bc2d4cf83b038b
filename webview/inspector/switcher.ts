// The view switcher at the top of the panel: a tab list (role=tablist) — arrow keys move between
// tabs, Enter/Space or click selects — plus the attention-sink display-transform toggle.
import type { InspectorView } from '../../common/webview';
import { custom, el } from '../shared/dom';

export const VIEW_LABELS: Record<InspectorView, string> = {
  heads: 'Heads',
  qk: 'Q·K',
  stepper: 'Decoder stepper',
  aggregates: 'Aggregates',
  positional: 'Positional encoding',
  compare: 'Compare',
};

export class ViewSwitcher {
  readonly root = el('div', { className: 'view-bar' });
  private readonly tabs = el('div', { className: 'view-tabs', attrs: { role: 'tablist', 'aria-label': 'View' } });
  readonly sinkBox = custom('vscode-checkbox', {
    className: 'sink-toggle',
    text: 'Hide attention sink (display transform)',
    attrs: {
      title:
        'Hides attention to the first token and [SEP]/end tokens and renormalises each row, so the rest of the pattern is visible. The model’s numbers are not changed.',
    },
  });
  private readonly buttons = new Map<InspectorView, HTMLElement>();
  private current: InspectorView = 'heads';

  constructor(
    private readonly onView: (v: InspectorView) => void,
    private readonly onSink: (on: boolean) => void,
  ) {
    for (const v of Object.keys(VIEW_LABELS) as InspectorView[]) {
      const b = el('button', {
        className: 'view-tab',
        text: VIEW_LABELS[v],
        attrs: { type: 'button', role: 'tab', 'data-view': v, 'aria-selected': 'false', tabindex: '-1' },
      });
      b.addEventListener('click', () => this.choose(v));
      this.buttons.set(v, b);
      this.tabs.appendChild(b);
    }
    this.tabs.addEventListener('keydown', (e) => {
      const list = [...this.buttons.entries()].filter(([, b]) => !b.hidden);
      const i = list.findIndex(([, b]) => b === document.activeElement);
      const d = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
      if (d === undefined || i < 0) return;
      const [v, b] = list[(i + d + list.length) % list.length];
      b.focus();
      this.choose(v);
      e.preventDefault();
    });
    this.sinkBox.addEventListener('change', () => this.onSink(!!(this.sinkBox as HTMLElement & { checked?: boolean }).checked));
    this.root.append(this.tabs, this.sinkBox);
  }

  /** Marks `v` selected without telling the app (it asked). */
  set(v: InspectorView): void {
    this.current = v;
    for (const [k, b] of this.buttons) {
      b.setAttribute('aria-selected', String(k === v));
      b.setAttribute('tabindex', k === v ? '0' : '-1');
      b.classList.toggle('selected', k === v);
    }
  }

  setSink(on: boolean): void {
    (this.sinkBox as HTMLElement & { checked?: boolean }).checked = on;
    this.sinkBox.toggleAttribute('checked', on);
  }

  /** Hides tabs that have nothing to show (no compare loaded). */
  setAvailable(v: InspectorView, on: boolean): void {
    const b = this.buttons.get(v);
    if (b) b.hidden = !on;
  }

  private choose(v: InspectorView): void {
    if (v === this.current) return;
    this.set(v);
    this.onView(v);
  }
}
