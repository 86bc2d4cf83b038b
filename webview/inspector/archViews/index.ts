// kind → renderer for the architecture views. Adding one is one file in this folder and one line here.
import type { AppRenderer } from './types';
import { mlmRenderer } from './mlm';
import { universalRenderer } from './universal';
import { tdmcaRenderer } from './tdmca';
import { narmRenderer } from './narm';
import { musicRenderer } from './music';
import { showAttendTellRenderer } from './show-attend-tell';
import { imageTransformerRenderer } from './image-transformer';
import { sentenceEmbeddingRenderer } from './sentence-embedding';
import { vitImageRenderer } from './vit-image';

export const APP_RENDERERS: Record<string, AppRenderer> = {
  mlm: mlmRenderer,
  universal: universalRenderer,
  tdmca: tdmcaRenderer,
  narm: narmRenderer,
  music: musicRenderer,
  'show-attend-tell': showAttendTellRenderer,
  'image-transformer': imageTransformerRenderer,
  'sentence-embedding': sentenceEmbeddingRenderer,
  'vit-image': vitImageRenderer,
};
