// Tiny DOM helpers. Text always goes in through textContent (never innerHTML), so model tokens
// such as `<img src=x onerror=…>` render literally.

export interface ElProps {
  className?: string;
  text?: string;
  attrs?: Record<string, string>;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: ElProps = {},
  children: (Node | null | undefined)[] = [],
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (props.className) e.className = props.className;
  if (props.text !== undefined) e.textContent = props.text;
  for (const [k, v] of Object.entries(props.attrs ?? {})) e.setAttribute(k, v);
  for (const c of children) if (c) e.appendChild(c);
  return e;
}

/** Custom elements (vscode-elements) by tag name. */
export function custom(tag: string, props: ElProps = {}, children: (Node | null | undefined)[] = []): HTMLElement {
  const e = document.createElement(tag);
  if (props.className) e.className = props.className;
  if (props.text !== undefined) e.textContent = props.text;
  for (const [k, v] of Object.entries(props.attrs ?? {})) e.setAttribute(k, v);
  for (const c of children) if (c) e.appendChild(c);
  return e;
}

/** The value of a vscode-single-select. */
export function selectValue(s: HTMLElement): string {
  return (s as HTMLElement & { value?: string }).value ?? '';
}

/** Sets a vscode-single-select's value, marking the matching option selected as well. */
export function setSelectValue(s: HTMLElement, value: string): void {
  for (const o of Array.from(s.children)) o.toggleAttribute('selected', o.getAttribute('value') === value);
  (s as HTMLElement & { value?: string }).value = value;
}

export function clear(e: Element): void {
  while (e.firstChild) e.removeChild(e.firstChild);
}

/** A canvas whose backing store matches the device pixel ratio; draw in CSS pixels. */
export function sizeCanvas(c: HTMLCanvasElement, width: number, height: number): CanvasRenderingContext2D {
  const dpr = window.devicePixelRatio || 1;
  c.width = Math.max(1, Math.round(width * dpr));
  c.height = Math.max(1, Math.round(height * dpr));
  c.style.width = `${width}px`;
  c.style.height = `${height}px`;
  const ctx = c.getContext('2d');
  if (!ctx) throw new Error('canvas 2d context unavailable');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}

/** How a token is shown: whitespace made visible, empty tokens marked. */
export function displayToken(t: string): string {
  if (t === '') return '∅';
  if (/^\s+$/.test(t)) return t.replace(/ /g, '␣').replace(/\n/g, '↵').replace(/\t/g, '⇥');
  return t;
}

/** A key (column) label: sideways to fit the column, except a single character, which reads upright. */
export function keyLabel(token: string, shown: boolean, title: string, index?: number): HTMLElement {
  const text = shown ? displayToken(token) : '';
  const upright = [...text].length === 1;
  return el('div', {
    className: `token-label key-label${upright ? ' upright' : ''}`,
    text,
    attrs: { title, ...(index === undefined ? {} : { 'data-index': String(index) }) },
  });
}

export function fmt(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined) return '—';
  if (!Number.isFinite(x)) return x > 0 ? '+∞' : x < 0 ? '−∞' : 'NaN';
  return x.toFixed(digits);
}

export function fmtCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}
