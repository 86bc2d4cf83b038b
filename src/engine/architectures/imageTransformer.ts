// Image Transformer: a decoder over pixels with local 1D or 2D self-attention.
import type { ImageTransformerConfig, ModelOf } from '../format/loaded';
import { IMAGE_TRANSFORMER } from '../../../common/archViews/image-transformer';
import { buildImageTransformer, imageTransformerTensors } from '../models/imageTransformer';
import { count, F32, runMemory, type Architecture, type RunMemory, type RunShape } from '../models/architecture';

export const imageTransformer: Architecture<'image-transformer'> = {
  name: 'image-transformer',
  configSchema: {
    type: 'object',
    required: ['vocab_size', 'height', 'width', 'd_model', 'heads', 'd_ff', 'layers', 'attention'],
    additionalProperties: false,
    properties: {
      vocab_size: count,
      height: count,
      width: count,
      d_model: count,
      heads: count,
      d_ff: count,
      layers: count,
      activation: { enum: ['relu', 'gelu', 'gelu_new', 'swish'], default: 'relu' },
      norm: { enum: ['post', 'pre'], default: 'post' },
      layer_norm_eps: { type: 'number', exclusiveMinimum: 0, default: 1e-5 },
      final_norm: { type: 'boolean', default: false },
      attention: { enum: ['local-1d', 'local-2d'] },
      query_length: count,
      memory_length: { type: 'integer', minimum: 0 },
      query_height: count,
      query_width: count,
      memory_above: { type: 'integer', minimum: 0 },
      memory_left: { type: 'integer', minimum: 0 },
      memory_right: { type: 'integer', minimum: 0 },
      palette: {
        type: 'array',
        items: { type: 'array', minItems: 3, maxItems: 3, items: { type: 'integer', minimum: 0, maximum: 255 } },
      },
    },
    allOf: [
      {
        if: { required: ['attention'], properties: { attention: { const: 'local-1d' } } },
        then: {
          required: ['query_length', 'memory_length'],
          properties: {
            query_height: { not: {}, description: 'a local-2d field; local-1d uses query_length' },
            query_width: { not: {}, description: 'a local-2d field; local-1d uses query_length' },
            memory_above: { not: {}, description: 'a local-2d field; local-1d uses memory_length' },
            memory_left: { not: {}, description: 'a local-2d field; local-1d uses memory_length' },
            memory_right: { not: {}, description: 'a local-2d field; local-1d uses memory_length' },
          },
          description: 'required when attention is "local-1d"',
        },
      },
      {
        if: { required: ['attention'], properties: { attention: { const: 'local-2d' } } },
        then: {
          required: ['query_height', 'query_width', 'memory_above', 'memory_left', 'memory_right'],
          properties: {
            query_length: { not: {}, description: 'a local-1d field; local-2d uses query_height × query_width' },
            memory_length: { not: {}, description: 'a local-1d field; local-2d uses memory_above/left/right' },
          },
          description: 'required when attention is "local-2d"',
        },
      },
    ],
  },
  vocabSizes: (c) => ({ source: c.vocab_size, target: c.vocab_size }),
  partShapes: (c) => [{ part: 'decoder', layers: c.layers, heads: c.heads }],
  estimateMemory: imageTransformerMemory,
  tensors: imageTransformerTensors,
  build: buildImageTransformer,
  viewKinds: [IMAGE_TRANSFORMER],
};

/** Image Transformer (imageTransformer.ts): [heads, n, n] per layer over the pixels (keys outside the memory block masked). */
function imageTransformerMemory(model: ModelOf<'image-transformer'>, s: RunShape): RunMemory {
  const c: ImageTransformerConfig = model.config;
  const n = Math.max(s.source, 1);
  const attention = c.layers * (c.heads * n * n * 2 * F32 + n * n);
  const traces = c.layers * 2 * 3 * n * F32;
  const working = n * (c.d_ff + 6 * c.d_model) * F32 + n * c.vocab_size * F32;
  return runMemory({ attention, traces, working });
}
