// The architecture's own view, below the heads: looks up the renderer for the run's `app.kind`
// and shows its title and what to look for. Unknown kinds and bad data give a message, not a throw.
import type { AppMessage } from '../../common/webview';
import { clear, el } from '../shared/dom';
import { APP_RENDERERS } from './archViews/index';
import { AppDataError, type AppContext, type AppHandle } from './archViews/types';

export class ArchViewPane {
  readonly root = el('section', { className: 'app-pane', attrs: { 'aria-label': 'Architecture view' } });
  private handle: AppHandle | void = undefined;
  private ctx: AppContext | undefined;

  show(m: AppMessage, ctx: AppContext): void {
    clear(this.root);
    this.root.hidden = false;
    this.ctx = ctx;
    this.handle = undefined;
    const body = el('div', { className: 'app-body' });
    this.root.append(el('h2', { text: m.title }), el('p', { className: 'explain', text: m.explain }), body);
    const renderer = APP_RENDERERS[m.kind];
    if (!renderer) {
      body.append(el('p', { className: 'app-message', text: `This version of the inspector has no view for “${m.kind}” models.` }));
      return;
    }
    try {
      this.handle = renderer.render(body, m.data, ctx);
    } catch (e) {
      clear(body);
      const why = e instanceof AppDataError ? e.message : `the view failed: ${e instanceof Error ? e.message : String(e)}`;
      body.append(el('p', { className: 'app-message', text: `Cannot draw this view: ${why}` }));
      if (!(e instanceof AppDataError)) throw e;
    }
  }

  hide(): void {
    clear(this.root);
    this.root.hidden = true;
    this.handle = undefined;
  }

  redraw(patch: Partial<AppContext>): void {
    if (!this.ctx) return;
    this.ctx = { ...this.ctx, ...patch };
    this.handle?.redraw?.(this.ctx);
  }
}
