// Q·K view: for one query token, each key's scaled score before softmax and its probability
// after, with softmax(QKᵀ/√d_k)V written out in numbers for the clicked (or arrow-selected) key,
// and that score's dot product dimension by dimension (qkVectors.ts), so the formula can be
// followed by hand. Uses the head open in the head detail.
import type { HeadMessage, PartMeta, QkMessage, RunMeta } from '../../../common/webview';
import { clear, displayToken, el, fmt } from '../../shared/dom';
import { hatchPattern, rgbCss, type ThemeColors } from '../../shared/theme';
import type { Requests } from '../requests';
import type { Tooltip } from '../tooltip';
import { QkVectorsPane } from './qkVectors';

const ROW = 18;
const BAR_W = 220;

export interface QkLine {
  label: string;
  text: string;
}

/** The worked formula for key j of query row i (pure: the test recomputes the same numbers). */
export function qkFormula(head: HeadMessage, part: PartMeta, rnn: boolean, i: number, j: number): QkLine[] {
  const K = head.keys;
  const row = i * K;
  const q = displayToken(part.queryTokens[i] ?? `#${i}`);
  const k = displayToken(part.keyTokens[j] ?? `#${j}`);
  const live = (x: number) => !head.mask?.[row + x];
  let max = -Infinity;
  for (let x = 0; x < K; x++) if (live(x)) max = Math.max(max, head.scores[row + x]);
  let z = 0;
  for (let x = 0; x < K; x++) if (live(x)) z += Math.exp(head.scores[row + x] - max);
  const s = head.scores[row + j];
  const sName = rnn ? `e(${q}, ${k})` : `q_${q}·k_${k}/√d_k`;
  const lines: QkLine[] = [
    {
      label: 'formula',
      text: rnn
        ? 'α_t = softmax(e_t), context_t = Σ_j α_tj·h_j'
        : 'softmax(QKᵀ/√d_k)·V, one row: p_j = exp(s_j − max s) / Σ exp(s − max s)',
    },
  ];
  if (!live(j)) {
    lines.push({ label: 'score', text: `${sName} = ${fmt(s)}, but key #${j} comes after query #${i}: masked → −∞` });
    lines.push({ label: 'probability', text: 'p = exp(−∞) / Σ = 0 (masked)' });
  } else {
    const p = Math.exp(s - max) / z;
    lines.push({ label: 'score', text: `s = ${sName} = ${fmt(s)}` });
    lines.push({
      label: 'probability',
      text: `p = exp(${fmt(s)} − ${fmt(max)}) / ${fmt(z)} = ${fmt(p, 4)}  (model: ${fmt(head.probs[row + j], 4)})`,
    });
  }
  const terms = Array.from({ length: K }, (_, x) => x)
    .filter(live)
    .sort((a, b) => head.probs[row + b] - head.probs[row + a])
    .slice(0, 4)
    .map((x) => `${fmt(head.probs[row + x])}·${rnn ? 'h' : 'v'}_${displayToken(part.keyTokens[x] ?? `#${x}`)}`);
  const rest = K - Math.min(4, terms.length);
  lines.push({
    label: 'output',
    text: `${rnn ? 'context' : 'output'}_${q} = ${terms.join(' + ')}${rest > 0 ? ` + … (${rest} more)` : ''}`,
  });
  return lines;
}

export class QkView {
  readonly root = el('section', { className: 'qk-view view', attrs: { 'aria-label': 'Q·K view', tabindex: '0' } });
  private readonly heading = el('h2', { text: 'Q·K: one query, every key' });
  private readonly sub = el('div', { className: 'view-subtitle' });
  private readonly querySelect = el('select', { className: 'qk-query', attrs: { 'aria-label': 'Query token' } });
  private readonly formula = el('div', { className: 'qk-formula', attrs: { role: 'status', 'aria-live': 'polite' } });
  private readonly table = el('div', { className: 'qk-table' });
  private readonly labels = el('div', { className: 'qk-labels' });
  private readonly scoreCanvas = el('canvas', { className: 'qk-scores', attrs: { 'aria-hidden': 'true' } });
  private readonly probCanvas = el('canvas', { className: 'qk-probs', attrs: { 'aria-hidden': 'true' } });
  private readonly vectors: QkVectorsPane;
  private shown: { head: HeadMessage; part: PartMeta; meta: RunMeta } | undefined;
  /** The q and k vectors of the shown head, once the host has sent them (or why not). */
  private qk: { head: HeadMessage; v?: QkMessage; error?: string } | undefined;
  private query = 0;
  private key = 0;

  constructor(
    tooltip: Tooltip,
    private theme: ThemeColors,
    private readonly requests: Requests,
    private readonly onQuery: (i: number) => void,
  ) {
    this.vectors = new QkVectorsPane(tooltip, theme);
    const prev = el('button', { className: 'step-button', text: '← previous query', attrs: { type: 'button' } });
    const next = el('button', { className: 'step-button', text: 'next query →', attrs: { type: 'button' } });
    prev.addEventListener('click', () => this.setQuery(this.query - 1, true));
    next.addEventListener('click', () => this.setQuery(this.query + 1, true));
    this.querySelect.addEventListener('change', () => this.setQuery(Number(this.querySelect.value), true));
    this.root.addEventListener('keydown', (e) => {
      const d = { ArrowLeft: -1, ArrowRight: 1 }[e.key];
      const dk = { ArrowUp: -1, ArrowDown: 1 }[e.key];
      if (d) this.setQuery(this.query + d, true);
      else if (dk) this.setKey(this.key + dk);
      else return;
      e.preventDefault();
    });
    // Click selects (hover would change the key on the way to the vector strip above).
    for (const c of [this.scoreCanvas, this.probCanvas, this.labels] as HTMLElement[]) {
      c.addEventListener('click', (e) => {
        const top = c.getBoundingClientRect().top;
        this.setKey(Math.floor((e.clientY - top) / ROW));
      });
    }
    this.table.append(
      el('div', { className: 'qk-col-title', text: 'key = token attended to' }),
      el('div', { className: 'qk-col-title', text: 'score before softmax (scaled, masked marked)' }),
      el('div', { className: 'qk-col-title', text: 'probability after softmax' }),
      this.labels,
      this.scoreCanvas,
      this.probCanvas,
    );
    this.root.append(
      this.heading,
      this.sub,
      el('p', {
        className: 'explain',
        text: 'Pick a query token (←/→). Each row is a key: the left bar is its score before softmax (negative to the left), the right bar its probability after. Click a row or use ↑/↓ to see the formula with that key’s numbers, and below it the dot product q·k of that query and key, dimension by dimension. The attention-sink transform does not apply here: these are the model’s own numbers.',
      }),
      el('div', { className: 'controls' }, [
        el('label', { className: 'control' }, [el('span', { text: 'query = token attending' }), this.querySelect]),
        prev,
        next,
      ]),
      this.formula,
      this.vectors.root,
      this.table,
    );
  }

  setTheme(theme: ThemeColors): void {
    this.theme = theme;
    this.vectors.setTheme(theme);
    this.draw();
  }

  show(head: HeadMessage | undefined, part: PartMeta | undefined, meta: RunMeta | undefined, query: number): void {
    if (!head || !part || !meta) {
      this.shown = undefined;
      this.sub.textContent = 'Open a head in the Heads view first.';
      clear(this.formula);
      this.vectors.showMessage('');
      return;
    }
    const same = this.shown?.head === head;
    if (this.qk?.head !== head) this.fetchVectors(head);
    this.shown = { head, part, meta };
    this.sub.textContent = `Layer ${head.layer} · Head ${head.head} · ${part.part}`;
    if (!same) {
      clear(this.querySelect);
      part.queryTokens.forEach((t, i) =>
        this.querySelect.appendChild(el('option', { text: `#${i} ${displayToken(t)}`, attrs: { value: String(i) } })),
      );
    }
    this.setQuery(Math.min(query, head.queries - 1), false);
  }

  /** Asks the host for this head's q and k (all rows: switching query or key needs no new request). */
  private fetchVectors(head: HeadMessage): void {
    const entry: NonNullable<QkView['qk']> = { head };
    this.qk = entry;
    const { runId, part, layer } = head;
    this.requests
      .send<QkMessage>({ type: 'requestQk', runId, part, layer, head: head.head })
      .then(
        (v) => {
          const fits = v.queries === head.queries && v.keys === head.keys;
          if (fits) entry.v = v;
          else entry.error = `q and k came for ${v.queries}×${v.keys}, not ${head.queries}×${head.keys}.`;
        },
        (e: unknown) => {
          entry.error = e instanceof Error ? e.message : String(e);
        },
      )
      .finally(() => {
        if (this.qk === entry) this.draw();
      });
  }

  private setQuery(i: number, user: boolean): void {
    const s = this.shown;
    if (!s) return;
    this.query = Math.max(0, Math.min(s.head.queries - 1, i));
    this.querySelect.value = String(this.query);
    if (user) this.onQuery(this.query);
    // Start on the most attended key, the interesting one.
    const row = this.query * s.head.keys;
    let best = 0;
    for (let j = 1; j < s.head.keys; j++) if (s.head.probs[row + j] > s.head.probs[row + best]) best = j;
    this.key = best;
    this.draw();
  }

  private setKey(j: number): void {
    const s = this.shown;
    if (!s || j < 0 || j >= s.head.keys || j === this.key) return;
    this.key = j;
    this.draw();
  }

  private draw(): void {
    const s = this.shown;
    if (!s) return;
    const { head, part } = s;
    const K = head.keys;
    const row = this.query * K;
    clear(this.labels);
    for (let j = 0; j < K; j++) {
      const masked = !!head.mask?.[row + j];
      this.labels.appendChild(
        el('div', {
          className: `token-label qk-key${j === this.key ? ' focus' : ''}${masked ? ' masked' : ''}`,
          text: displayToken(part.keyTokens[j] ?? `#${j}`),
          attrs: { 'data-index': String(j) },
        }),
      );
    }
    let absMax = 0;
    for (let j = 0; j < K; j++) absMax = Math.max(absMax, Math.abs(head.scores[row + j]));
    this.bars(this.scoreCanvas, (j) => head.scores[row + j], absMax || 1, true, row);
    this.bars(this.probCanvas, (j) => head.probs[row + j], 1, false, row);
    clear(this.formula);
    const key = displayToken(part.keyTokens[this.key] ?? '');
    this.formula.append(
      el('div', {
        className: 'qk-formula-title',
        text: `query “${displayToken(part.queryTokens[this.query] ?? '')}” (#${this.query}) → key “${key}” (#${this.key})`,
      }),
    );
    for (const l of qkFormula(head, part, s.meta.model.architecture === 'rnn-seq2seq', this.query, this.key)) {
      this.formula.append(
        el('div', { className: `qk-line qk-line-${l.label}` }, [
          el('span', { className: 'tooltip-label', text: l.label }),
          el('span', { className: 'qk-text', text: l.text }),
        ]),
      );
    }
    const qk = this.qk?.head === head ? this.qk : undefined;
    const names = { query: displayToken(part.queryTokens[this.query] ?? ''), key };
    if (qk?.v) this.vectors.show(qk.v, head, this.query, this.key, names);
    else this.vectors.showMessage(qk?.error ? `q and k are not available: ${qk.error}` : 'Computing q and k for this head…');
  }

  private bars(c: HTMLCanvasElement, v: (j: number) => number, max: number, signed: boolean, row: number): void {
    const s = this.shown!;
    const K = s.head.keys;
    c.width = BAR_W;
    c.height = K * ROW;
    c.style.width = `${BAR_W}px`;
    c.style.height = `${K * ROW}px`;
    const ctx = c.getContext('2d');
    if (!ctx) return;
    ctx.clearRect(0, 0, BAR_W, K * ROW);
    const zero = signed ? BAR_W / 2 : 0;
    const span = signed ? BAR_W / 2 - 4 : BAR_W - 4;
    ctx.font = `11px ${getComputedStyle(document.body).fontFamily}`;
    ctx.textBaseline = 'middle';
    for (let j = 0; j < K; j++) {
      const y = j * ROW;
      if (j === this.key) {
        ctx.fillStyle = rgbCss(this.theme.focus, 0.18);
        ctx.fillRect(0, y, BAR_W, ROW);
      }
      const masked = !!s.head.mask?.[row + j];
      const x = v(j);
      const w = (Math.abs(x) / max) * span;
      ctx.fillStyle = masked ? hatchPattern(ctx, this.theme) : x < 0 ? rgbCss(this.theme.muted) : this.theme.css.accent;
      ctx.fillRect(x < 0 ? zero - w : zero, y + 3, Math.max(1, w), ROW - 6);
      ctx.fillStyle = this.theme.css.foreground;
      ctx.textAlign = 'left';
      const label = masked ? (signed ? `${fmt(x, 2)} masked` : '0 masked') : fmt(x, signed ? 2 : 3);
      ctx.fillText(label, signed ? (x < 0 ? zero + 3 : zero + w + 3) : w + 3, y + ROW / 2);
    }
    if (signed) {
      ctx.strokeStyle = this.theme.css.border;
      ctx.beginPath();
      ctx.moveTo(zero, 0);
      ctx.lineTo(zero, K * ROW);
      ctx.stroke();
    }
  }
}
