// Piano-roll view of the attention RNN: pitch × time, primer notes outlined, generated notes
// filled. Selecting a generated note (click, or ← → Home End on the focused roll) shades every
// earlier step by the attention the step that chose the note paid to it (row k−1 of the layer).
import { isMusicData, pitchName, type MusicData } from '../../../common/archViews/music';
import { makeRamp, mix, rgbCss } from '../../shared/theme';
import { displayToken, el } from '../../shared/dom';
import { AppDataError, type AppContext, type AppRenderer, type ArchView } from './types';

const GUTTER = 44; // px left of the roll: pitch labels
const AXIS = 18; // px below the roll: step numbers
const TOP = 10; // px above the roll: the window bracket

interface Layout {
  col: number;
  row: number;
  lo: number; // lowest pitch drawn
  pitches: number; // pitch rows (a rest lane is added below them)
  width: number;
  height: number;
}

function layout(d: MusicData, available: number): Layout {
  const ps = d.steps.map((s) => s.pitch).filter((p): p is number => p !== null);
  const lo = ps.length ? Math.min(...ps) - 1 : 59;
  const hi = ps.length ? Math.max(...ps) + 1 : 72;
  const T = d.steps.length;
  const col = Math.max(8, Math.min(28, Math.floor((available - GUTTER - 8) / T)));
  const row = 14;
  const pitches = hi - lo + 1;
  return { col, row, lo, pitches, width: GUTTER + T * col + 4, height: TOP + (pitches + 1) * row + AXIS };
}

/** Row index (0 = top) of a step's note: pitch rows from high to low, then the rest lane. */
function rowOf(L: Layout, pitch: number | null): number {
  return pitch === null ? L.pitches : L.pitches - 1 - (pitch - L.lo);
}

export const musicRenderer: AppRenderer = {
  render(container, data, ctx) {
    if (!isMusicData(data)) throw new AppDataError('the music data is not a melody with its per-step attention.');
    const d: MusicData = data;
    const T = d.steps.length;
    const generated = Array.from({ length: T - d.primerLength }, (_, i) => d.primerLength + i).filter((k) => k >= 1);
    let selected: number | null = generated[0] ?? null;
    let theme = ctx.theme;

    const canvas = el('canvas', {
      className: 'music-roll',
      attrs: { tabindex: '0', role: 'img', 'aria-label': 'piano roll; left and right arrows select a generated note' },
    });
    const caption = el('p', { className: 'music-caption' });
    const legend = el('div', { className: 'music-legend' });
    const L = layout(d, Math.max(320, container.clientWidth || 900));
    Object.assign(canvas.dataset, {
      col: String(L.col),
      row: String(L.row),
      left: String(GUTTER),
      top: String(TOP),
      lowest: String(L.lo),
      pitches: String(L.pitches),
    });

    const weights = (k: number | null): Float32Array | null => (k === null ? null : d.attention.subarray((k - 1) * T, k * T));

    const draw = (): void => {
      const dpr = window.devicePixelRatio || 1;
      canvas.width = Math.round(L.width * dpr);
      canvas.height = Math.round(L.height * dpr);
      canvas.style.width = `${L.width}px`;
      canvas.style.height = `${L.height}px`;
      const g = canvas.getContext('2d');
      if (!g) return;
      g.setTransform(dpr, 0, 0, dpr, 0, 0);
      const ramp = makeRamp(theme);
      const rollH = (L.pitches + 1) * L.row;
      g.fillStyle = theme.css.background;
      g.fillRect(0, 0, L.width, L.height);
      // Black-key rows slightly darker, like a piano roll; the rest lane apart.
      for (let r = 0; r <= L.pitches; r++) {
        const p = L.lo + (L.pitches - 1 - r);
        const black = r < L.pitches && [1, 3, 6, 8, 10].includes(((p % 12) + 12) % 12);
        g.fillStyle = rgbCss(mix(theme.background, theme.foreground, r === L.pitches ? 0.1 : black ? 0.06 : 0.02));
        g.fillRect(GUTTER, TOP + r * L.row, T * L.col, L.row);
      }
      // Attention of the selected note's step over the previous steps: whole-column shading.
      const w = weights(selected);
      if (w && selected !== null) {
        for (let i = 0; i < T; i++) {
          if (w[i] <= 0) continue;
          g.fillStyle = rgbCss(ramp(w[i]), 0.35 + 0.65 * w[i]);
          g.fillRect(GUTTER + i * L.col, TOP, L.col, rollH);
        }
        const q = selected - 1; // the step that chose the note; its window is [q−n, q)
        const from = Math.max(0, q - d.window);
        g.strokeStyle = theme.css.foreground;
        g.lineWidth = 1;
        g.beginPath();
        g.moveTo(GUTTER + from * L.col + 1, TOP - 2);
        g.lineTo(GUTTER + from * L.col + 1, TOP - 7);
        g.lineTo(GUTTER + q * L.col - 1, TOP - 7);
        g.lineTo(GUTTER + q * L.col - 1, TOP - 2);
        g.stroke();
      }
      // Primer | generated boundary.
      g.strokeStyle = theme.css.muted;
      g.setLineDash([3, 3]);
      g.beginPath();
      g.moveTo(GUTTER + d.primerLength * L.col + 0.5, TOP);
      g.lineTo(GUTTER + d.primerLength * L.col + 0.5, TOP + rollH);
      g.stroke();
      g.setLineDash([]);
      // Notes: primer outlined, generated filled; the selected one ringed in the focus colour.
      d.steps.forEach((s, i) => {
        const x = GUTTER + i * L.col + 1;
        const y = TOP + rowOf(L, s.pitch) * L.row + 1;
        const wdt = L.col - 2;
        const h = L.row - 2;
        if (i < d.primerLength) {
          g.fillStyle = theme.css.background;
          g.fillRect(x, y, wdt, h);
          g.strokeStyle = theme.css.foreground;
          g.lineWidth = 1.5;
          g.strokeRect(x + 0.75, y + 0.75, wdt - 1.5, h - 1.5);
        } else {
          g.fillStyle = s.pitch === null ? theme.css.muted : theme.css.accent;
          g.fillRect(x, y, wdt, h);
        }
        if (i === selected) {
          g.strokeStyle = theme.css.focus;
          g.lineWidth = 2;
          g.strokeRect(x - 1, y - 1, wdt + 2, h + 2);
        }
      });
      // Labels: C of every octave and the lowest/highest pitch; "rest"; step numbers.
      g.fillStyle = theme.css.foreground;
      g.font = '10px var(--vscode-editor-font-family, monospace)';
      g.textBaseline = 'middle';
      for (let r = 0; r < L.pitches; r++) {
        const p = L.lo + (L.pitches - 1 - r);
        if (p % 12 === 0 || r === 0 || r === L.pitches - 1) g.fillText(pitchName(p), 4, TOP + (r + 0.5) * L.row);
      }
      g.fillText('rest', 4, TOP + (L.pitches + 0.5) * L.row);
      g.textBaseline = 'top';
      const every = L.col >= 20 ? 1 : L.col >= 12 ? 4 : 8;
      for (let i = 0; i < T; i += every) g.fillText(String(i), GUTTER + i * L.col + 1, TOP + rollH + 4);
      canvas.dataset.selected = selected === null ? '' : String(selected);
      caption.textContent = captionText();
    };

    const captionText = (): string => {
      if (selected === null) return 'No generated notes: this run only read the primer (generate_steps is 0).';
      const s = d.steps[selected];
      const w = weights(selected);
      let top = 0;
      if (w) for (let i = 1; i < T; i++) if (w[i] > w[top]) top = i;
      const back = selected - 1 - top;
      return (
        `Step ${selected}: ${displayToken(s.token)} (generated, P = ${d.probability[selected].toFixed(3)}). ` +
        `The step that chose it attends most to step ${top} (${displayToken(d.steps[top].token)}, ${back} step${back === 1 ? '' : 's'} back): ${w ? w[top].toFixed(3) : '—'}.`
      );
    };

    const select = (k: number | null): void => {
      if (k === selected || k === null || !generated.includes(k)) return;
      selected = k;
      draw();
    };
    const columnAt = (ev: MouseEvent): number | null => {
      const r = canvas.getBoundingClientRect();
      const i = Math.floor((ev.clientX - r.left - GUTTER) / L.col);
      return i >= 0 && i < T ? i : null;
    };
    canvas.addEventListener('click', (ev) => select(columnAt(ev)));
    canvas.addEventListener('keydown', (ev) => {
      if (selected === null) return;
      const at = generated.indexOf(selected);
      const next =
        ev.key === 'ArrowRight'
          ? at + 1
          : ev.key === 'ArrowLeft'
            ? at - 1
            : ev.key === 'Home'
              ? 0
              : ev.key === 'End'
                ? generated.length - 1
                : null;
      if (next === null) return;
      ev.preventDefault();
      select(generated[Math.max(0, Math.min(generated.length - 1, next))]);
    });
    canvas.addEventListener('mousemove', (ev) => {
      const i = columnAt(ev);
      if (i === null) return ctx.tooltip.hide();
      const s = d.steps[i];
      const w = weights(selected);
      const inWindow = selected !== null && i >= selected - 1 - d.window && i < selected - 1;
      ctx.tooltip.show(
        displayToken(s.token),
        [
          { label: 'step', value: `${i} (${i < d.primerLength ? 'primer' : 'generated'})` },
          { label: 'pitch', value: s.pitch === null ? 'none (rest)' : `${pitchName(s.pitch)} · MIDI ${s.pitch}` },
          ...(i > 0 ? [{ label: 'P(this note)', value: d.probability[i].toFixed(4) }] : []),
          ...(selected !== null && w
            ? [
                {
                  label: `attention from step ${selected}`,
                  value: inWindow ? w[i].toFixed(4) : 'outside the window',
                  kind: inWindow ? 'prob' : 'masked',
                },
              ]
            : []),
        ],
        ev.clientX,
        ev.clientY,
      );
    });
    canvas.addEventListener('mouseleave', () => ctx.tooltip.hide());

    const paintLegend = (): void => {
      legend.replaceChildren();
      const item = (cls: string, label: string, paint: (s: HTMLElement) => void): HTMLElement => {
        const sw = el('span', { className: `music-swatch ${cls}` });
        paint(sw);
        return el('span', { className: 'music-legend-item' }, [sw, el('span', { text: label })]);
      };
      const ramp = makeRamp(theme);
      legend.append(
        item('primer', 'primer note', (s) => (s.style.border = `1.5px solid ${theme.css.foreground}`)),
        item('generated', 'generated note', (s) => (s.style.background = theme.css.accent)),
        item('selected', 'selected note', (s) => (s.style.border = `2px solid ${theme.css.focus}`)),
        item('attention', `attention over the previous ${d.window} steps (0 → 1)`, (s) => {
          s.style.background = `linear-gradient(to right, ${rgbCss(ramp(0), 0.35)}, ${rgbCss(ramp(1))})`;
        }),
      );
    };

    container.append(legend, el('div', { className: 'music-scroll' }, [canvas]), caption);
    paintLegend();
    draw();
    return {
      redraw(c: AppContext) {
        theme = c.theme;
        paintLegend();
        draw();
      },
    };
  },
};

/** Found by the build (esbuild.js archViewsPlugin): RunResult.app.kind 'music' is drawn here. */
export const view: ArchView = { kind: 'music', renderer: musicRenderer };
