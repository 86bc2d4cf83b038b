// The transformer as the engine runs it: which stacks run for each kind, greedy decoding for
// encoder–decoder models without a target.
import type { LoadedModel } from '../format/loaded';
import type { Kernels } from '../kernels/reference';
import { InputError } from '../format/errors';
import { checkpoint, type RunControl } from '../control';
import { recorder } from './transformerLayer';
import { argmaxRows, TransformerModel } from './transformer';
import type { ModelOutput, RunnableModel, RunOptions } from './runnable';
import { findMaskToken, mlmView } from './mlmView';

type Model = LoadedModel & { architecture: 'transformer' };

export function buildTransformer(model: Model, kernels?: Kernels): RunnableModel & { model: TransformerModel } {
  const t = new TransformerModel(model, kernels);
  const c = t.cfg;
  // An encoder with its own LM head is a masked LM: it shows its guesses at each mask token.
  const tok = model.sourceTokenizer;
  const mask = c.kind === 'encoder' && t.hasOwnHead ? findMaskToken(tok) : undefined;
  const mlm =
    mask && ((logits: Float32Array, ids: number[]) => mlmView(logits, ids, c.vocab_size, mask, (id) => (tok ? tok.token(id) : String(id))));
  return {
    model: t,
    kind: c.kind,
    parameters: t.parameters,
    hasTarget: c.kind === 'encoder-decoder',
    decoderStartId: c.decoder_start_id ?? c.bos_id,
    details: {
      kind: c.kind,
      d_model: c.d_model,
      heads: c.heads,
      d_ff: c.d_ff,
      encoder_layers: c.encoder_layers,
      decoder_layers: c.decoder_layers,
      activation: c.activation,
      norm: `${c.norm}-LN`,
      positions: c.positions,
      vocab_size: c.vocab_size,
    },
    run: (ids, opts, ctl) => runTransformer(t, ids, opts, ctl, mlm),
  };
}

type MlmView = (logits: Float32Array, ids: number[]) => ModelOutput['app'];

function runTransformer(t: TransformerModel, ids: number[], opts: RunOptions, ctl: RunControl, mlm?: MlmView): ModelOutput {
  const c = t.cfg;
  const rec = recorder(opts.withQKV);
  const pe = t.positionalEncoding();
  const positions = Math.min(c.max_positions, Math.max(ids.length + (opts.generate ?? 0), opts.targetIds?.length ?? 0, 1));
  const positional = pe && { positions, dims: c.d_model, scheme: c.positions, data: pe.slice(0, positions * c.d_model) };
  if (ids.length === 0) throw new InputError('ids', 'at least one token is needed');

  if (c.kind === 'encoder') {
    if (opts.targetIds) throw new InputError('target_ids', 'an encoder-only model has no target side');
    const h = t.encode(ids, rec, ctl);
    if (!t.hasOwnHead) {
      t.release(h);
      return { targetIds: [], ...rec, positional };
    }
    // A masked-LM encoder (own lm_head) shows its guess for every position, [MASK] included.
    const logits = t.logits(h, ids.length); // [n, vocab]
    const app = mlm?.(logits, ids);
    const predicted = argmaxRows(logits, ids.length);
    t.release(h, logits);
    return { targetIds: [], ...rec, positional, predicted, ...(app ? { app } : {}) };
  }
  if (c.kind === 'decoder') {
    // Decoder-only: the input is the whole (causal) sequence.
    if (opts.targetIds) throw new InputError('target_ids', 'a decoder-only model takes its whole sequence as ids');
    const generated = opts.generate ? continueGreedily(t, ids, opts.generate, ctl) : undefined;
    // The recorded pass runs over prompt + generated: under the causal mask each generated token's
    // row is what it attended to when it was generated (the KV-cache steps equal the full pass).
    const all = generated ? [...ids, ...generated] : ids;
    const h = t.decodeFull(all, undefined, rec, ctl);
    return { targetIds: [], ...rec, positional, predicted: predictions(t, h, all.length), ...(generated ? { generated } : {}) };
  }
  const memory = t.encode(ids, rec, ctl);
  const targetIds = opts.targetIds ?? greedyDecode(t, memory, ctl);
  if (targetIds.length === 0) throw new InputError('target_ids', 'at least one decoder input is needed');
  const h = t.decodeFull(targetIds, memory, rec, ctl);
  t.release(memory);
  return { targetIds, ...rec, positional, predicted: predictions(t, h, targetIds.length) };
}

/** Argmax of each row's logits; the hidden states and logits are dead after. */
function predictions(t: TransformerModel, h: Float32Array, rows: number): number[] {
  const logits = t.logits(h, rows); // [rows, vocab]
  const out = argmaxRows(logits, rows);
  t.release(h, logits);
  return out;
}

/** A decoder-only model's greedy continuation of `prompt` over the KV cache, up to `steps` ids or EOS (kept). */
function continueGreedily(t: TransformerModel, prompt: number[], steps: number, ctl: RunControl): number[] {
  const c = t.cfg;
  if (prompt.length + steps > c.max_positions) {
    throw new InputError('generate', `${prompt.length} + ${steps} tokens is over the model's ${c.max_positions} positions`);
  }
  const session = t.session();
  const out: number[] = [];
  try {
    let next = -1;
    for (const id of [...prompt, ...Array<number>(steps)]) {
      checkpoint(ctl, session.length, prompt.length + steps, `generating: position ${session.length + 1}`);
      const r = session.step(session.length < prompt.length ? id : next, ctl);
      next = argmaxRows(r.logits, 1)[0];
      session.recycle(r);
      if (session.length < prompt.length) continue;
      out.push(next);
      if (next === c.eos_id || out.length === steps) break;
    }
  } finally {
    session.close();
  }
  return out;
}

/** Greedy decoding with the KV cache: start token, then argmax until EOS or the length limit. */
export function greedyDecode(t: TransformerModel, memory: Float32Array, ctl: RunControl): number[] {
  const c = t.cfg;
  const start = c.decoder_start_id ?? c.bos_id;
  if (start === undefined) throw new InputError('target_ids', 'this model names no decoder_start_id or bos_id; give target ids');
  const max = Math.min(c.max_target_length ?? 64, c.max_positions);
  const session = t.session(memory);
  const out = [start];
  try {
    for (let step = 0; step < max - 1; step++) {
      checkpoint(ctl, step, max, `decoding token ${step + 1}`);
      const r = session.step(out[out.length - 1], ctl);
      const next = argmaxRows(r.logits, 1)[0];
      session.recycle(r); // only the argmax is kept: the next run's same step reuses these arrays
      if (next === c.eos_id) break;
      out.push(next);
    }
  } finally {
    session.close();
  }
  return out;
}
