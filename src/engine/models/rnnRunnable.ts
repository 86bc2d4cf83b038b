// The RNN encoder–decoder as the engine runs it.
import type { LoadedModel } from '../format/loaded';
import type { Kernels } from '../kernels/reference';
import type { RunnableModel } from './runnable';
import { buildRnnSeq2seq } from './rnnSeq2seq';

export function buildRnnRunnable(model: LoadedModel & { architecture: 'rnn-seq2seq' }, kernels?: Kernels): RunnableModel {
  const rnn = buildRnnSeq2seq(model, kernels);
  const c = rnn.config;
  return {
    kind: `${c.cell.toUpperCase()} encoder–decoder`,
    parameters: rnn.parameters,
    hasTarget: true,
    decoderStartId: c.bos_id,
    scores: rnn.switchableScores(), // what the inspector's switch offers; a run's `score` may pick any available
    details: {
      cell: c.cell,
      bidirectional: c.bidirectional,
      score: c.score,
      embed_dim: c.embed_dim,
      hidden_size: c.hidden_size,
      encoder_states: rnn.encoderSize,
      src_vocab_size: c.src_vocab_size,
      tgt_vocab_size: c.tgt_vocab_size,
    },
    run: (ids, opts, ctl) => {
      const out = rnn.run({ ids, targetIds: opts.targetIds, score: opts.score, withQK: !!opts.withQKV }, ctl);
      const { targetIds, attentions, addNorm, predicted, qkv } = out;
      return { targetIds, attentions, addNorm, predicted, qkv };
    },
  };
}
