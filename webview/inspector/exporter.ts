// Export of what a view shows: its canvases are copied at their on-screen positions and its text
// (title, axis names, token labels, legends) is redrawn at its positions, under a title line naming
// model, layer, head and input. PNG is one raster; SVG keeps the text as <text> and embeds each
// canvas as an <image>. Token text is escaped for SVG and drawn with fillText for PNG — never HTML.
import type { ExportReplyMessage, ExportRequestMessage, HeadMessage, InspectorView, RunMeta } from '../../common/webview';
import type { ThemeColors } from '../shared/theme';

const TEXT_SELECTOR = [
  'h2',
  'h3',
  '.detail-subtitle',
  '.view-subtitle',
  '.axis-title',
  '.token-label',
  '.legend-caption',
  '.legend-min',
  '.legend-max',
  '.step-text',
  '.transform-badge',
  '.jsd-head',
  '.jsd-value',
  '.qk-formula-title',
  '.qk-line span',
  '.entropy-layer',
  '.entropy-axis',
  '.dots-label',
  '.position-text',
  '.view-message',
  '.col-label',
  '.row-label',
  '.cell-caption',
  '.cell-value',
  '.qk-col-title',
  '.qk-dot-title',
  '.qk-dot-axis',
  '.qk-dot-message',
].join(',');
const TITLE_H = 28;

interface Item {
  kind: 'canvas' | 'text';
  x: number;
  y: number;
  w: number;
  h: number;
  canvas?: HTMLCanvasElement;
  text?: string;
  vertical?: boolean;
  font?: string;
}

function visible(e: Element): boolean {
  const r = e.getBoundingClientRect();
  return r.width > 0 && r.height > 0 && !(e as HTMLElement).closest('[hidden]');
}

/** What of `root` to draw, in coordinates relative to it (below the title line). */
function collect(root: HTMLElement): { items: Item[]; width: number; height: number } {
  const base = root.getBoundingClientRect();
  const items: Item[] = [];
  let width = 0;
  let height = 0;
  const add = (it: Item) => {
    items.push(it);
    width = Math.max(width, it.x + it.w);
    height = Math.max(height, it.y + it.h);
  };
  for (const c of Array.from(root.querySelectorAll('canvas'))) {
    if (!visible(c)) continue;
    const r = c.getBoundingClientRect();
    add({ kind: 'canvas', x: r.left - base.left, y: r.top - base.top, w: r.width, h: r.height, canvas: c });
  }
  for (const e of Array.from(root.querySelectorAll<HTMLElement>(TEXT_SELECTOR))) {
    const text = e.textContent?.trim();
    if (!text || !visible(e) || e.querySelector(TEXT_SELECTOR)) continue;
    const r = e.getBoundingClientRect();
    const cs = getComputedStyle(e);
    add({
      kind: 'text',
      x: r.left - base.left,
      y: r.top - base.top,
      w: r.width,
      h: r.height,
      text,
      vertical: cs.writingMode.startsWith('vertical'),
      font: `${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`,
    });
  }
  return { items, width: Math.ceil(width) + 8, height: Math.ceil(height) + 8 };
}

export function exportPng(root: HTMLElement, title: string, theme: ThemeColors): string {
  const { items, width, height } = collect(root);
  const c = document.createElement('canvas');
  c.width = Math.max(width, 400);
  c.height = height + TITLE_H;
  const ctx = c.getContext('2d');
  if (!ctx) throw new Error('canvas 2d context unavailable');
  ctx.fillStyle = theme.css.background;
  ctx.fillRect(0, 0, c.width, c.height);
  ctx.fillStyle = theme.css.foreground;
  ctx.font = `600 14px ${getComputedStyle(document.body).fontFamily}`;
  ctx.textBaseline = 'middle';
  ctx.fillText(title, 8, TITLE_H / 2);
  for (const it of items) {
    const y = it.y + TITLE_H;
    if (it.kind === 'canvas' && it.canvas) {
      ctx.drawImage(it.canvas, it.x, y, it.w, it.h);
    } else if (it.text) {
      ctx.font = it.font ?? '12px sans-serif';
      ctx.fillStyle = theme.css.foreground;
      if (it.vertical) {
        ctx.save();
        ctx.translate(it.x + it.w / 2, y + it.h);
        ctx.rotate(-Math.PI / 2);
        ctx.fillText(it.text, 0, 0, it.h);
        ctx.restore();
      } else {
        ctx.fillText(it.text, it.x, y + it.h / 2, Math.max(it.w, 10));
      }
    }
  }
  return c.toDataURL('image/png');
}

/**
 * Code points XML 1.0 does not allow in a document (its Char production): C0 controls other than
 * tab, LF and CR, lone surrogates (the `u` flag sees an unpaired half as a code point of its own),
 * U+FFFE and U+FFFF. A token from a tokenizer can be any of them; one in the SVG makes the file
 * ill-formed, and viewers refuse to open it. They are dropped: no escape (&#1;) is allowed either.
 */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export function escapeXml(s: string): string {
  return s
    .replace(NOT_XML_CHAR, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

export function exportSvg(root: HTMLElement, title: string, theme: ThemeColors): string {
  const { items, width, height } = collect(root);
  const W = Math.max(width, 400);
  const H = height + TITLE_H;
  const fam = escapeXml(getComputedStyle(document.body).fontFamily);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="${fam}">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="100%" height="100%" fill="${theme.css.background}"/>`,
    `<text x="8" y="${TITLE_H / 2}" dominant-baseline="middle" font-size="14" font-weight="600" fill="${theme.css.foreground}">${escapeXml(title)}</text>`,
  ];
  for (const it of items) {
    const y = it.y + TITLE_H;
    if (it.kind === 'canvas' && it.canvas) {
      out.push(
        `<image x="${it.x}" y="${y}" width="${it.w}" height="${it.h}" style="image-rendering:pixelated" href="${it.canvas.toDataURL('image/png')}"/>`,
      );
    } else if (it.text) {
      const size = /(\d+(?:\.\d+)?)px/.exec(it.font ?? '')?.[1] ?? '12';
      const t = escapeXml(it.text);
      out.push(
        it.vertical
          ? `<text transform="translate(${it.x + it.w / 2} ${y + it.h}) rotate(-90)" font-size="${size}" fill="${theme.css.foreground}">${t}</text>`
          : `<text x="${it.x}" y="${y + it.h / 2}" dominant-baseline="middle" font-size="${size}" fill="${theme.css.foreground}">${t}</text>`,
      );
    }
  }
  out.push('</svg>');
  return out.join('\n');
}

export interface ExportContext {
  view: InspectorView;
  head: HeadMessage | undefined;
  meta: RunMeta | undefined;
  sink: boolean;
  /** The view on screen. */
  root: HTMLElement | undefined;
  theme: ThemeColors;
}

/** The answer to the host's export request: an image of the view, or which head is open (CSV/JSON). */
export function exportReply(m: ExportRequestMessage, c: ExportContext): ExportReplyMessage {
  const h = c.head;
  const where = c.view === 'heads' || c.view === 'qk' ? (h ? `${h.part} layer ${h.layer} head ${h.head}` : 'heads') : c.view;
  const input = c.meta ? c.meta.tokens.source.join(' ') : '';
  const title = `${c.meta?.model.name ?? 'Attention'} · ${where}${c.sink ? ' · display transform: sink hidden' : ''} · input: ${input.length > 160 ? `${input.slice(0, 160)}…` : input}`;
  const head = h ? { part: h.part, layer: h.layer, head: h.head } : undefined;
  const base = { type: 'exportReply' as const, requestId: m.requestId, title, sink: c.sink, ...(head ? { head } : {}) };
  try {
    if (m.format === 'csv' || m.format === 'json') return head ? base : { ...base, error: 'no head is open' };
    if (!c.root) throw new Error('no view is shown');
    return { ...base, image: m.format === 'png' ? exportPng(c.root, title, c.theme) : exportSvg(c.root, title, c.theme) };
  } catch (e) {
    return { ...base, error: e instanceof Error ? e.message : String(e) };
  }
}
