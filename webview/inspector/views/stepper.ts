// Decoder stepper: step t = 1…T through the decoder. At each step the rows up to t are shown —
// the matrices grow row by row — with the causal mask hatched in self-attention, cross-attention
// beside it, source and target tokens labelled and the token predicted at each step. For RNN
// seq2seq with a dot or scaled-dot score the two can be switched (a temperature; that re-runs the
// model on the host); a general or additive model only has weights for its own score.
import type { RnnScore } from '../../../src/engine/types';
import type { HeadMessage, PartMeta, RunMeta } from '../../../common/webview';
import { clear, custom, displayToken, el, fmt } from '../../shared/dom';
import type { ThemeColors } from '../../shared/theme';
import { MatrixView } from '../matrix';
import type { Requests } from '../requests';
import { applySink, sinkBadge } from '../sink';
import type { Tooltip } from '../tooltip';

const SCORE_LABELS: Record<RnnScore, string> = {
  dot: 'dot  h·s',
  general: 'general  h·W·s',
  additive: 'additive  vᵀtanh(W[h;s])',
  'scaled-dot': 'scaled dot  h·s/√d',
};

const SCORE_NOTE =
  'a trained model has weights for its own score only, and dot ↔ scaled-dot is the one switch defined on them. ' +
  'To compare scores, compare models trained with each: Compare Inputs… → Two models on one input';

export interface StepperCallbacks {
  step(t: number): void;
  rerun(score: RnnScore): void;
}

export class StepperView {
  readonly root = el('section', { className: 'stepper-view view', attrs: { 'aria-label': 'Decoder stepper', tabindex: '0' } });
  private readonly sub = el('div', { className: 'view-subtitle' });
  private readonly message = el('p', { className: 'view-message', attrs: { role: 'status' } });
  private readonly stepText = el('div', { className: 'step-text', attrs: { 'aria-live': 'polite' } });
  private readonly slider = el('input', {
    className: 'step-slider',
    attrs: { type: 'range', min: '1', max: '1', value: '1', 'aria-label': 'Decoder step' },
  });
  private readonly prev = el('button', { className: 'step-button step-prev', text: '← previous', attrs: { type: 'button' } });
  private readonly next = el('button', { className: 'step-button step-next', text: 'next →', attrs: { type: 'button' } });
  private readonly layerSelect = el('select', { className: 'stepper-layer', attrs: { 'aria-label': 'Layer and head' } });
  private readonly scoreBox = el('div', { className: 'score-switch' });
  private readonly badge = el('div');
  private readonly panes = el('div', { className: 'stepper-panes' });
  private readonly self: MatrixView;
  private readonly cross: MatrixView;
  private meta: RunMeta | undefined;
  private heads: { self?: HeadMessage; cross?: HeadMessage } = {};
  private t = 0;
  private sink = false;
  private choice = { layer: 0, head: 0 };
  private loading = 0;
  private runId = 0;

  constructor(
    private readonly tooltip: Tooltip,
    private theme: ThemeColors,
    private readonly requests: Requests,
    private readonly cb: StepperCallbacks,
  ) {
    this.self = new MatrixView(tooltip, theme);
    this.cross = new MatrixView(tooltip, theme);
    this.prev.addEventListener('click', () => this.go(this.t - 1));
    this.next.addEventListener('click', () => this.go(this.t + 1));
    this.slider.addEventListener('input', () => this.go(Number(this.slider.value) - 1));
    this.root.addEventListener('keydown', (e) => {
      if (e.target instanceof HTMLSelectElement) return;
      const d = { ArrowLeft: -1, ArrowRight: 1 }[e.key];
      if (e.key === 'Home') this.go(0);
      else if (e.key === 'End') this.go(Number.MAX_SAFE_INTEGER);
      else if (d) this.go(this.t + d);
      else return;
      e.preventDefault();
    });
    this.layerSelect.addEventListener('change', () => {
      const [l, h] = this.layerSelect.value.split('/').map(Number);
      this.choice = { layer: l, head: h };
      void this.load();
    });
    this.root.append(
      el('h2', { text: 'Decoder stepper' }),
      this.sub,
      el('p', {
        className: 'explain',
        text: 'Step through generation with the buttons, the slider or ←/→ (Home/End). At step t the decoder has seen target tokens 1…t: rows below t are not computed yet (blank), future keys in self-attention are masked (hatched). The framed row is the current step; its prediction is written above.',
      }),
      el('div', { className: 'controls' }, [
        this.prev,
        this.slider,
        this.next,
        el('label', { className: 'control' }, [el('span', { text: 'layer · head' }), this.layerSelect]),
        this.scoreBox,
      ]),
      this.stepText,
      this.message,
      this.badge,
      this.panes,
    );
  }

  setTheme(theme: ThemeColors): void {
    this.theme = theme;
    this.self.setTheme(theme);
    this.cross.setTheme(theme);
  }

  /** A new run (or the view opened). Keeps the step and head choice when they still fit. */
  show(meta: RunMeta, runId: number, step: number, sink: boolean): void {
    const changed = this.meta !== meta;
    this.meta = meta;
    this.runId = runId;
    this.sink = sink;
    const dec = this.decoderPart();
    if (!dec) {
      this.sub.textContent = '';
      this.message.textContent = `This model (${meta.model.kind}) has no decoder: there is nothing to step through. Use the Heads view.`;
      clear(this.panes);
      this.stepText.textContent = '';
      return;
    }
    this.message.textContent = '';
    this.slider.max = String(dec.queries);
    this.t = Math.min(step, dec.queries - 1);
    if (changed) {
      clear(this.layerSelect);
      for (const l of dec.layers)
        for (let h = 0; h < l.heads; h++)
          this.layerSelect.appendChild(el('option', { text: `layer ${l.layer} · head ${h}`, attrs: { value: `${l.layer}/${h}` } }));
      if (!dec.layers.some((l) => l.layer === this.choice.layer && this.choice.head < l.heads))
        this.choice = { layer: dec.layers[0].layer, head: 0 };
      this.layerSelect.value = `${this.choice.layer}/${this.choice.head}`;
      this.buildScoreSwitch(meta);
      this.heads = {};
      void this.load();
    } else {
      this.render();
    }
  }

  /** The host reported an error: a re-run under way has failed, so the switch goes back. */
  rerunFailed(): void {
    if (!this.message.textContent?.startsWith('Re-running')) return;
    this.message.textContent = '';
    if (this.meta) this.buildScoreSwitch(this.meta);
  }

  setSink(on: boolean): void {
    this.sink = on;
    this.render();
  }

  private selfPart(): PartMeta | undefined {
    return this.meta?.parts.find((p) => p.part === 'decoder');
  }

  private crossPart(): PartMeta | undefined {
    return this.meta?.parts.find((p) => p.part === 'cross');
  }

  /** The part whose rows are the decoder steps (self-attention, else cross for RNN seq2seq). */
  private decoderPart(): PartMeta | undefined {
    return this.selfPart() ?? this.crossPart();
  }

  private buildScoreSwitch(meta: RunMeta): void {
    clear(this.scoreBox);
    const scores = meta.scores ?? [];
    if (scores.length < 2) {
      const text = `score: ${meta.score} (no switch: ${SCORE_NOTE})`;
      if (meta.score) this.scoreBox.append(el('span', { className: 'score-note', text }));
      return;
    }
    const group = custom('vscode-radio-group', { className: 'score-radios', attrs: { 'aria-label': 'Score function' } });
    for (const s of scores) {
      const r = custom('vscode-radio', { text: SCORE_LABELS[s], attrs: { name: 'score', value: s, 'data-score': s } });
      if (s === meta.score) r.setAttribute('checked', '');
      group.appendChild(r);
    }
    group.addEventListener('change', (e) => {
      const v = (e.target as HTMLElement | null)?.getAttribute('value') as RnnScore | null;
      if (!v || v === this.meta?.score || !scores.includes(v)) return;
      this.message.textContent = `Re-running with the ${v} score…`;
      this.cb.rerun(v);
    });
    const label = 'score (dot ↔ scaled-dot is a temperature; re-runs the model)';
    this.scoreBox.append(el('span', { className: 'control-label', text: label }), group);
  }

  private async load(): Promise<void> {
    const meta = this.meta;
    if (!meta) return;
    const ticket = ++this.loading;
    const want = (p: PartMeta | undefined) => {
      const l = p?.layers.find((x) => x.layer === this.choice.layer);
      if (!p || !l || this.choice.head >= l.heads) return Promise.resolve(undefined);
      return this.requests.send<HeadMessage>({
        type: 'requestHead',
        runId: this.runId,
        part: p.part,
        layer: this.choice.layer,
        head: this.choice.head,
      });
    };
    this.message.textContent = 'Loading…';
    try {
      const [self, cross] = await Promise.all([want(this.selfPart()), want(this.crossPart())]);
      if (ticket !== this.loading) return;
      this.heads = { self, cross };
      this.message.textContent = '';
      this.render();
    } catch (e) {
      if (ticket === this.loading) this.message.textContent = e instanceof Error ? e.message : String(e);
    }
  }

  private go(t: number): void {
    const dec = this.decoderPart();
    if (!dec) return;
    const nt = Math.max(0, Math.min(dec.queries - 1, t));
    if (nt === this.t) return;
    this.t = nt;
    this.cb.step(nt);
    this.render();
  }

  private render(): void {
    const meta = this.meta;
    const dec = this.decoderPart();
    if (!meta || !dec) return;
    const T = dec.queries;
    this.slider.value = String(this.t + 1);
    this.prev.disabled = this.t === 0;
    this.next.disabled = this.t === T - 1;
    this.sub.textContent = `${meta.model.name} · ${meta.model.kind} · layer ${this.choice.layer} · head ${this.choice.head}${meta.score ? ` · score: ${meta.score}` : ''}`;
    const input = dec.queryTokens[this.t] ?? `#${this.t}`;
    const predicted = meta.predicted?.[this.t];
    // A decoder-only run's generated tokens are its last queries (RunInput.generate).
    const genStep = meta.generated && meta.tokens.target.length === 0 ? this.t - (T - meta.generated) + 1 : 0;
    this.stepText.textContent =
      `Step ${this.t + 1} of ${T}: decoder input “${displayToken(input)}”` +
      (genStep > 0 ? ` (generated, greedy step ${genStep} of ${meta.generated})` : '') +
      (predicted !== undefined ? ` → predicts “${displayToken(predicted)}”` : '');
    this.tooltip.hide(); // a tooltip from the previous step would show stale numbers
    clear(this.panes);
    clear(this.badge);
    const width = Math.max(160, (this.root.clientWidth || 1200) / (this.heads.self && this.heads.cross ? 2 : 1) - 220);
    const add = (m: MatrixView, h: HeadMessage | undefined, p: PartMeta | undefined, title: string, keyTitle: string) => {
      if (!h || !p) return;
      const { probs, hidden } = applySink(this.sink, h.probs, h.queries, h.keys, p.keyTokens);
      if (hidden.size > 0 && !this.badge.firstChild) this.badge.appendChild(sinkBadge(hidden, p.keyTokens));
      const rowLabels = p.queryTokens.map((t, i) => (meta.predicted?.[i] !== undefined && i <= this.t ? `${t} → ${meta.predicted[i]}` : t));
      m.render(
        {
          rows: h.queries,
          cols: h.keys,
          data: probs,
          rowLabels,
          colLabels: p.keyTokens,
          rowTitle: 'query = target token attending (step)',
          colTitle: keyTitle,
          scale: 'seq',
          max: 1,
          mask: h.mask,
          hiddenCols: hidden,
          visibleRows: this.t + 1,
          currentRow: this.t,
          maxCell: 28,
          ariaLabel: `${title}, step ${this.t + 1} of ${T}`,
          tipTitle: title,
          tip: (i, j) => {
            const k = i * h.keys + j;
            const masked = !!h.mask?.[k];
            return [
              { label: 'query', value: `${displayToken(p.queryTokens[i])} (#${i})`, kind: 'token' },
              { label: 'key', value: `${displayToken(p.keyTokens[j])} (#${j})`, kind: 'token' },
              i > this.t
                ? { label: 'probability', value: `not yet computed at step ${this.t + 1}`, kind: 'hint' }
                : masked
                  ? { label: 'probability', value: '0 — masked (key comes after the query)', kind: 'masked' }
                  : hidden.has(j)
                    ? { label: 'probability', value: `hidden by display transform (model: ${fmt(h.probs[k])})`, kind: 'masked' }
                    : { label: 'probability', value: fmt(probs[k]), kind: 'prob' },
              { label: meta.scoreLabel, value: fmt(h.scores[k]) },
            ];
          },
        },
        width,
      );
      this.panes.appendChild(el('div', { className: 'stepper-pane' }, [el('h3', { text: title }), m.root]));
    };
    add(this.self, this.heads.self, this.selfPart(), 'Self-attention (causal)', 'key = earlier target token attended to');
    add(
      this.cross,
      this.heads.cross,
      this.crossPart(),
      meta.model.architecture === 'rnn-seq2seq' ? 'Alignment (decoder → encoder)' : 'Cross-attention (decoder → encoder)',
      'key = source token attended to',
    );
  }
}
