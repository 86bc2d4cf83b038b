// The KV-cache check (used by test/unit/engine/decoderSession.test.ts only, so it lives with the
// tests): decoding one token at a time through a session's KV cache must give what a full
// recompute gives — one causal pass over the whole sequence that keeps no cache (decodeFull). Both
// the attention rows and the next-token logits are compared, step by step, so a wrong cached key,
// value or position shows up in either.
import type { Recorder } from '../../src/engine/models/transformerLayer';
import type { TransformerModel } from '../../src/engine/models/transformer';

export interface StepDiscrepancy {
  /** Largest |cached − recomputed| over this step's self- and cross-attention rows, every layer and head. */
  attention: number;
  /** Largest |cached − recomputed| over this step's [vocab] next-token logits. */
  logits: number;
}

export interface KVCacheDiscrepancy extends StepDiscrepancy {
  /** One entry per decoded token; the fields above are their maxima. */
  steps: StepDiscrepancy[];
}

/**
 * Steps the decoder through `ids` (decoder-only) or `targetIds` (encoder–decoder, over the
 * encoding of `ids`) with the KV cache and compares each step with row `step` of the recompute.
 */
export function kvCacheDiscrepancy(t: TransformerModel, ids: number[], targetIds: number[]): KVCacheDiscrepancy {
  const encDec = t.cfg.kind === 'encoder-decoder';
  const memory = encDec ? t.encode(ids) : undefined;
  const seq = encDec ? targetIds : ids;
  const rec: Recorder = { attentions: [], addNorm: [] };
  const hidden = t.decodeFull(seq, memory, rec);
  const full = t.logits(hidden, seq.length); // [n, vocab]
  const vocab = full.length / seq.length;
  const session = t.session(memory);
  const steps: StepDiscrepancy[] = [];
  try {
    seq.forEach((id, step) => {
      const r = session.step(id);
      let attention = 0;
      const compare = (part: 'decoder' | 'cross', rows: Float32Array[]) =>
        rows.forEach((row, layer) => {
          const ref = rec.attentions.find((a) => a.part === part && a.layer === layer)!; // probs [heads, n, keys]
          const width = row.length / ref.heads; // keys the step saw: step + 1, or the source length
          for (let h = 0; h < ref.heads; h++) {
            for (let j = 0; j < ref.keys; j++) {
              const cached = j < width ? row[h * width + j] : 0; // keys not yet seen: probability 0
              attention = Math.max(attention, Math.abs(cached - ref.probs[(h * ref.queries + step) * ref.keys + j]));
            }
          }
        });
      compare('decoder', r.self);
      if (r.cross) compare('cross', r.cross);
      let logits = 0;
      for (let j = 0; j < vocab; j++) logits = Math.max(logits, Math.abs(r.logits[j] - full[step * vocab + j]));
      steps.push({ attention, logits });
      session.recycle(r);
    });
  } finally {
    session.close();
    t.release(hidden, full, ...(memory ? [memory] : []));
  }
  const worst = (key: keyof StepDiscrepancy) => Math.max(0, ...steps.map((s) => s[key]));
  return { attention: worst('attention'), logits: worst('logits'), steps };
}
