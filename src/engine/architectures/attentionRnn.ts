// Attention RNN for melodies: an LSTM attending over its last attn_length outputs.
import type { AttentionRnnConfig, ModelOf } from '../format/loaded';
import { buildAttentionRnnRunnable, attentionRnnTensors } from '../models/attentionRnn';
import { count, F32, runMemory, type Architecture, type RunMemory, type RunShape } from '../models/architecture';

export const attentionRnn: Architecture<'attention-rnn'> = {
  name: 'attention-rnn',
  configSchema: {
    type: 'object',
    required: ['vocab_size', 'embed_dim', 'hidden_size', 'attention_dim', 'attn_length'],
    additionalProperties: false,
    properties: {
      vocab_size: count,
      embed_dim: count,
      hidden_size: count,
      attention_dim: count,
      attn_length: { ...count, description: 'how many previous steps each step attends over' },
      generate_steps: { type: 'integer', minimum: 0, default: 32 },
    },
  },
  vocabSizes: (c) => ({ source: c.vocab_size, target: c.vocab_size }),
  partShapes: () => [{ part: 'decoder', layers: 1, heads: 1 }],
  estimateMemory: attentionRnnMemory,
  tensors: attentionRnnTensors,
  build: buildAttentionRnnRunnable,
  viewKinds: ['music'],
};

/**
 * Melody attention RNN (attentionRnn.ts): the primer plus generate_steps notes, T in all; it keeps
 * a [T, T] probability, score and mask matrix (the window is stored inside the full square), so
 * memory grows with T² — a file's generate_steps of 10⁶ asks for terabytes.
 */
function attentionRnnMemory(model: ModelOf<'attention-rnn'>, s: RunShape): RunMemory {
  const c: AttentionRnnConfig = model.config;
  const T = s.source + c.generate_steps;
  const attention = T * T * (2 * F32 + 1);
  const traces = T * F32 + T * 128; // per-step probability, and the app view's note objects (JS heap)
  const working = T * (c.hidden_size + c.attention_dim) * F32 + (2 * c.vocab_size + c.embed_dim + 6 * c.hidden_size) * F32;
  return runMemory({ attention, traces, working });
}
