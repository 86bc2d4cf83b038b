// Hugging Face vision transformers (vit, deit): patch embedding, [CLS] (+ DeiT's [DIST]), learned
// positions, pre-LN encoder layers. Their configs come from a Hugging Face folder
// (format/hfVision.ts maps config.json and preprocessor_config.json onto VitConfig), never from a
// project model file.
import type { ModelOf } from '../format/loaded';
import type { VitConfig } from '../format/hfVision';
import { buildVit, vitTensors } from '../models/vit';
import { VIT_IMAGE } from '../../../common/archViews/vit-image';
import { F32, runMemory, type Architecture, type RunMemory } from '../models/architecture';

const tokensOf = (c: VitConfig) => Math.floor(c.image_size / c.patch_size) ** 2 + (c.distillation ? 2 : 1);

export const hfVit: Architecture<'hf-vit'> = {
  name: 'hf-vit',
  configSchema: {
    not: {},
    description:
      'hf-vit models are opened from a Hugging Face vit or deit folder (config.json + model.safetensors), not from a project model file',
  },
  vocabSizes: () => ({ source: 0, target: 0 }),
  partShapes: (c) => [{ part: 'encoder', layers: c.layers, heads: c.heads }],
  estimateMemory: vitMemory,
  tensors: vitTensors,
  build: buildVit,
  viewKinds: [VIT_IMAGE],
};

/** The sequence length is fixed by the config (patches + specials), whatever the run's token count says. */
function vitMemory(model: ModelOf<'hf-vit'>): RunMemory {
  const c = model.config;
  const n = tokensOf(c);
  const attention = c.layers * c.heads * n * n * 2 * F32;
  const traces = c.layers * 2 * 3 * n * F32;
  const pixels = c.num_channels * c.image_size * c.image_size;
  const working = n * (c.d_ff + 6 * c.d_model) * F32 + pixels * (2 * F32 + 3);
  return runMemory({ attention, traces, working });
}
