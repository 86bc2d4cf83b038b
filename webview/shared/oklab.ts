// OKLab (Björn Ottosson, https://bottosson.github.io/posts/oklab/): a colour space in which equal
// distances look about equally different, used to build the attention ramp with equal-looking steps.

import type { RGB } from './theme';

export type Lab = [number, number, number];

const toLinear = (c: number) => {
  const x = c / 255;
  return x <= 0.04045 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
};
const fromLinear = (x: number) => {
  const c = x <= 0.0031308 ? 12.92 * x : 1.055 * x ** (1 / 2.4) - 0.055;
  return Math.max(0, Math.min(255, c * 255));
};

export function rgbToOklab([r8, g8, b8]: RGB): Lab {
  const r = toLinear(r8),
    g = toLinear(g8),
    b = toLinear(b8);
  const l = Math.cbrt(0.4122214708 * r + 0.5363325363 * g + 0.0514459929 * b);
  const m = Math.cbrt(0.2119034982 * r + 0.6806995451 * g + 0.1073969566 * b);
  const s = Math.cbrt(0.0883024619 * r + 0.2817188376 * g + 0.6299787005 * b);
  return [
    0.2104542553 * l + 0.793617785 * m - 0.0040720468 * s,
    1.9779984951 * l - 2.428592205 * m + 0.4505937099 * s,
    0.0259040371 * l + 0.7827717662 * m - 0.808675766 * s,
  ];
}

export function oklabToRgb([L, a, b]: Lab): RGB {
  const l = (L + 0.3963377774 * a + 0.2158037573 * b) ** 3;
  const m = (L - 0.1055613458 * a - 0.0638541728 * b) ** 3;
  const s = (L - 0.0894841775 * a - 1.291485548 * b) ** 3;
  return [
    fromLinear(4.0767416621 * l - 3.3077115913 * m + 0.2309699292 * s),
    fromLinear(-1.2684380046 * l + 2.6097574011 * m - 0.3413193965 * s),
    fromLinear(-0.0041960863 * l - 0.7034186147 * m + 1.707614701 * s),
  ];
}

/** Euclidean distance in OKLab (ΔE_OK). */
export function deltaE(x: Lab, y: Lab): number {
  return Math.hypot(x[0] - y[0], x[1] - y[1], x[2] - y[2]);
}

export function chroma([, a, b]: Lab): number {
  return Math.hypot(a, b);
}

/**
 * `steps` colours along the polyline through `stops` (OKLab), spaced at equal ΔE_OK: each step
 * looks as different from the last as any other, wherever the stops happen to lie.
 */
export function evenRamp(stops: Lab[], steps: number): RGB[] {
  const cum = [0];
  for (let i = 1; i < stops.length; i++) cum.push(cum[i - 1] + deltaE(stops[i - 1], stops[i]));
  const total = cum[cum.length - 1];
  const out: RGB[] = [];
  let k = 0;
  for (let i = 0; i < steps; i++) {
    const d = (i / (steps - 1)) * total;
    while (k < stops.length - 2 && cum[k + 1] < d) k++;
    const span = cum[k + 1] - cum[k];
    const t = span > 0 ? (d - cum[k]) / span : 0;
    const [p, q] = [stops[k], stops[k + 1]];
    out.push(oklabToRgb([p[0] + (q[0] - p[0]) * t, p[1] + (q[1] - p[1]) * t, p[2] + (q[2] - p[2]) * t]));
  }
  return out;
}
