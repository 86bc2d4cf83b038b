// The runs whose probabilities stay in the engine worker (run requests with `keep`): the host gets
// each layer's summaries and statistics only, and asks here for one head or an aggregate when the
// page needs it. Kept: the run on screen and the one running; older ones are dropped.
import type { AttentionLayer, Part, RunResult } from './types';
import { axisTokens, layerStats, sliceHead, type HeadSlice } from '../../common/headData';
import { layerSummary } from '../../common/layerSummary';
import { meanOverHeads, rollout } from '../../common/aggregates';

/** Raised for a head of a run the worker no longer has; the page says "run again". */
export class RunGoneError extends Error {
  override name = 'RunGoneError';
}

interface Kept {
  /** The run's layers so far (the engine's own growing array while it runs, then the result's). */
  layers: readonly AttentionLayer[];
  rollouts: Map<Part, Float32Array[]>;
}

type Tokens = Pick<RunResult, 'tokens'> & Partial<Pick<RunResult, 'axisLabels'>>;

export class KeptRuns {
  private readonly runs = new Map<number, Kept>();

  /** Drops every kept run but these (a new run starts: it and the one on screen stay). */
  retain(ids: readonly (number | undefined)[]): void {
    for (const id of [...this.runs.keys()]) if (!ids.includes(id)) this.runs.delete(id);
  }

  /** The layers of run `id` so far (called at each checkpoint, and with the result's at the end). */
  set(id: number, layers: readonly AttentionLayer[]): void {
    const k = this.runs.get(id);
    if (k && k.layers === layers) return;
    this.runs.set(id, { layers, rollouts: new Map() });
  }

  get size(): number {
    return this.runs.size;
  }

  head(id: number, part: Part, layer: number, head: number): HeadSlice {
    return sliceHead(this.layer(id, part, layer), head);
  }

  /** Mean over heads of one layer, or the rollout up to it (computed once per part of a finished run). */
  aggregate(id: number, part: Part, layer: number, kind: 'mean' | 'rollout', running: boolean): Float32Array {
    const l = this.layer(id, part, layer);
    if (kind === 'mean') return meanOverHeads(l);
    const k = this.runs.get(id)!;
    const layers = k.layers.filter((a) => a.part === part).sort((a, b) => a.layer - b.layer);
    let all = k.rollouts.get(part);
    if (!all) {
      all = rollout(layers);
      if (!running) k.rollouts.set(part, all);
    }
    return all[layers.indexOf(l)].slice();
  }

  private layer(id: number, part: Part, layer: number): AttentionLayer {
    const k = this.runs.get(id);
    if (!k) {
      throw new RunGoneError(
        'This run’s attention data is no longer in the engine (it keeps the run on screen and the one running, ' +
          'and loses them when it restarts). Run it again to see this head.',
      );
    }
    const l = k.layers.find((a) => a.part === part && a.layer === layer);
    if (!l) throw new RangeError(`This run has no ${part} layer ${layer} (yet).`);
    return l;
  }
}

/**
 * A layer as a kept run hands it to the host: no probabilities or scores (empty arrays), with its
 * summaries and every head's statistics, so the host shows the grid without them. The mask is
 * copied (the engine may share one between layers).
 */
export function keptLayer(a: AttentionLayer, run: Tokens): AttentionLayer {
  const summary = layerSummary(a);
  const { keyTokens } = axisTokens(run as RunResult, a.part, a.queries, a.keys);
  const stats = layerStats({ ...a, summary }, keyTokens);
  const { rowEntropy: _unused, ...rest } = a;
  return {
    ...rest,
    probs: new Float32Array(0),
    scores: new Float32Array(0),
    ...(a.mask && { mask: a.mask.slice() }),
    summary: { ...summary, stats },
  };
}
