// Head detail as lines (BertViz style): query tokens on the left, key tokens on the right, one
// line per pair whose opacity and width grow with the probability. Hover a token to see only its
// lines, with the probabilities written next to the tokens on the other side.
import type { HeadMessage, PartMeta } from '../../common/webview';
import { clear, displayToken, el, fmt, sizeCanvas } from '../shared/dom';
import { rgbCss, type ThemeColors } from '../shared/theme';
import { KEY_AXIS_TITLE, QUERY_AXIS_TITLE } from './heatmap';

const LINK_WIDTH = 260;

type Focus = { side: 'query' | 'key'; index: number } | undefined;

export class LinesView {
  readonly root = el('div', { className: 'lines-view' });
  private readonly left = el('div', { className: 'lines-tokens left', attrs: { 'aria-label': 'query tokens' } });
  private readonly right = el('div', { className: 'lines-tokens right', attrs: { 'aria-label': 'key tokens' } });
  private readonly canvas = el('canvas', { className: 'lines-canvas', attrs: { role: 'img' } });
  private head: HeadMessage | undefined;
  private row = 22;
  private focus: Focus;
  private scaleMax = 1;

  constructor(private theme: ThemeColors) {
    this.root.append(
      el('div', { className: 'axis-title lines-title left', text: QUERY_AXIS_TITLE }),
      el('div', { className: 'lines-spacer' }),
      el('div', { className: 'axis-title lines-title right', text: KEY_AXIS_TITLE }),
      this.left,
      this.canvas,
      this.right,
    );
    this.root.addEventListener('mouseleave', () => this.setFocus(undefined));
  }

  render(head: HeadMessage, part: PartMeta, scaleMax: number): void {
    this.head = head;
    this.scaleMax = scaleMax;
    this.focus = undefined;
    const n = Math.max(head.queries, head.keys);
    this.row = n > 60 ? 12 : n > 30 ? 16 : 26;
    this.root.style.setProperty('--row', `${this.row}px`);
    this.fill(this.left, part.queryTokens, 'query');
    this.fill(this.right, part.keyTokens, 'key');
    this.canvas.setAttribute('aria-label', `Attention lines of layer ${head.layer} head ${head.head}`);
    this.draw();
  }

  setTheme(theme: ThemeColors): void {
    this.theme = theme;
    if (this.head) this.draw();
  }

  private fill(container: HTMLElement, tokens: string[], side: 'query' | 'key'): void {
    clear(container);
    tokens.forEach((t, i) => {
      const weight = el('span', { className: 'weight' });
      const label = el('span', { className: 'token-text', text: displayToken(t) });
      const item = el(
        'div',
        { className: `token-label lines-${side}`, attrs: { 'data-index': String(i), title: `${side} ${i}: ${t}` } },
        side === 'query' ? [weight, label] : [label, weight],
      );
      item.addEventListener('mouseenter', () => this.setFocus({ side, index: i }));
      container.appendChild(item);
    });
  }

  private setFocus(f: Focus): void {
    if (this.focus?.side === f?.side && this.focus?.index === f?.index) return;
    this.focus = f;
    const h = this.head;
    if (!h) return;
    const mark = (container: HTMLElement, side: 'query' | 'key') =>
      Array.from(container.children).forEach((c, n) => {
        const isFocus = f?.side === side && f.index === n;
        c.classList.toggle('focus', isFocus);
        const weight = c.querySelector('.weight');
        if (!weight) return;
        let text = '';
        if (f && f.side !== side) {
          const k = side === 'key' ? f.index * h.keys + n : n * h.keys + f.index;
          text = h.mask?.[k] ? 'masked' : fmt(h.probs[k], 2);
        }
        weight.textContent = text;
      });
    mark(this.left, 'query');
    mark(this.right, 'key');
    this.draw();
  }

  private draw(): void {
    const h = this.head;
    if (!h) return;
    const height = Math.max(h.queries, h.keys) * this.row;
    const ctx = sizeCanvas(this.canvas, LINK_WIDTH, height);
    ctx.clearRect(0, 0, LINK_WIDTH, height);
    const max = this.scaleMax || 1;
    const f = this.focus;
    const color = this.theme.accent;
    ctx.lineCap = 'round';
    for (let i = 0; i < h.queries; i++) {
      for (let j = 0; j < h.keys; j++) {
        const k = i * h.keys + j;
        if (h.mask?.[k]) continue;
        const t = h.probs[k] / max;
        const related = !f || (f.side === 'query' ? f.index === i : f.index === j);
        // Unfocused: opacity = p / max. Focused token: its lines stand out, the rest fade.
        const alpha = !f ? t : related ? (t < 0.01 ? 0 : 0.15 + 0.85 * t) : t * 0.06;
        if (alpha < 0.015) continue;
        ctx.strokeStyle = rgbCss(color, Math.min(1, alpha));
        ctx.lineWidth = related && f ? 1 + 4 * t : 0.5 + 3 * t;
        ctx.beginPath();
        ctx.moveTo(2, (i + 0.5) * this.row);
        ctx.lineTo(LINK_WIDTH - 2, (j + 0.5) * this.row);
        ctx.stroke();
      }
    }
  }
}
