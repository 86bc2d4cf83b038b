// Head ↔ weights: the Frobenius norm of each head's slice of W_Q, W_K, W_V (its d_head rows of the
// [d_model, d_model] projection) and of W_O (its d_head columns), read from the loaded weights
// under the canonical names, so every format (project JSON inline or sidecar, HF folders) gets
// them. A large ‖W_O‖ slice says the head writes strongly into the residual stream.
import { toFloat32 } from './weights';
import type { LoadedModel } from './format/loaded';
import type { AttentionLayer, HeadWeightNorms, Part } from './types';

const cache = new WeakMap<LoadedModel, Map<string, HeadWeightNorms | null>>();

/** Row-block norms (q, k, v: [heads·d_head, in]) or column-block norms (o: [out, heads·d_head]). */
export function sliceNorms(w: Float32Array, rows: number, cols: number, heads: number, byColumn: boolean): number[] | undefined {
  const span = byColumn ? cols : rows;
  if (heads <= 0 || span % heads !== 0 || w.length !== rows * cols) return undefined;
  const dh = span / heads;
  const sums = new Float64Array(heads);
  // Each head's run of dh columns (or its rows) summed in a register: no division per element
  // (this ran on every cold run, ~100 ms for BERT-base's 28M projection weights).
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    if (byColumn) {
      for (let h = 0; h < heads; h++) {
        let s = 0;
        for (let c = base + h * dh, end = c + dh; c < end; c++) s += w[c] * w[c];
        sums[h] += s;
      }
    } else {
      let s = 0;
      for (let c = base, end = base + cols; c < end; c++) s += w[c] * w[c];
      sums[Math.floor(r / dh)] += s;
    }
  }
  return Array.from(sums, Math.sqrt);
}

function tensorPrefix(part: Part, layer: number, sharedLayer: boolean): string {
  // A shared layer (Universal Transformer) is recorded once per recurrence step; all read layer 0.
  const l = sharedLayer ? 0 : layer;
  return `${part === 'encoder' ? 'encoder' : 'decoder'}.layers.${l}.${part === 'cross' ? 'cross_attn' : 'self_attn'}`;
}

/**
 * Norms of one attention layer's heads, where its projections exist under the canonical names (else null).
 * `sharedLayer`: every recorded layer is layer 0 applied again (the architecture's descriptor says).
 */
export function layerWeightNorms(
  model: LoadedModel,
  part: Part,
  layer: number,
  heads: number,
  sharedLayer = false,
): HeadWeightNorms | null {
  let byLayer = cache.get(model);
  if (!byLayer) cache.set(model, (byLayer = new Map()));
  const key = `${part}/${layer}/${heads}`;
  let n = byLayer.get(key);
  if (n === undefined) {
    const prefix = tensorPrefix(part, layer, sharedLayer);
    const weight = (p: 'q' | 'k' | 'v' | 'o') => {
      const t = model.weights.get(`${prefix}.${p}.weight`);
      return t && t.shape.length === 2 ? t : undefined;
    };
    // GQA/MQA: K and V have fewer rows than Q (kv_heads × d_head); each query head gets the norm
    // of the K/V head it shares.
    const qRows = weight('q')?.shape[0];
    const of = (p: 'q' | 'k' | 'v' | 'o') => {
      const t = weight(p);
      if (!t) return undefined;
      if (p === 'o') return sliceNorms(toFloat32(t.data), t.shape[0], t.shape[1], heads, true);
      const kv = qRows !== undefined && qRows % heads === 0 && t.shape[0] < qRows ? t.shape[0] / (qRows / heads) : heads;
      if (!Number.isInteger(kv) || kv <= 0 || heads % kv !== 0) return undefined;
      const norms = sliceNorms(toFloat32(t.data), t.shape[0], t.shape[1], kv, false);
      return norms && (kv === heads ? norms : Array.from({ length: heads }, (_, h) => norms[Math.floor((h * kv) / heads)]));
    };
    const q = of('q'),
      k = of('k'),
      v = of('v'),
      o = of('o');
    n = q || k || v || o ? { part, layer, ...(q && { q }), ...(k && { k }), ...(v && { v }), ...(o && { o }) } : null;
    byLayer.set(key, n);
  }
  return n;
}

/** Norms for each recorded attention layer whose projections exist under the canonical names. */
export function headWeightNorms(model: LoadedModel, attentions: readonly AttentionLayer[], sharedLayer = false): HeadWeightNorms[] {
  return attentions
    .map((a) => layerWeightNorms(model, a.part, a.layer, a.heads, sharedLayer))
    .filter((n): n is HeadWeightNorms => n !== null);
}
