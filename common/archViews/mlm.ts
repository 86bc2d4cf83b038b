// Masked-LM view (RunResult.app.kind = 'mlm'): for each [MASK] in the input, the encoder's LM head
// guesses, most probable first. Produced by src/engine/models/mlmView.ts, drawn by
// webview/inspector/archViews/mlm.ts.

import { isRecord } from '../guards';

export const MLM_KIND = 'mlm';

export interface MlmGuess {
  id: number;
  token: string;
  /** softmax over the whole vocabulary at this position. */
  probability: number;
}

export interface MlmMask {
  /** Index of the [MASK] token in the source sequence. */
  position: number;
  /** Top guesses, probability descending (at most 5). */
  guesses: MlmGuess[];
}

export interface MlmData {
  /** The mask token as the tokenizer spells it ("[MASK]", "<mask>"). */
  maskToken: string;
  masks: MlmMask[];
}

function isGuess(x: unknown): x is MlmGuess {
  if (!isRecord(x)) return false;
  const g = x;
  return (
    Number.isInteger(g.id) && typeof g.token === 'string' && typeof g.probability === 'number' && g.probability >= 0 && g.probability <= 1
  );
}

function isMask(x: unknown): x is MlmMask {
  if (!isRecord(x)) return false;
  const m = x;
  return (
    Number.isInteger(m.position) &&
    (m.position as number) >= 0 &&
    Array.isArray(m.guesses) &&
    m.guesses.length > 0 &&
    m.guesses.every(isGuess)
  );
}

export function isMlmData(x: unknown): x is MlmData {
  if (!isRecord(x)) return false;
  const d = x;
  return typeof d.maskToken === 'string' && Array.isArray(d.masks) && d.masks.every(isMask);
}
