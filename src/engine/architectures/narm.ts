// NARM session recommender: GRU session encoder, global + local attention, bilinear decoder.
import type { ModelOf, NarmConfig } from '../format/loaded';
import { buildNarmRunnable, narmTensors } from '../models/narm';
import { count, F32, runMemory, type Architecture, type RunMemory, type RunShape } from '../models/architecture';

export const narm: Architecture<'narm'> = {
  name: 'narm',
  configSchema: {
    type: 'object',
    required: ['vocab_size', 'embed_dim', 'hidden_size'],
    additionalProperties: false,
    properties: {
      vocab_size: { ...count, description: 'number of items' },
      embed_dim: count,
      hidden_size: count,
      top_k: { ...count, default: 5 },
    },
  },
  vocabSizes: (c) => ({ source: c.vocab_size, target: c.vocab_size }),
  partShapes: () => [{ part: 'encoder', layers: 1, heads: 1 }],
  estimateMemory: narmMemory,
  tensors: narmTensors,
  build: buildNarmRunnable,
  viewKinds: ['narm'],
};

/** NARM (narm.ts): α at every prefix [n, n] (+ mask), GRU states, item scores for the last prefix. */
function narmMemory(model: ModelOf<'narm'>, s: RunShape): RunMemory {
  const c: NarmConfig = model.config;
  const n = s.source;
  const attention = n * n * (2 * F32 + 1);
  const working = n * (c.embed_dim + 4 * c.hidden_size) * F32 + 2 * c.vocab_size * F32 + n * n * 8;
  return runMemory({ attention, traces: 0, working });
}
