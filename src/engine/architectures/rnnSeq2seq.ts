// RNN encoder–decoder with attention (Bahdanau additive; Luong dot, general, scaled dot).
import { rnnSeq2seqTensors } from '../models/rnnSeq2seq';
import type { ModelOf, RnnSeq2seqConfig } from '../format/loaded';
import { ModelFormatError } from '../format/errors';
import { checkId } from '../format/configChecks';
import { buildRnnRunnable } from '../models/rnnRunnable';
import { count, id, F32, runMemory, type Architecture, type RunMemory, type RunShape } from '../models/architecture';

export const rnnSeq2seq: Architecture<'rnn-seq2seq'> = {
  name: 'rnn-seq2seq',
  configSchema: {
    type: 'object',
    required: ['cell', 'src_vocab_size', 'tgt_vocab_size', 'embed_dim', 'hidden_size', 'score', 'bos_id', 'eos_id'],
    additionalProperties: false,
    properties: {
      cell: { enum: ['gru', 'lstm'] },
      src_vocab_size: count,
      tgt_vocab_size: count,
      embed_dim: count,
      hidden_size: count,
      bidirectional: { type: 'boolean', default: false },
      score: { enum: ['dot', 'general', 'additive', 'scaled-dot'] },
      attention_dim: count,
      bos_id: id,
      eos_id: id,
      max_target_length: { ...count, default: 64 },
    },
    if: { required: ['score'], properties: { score: { const: 'additive' } } },
    then: { required: ['attention_dim'], description: 'required when score is "additive"' },
  },
  readConfig(file, c) {
    // dot and scaled-dot compare s (size H) with h_j (size H_enc): only possible when they match.
    if ((c.score === 'dot' || c.score === 'scaled-dot') && c.bidirectional) {
      throw new ModelFormatError(
        file,
        'config.score',
        `"general" or "additive" for a bidirectional encoder (${c.score} needs hidden_size = encoder output size, here ${c.hidden_size} ≠ ${2 * c.hidden_size}); found "${c.score}"`,
      );
    }
    checkId(file, 'bos_id', c.bos_id, c.tgt_vocab_size, 'tgt_vocab_size');
    checkId(file, 'eos_id', c.eos_id, c.tgt_vocab_size, 'tgt_vocab_size');
    return { ...c };
  },
  vocabSizes: (c) => ({ source: c.src_vocab_size, target: c.tgt_vocab_size }),
  partShapes: () => [{ part: 'cross', layers: 1, heads: 1 }],
  estimateMemory: rnnMemory,
  tensors: rnnSeq2seqTensors,
  build: buildRnnRunnable,
};

/** RNN encoder–decoder (rnnSeq2seq.ts): one attention "layer" of T decoder steps over n states. */
function rnnMemory(model: ModelOf<'rnn-seq2seq'>, s: RunShape): RunMemory {
  const c: RnnSeq2seqConfig = model.config;
  const n = s.source;
  const T = s.target ?? c.max_target_length;
  const Henc = c.hidden_size * (c.bidirectional ? 2 : 1);
  const attention = T * n * 2 * F32; // [T, n] probs + scores
  const working =
    attention + // per-step rows before they are concatenated
    n * Henc * F32 * 2 + // encoder states (and one direction's pass)
    n * (c.attention_dim ?? 0) * F32 + // W1·h_j for the additive score
    T * c.hidden_size * F32 * 2 + // decoder states, rows + concatenated
    (c.tgt_vocab_size + c.embed_dim + Henc * 2) * F32; // one step's logits and inputs
  return runMemory({ attention, traces: 0, working });
}
