// Per-head summaries of one attention layer: the maximum, the mean row entropy and a 32×32
// average-pooled thumbnail. The engine worker computes them before it hands a layer over
// (layerSummary) and sends them with it; the host then relays them (headSummaries reads the
// attached summary) and never passes over a run's probabilities on its main thread.
// Pure functions, no vscode or Node imports.
import type { AttentionLayer, LayerSummary } from '../src/engine/types';

export const THUMBNAIL_SIZE = 32;

export interface HeadSummary {
  /** The head's largest probability. */
  max: number;
  /** averagePool of the head to THUMBNAIL_SIZE × THUMBNAIL_SIZE. */
  thumb: { rows: number; cols: number; data: Float32Array };
}

const summaryCache = new WeakMap<Float32Array, HeadSummary[]>();

/**
 * Max and thumbnail of every head of a layer in one pass over its probabilities, kept per probs
 * array; read from the layer's summary when the worker attached one (no pass at all). The
 * statistics and the thumbnails each read all of [heads, n, n] (151 MB for BERT-base at n = 512,
 * ~45 ms per pass on the extension host); together they read it once.
 */
export function headSummaries(l: AttentionLayer): HeadSummary[] {
  const hit = summaryCache.get(l.probs);
  if (hit) return hit;
  if (l.summary) {
    const out = unpack(l.summary);
    summaryCache.set(l.probs, out);
    return out;
  }
  const rows = l.queries;
  const cols = l.keys;
  const R = Math.max(1, Math.min(rows, THUMBNAIL_SIZE));
  const C = Math.max(1, Math.min(cols, THUMBNAIL_SIZE));
  // averagePool's bin edges: bin i covers ⌊i·n/bins⌋ … ⌊(i+1)·n/bins⌋−1.
  const rowEdge = binEdges(rows, R);
  const colEdge = binEdges(cols, C);
  const p = l.probs;
  const out: HeadSummary[] = [];
  for (let h = 0; h < l.heads; h++) {
    const offset = h * rows * cols;
    const data = new Float32Array(R * C); // [R, C]
    let max = 0;
    for (let i = 0; i < R; i++) {
      const acc = new Float64Array(C); // bin row i's sums
      // Row by row, so the pass reads memory in order; each bin's run of columns sums in a register.
      for (let r = rowEdge[i]; r < rowEdge[i + 1]; r++) {
        const base = offset + r * cols;
        for (let j = 0; j < C; j++) {
          // Two independent sums and maxima: the loop is bound by their dependency chains, not loads.
          let s0 = 0;
          let s1 = 0;
          let m0 = max;
          let m1 = max;
          let c = base + colEdge[j];
          const end = base + colEdge[j + 1];
          for (; c + 1 < end; c += 2) {
            const a = p[c];
            const b = p[c + 1];
            s0 += a;
            s1 += b;
            m0 = a > m0 ? a : m0;
            m1 = b > m1 ? b : m1;
          }
          if (c < end) {
            s0 += p[c];
            m0 = p[c] > m0 ? p[c] : m0;
          }
          acc[j] += s0 + s1;
          max = m0 > m1 ? m0 : m1;
        }
      }
      const rowsIn = rowEdge[i + 1] - rowEdge[i];
      for (let j = 0; j < C; j++) data[i * C + j] = rows > 0 && cols > 0 ? acc[j] / (rowsIn * (colEdge[j + 1] - colEdge[j])) : 0;
    }
    out.push({ max, thumb: { rows: R, cols: C, data } });
  }
  summaryCache.set(l.probs, out);
  return out;
}

/** The bins+1 edges of averagePool's bins over n indices: bin b is [edge[b], edge[b+1]). */
function binEdges(n: number, bins: number): Int32Array {
  const out = new Int32Array(bins + 1);
  for (let b = 0; b <= bins; b++) out[b] = Math.floor((b * n) / bins);
  return out;
}

/** The attached summary as HeadSummary views (no copies: partThumbnails copies what it sends). */
function unpack(s: LayerSummary): HeadSummary[] {
  const n = s.rows * s.cols;
  return Array.from(s.max, (max, h) => ({ max, thumb: { rows: s.rows, cols: s.cols, data: s.thumbs.subarray(h * n, (h + 1) * n) } }));
}

/**
 * What the engine worker sends with a layer: headSummaries' maxima and thumbnails, and each head's
 * mean row entropy summed exactly as headStats sums it (so the host's statistics are the same
 * numbers it would compute from the probabilities). Kept per probs array: a streamed layer is
 * summarised once, not again when the final result carries it.
 */
export function layerSummary(l: AttentionLayer): LayerSummary {
  const hit = layerCache.get(l.probs);
  if (hit) return hit;
  const heads = headSummaries(l);
  const rows = heads[0]?.thumb.rows ?? 1;
  const cols = heads[0]?.thumb.cols ?? 1;
  const thumbs = new Float32Array(l.heads * rows * cols);
  heads.forEach((h, i) => thumbs.set(h.thumb.data, i * rows * cols));
  const entropy = new Float64Array(l.heads);
  const { queries, keys, probs } = l;
  for (let h = 0; h < l.heads; h++) {
    let e = 0;
    if (l.rowEntropy) {
      for (let i = 0; i < queries; i++) e += l.rowEntropy[h * queries + i];
    } else {
      // headStats' order: row by row, −p·ln p for every positive p.
      for (let c = h * queries * keys, end = c + queries * keys; c < end; c++) {
        const p = probs[c];
        if (p > 0) e -= p * Math.log(p);
      }
    }
    entropy[h] = e / Math.max(queries, 1);
  }
  const out: LayerSummary = { max: Float32Array.from(heads, (h) => h.max), entropy, rows, cols, thumbs };
  layerCache.set(l.probs, out);
  return out;
}

const layerCache = new WeakMap<Float32Array, LayerSummary>();

/** A summary that came across a thread boundary fits its layer (`heads` heads, ≤ 32×32 thumbnails). */
export function isLayerSummary(v: unknown, heads: unknown): v is LayerSummary {
  if (typeof v !== 'object' || v === null || typeof heads !== 'number') return false;
  const s = v as Record<string, unknown>;
  const size = (x: unknown) => Number.isInteger(x) && (x as number) >= 1 && (x as number) <= THUMBNAIL_SIZE;
  return (
    size(s.rows) &&
    size(s.cols) &&
    s.max instanceof Float32Array &&
    s.max.length === heads &&
    s.entropy instanceof Float64Array &&
    s.entropy.length === heads &&
    s.thumbs instanceof Float32Array &&
    s.thumbs.length === heads * (s.rows as number) * (s.cols as number) &&
    (s.stats === undefined || (Array.isArray(s.stats) && s.stats.length === heads && s.stats.every(isHeadStats)))
  );
}

const isNum = (x: unknown) => typeof x === 'number' && Number.isFinite(x);
const isNumOrNull = (x: unknown) => x === null || isNum(x);

function isHeadStats(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return isNum(s.entropy) && isNum(s.max) && isNum(s.toFirst) && isNumOrNull(s.toSep) && isNumOrNull(s.toSelf);
}
