// T-DMCA decoder: local (block-causal) and memory-compressed (strided conv over K, V) layers.
import type { ModelOf, TdmcaConfig } from '../format/loaded';
import { checkComputedTable, checkHeads } from '../format/configChecks';
import { compressedLength } from '../models/tdmcaAttention';
import { buildTdmca, tdmcaTensors } from '../models/tdmca';
import { count, F32, runMemory, type Architecture, type RunMemory, type RunShape } from '../models/architecture';

export const tdmca: Architecture<'tdmca'> = {
  name: 'tdmca',
  configSchema: {
    type: 'object',
    required: ['vocab_size', 'd_model', 'heads', 'd_ff', 'activation', 'layers', 'block_size'],
    additionalProperties: false,
    properties: {
      vocab_size: count,
      d_model: count,
      heads: count,
      d_ff: count,
      activation: { enum: ['relu', 'gelu', 'gelu_new', 'swish'] },
      norm: { enum: ['post', 'pre'], default: 'pre' },
      layer_norm_eps: { type: 'number', exclusiveMinimum: 0, default: 1e-5 },
      positions: { enum: ['sinusoidal', 'learned', 'none'], default: 'sinusoidal' },
      max_positions: { ...count, default: 512 },
      layers: { type: 'array', minItems: 1, items: { enum: ['local', 'compressed'] } },
      block_size: count,
      compression: { ...count, default: 3 },
      final_norm: { type: 'boolean', default: true },
    },
  },
  readConfig(file, c) {
    checkHeads(file, c.d_model, c.heads);
    if (c.positions === 'sinusoidal') checkComputedTable(file, 'config.max_positions', c.max_positions, c.d_model);
    return { ...c };
  },
  vocabSizes: (c) => ({ source: c.vocab_size, target: c.vocab_size }),
  partShapes: (c) => [{ part: 'decoder', layers: c.layers.length, heads: c.heads }],
  estimateMemory: tdmcaMemory,
  tensors: tdmcaTensors,
  build: buildTdmca,
  viewKinds: ['tdmca'],
};

/**
 * T-DMCA (tdmca.ts): local layers attend over all n keys under a block mask; memory-compressed
 * layers over ⌈n / compression⌉ strided-convolution keys. The app view repeats the compressed
 * layers' probabilities as JS numbers.
 */
function tdmcaMemory(model: ModelOf<'tdmca'>, s: RunShape): RunMemory {
  const c: TdmcaConfig = model.config;
  const n = s.source;
  const m = compressedLength(n, c.compression);
  let attention = 0;
  let app = 0;
  for (const type of c.layers) {
    const keys = type === 'local' ? n : m;
    attention += c.heads * n * keys * 2 * F32 + n * keys; // probs + scores, and the mask
    if (type === 'compressed') app += c.heads * n * keys * 8;
  }
  const traces = c.layers.length * 2 * 3 * n * F32 + app;
  const working = n * (c.d_ff + 6 * c.d_model) * F32 + n * c.vocab_size * F32;
  return runMemory({ attention, traces, working });
}
