// Modern Hugging Face decoders (llama, mistral, qwen2/3, gemma 1–3, phi3, gpt_neox, olmo2): RMSNorm
// or LayerNorm, RoPE, GQA/MQA, gated MLPs, per-layer sliding windows. Their configs come from a
// Hugging Face folder (format/hfDecoders.ts maps config.json onto HfDecoderConfig), never from a
// project model file.
import type { HfDecoderConfig, ModelOf } from '../format/loaded';
import { buildHfDecoder, hfDecoderTensors } from '../models/hfDecoder';
import { F32, runMemory, type Architecture, type RunMemory, type RunShape } from '../models/architecture';

export const hfDecoder: Architecture<'hf-decoder'> = {
  name: 'hf-decoder',
  // Nothing validates: a project file naming this architecture gets the description as its error.
  configSchema: {
    not: {},
    description: 'hf-decoder models are opened from a Hugging Face folder (config.json + model.safetensors), not from a project model file',
  },
  vocabSizes: (c) => ({ source: c.vocab_size, target: c.vocab_size }),
  partShapes: (c) => [{ part: 'decoder', layers: c.layers, heads: c.heads, ...(c.kv_heads < c.heads ? { kvHeads: c.kv_heads } : {}) }],
  estimateMemory: hfDecoderMemory,
  tensors: hfDecoderTensors,
  build: buildHfDecoder,
};

/** [H, n, n] per layer (+ mask), q/k/v and K/V repeated per query head, logits. */
function hfDecoderMemory(model: ModelOf<'hf-decoder'>, s: RunShape): RunMemory {
  const c: HfDecoderConfig = model.config;
  const n = Math.max(s.source, 1);
  const attention = c.layers * (c.heads * n * n * 2 * F32 + n * n);
  const traces = c.layers * 2 * 3 * n * F32 + (s.withQKV ? c.layers * 3 * n * c.heads * c.head_dim * F32 : 0);
  const working = n * (3 * c.d_ff + 6 * c.d_model + 5 * c.heads * c.head_dim) * F32 + n * c.vocab_size * F32;
  return runMemory({ attention, traces, working });
}
