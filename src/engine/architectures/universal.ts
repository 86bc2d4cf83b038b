// Universal Transformer encoder: one shared layer applied recurrently, ACT halting per token.
import type { ModelOf, UniversalConfig } from '../format/loaded';
import { checkComputedTable, checkHeads } from '../format/configChecks';
import { buildUniversal, universalTensors } from '../models/universal';
import { count, F32, runMemory, type Architecture, type RunMemory, type RunShape } from '../models/architecture';

export const universal: Architecture<'universal'> = {
  name: 'universal',
  configSchema: {
    type: 'object',
    required: ['vocab_size', 'd_model', 'heads', 'd_ff', 'activation', 'max_steps'],
    additionalProperties: false,
    properties: {
      vocab_size: count,
      d_model: count,
      heads: count,
      d_ff: count,
      activation: { enum: ['relu', 'gelu', 'gelu_new', 'swish'] },
      norm: { enum: ['post', 'pre'], default: 'post' },
      layer_norm_eps: { type: 'number', exclusiveMinimum: 0, default: 1e-5 },
      max_positions: { ...count, default: 512 },
      max_steps: count,
      halting_threshold: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 0.99 },
      final_norm: { type: 'boolean', default: false },
    },
  },
  readConfig(file, c) {
    checkHeads(file, c.d_model, c.heads);
    checkComputedTable(file, 'config.max_positions', c.max_positions, c.d_model);
    checkComputedTable(file, 'config.max_steps', c.max_steps, c.d_model);
    return { ...c };
  },
  vocabSizes: (c) => ({ source: c.vocab_size, target: c.vocab_size }),
  partShapes: (c) => [{ part: 'encoder', layers: c.max_steps, heads: c.heads }],
  estimateMemory: universalMemory,
  tensors: universalTensors,
  build: buildUniversal,
  viewKinds: ['universal'],
  sharedLayer: true,
};

/**
 * Universal Transformer (universal.ts): the shared layer runs up to max_steps times, recorded as
 * one encoder layer per step. ACT may halt earlier, so this is the most the run can need.
 */
function universalMemory(model: ModelOf<'universal'>, s: RunShape): RunMemory {
  const c: UniversalConfig = model.config;
  const n = s.source;
  const T = c.max_steps;
  const attention = T * c.heads * n * n * 2 * F32;
  const traces = T * 2 * 3 * n * F32; // Add & Norm of attention and FFN per step
  const act = 2 * T * n * 8 + 3 * n * 8; // halting and weight rows (JS numbers) and per-token results
  const working = n * (c.d_ff + 9 * c.d_model) * F32 + n * c.vocab_size * F32; // one step + state, input, output; logits
  return runMemory({ attention, traces: traces + act, working });
}
