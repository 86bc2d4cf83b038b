// Which attention parts a model has, and their layers × heads, from the config alone: the side
// panel lists a model's heads without running it. Must agree with what each builder records
// (test/unit/models/parts.test.ts runs every example and compares).
import type { LoadedModel } from '../format/loaded';
import type { Part } from '../types';

export interface PartShape {
  part: Part;
  /** Upper bound for recurrent models (Universal Transformer: one layer per step, up to max_steps). */
  layers: number;
  heads: number;
}

export function partShapes(model: LoadedModel): PartShape[] {
  const one = (part: Part): PartShape[] => [{ part, layers: 1, heads: 1 }];
  switch (model.architecture) {
    case 'transformer': {
      const c = model.config;
      const out: PartShape[] = [];
      if (c.encoder_layers) out.push({ part: 'encoder', layers: c.encoder_layers, heads: c.heads });
      if (c.decoder_layers) out.push({ part: 'decoder', layers: c.decoder_layers, heads: c.heads });
      if (c.kind === 'encoder-decoder') out.push({ part: 'cross', layers: c.decoder_layers, heads: c.heads });
      return out;
    }
    case 'universal':
      return [{ part: 'encoder', layers: model.config.max_steps, heads: model.config.heads }];
    case 'tdmca':
      return [{ part: 'decoder', layers: model.config.layers.length, heads: model.config.heads }];
    case 'image-transformer':
      return [{ part: 'decoder', layers: model.config.layers, heads: model.config.heads }];
    case 'sentence-encoder':
      return [{ part: 'encoder', layers: model.config.layers, heads: model.config.heads }];
    case 'hf-decoder':
      return [{ part: 'decoder', layers: model.config.layers, heads: model.config.heads }];
    case 'rnn-seq2seq':
    case 'show-attend-tell':
      return one('cross');
    case 'narm':
      return one('encoder');
    case 'attention-rnn':
      return one('decoder');
  }
}
