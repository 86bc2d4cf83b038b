// The legend of the views that dim an image by attention (Show-Attend-Tell, ViT/DeiT): how dark an
// unattended part is drawn, and the ring around the most attended one.
import { el } from '../shared/dom';
import { rgbCss, type ThemeColors } from '../shared/theme';

/** Fills `legend`: a swatch from `dim` of the background to clear, saying `scale`, and the ring, saying `ring`. */
export function paintDimLegend(legend: HTMLElement, theme: ThemeColors, dim: number, scale: string, ring: string): void {
  const swatch = el('span', { className: 'sat-swatch' });
  swatch.style.background = `linear-gradient(to right, ${rgbCss(theme.background, dim)}, transparent)`;
  const circle = el('span', { className: 'sat-swatch' });
  circle.style.border = `2px solid ${theme.css.focus}`;
  legend.replaceChildren(
    el('span', { className: 'sat-legend-item' }, [swatch, el('span', { text: scale })]),
    el('span', { className: 'sat-legend-item' }, [circle, el('span', { text: ring })]),
  );
}
