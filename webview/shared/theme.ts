// Theme colours for canvas drawing, read from the --vscode-* variables VS Code sets on the page,
// and the colour ramps for attention (sequential, from the background) and differences (diverging).
import { evenRamp, rgbToOklab } from './oklab';

export type RGB = [number, number, number];

export interface ThemeColors {
  background: RGB;
  foreground: RGB;
  accent: RGB;
  muted: RGB;
  border: RGB;
  focus: RGB;
  /** CSS strings for direct canvas use. */
  css: { background: string; foreground: string; accent: string; muted: string; border: string; focus: string };
}

let probe: CanvasRenderingContext2D | null = null;

/** Any CSS colour → RGB, composited over `under` when translucent. */
export function parseColor(value: string, under: RGB = [0, 0, 0]): RGB | undefined {
  probe ??= document.createElement('canvas').getContext('2d');
  if (!probe || !value.trim()) return undefined;
  probe.fillStyle = '#010203';
  probe.fillStyle = value.trim();
  const s = String(probe.fillStyle);
  if (s === '#010203' && value.trim() !== '#010203') return undefined;
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(s);
  if (hex) return [parseInt(hex[1], 16), parseInt(hex[2], 16), parseInt(hex[3], 16)];
  const m = /^rgba?\(([^)]+)\)$/.exec(s);
  if (!m) return undefined;
  const [r, g, b, a = 1] = m[1].split(',').map((x) => parseFloat(x));
  return [r * a + under[0] * (1 - a), g * a + under[1] * (1 - a), b * a + under[2] * (1 - a)];
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name) || getComputedStyle(document.body).getPropertyValue(name);
}

function pick(names: string[], under: RGB, fallback: RGB): RGB {
  for (const n of names) {
    const c = parseColor(cssVar(n), under);
    if (c) return c;
  }
  return fallback;
}

export function mix(a: RGB, b: RGB, t: number): RGB {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

export function luminance(c: RGB): number {
  return (0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]) / 255;
}

export function rgbCss(c: RGB, alpha = 1): string {
  const [r, g, b] = c.map((x) => Math.round(x));
  return alpha >= 1 ? `rgb(${r}, ${g}, ${b})` : `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

export function readTheme(): ThemeColors {
  const dark = document.body.classList.contains('vscode-light') ? false : true;
  const background = pick(['--vscode-editor-background', '--vscode-sideBar-background'], [0, 0, 0], dark ? [30, 30, 30] : [255, 255, 255]);
  const foreground = pick(
    ['--vscode-editor-foreground', '--vscode-foreground'],
    background,
    luminance(background) < 0.5 ? [204, 204, 204] : [51, 51, 51],
  );
  const accent = pick(['--vscode-charts-blue', '--vscode-textLink-foreground', '--vscode-focusBorder'], background, [55, 148, 255]);
  const muted = pick(['--vscode-disabledForeground', '--vscode-descriptionForeground'], background, mix(background, foreground, 0.45));
  const border = pick(
    ['--vscode-editorWidget-border', '--vscode-panel-border', '--vscode-widget-border'],
    background,
    mix(background, foreground, 0.2),
  );
  const focus = pick(['--vscode-focusBorder'], background, accent);
  return {
    background,
    foreground,
    accent,
    muted,
    border,
    focus,
    css: {
      background: rgbCss(background),
      foreground: rgbCss(foreground),
      accent: rgbCss(accent),
      muted: rgbCss(muted),
      border: rgbCss(border),
      focus: rgbCss(focus),
    },
  };
}

/** inferno (matplotlib, CC0) at 9 points: on a dark background its top, a bright yellow, stands out most. */
const DARK_STOPS = ['#000004', '#1f0c48', '#550f6d', '#88226a', '#ba3655', '#e35933', '#f98e09', '#f9cb35', '#fcffa4'];
/** ColorBrewer Blues (Apache-2.0) at 9 points: on a light background its top, a deep navy, stands out most. */
const LIGHT_STOPS = ['#f7fbff', '#deebf7', '#c6dbef', '#9ecae1', '#6baed6', '#4292c6', '#2171b5', '#08519c', '#08306b'];

const hexRgb = (h: string): RGB => [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16)];

/**
 * Sequential ramp for t in [0, 1]: the editor background at 0 (no attention), then a perceptually
 * uniform map (inferno on dark themes, Blues on light ones) whose top contrasts most with the
 * background. The map's stops on the background's side of it are dropped, so lightness moves away
 * from the background all the way, and the 256 steps are spaced at equal OKLab distance.
 */
export function makeRamp(theme: ThemeColors): (t: number) => RGB {
  const known = ramps.get(theme);
  if (known) return known;
  const bg = rgbToOklab(theme.background);
  const dark = bg[0] < 0.6;
  const margin = 0.04; // OKLab lightness: a stop this close to the background's is dropped
  const stops = (dark ? DARK_STOPS : LIGHT_STOPS)
    .map((h) => rgbToOklab(hexRgb(h)))
    .filter((c) => (dark ? c[0] > bg[0] + margin : c[0] < bg[0] - margin));
  const lut = evenRamp([bg, ...stops], 256);
  const ramp = (t: number) => lut[Math.max(0, Math.min(255, Math.round((Number.isFinite(t) ? t : 0) * 255)))];
  ramps.set(theme, ramp);
  return ramp;
}
/** Callers ask for the ramp per cell or per draw; a theme object is read once per theme change. */
const ramps = new WeakMap<ThemeColors, (t: number) => RGB>();

/**
 * The ramp at 256 steps, each packed as ImageData's bytes read through a little-endian Uint32Array
 * (0xAABBGGRR, opaque): pixels then fill with one table lookup each.
 */
export function rampLut(ramp: (t: number) => RGB): Uint32Array {
  const lut = new Uint32Array(256);
  for (let k = 0; k < 256; k++) {
    const [r, g, b] = ramp(k / 255);
    lut[k] = (255 << 24) | (Math.round(b) << 16) | (Math.round(g) << 8) | Math.round(r);
  }
  return lut;
}

/** Calls `fn` when VS Code switches theme (body class or the html style with the variables). */
export function onThemeChange(fn: () => void): void {
  const obs = new MutationObserver(() => fn());
  obs.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  obs.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
}

/** A repeating diagonal hatch for masked cells. */
export function hatchPattern(ctx: CanvasRenderingContext2D, theme: ThemeColors): CanvasPattern | string {
  const size = 6;
  const c = document.createElement('canvas');
  c.width = size;
  c.height = size;
  const g = c.getContext('2d');
  if (!g) return rgbCss(theme.muted);
  g.fillStyle = rgbCss(mix(theme.background, theme.muted, 0.15));
  g.fillRect(0, 0, size, size);
  g.strokeStyle = rgbCss(mix(theme.background, theme.muted, 0.7));
  g.lineWidth = 1;
  g.beginPath();
  g.moveTo(0, size);
  g.lineTo(size, 0);
  g.moveTo(-1, 1);
  g.lineTo(1, -1);
  g.moveTo(size - 1, size + 1);
  g.lineTo(size + 1, size - 1);
  g.stroke();
  return ctx.createPattern(c, 'repeat') ?? rgbCss(theme.muted);
}

/**
 * Diverging ramp for t in [−1, 1]: red-ish (theme's charts-red / error colour) below zero, the
 * editor background at zero, the accent (charts-blue) above. Used for differences and for the
 * positional encoding's ±1 values.
 */
export function makeDivergingRamp(theme: ThemeColors): (t: number) => RGB {
  const neg = pick(['--vscode-charts-red', '--vscode-errorForeground'], theme.background, [229, 83, 75]);
  const pos = theme.accent;
  const mid = theme.background;
  return (t) => {
    const x = Math.max(-1, Math.min(1, Number.isFinite(t) ? t : 0));
    return x < 0 ? mix(mid, neg, -x) : mix(mid, pos, x);
  };
}
