// Messages between the host and the side panel's "Run" webview view: an input box that re-runs as
// the person types, the tokens of the current run and a small head grid. Declared once for both
// sides, each direction with a guard: the host treats the webview's messages as untrusted input.
// No vscode or Node imports (the webview bundles this file).
import type { Part } from '../src/engine/types';
import type { Thumbnail } from './headData';
import { isCount, isDoneOfTotal, isIndex, isPart, isRecord, isString, isStrings } from './guards';

/** Longest input text the host accepts from the view (the engine caps tokens separately). */
export const MAX_SIDEBAR_INPUT = 20_000;
/** Most tokens the view's "Generate N tokens" field asks for (the engine's own cap is the same). */
export const MAX_SIDEBAR_GENERATE = 4096;

// ---- webview → host ---------------------------------------------------------------------------

export type SidebarToHost =
  /** The view loaded (first time or re-shown): the host answers with `state`. */
  | { type: 'ready' }
  /** The input box changed; the host re-runs after a short pause (live). `chat`: through the chat template; `generate`: the "Generate N tokens" field. */
  | { type: 'input'; text: string; chat?: boolean; generate?: number }
  /** Enter in the input box (or the generate field changed): run now, no pause. */
  | { type: 'runNow'; text: string; chat?: boolean; generate?: number }
  /** A head of the grid was clicked or chosen with the keyboard: open it in the main panel. */
  | { type: 'openHead'; part: Part; layer: number; head: number }
  /** "Choose model…": the host asks with a quick pick. */
  | { type: 'chooseModel' }
  /** The Cancel beside the progress bar: the host cancels the run going on (and a pause's pending run). */
  | { type: 'cancel' };

// ---- host → webview ---------------------------------------------------------------------------

/** One attention part of the run, for the small grid: thumbnails are [rows, cols] pooled probabilities as ramp steps (Thumbnail). */
export interface SidebarPart {
  part: Part;
  layers: number;
  heads: number;
  /** GQA/MQA: the K/V heads the query heads share, when fewer than heads. */
  kvHeads?: number;
  /** layers × heads entries, layer-major. */
  thumbnails: Thumbnail[];
}

export interface SidebarState {
  type: 'state';
  /** The model the input runs on; absent until one is chosen. */
  model?: { name: string; file: string };
  /** Text of the current run's input (the box shows it unless the person is typing). */
  input: string;
  status: 'idle' | 'running' | 'error';
  /** Error or hint text under the box. */
  message?: string;
  /** The box's hint when the model needs something particular (ids only, and their range). */
  placeholder?: string;
  /** `unk`: the tokenizer's unknown-word token, marked in the strip; `generated`: how many last source tokens the run generated. */
  tokens: { source: string[]; target: string[]; unk?: string; generated?: number };
  /** The model is decoder-only: the view offers "Generate N tokens" (RunInput.generate). */
  canGenerate?: boolean;
  parts: SidebarPart[];
  /** The model has a chat template: the view offers "Apply chat template" (the box is the user message). */
  chatTemplate?: boolean;
}

/** How far the running run is (its layers done of total), between the state messages. */
export interface SidebarProgress {
  type: 'progress';
  done: number;
  total: number;
  /** The engine's words for the step (e.g. "encoder layer 3/12"). */
  message: string;
}

export type HostToSidebar = SidebarState | SidebarProgress;

// ---- guards -----------------------------------------------------------------------------------

const isText = (x: unknown): x is string => isString(x, MAX_SIDEBAR_INPUT);

export function isSidebarToHost(x: unknown): x is SidebarToHost {
  if (!isRecord(x)) return false;
  switch (x.type) {
    case 'ready':
    case 'chooseModel':
    case 'cancel':
      return true;
    case 'input':
    case 'runNow':
      return (
        isText(x.text) &&
        (x.chat === undefined || typeof x.chat === 'boolean') &&
        (x.generate === undefined || (isIndex(x.generate) && x.generate <= MAX_SIDEBAR_GENERATE))
      );
    case 'openHead':
      return isPart(x.part) && isIndex(x.layer) && isIndex(x.head);
    default:
      return false;
  }
}

function isSidebarPart(x: unknown): x is SidebarPart {
  if (!isRecord(x) || !isPart(x.part) || !isCount(x.layers) || !isCount(x.heads) || !Array.isArray(x.thumbnails)) return false;
  const heads = x.heads;
  if (x.kvHeads !== undefined && !(isCount(x.kvHeads) && x.kvHeads < heads && heads % x.kvHeads === 0)) return false;
  return (
    x.thumbnails.length === x.layers * heads &&
    x.thumbnails.every(
      (t: unknown) =>
        isRecord(t) &&
        isIndex(t.layer) &&
        isIndex(t.head) &&
        t.head < heads &&
        isCount(t.rows) &&
        isCount(t.cols) &&
        t.levels instanceof Uint8Array &&
        t.levels.length === t.rows * t.cols,
    )
  );
}

/** What the view checks before rendering: array lengths must match the shapes they claim. */
export function isHostToSidebar(x: unknown): x is HostToSidebar {
  if (isRecord(x) && x.type === 'progress') return isDoneOfTotal(x) && isString(x.message, 500);
  if (!isRecord(x) || x.type !== 'state') return false;
  if (x.model !== undefined && !(isRecord(x.model) && typeof x.model.name === 'string' && typeof x.model.file === 'string')) return false;
  if (x.message !== undefined && typeof x.message !== 'string') return false;
  if (x.placeholder !== undefined && !(typeof x.placeholder === 'string' && x.placeholder.length <= 500)) return false;
  return (
    typeof x.input === 'string' &&
    (x.status === 'idle' || x.status === 'running' || x.status === 'error') &&
    isRecord(x.tokens) &&
    isStrings(x.tokens.source) &&
    isStrings(x.tokens.target) &&
    (x.tokens.unk === undefined || (typeof x.tokens.unk === 'string' && x.tokens.unk.length <= 100)) &&
    (x.tokens.generated === undefined || (isIndex(x.tokens.generated) && x.tokens.generated <= x.tokens.source.length)) &&
    (x.canGenerate === undefined || typeof x.canGenerate === 'boolean') &&
    Array.isArray(x.parts) &&
    x.parts.every(isSidebarPart) &&
    (x.chatTemplate === undefined || typeof x.chatTemplate === 'boolean')
  );
}
