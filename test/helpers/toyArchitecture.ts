// A toy architecture, written exactly as docs/adding-an-architecture.md shows: one file with
// its config type, config schema, memory estimate, builder and descriptor. In the product it would
// be src/engine/architectures/toyAttention.ts plus one line in BUILT_IN (src/engine/models/registry.ts);
// the tests register it at run time instead (registerToy.ts), the same one line.
//
// The model: token embeddings E, and one layer of multi-head self-attention whose queries and
// keys are the embeddings themselves: score_h(i, j) = E_h[id_i] · E_h[id_j] / √d_head.
import type { ModelOf } from '../../src/engine/format/loaded';
import { checkHeads } from '../../src/engine/format/configChecks';
import { InputError } from '../../src/engine/format/errors';
import { checkpoint } from '../../src/engine/control';
import { causalMask, scaledDotProductAttention } from '../../src/engine/attention';
import { count, F32, runMemory, type Architecture } from '../../src/engine/models/architecture';
import { TensorReader, type TensorSpec } from '../../src/engine/models/tensorReader';
import type { RunnableModel } from '../../src/engine/models/runnable';

/** The config as the file gives it (defaults filled in by the schema). */
export interface ToyConfig {
  vocab_size: number;
  d_model: number;
  heads: number;
  causal: boolean;
}

// The name model files use, and its config type: this makes ModelOf<'toy-attention'> typed.
declare module '../../src/engine/format/loaded' {
  interface ArchitectureConfigs {
    'toy-attention': ToyConfig;
  }
}

/** Every tensor the builder reads, with its shape: the file is checked against this before building. */
function toyTensors(c: ToyConfig): TensorSpec[] {
  return [{ name: 'embed.tokens', shape: [c.vocab_size, c.d_model] }];
}

function buildToy(model: ModelOf<'toy-attention'>): RunnableModel {
  const c = model.config;
  const r = new TensorReader(model, toyTensors(c)); // missing, misshapen or extra tensors: ModelFormatError
  const E = r.get('embed.tokens', [c.vocab_size, c.d_model]); // [vocab, d]
  r.finish(); // the builder read every listed tensor (a check of this file, not of the model file)
  return {
    kind: c.causal ? 'toy causal attention' : 'toy attention',
    parameters: r.parameterCount(),
    hasTarget: false,
    details: { d_model: c.d_model, heads: c.heads, causal: c.causal, vocab_size: c.vocab_size },
    run(ids, opts, ctl) {
      if (opts.targetIds) throw new InputError('target_ids', 'the toy model has no target side');
      if (ids.length === 0) throw new InputError('ids', 'at least one token is needed');
      checkpoint(ctl, 0, 1, 'toy attention'); // throws CancelledError once the run is cancelled
      const n = ids.length;
      const d = c.d_model;
      const x = new Float32Array(n * d); // [n, d]
      ids.forEach((id, i) => {
        if (!Number.isInteger(id) || id < 0 || id >= c.vocab_size) {
          throw new InputError(`ids[${i}]`, `an id below ${c.vocab_size}; found ${id}`);
        }
        x.set(E.subarray(id * d, (id + 1) * d), i * d);
      });
      const mask = c.causal ? causalMask(n, n) : undefined; // key j > query i → hidden
      const att = scaledDotProductAttention(x, x, x, n, n, c.heads, d / c.heads, mask); // q = k = v = x
      const { probs, scores } = att; // [heads, n, n]
      const layer = { part: 'encoder' as const, layer: 0, heads: c.heads, queries: n, keys: n, probs, scores, mask };
      return { targetIds: [], attentions: [layer], addNorm: [] };
    },
  };
}

export const toyAttention: Architecture<'toy-attention'> = {
  name: 'toy-attention',
  configSchema: {
    type: 'object',
    required: ['vocab_size', 'd_model'],
    additionalProperties: false,
    properties: {
      vocab_size: count,
      d_model: count,
      heads: { ...count, default: 1 },
      causal: { type: 'boolean', default: false },
    },
  },
  readConfig(file, c) {
    checkHeads(file, c.d_model, c.heads);
    return c;
  },
  vocabSizes: (c) => ({ source: c.vocab_size, target: c.vocab_size }),
  partShapes: (c) => [{ part: 'encoder', layers: 1, heads: c.heads }],
  estimateMemory(model, s) {
    const { heads, d_model: d } = model.config;
    const n = s.source;
    return runMemory({ attention: heads * n * n * (2 * F32 + 1), traces: 0, working: 2 * n * d * F32 });
  },
  tensors: toyTensors,
  build: buildToy,
};
