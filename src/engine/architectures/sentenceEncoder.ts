// Sentence encoder (Universal Sentence Encoder Lite): pre-LN encoder, mean-pooled embedding.
import type { ModelOf, SentenceEncoderConfig } from '../format/loaded';
import { checkComputedTable, checkHeads } from '../format/configChecks';
import { SENTENCE_EMBEDDING } from '../../../common/archViews/sentence-embedding';
import { buildSentenceEncoder, sentenceEncoderTensors } from '../models/sentenceEncoder';
import { count, F32, runMemory, type Architecture, type RunMemory, type RunShape } from '../models/architecture';

export const sentenceEncoder: Architecture<'sentence-encoder'> = {
  name: 'sentence-encoder',
  configSchema: {
    type: 'object',
    required: ['vocab_size', 'embed_dim', 'd_model', 'heads', 'd_ff', 'layers'],
    additionalProperties: false,
    properties: {
      vocab_size: count,
      embed_dim: count,
      d_model: count,
      heads: count,
      d_ff: count,
      layers: count,
      activation: { enum: ['relu', 'gelu', 'gelu_new', 'swish'], default: 'relu' },
      layer_norm_eps: { type: 'number', exclusiveMinimum: 0, default: 1e-6 },
      max_positions: { ...count, default: 128 },
      positions: { enum: ['t2t-timing'], default: 't2t-timing' },
      embedding_scale: { type: 'number', default: 1 },
    },
  },
  readConfig(file, c) {
    checkHeads(file, c.embed_dim, c.heads);
    checkHeads(file, c.d_model, c.heads);
    checkComputedTable(file, 'config.max_positions', c.max_positions, c.embed_dim);
    return { ...c };
  },
  vocabSizes: (c) => ({ source: c.vocab_size, target: c.vocab_size }),
  partShapes: (c) => [{ part: 'encoder', layers: c.layers, heads: c.heads }],
  estimateMemory: sentenceEncoderMemory,
  tensors: sentenceEncoderTensors,
  build: buildSentenceEncoder,
  viewKinds: [SENTENCE_EMBEDDING],
};

/** Sentence encoder (sentenceEncoder.ts): a pre-LN encoder plus the pooled embedding. */
function sentenceEncoderMemory(model: ModelOf<'sentence-encoder'>, s: RunShape): RunMemory {
  const c: SentenceEncoderConfig = model.config;
  const n = s.source;
  const attention = c.layers * c.heads * n * n * 2 * F32;
  const traces = c.layers * 2 * 3 * n * F32 + n * c.d_model * F32; // Add & Norm norms, timing signal
  const working = n * (c.d_ff + 7 * c.d_model + c.embed_dim) * F32;
  return runMemory({ attention, traces, working });
}
