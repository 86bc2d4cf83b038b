// App view of a sentence encoder (RunResult.app.kind = 'sentence-embedding'): the sentence's
// embedding (mean of the last layer → tanh dense → L2 normalisation) and the norms on the way.

import { isNumber, isRecord } from '../guards';

export const SENTENCE_EMBEDDING = 'sentence-embedding';

export interface SentenceEmbeddingData {
  /** [dims] the final, L2-normalised sentence embedding. */
  embedding: number[];
  /** L2 norm of the mean-pooled last layer (before the tanh dense layer). */
  pooledNorm: number;
  /** L2 norm of the tanh layer's output, before normalisation. */
  tanhNorm: number;
  /** L2 norm of `embedding` (1 unless the tanh output was all zeros). */
  norm: number;
  /** Tokens averaged by the mean pooling. */
  tokens: number;
}

/** At most this many dimensions are drawn; a bigger payload is refused, not drawn slowly. */
export const MAX_EMBEDDING_DIMS = 4096;

export function isSentenceEmbeddingData(x: unknown): x is SentenceEmbeddingData {
  if (!isRecord(x) || !Array.isArray(x.embedding)) return false;
  const e = x.embedding;
  return (
    e.length >= 1 &&
    e.length <= MAX_EMBEDDING_DIMS &&
    e.every(isNumber) &&
    isNumber(x.pooledNorm) &&
    x.pooledNorm >= 0 &&
    isNumber(x.tanhNorm) &&
    x.tanhNorm >= 0 &&
    isNumber(x.norm) &&
    x.norm >= 0 &&
    Number.isInteger(x.tokens) &&
    (x.tokens as number) >= 1
  );
}
