// What the inspector webview is sent, derived from a RunResult: run metadata with per-head summary
// statistics, small average-pooled thumbnails for the head grid, and one full head on request.
// Pure functions, no vscode or Node imports: the host, the tests and (for types) the webview share it.
import type { AttentionLayer, Part, RnnScore, RopeInfo, RunResult } from '../src/engine/types';
import { THUMBNAIL_SIZE, headSummaries } from './layerSummary';
import { headLevels } from './headWire';

export { THUMBNAIL_SIZE, headSummaries, type HeadSummary } from './layerSummary';

/** Summary numbers of one head, each averaged over the query rows. */
export interface HeadStats {
  /** Mean row entropy −Σ p·ln p, in nats. 0 = every query looks at one key. */
  entropy: number;
  /** Largest single probability in the head. */
  max: number;
  /** Mean attention paid to the first key token ([CLS], <s>, …). */
  toFirst: number;
  /** Mean attention paid to separator / end tokens among the keys; null when there are none. */
  toSep: number | null;
  /** Mean attention a token pays to itself (diagonal); null for cross-attention. */
  toSelf: number | null;
}

export type StatKey = keyof HeadStats;
export const STAT_KEYS: readonly StatKey[] = ['entropy', 'max', 'toFirst', 'toSep', 'toSelf'];

export interface LayerMeta {
  layer: number;
  heads: number;
  /** Whether some cells are hidden by a (causal) mask. */
  masked: boolean;
  stats: HeadStats[];
  /** Per-head weight norms ‖W_Q‖, ‖W_K‖, ‖W_V‖ (rows) and ‖W_O‖ (columns), where the model has them. */
  norms?: { q?: number[]; k?: number[]; v?: number[]; o?: number[] };
  /** GQA/MQA: how many K/V heads the `heads` query heads share (a divisor of heads, below it). */
  kvHeads?: number;
  /** Sliding-window layer: each query sees only its last `window` keys. */
  window?: number;
}

export interface PartMeta {
  part: Part;
  queries: number;
  keys: number;
  /** Display tokens along each axis (length = queries / keys). */
  queryTokens: string[];
  keyTokens: string[];
  layers: LayerMeta[];
}

export interface RunMeta {
  model: { name: string; file: string; architecture: string; kind: string; parameters: number };
  details: Record<string, string | number | boolean>;
  tokens: { source: string[]; target: string[] };
  predicted?: string[];
  /** How many of the last source tokens the run generated (RunInput.generate): the token strips mark them. */
  generated?: number;
  /** What the raw score of a cell is, for the hover text. */
  scoreLabel: string;
  /** RNN seq2seq: the score functions the file can run with, and the one this run used. */
  scores?: RnnScore[];
  score?: RnnScore;
  /** Shape of the fixed positional encoding, when the model has one (the data is sent on request). */
  positional?: { positions: number; dims: number; scheme: string };
  /** RoPE models: the rotary frequencies per group of layers (small: head_dim/2 numbers each). */
  rope?: RopeInfo[];
  parts: PartMeta[];
  /** A run still going (or stopped early): only the layers finished so far are in `parts`. */
  running?: { done: number; total: number; message: string; stopped?: 'cancelled' | 'failed' };
  /** Which kernels ran it, on how many threads, in how long. */
  engine?: { kernels: string; threads: number; ms: number };
  /** The tokenizer's unknown-word token: the token strips mark it, so a word the model never saw shows. */
  unkToken?: string;
}

export interface Thumbnail {
  layer: number;
  head: number;
  rows: number;
  cols: number;
  /**
   * [rows, cols] average-pooled probabilities as the ramp steps (0…255) the grid paints them in,
   * each tile on its own scale (headLevels): a quarter of the bytes of the probabilities, the same pixels.
   */
  levels: Uint8Array;
}

export interface HeadSlice {
  queries: number;
  keys: number;
  /** [queries, keys] copies (own buffers, safe to transfer). */
  probs: Float32Array;
  scores: Float32Array;
  mask?: Uint8Array;
  /** `probs` is empty: they are the masked softmax of `scores` (common/headWire.ts). */
  probsFromScores?: true;
  /** The colour levels the page paints first, when asked for (common/headWire.ts headLevels). */
  preview?: { levels: Uint8Array; max: number };
}

export const PART_ORDER: readonly Part[] = ['encoder', 'decoder', 'cross'];
/** Key tokens counted as separators for the "attention to [SEP]" statistic. */
export const SEPARATOR_TOKENS: ReadonlySet<string> = new Set(['[SEP]', '</s>', '<eos>', '[EOS]', '<|endoftext|>', '<sep>']);

/** The K/V head query head `head` reads under GQA/MQA, as repeat_kv pairs them: ⌊head / (heads / kvHeads)⌋. */
export function kvHeadOf(head: number, heads: number, kvHeads: number): number {
  return Math.floor(head / (heads / kvHeads));
}

/** The AttentionLayers of one part, ordered by layer index. */
export function layersOf(result: RunResult, part: Part): AttentionLayer[] {
  return result.attentions.filter((a) => a.part === part).sort((a, b) => a.layer - b.layer);
}

export function findLayer(result: RunResult, part: Part, layer: number): AttentionLayer | undefined {
  return result.attentions.find((a) => a.part === part && a.layer === layer);
}

/** Display labels for the query and key axes of one part. Falls back to `#i` when lengths disagree. */
export function axisTokens(result: RunResult, part: Part, queries: number, keys: number): { queryTokens: string[]; keyTokens: string[] } {
  const { source, target } = result.tokens;
  // Decoder-only models report their one sequence as `source` and no target.
  const decoderSide = target.length > 0 ? target : source;
  const q = part === 'encoder' ? source : decoderSide;
  const k = part === 'cross' ? source : part === 'encoder' ? source : decoderSide;
  const own = result.axisLabels?.find((a) => a.part === part);
  const fit = (tokens: string[], n: number) =>
    tokens.length === n ? [...tokens] : Array.from({ length: n }, (_, i) => tokens[i] ?? `#${i}`);
  return { queryTokens: fit(own?.queries ?? q, queries), keyTokens: fit(own?.keys ?? k, keys) };
}

/**
 * Statistics of one head. `probs` is [queries, keys] starting at `offset`. Rows that are fully
 * masked (all zeros) still count in the means, as "attends to nothing".
 */
export function headStats(
  probs: Float32Array,
  offset: number,
  queries: number,
  keys: number,
  keyTokens: readonly string[],
  selfAttention: boolean,
  /** The head's [queries] row entropies when the kernels computed them: no logarithm per cell here. */
  rowEntropy?: Float32Array,
  /** The head's largest probability when already known (headSummaries): with rowEntropy, no pass over the cells. */
  knownMax?: number,
  /** The head's mean row entropy when the worker sent it (layerSummary): with knownMax, no pass over the cells. */
  knownEntropy?: number,
): HeadStats {
  const sepKeys: number[] = [];
  keyTokens.forEach((t, j) => {
    if (j < keys && SEPARATOR_TOKENS.has(t)) sepKeys.push(j);
  });
  let entropy = 0;
  let max = 0;
  let toFirst = 0;
  let toSep = 0;
  let toSelf = 0;
  // With both known, only the first, separator and diagonal cells are read: O(queries), not O(queries·keys).
  const cells = knownEntropy === undefined || knownMax === undefined;
  for (let i = 0; i < queries; i++) {
    const row = offset + i * keys;
    if (cells && rowEntropy) {
      entropy += rowEntropy[i];
      if (knownMax === undefined) for (let j = 0; j < keys; j++) if (probs[row + j] > max) max = probs[row + j];
    } else if (cells) {
      for (let j = 0; j < keys; j++) {
        const p = probs[row + j];
        if (p > 0) entropy -= p * Math.log(p);
        if (p > max) max = p;
      }
    }
    toFirst += keys > 0 ? probs[row] : 0;
    for (const j of sepKeys) toSep += probs[row + j];
    if (selfAttention && i < keys) toSelf += probs[row + i];
  }
  const n = Math.max(queries, 1);
  return {
    entropy: knownEntropy ?? entropy / n,
    max: knownMax ?? max,
    toFirst: toFirst / n,
    toSep: sepKeys.length > 0 ? toSep / n : null,
    toSelf: selfAttention ? toSelf / n : null,
  };
}

/**
 * Average pooling of a [rows, cols] matrix (at `offset` in `src`) down to at most
 * [maxRows, maxCols]. Bin i covers source rows ⌊i·rows/R⌋ … ⌊(i+1)·rows/R⌋−1, so bins differ in
 * size by at most one and every source cell lands in exactly one bin. Smaller matrices are copied.
 */
export function averagePool(
  src: Float32Array,
  offset: number,
  rows: number,
  cols: number,
  maxRows: number,
  maxCols: number,
): { rows: number; cols: number; data: Float32Array } {
  const R = Math.max(1, Math.min(rows, maxRows));
  const C = Math.max(1, Math.min(cols, maxCols));
  const data = new Float32Array(R * C);
  if (rows === 0 || cols === 0) return { rows: R, cols: C, data };
  for (let bi = 0; bi < R; bi++) {
    const r0 = Math.floor((bi * rows) / R);
    const r1 = Math.floor(((bi + 1) * rows) / R);
    for (let bj = 0; bj < C; bj++) {
      const c0 = Math.floor((bj * cols) / C);
      const c1 = Math.floor(((bj + 1) * cols) / C);
      let sum = 0;
      for (let r = r0; r < r1; r++) {
        const base = offset + r * cols;
        for (let c = c0; c < c1; c++) sum += src[base + c];
      }
      data[bi * C + bj] = sum / ((r1 - r0) * (c1 - c0));
    }
  }
  return { rows: R, cols: C, data };
}

/** One head of a layer as its own [queries, keys] arrays. Throws RangeError for a bad head index. */
export function sliceHead(layer: AttentionLayer, head: number): HeadSlice {
  if (!Number.isInteger(head) || head < 0 || head >= layer.heads) {
    throw new RangeError(`${layer.part} layer ${layer.layer} has heads 0…${layer.heads - 1}, not ${head}`);
  }
  const n = layer.queries * layer.keys;
  const from = head * n;
  return {
    queries: layer.queries,
    keys: layer.keys,
    probs: layer.probs.slice(from, from + n),
    scores: layer.scores.slice(from, from + n),
    mask: layer.mask ? layer.mask.slice(0, n) : undefined,
  };
}

function hasMasked(mask: Uint8Array | undefined): boolean {
  return !!mask && mask.some((m) => m !== 0);
}

function layerNorms(result: RunResult, part: Part, layer: number): Pick<LayerMeta, 'norms'> {
  const n = result.headNorms?.find((x) => x.part === part && x.layer === layer);
  if (!n) return {};
  const { q, k, v, o } = n;
  return { norms: { ...(q && { q: [...q] }), ...(k && { k: [...k] }), ...(v && { v: [...v] }), ...(o && { o: [...o] }) } };
}

/** headStats of every head of a layer (`keyTokens`: its key axis, axisTokens). */
export function layerStats(l: AttentionLayer, keyTokens: readonly string[]): HeadStats[] {
  return Array.from({ length: l.heads }, (_, h) =>
    headStats(
      l.probs,
      h * l.queries * l.keys,
      l.queries,
      l.keys,
      keyTokens,
      l.part !== 'cross',
      l.rowEntropy?.subarray(h * l.queries, (h + 1) * l.queries),
      l.rowEntropy || l.summary ? headSummaries(l)[h].max : undefined,
      l.summary?.entropy[h],
    ),
  );
}

/** Which layers to describe: all of them, or (a streamed run's update) those not sent before. */
export type LayerFilter = (l: AttentionLayer) => boolean;

/** Metadata and per-head statistics for every part of a run (no full matrices), of the layers `only` keeps. */
export function runMeta(result: RunResult, score?: RnnScore, only?: LayerFilter): RunMeta {
  const parts: PartMeta[] = [];
  for (const part of PART_ORDER) {
    const layers = layersOf(result, part).filter((l) => !only || only(l));
    if (layers.length === 0) continue;
    const { queries, keys } = layers[0];
    const { queryTokens, keyTokens } = axisTokens(result, part, queries, keys);
    parts.push({
      part,
      queries,
      keys,
      queryTokens,
      keyTokens,
      layers: layers.map((l) => ({
        layer: l.layer,
        heads: l.heads,
        masked: hasMasked(l.mask),
        // A layer the worker keeps has no probabilities here: its statistics came with it.
        stats: l.summary?.stats ? l.summary.stats.map((x) => ({ ...x })) : layerStats(l, keyTokens),
        ...layerNorms(result, part, l.layer),
        ...(l.kvHeads !== undefined && l.kvHeads < l.heads ? { kvHeads: l.kvHeads } : {}),
        ...(l.window !== undefined && { window: l.window }),
      })),
    });
  }
  const m = result.model;
  return {
    model: { name: m.name, file: m.file, architecture: m.architecture, kind: m.kind, parameters: m.parameters },
    details: { ...m.details },
    tokens: { source: [...result.tokens.source], target: [...result.tokens.target] },
    ...(result.predicted ? { predicted: [...result.predicted.tokens] } : {}),
    ...(result.generated ? { generated: result.generated } : {}),
    // RNN attentions (seq2seq, NARM, the melody RNN) report their additive/dot score e_tj.
    scoreLabel: ['rnn-seq2seq', 'narm', 'attention-rnn'].includes(m.architecture) ? 'score e_tj' : 'score q·k/√d_k',
    ...(m.scores && m.scores.length > 0 ? { scores: [...m.scores] } : {}),
    ...(runScore(result, score) ? { score: runScore(result, score) } : {}),
    ...(result.rope && { rope: result.rope.map((r) => ({ ...r, layers: [...r.layers], invFreq: [...r.invFreq] })) }),
    ...(result.positional
      ? { positional: { positions: result.positional.positions, dims: result.positional.dims, scheme: result.positional.scheme } }
      : {}),
    parts,
    ...(result.running ? { running: { ...result.running } } : {}),
    ...(result.engine ? { engine: { ...result.engine } } : {}),
    ...(m.unkToken !== undefined ? { unkToken: m.unkToken } : {}),
  };
}

/** The score function a run used: the one asked for, else the file's default (details.score). */
function runScore(result: RunResult, asked?: RnnScore): RnnScore | undefined {
  if (asked) return asked;
  const d = result.model.details.score;
  return d === 'dot' || d === 'general' || d === 'additive' || d === 'scaled-dot' ? d : undefined;
}

/**
 * A streamed run's update (runMeta of its new layers, or at its end of all) applied to the
 * metadata the page has: the update's layers are added to their parts, replacing those of the same
 * index (a new part is added in PART_ORDER); the rest of the update replaces the old fields.
 */
export function mergeRunMeta(old: RunMeta, update: RunMeta): RunMeta {
  const parts = PART_ORDER.flatMap((part): PartMeta[] => {
    const a = old.parts.find((p) => p.part === part);
    const b = update.parts.find((p) => p.part === part);
    if (!a || !b) return a ? [a] : b ? [b] : [];
    const updated = new Set(b.layers.map((l) => l.layer));
    const layers = [...a.layers.filter((l) => !updated.has(l.layer)), ...b.layers].sort((x, y) => x.layer - y.layer);
    return [{ ...a, layers }];
  });
  return { ...update, parts };
}

/** Thumbnails of every head of one part (of the layers `only` keeps), each at most size × size. */
export function partThumbnails(result: RunResult, part: Part, size = THUMBNAIL_SIZE, only?: LayerFilter): Thumbnail[] {
  const out: Thumbnail[] = [];
  for (const l of layersOf(result, part).filter((x) => !only || only(x))) {
    const summaries = size === THUMBNAIL_SIZE ? headSummaries(l) : undefined;
    for (let h = 0; h < l.heads; h++) {
      const pooled = summaries ? summaries[h].thumb : averagePool(l.probs, h * l.queries * l.keys, l.queries, l.keys, size, size);
      out.push({ layer: l.layer, head: h, rows: pooled.rows, cols: pooled.cols, levels: headLevels(pooled.data).levels });
    }
  }
  return out;
}
