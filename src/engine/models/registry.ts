// Architecture name → builder. Adding an architecture is one new file and one line here.
import type { LoadedModel } from '../format/loaded';
import type { Kernels } from '../kernels';
import type { RunnableModel } from './runnable';
import { buildTransformer } from './transformerRunnable';
import { buildRnnRunnable } from './rnnRunnable';
import { buildUniversal } from './universal';
import { buildTdmca } from './tdmca';
import { buildNarmRunnable } from './narm';
import { buildAttentionRnnRunnable } from './attentionRnn';
import { buildShowAttendTell } from './showAttendTell';
import { buildImageTransformer } from './imageTransformer';
import { buildSentenceEncoder } from './sentenceEncoder';
import { buildHfDecoder } from './hfDecoder';

export function buildModel(model: LoadedModel, kernels?: Kernels): RunnableModel {
  switch (model.architecture) {
    case 'transformer':
      return buildTransformer(model, kernels);
    case 'universal':
      return buildUniversal(model, kernels);
    case 'tdmca':
      return buildTdmca(model, kernels);
    case 'rnn-seq2seq':
      return buildRnnRunnable(model, kernels);
    case 'narm':
      return buildNarmRunnable(model, kernels);
    case 'attention-rnn':
      return buildAttentionRnnRunnable(model, kernels);
    case 'show-attend-tell':
      return buildShowAttendTell(model, kernels);
    case 'image-transformer':
      return buildImageTransformer(model, kernels);
    case 'sentence-encoder':
      return buildSentenceEncoder(model, kernels);
    case 'hf-decoder':
      return buildHfDecoder(model, kernels);
  }
}
