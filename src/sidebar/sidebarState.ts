// The side panel's state message, from the runner's state. No vscode import (unit-tested).
import type { RunInput, RunResult } from '../engine/types';
import { PART_ORDER, averagePool, headSummaries, layersOf } from '../../common/headData';
import type { SidebarPart, SidebarState } from '../../common/sidebar';
import { headLevels } from '../../common/headWire';
import { inputAsText, inputPlaceholder } from '../inputText';

export interface RunnerState {
  current?: string;
  lastInput?: RunInput;
  lastResult?: RunResult;
  resultModel?: string;
  running: boolean;
  lastError?: string;
  /** The person cancelled the last run (a Cancel, or Cancel Run), not a newer input. */
  cancelled?: boolean;
}

/** Side of the sidebar's head thumbnails (cells are drawn at ~16 px). */
const SIDEBAR_THUMBNAIL = 12;

/** The line under the box: an error, what to do first, or that the person cancelled the run. */
function statusMessage(runner: RunnerState, error: string | undefined, shownTokens: boolean): string | undefined {
  if (error) return error;
  if (!runner.current) return 'Choose a model, then type an input: it runs as you type.';
  if (runner.cancelled && !runner.running)
    return shownTokens ? 'Run cancelled. The tokens and heads below are from the last finished run.' : 'Run cancelled.';
  return undefined;
}

/**
 * The view's state from the runner's, as the message the webview renders. `inputError` is the
 * view's own (typed input the model cannot take, a live run that failed); it wins over the runner's.
 * Tokens and heads are shown only when they are the current model's: never a new model's name
 * and error beside the previous model's tokens and grid.
 */
export function sidebarState(runner: RunnerState, inputError?: string): SidebarState {
  const r = runner.lastResult;
  const sameModel = r && runner.resultModel === runner.current ? r : undefined;
  const error = inputError ?? runner.lastError;
  const vocab = sameModel?.model.vocab;
  const message = statusMessage(runner, error, !!sameModel);
  return {
    type: 'state',
    ...(runner.current ? { model: { name: sameModel ? sameModel.model.name : baseName(runner.current), file: runner.current } } : {}),
    input: inputAsText(runner.lastInput),
    status: runner.running ? 'running' : error ? 'error' : 'idle',
    ...(message !== undefined ? { message } : {}),
    ...(vocab && !vocab.tokenizer ? { placeholder: `${inputPlaceholder(vocab, false)}. Enter runs now.` } : {}),
    // ViT, DeiT: the box takes no text; the image is chosen with "Run with Input…".
    ...(sameModel?.model.image ? { placeholder: 'This model reads an image, not text: choose one with "Run with Input…"' } : {}),
    tokens: sameModel
      ? {
          source: [...sameModel.tokens.source],
          target: [...sameModel.tokens.target],
          ...(sameModel.model.unkToken !== undefined ? { unk: sameModel.model.unkToken } : {}),
          ...(sameModel.generated ? { generated: sameModel.generated } : {}),
        }
      : { source: [], target: [] },
    // Decoder-only (no target side): the view offers "Generate N tokens".
    ...(sameModel && sameModel.model.kind === 'decoder' && sameModel.tokens.target.length === 0 ? { canGenerate: true } : {}),
    parts: sameModel ? sidebarParts(sameModel) : [],
    ...(sameModel?.model.chatTemplate ? { chatTemplate: true } : {}),
  };
}

/**
 * The view's thumbnails are pooled from the inspector's (headSummaries, computed once per layer as
 * it streams in), not from every probability of the run (151 MB for BERT-base at n = 512, a pass
 * that held up the host's main thread at the end of every run); up to 32 tokens they are exact,
 * beyond an average of near-equal bins. The state is posted at every start and end of a run: pool
 * once per result, copy per message.
 */
const partsCache = new WeakMap<RunResult, SidebarPart[]>();

export function sidebarParts(r: RunResult): SidebarPart[] {
  let parts = partsCache.get(r);
  if (!parts) {
    parts = PART_ORDER.flatMap((part) => {
      const layers = layersOf(r, part);
      if (!layers.length) return [];
      const thumbnails = layers.flatMap((l) =>
        headSummaries(l).map(({ thumb }, head) => {
          const { rows, cols, data } = averagePool(thumb.data, 0, thumb.rows, thumb.cols, SIDEBAR_THUMBNAIL, SIDEBAR_THUMBNAIL);
          return { layer: l.layer, head, rows, cols, levels: headLevels(data).levels };
        }),
      );
      const kv = layers[0].kvHeads;
      return [{ part, layers: layers.length, heads: layers[0].heads, ...(kv && kv < layers[0].heads ? { kvHeads: kv } : {}), thumbnails }];
    });
    partsCache.set(r, parts);
  }
  return parts.map((p) => ({ ...p, thumbnails: p.thumbnails.map((t) => ({ ...t, levels: t.levels.slice() })) }));
}

function baseName(p: string): string {
  return p.split(/[\\/]/).pop() ?? p;
}
