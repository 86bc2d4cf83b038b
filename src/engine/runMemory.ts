// The memory check before a run (see limits.ts): each architecture's descriptor estimates the
// bytes a run needs from its config and the token counts; a run over the limit is refused with
// the number and how many tokens would fit.
import type { LoadedModel } from './format/loaded';
import { InputError } from './format/errors';
import type { RunMemory, RunShape } from './models/architecture';
import { architectureOf } from './models/registry';

export type { RunMemory, RunShape } from './models/architecture';

const MB = 1024 * 1024;

/** Every architecture's descriptor has its own estimate (src/engine/architectures/). */
export function estimateRunMemory(model: LoadedModel, shape: RunShape): RunMemory | undefined {
  return architectureOf(model).estimateMemory(model, shape);
}

const mb = (bytes: number) => `${Math.ceil(bytes / MB).toLocaleString('en-US')} MB`;

/** Refuses (InputError on `ids`) a run whose estimate is over `limitMB`, before any compute. */
export function checkRunMemory(model: LoadedModel, shape: RunShape, limitMB: number): void {
  const need = estimateRunMemory(model, shape);
  if (!need || need.total <= limitMB * MB) return;
  // How many source tokens would fit with the same target: the estimate grows with n.
  let lo = 0;
  let hi = shape.source;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (estimateRunMemory(model, { ...shape, source: mid })!.total <= limitMB * MB) lo = mid;
    else hi = mid - 1;
  }
  const fit =
    lo > 0
      ? `at most about ${lo.toLocaleString('en-US')} source tokens fit`
      : shape.target === undefined
        ? "even one source token does not fit, because greedy decoding runs up to the model's max_target_length: give target ids"
        : 'even one source token does not fit with this target';
  throw new InputError(
    'ids',
    `this run needs ~${mb(need.total)} (attention probabilities and scores ${mb(need.attention)}, other results ${mb(need.traces)}, ` +
      `working memory ${mb(need.working)}); the limit is ${limitMB.toLocaleString('en-US')} MB (setting attentionInspector.maxRunMemoryMB): ${fit}`,
  );
}
