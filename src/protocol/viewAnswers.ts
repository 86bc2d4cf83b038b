// The inspector session's answers that take a while or come from the engine: one head (from the
// run itself, or from the worker that keeps its probabilities), the Aggregate view's mean and
// rollout, and the Q·K view's vectors. No vscode import; InspectorSession owns one of these per panel.
import type { HeadQK, Part, QkRequest, RnnScore, RunResult } from '../engine/types';
import { meanOverHeads, rolloutSteps } from '../../common/aggregates';
import { findLayer, layersOf, sliceHead, type HeadSlice } from '../../common/headData';
import type {
  HeadErrorMessage,
  HeadPreviewMessage,
  HostToWebview,
  RequestAggregateMessage,
  RequestHeadMessage,
  RequestQkMessage,
} from '../../common/webview';
import { NewestOnly } from './newestOnly';

/**
 * Computes one head's q and k vectors on the run's own ids (the model file is the run's); the
 * panel passes one that asks the engine worker, the webview tests one that runs the engine here.
 */
export type QkSource = (result: RunResult, request: QkRequest) => Promise<HeadQK>;

/** The engine worker's answers about a run it keeps (RunResult.kept): one head, or an aggregate. */
export interface KeptSource {
  /** preview: also the head's colour levels (HeadSlice.preview). */
  head(run: number, part: Part, layer: number, head: number, preview?: boolean): Promise<HeadSlice>;
  aggregate(run: number, part: Part, layer: number, kind: 'mean' | 'rollout'): Promise<Float32Array>;
}

/** Rollout of n×n layers costs n³ per layer; beyond this many tokens the view says so instead. */
export const MAX_ROLLOUT_TOKENS = 1024;

/** What a view's request of a run the host has replaced is answered. */
export const EARLIER = 'That request belongs to an earlier run.';

/** A head asked of a run the host has replaced (the page opens it in the next run, which is on its way). */
export const headOfEarlierRun = (runId: number, requestId: number): HeadErrorMessage => ({
  type: 'headError',
  runId,
  requestId,
  message: 'That head belongs to an earlier run.',
  earlier: true,
});

interface Prefetched {
  result: RunResult;
  key: string;
  slice: Promise<HeadSlice>;
  /** Set when it arrives. */
  value?: HeadSlice;
}

export class ViewAnswers {
  /** Rollout per part, filled one layer at a time (index = position in layersOf). */
  private rolloutCache = new Map<string, Float32Array[]>();
  private rolloutRuns = new Map<string, Promise<Float32Array[]>>();
  /** q/k computations: one at a time in the engine, and only the newest request waits. */
  private readonly qkQueue = new NewestOnly();
  /** A kept run's head asked of the worker before the page asks (the one it opens with a run). */
  private prefetched: Prefetched | undefined;

  constructor(
    /** The run id on screen now: an answer that arrives for an earlier one is refused. */
    private readonly currentRun: () => number,
    private readonly qkSource?: QkSource,
    private readonly kept?: KeptSource,
  ) {}

  /** The run's layers changed (a new run, or more of the streamed one): rollouts are computed again. */
  reset(): void {
    this.rolloutCache.clear();
    this.rolloutRuns.clear();
  }

  /**
   * One head of `result`: at once when the host holds its probabilities, else from the worker (with
   * its colour levels when `preview`; a head the host holds is small or already here).
   */
  head(result: RunResult, part: Part, layer: number, head: number, preview = false): HeadSlice | Promise<HeadSlice> | string {
    const l = findLayer(result, part, layer);
    if (!l) return `This run has no ${part} layer ${layer}.`;
    if (head >= l.heads) return `${part} layer ${layer} has ${l.heads} heads; there is no head ${head}.`;
    if (!result.kept) return sliceHead(l, head);
    if (!this.kept) return 'This run’s probabilities are in the engine, and this panel cannot ask it.';
    const p = this.prefetched;
    if (p && p.result === result && p.key === `${part}/${layer}/${head}`) {
      this.prefetched = undefined; // used once: the message that carries it may transfer its arrays
      return p.slice;
    }
    return this.kept.head(result.kept.run, part, layer, head, preview);
  }

  /**
   * Asks the worker for a kept run's head now, before the page asks for it (the head a run opens
   * with); resolves when it is here (see ready), or failed.
   */
  prefetch(result: RunResult, part: Part, layer: number, head: number): Promise<unknown> {
    const key = `${part}/${layer}/${head}`;
    const p = this.prefetched;
    if (p && p.result === result && p.key === key) return p.slice; // asked already (a re-sent snapshot)
    if (!result.kept || !this.kept) return Promise.resolve();
    const slice = this.kept.head(result.kept.run, part, layer, head, true); // the run message carries its colours first
    const entry: Prefetched = { result, key, slice };
    slice.then((s) => (entry.value = s)).catch(() => {}); // whoever asks for it sees the error
    this.prefetched = entry;
    return slice;
  }

  /** The prefetched head when it has arrived (used once: the message that carries it may transfer it). */
  ready(result: RunResult, part: Part, layer: number, head: number): HeadSlice | undefined {
    const p = this.prefetched;
    if (!p?.value || p.result !== result || p.key !== `${part}/${layer}/${head}`) return undefined;
    this.prefetched = undefined;
    return p.value;
  }

  /**
   * Mean over heads of one layer, or the rollout up to it (self-attention only). Rollout is
   * computed once per part and cached; when it is not ready the answer is a promise, and the
   * computation yields to the event loop after every layer so the extension host stays responsive.
   * A run the worker keeps is aggregated there.
   */
  aggregate(result: RunResult, req: RequestAggregateMessage): HostToWebview | Promise<HostToWebview> {
    const fail = (message: string): HostToWebview => ({ type: 'viewError', requestId: req.requestId, message });
    const layers = layersOf(result, req.part);
    const idx = layers.findIndex((l) => l.layer === req.layer);
    if (idx < 0) return fail(`This run has no ${req.part} layer ${req.layer}.`);
    const l = layers[idx];
    const answer = (data: Float32Array): HostToWebview => ({
      type: 'aggregate',
      requestId: req.requestId,
      runId: req.runId,
      part: req.part,
      layer: req.layer,
      kind: req.kind,
      queries: l.queries,
      keys: l.keys,
      data,
    });
    if (req.kind === 'rollout' && req.part === 'cross')
      return fail(
        'Rollout follows self-attention through the residual stream; cross-attention has no such chain. Choose the encoder or decoder.',
      );
    if (req.kind === 'rollout' && l.queries > MAX_ROLLOUT_TOKENS)
      return fail(`Rollout of ${l.queries} tokens is not computed (limit ${MAX_ROLLOUT_TOKENS}).`);
    if (result.kept) {
      if (!this.kept) return fail('This run’s probabilities are in the engine, and this panel cannot ask it.');
      return this.kept.aggregate(result.kept.run, req.part, req.layer, req.kind).then(
        (data) => (req.runId === this.currentRun() ? answer(data) : fail(EARLIER)),
        (e: unknown) => fail(e instanceof Error ? e.message : String(e)),
      );
    }
    if (req.kind === 'mean') return answer(meanOverHeads(l));
    const cached = this.rolloutCache.get(req.part);
    if (cached) return answer(cached[idx].slice());
    let run = this.rolloutRuns.get(req.part);
    if (!run) {
      const runId = this.currentRun();
      run = (async () => {
        const out: Float32Array[] = [];
        for (const r of rolloutSteps(layers)) {
          if (r) out.push(r);
          await new Promise((resolve) => setTimeout(resolve, 0));
          if (runId !== this.currentRun()) throw new Error('superseded');
        }
        this.rolloutCache.set(req.part, out);
        return out;
      })();
      this.rolloutRuns.set(req.part, run);
    }
    return run.then(
      (all) => (req.runId === this.currentRun() ? answer(all[idx].slice()) : fail(EARLIER)),
      () => fail(EARLIER),
    );
  }

  /** The Q·K view's vectors of one head, or why there are none. */
  qk(r: RunResult, req: RequestQkMessage, score: RnnScore | undefined): string | Promise<HostToWebview> {
    const layer = findLayer(r, req.part, req.layer);
    if (!layer || req.head >= layer.heads) return `This run has no ${req.part} layer ${req.layer} head ${req.head}.`;
    if (r.running) return 'The run is still going; the q and k vectors are computed once it has finished.';
    if (!this.qkSource) return 'The q and k vectors cannot be computed here (no engine).';
    const fail = (message: string): HostToWebview => ({ type: 'viewError', requestId: req.requestId, message });
    const runId = this.currentRun();
    const request: QkRequest = {
      ids: r.pixels ? [] : r.ids.source, // a vision run is named by its pixels (its ids are only positions)
      ...(r.pixels ? { pixels: r.pixels } : {}),
      ...(r.ids.target.length > 0 ? { targetIds: r.ids.target } : {}), // as decoded: no second greedy run
      ...(score ? { score } : {}),
      part: req.part,
      layer: req.layer,
      head: req.head,
    };
    const source = this.qkSource;
    return this.qkQueue
      .run(
        () => source(r, request),
        () => fail('Superseded by a newer request.'),
      )
      .then(
        (qk): HostToWebview => {
          if ('type' in qk) return qk; // superseded
          if (runId !== this.currentRun()) return fail(EARLIER);
          // The engine ran again: its shape must be the run's, or the page would pair wrong numbers.
          if (qk.queries !== layer.queries || qk.keys !== layer.keys) {
            return fail(`The engine returned q and k for ${qk.queries}×${qk.keys}, not ${layer.queries}×${layer.keys}.`);
          }
          return { type: 'qk', requestId: req.requestId, runId, ...qk };
        },
        (e: unknown) => fail(e instanceof Error ? e.message : String(e)),
      );
  }
}

/** A message for the log: its JSON, cut at 200 characters. */
export function describeMessage(x: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(x) ?? String(x);
  } catch {
    s = Object.prototype.toString.call(x);
  }
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

/** The colours of a head asked for with a preview, ahead of the head itself (none when the engine made none). */
export function previewMessages(
  req: Pick<RequestHeadMessage, 'runId' | 'requestId' | 'part' | 'layer' | 'head'>,
  x: HeadSlice,
): HeadPreviewMessage[] {
  const { runId, requestId, part, layer, head } = req;
  const p = x.preview;
  if (!p) return [];
  const mask = x.mask ? { mask: x.mask } : {};
  return [
    { type: 'headPreview', runId, requestId, part, layer, head, queries: x.queries, keys: x.keys, levels: p.levels, max: p.max, ...mask },
  ];
}
