// The inspector's views beside the head grid (Q·K, stepper, aggregates, positional encoding,
// compare): made together, shown one at a time, and told of theme and sink changes together.
import type { HeadMessage, InspectorState, InspectorView, PartMeta, RunMeta } from '../../common/webview';
import type { RnnScore } from '../../src/engine/types';
import type { ThemeColors } from '../shared/theme';
import type { Requests } from './requests';
import type { Tooltip } from './tooltip';
import { AggregatesView } from './views/aggregates';
import { CompareView } from './views/compare';
import { PositionalView } from './views/positional';
import { QkView } from './views/qk';
import { StepperView } from './views/stepper';

export class MainViews {
  readonly qk: QkView;
  readonly stepper: StepperView;
  readonly aggregates: AggregatesView;
  readonly positional: PositionalView;
  readonly compare: CompareView;

  constructor(
    tooltip: Tooltip,
    theme: ThemeColors,
    requests: Requests,
    save: (patch: Partial<InspectorState>) => void,
    rerun: (score: RnnScore) => void,
  ) {
    this.qk = new QkView(tooltip, theme, requests, (query) => save({ query }));
    this.stepper = new StepperView(tooltip, theme, requests, { step: (step) => save({ step }), rerun });
    this.aggregates = new AggregatesView(tooltip, theme, requests, (aggPart, aggLayer) => save({ aggPart, aggLayer }));
    this.positional = new PositionalView(tooltip, theme, requests, (position) => save({ position }));
    this.compare = new CompareView(tooltip, theme, requests);
  }

  /** Their roots, in page order (after the heads view). */
  get roots(): HTMLElement[] {
    return [this.qk.root, this.stepper.root, this.aggregates.root, this.positional.root, this.compare.root];
  }

  /** Shows view `v` (hides the others; 'heads' is the page's own, so none of these). */
  setVisible(v: InspectorView | undefined): void {
    this.qk.root.hidden = v !== 'qk';
    this.stepper.root.hidden = v !== 'stepper';
    this.aggregates.root.hidden = v !== 'aggregates';
    this.positional.root.hidden = v !== 'positional';
    this.compare.root.hidden = v !== 'compare';
  }

  /** Fills view `v` from what the page has. */
  show(v: InspectorView, meta: RunMeta, runId: number, s: InspectorState, head: HeadMessage | undefined, pm: PartMeta | undefined): void {
    switch (v) {
      case 'qk':
        return this.qk.show(head, pm, meta, s.query ?? 0);
      case 'stepper':
        return this.stepper.show(meta, runId, s.step ?? 0, !!s.sink);
      case 'aggregates':
        return this.aggregates.show(meta, runId, s.aggPart, s.aggLayer, !!s.sink);
      case 'positional':
        // RoPE models are decoders: their head chart opens on the grid's decoder head.
        return this.positional.show(
          meta,
          runId,
          s.position ?? 0,
          s.part === 'decoder' ? { layer: s.layer ?? 0, head: s.head ?? 0 } : undefined,
        );
      default:
        return;
    }
  }

  setSink(on: boolean): void {
    this.stepper.setSink(on);
    this.aggregates.setSink(on);
    this.compare.setSink(on);
  }

  setTheme(theme: ThemeColors): void {
    for (const v of [this.qk, this.stepper, this.aggregates, this.positional, this.compare]) v.setTheme(theme);
  }
}
