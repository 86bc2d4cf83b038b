// One floating tooltip for the whole page: a title and label/value rows, all set as text.
import { clear, el } from '../shared/dom';

export interface TipRow {
  label: string;
  value: string;
  /** Extra class, e.g. 'masked' or 'token'. */
  kind?: string;
}

export class Tooltip {
  readonly root = el('div', { className: 'tooltip', attrs: { role: 'tooltip', id: 'inspector-tooltip' } });

  constructor() {
    this.root.hidden = true;
    document.body.appendChild(this.root);
  }

  /** Shows near (x, y) in viewport coordinates, flipped to stay inside the window. */
  show(title: string, rows: TipRow[], x: number, y: number): void {
    clear(this.root);
    this.root.appendChild(el('div', { className: 'tooltip-title', text: title }));
    const table = el('div', { className: 'tooltip-rows' });
    for (const r of rows) {
      table.appendChild(el('span', { className: 'tooltip-label', text: r.label }));
      table.appendChild(el('span', { className: `tooltip-value${r.kind ? ` ${r.kind}` : ''}`, text: r.value }));
    }
    this.root.appendChild(table);
    this.root.hidden = false;
    const pad = 14;
    const w = this.root.offsetWidth;
    const h = this.root.offsetHeight;
    const left = x + pad + w > window.innerWidth ? Math.max(4, x - pad - w) : x + pad;
    const top = y + pad + h > window.innerHeight ? Math.max(4, y - pad - h) : y + pad;
    this.root.style.left = `${left}px`;
    this.root.style.top = `${top}px`;
  }

  hide(): void {
    this.root.hidden = true;
  }
}
