// The masked-LM view of an encoder with its own LM head: what it guesses at each [MASK].
import type { Tokenizer } from '../format/loaded';
import type { AppData } from '../types';
import { MLM_KIND, type MlmData, type MlmMask } from '../../../common/archViews/mlm';

const MASK_SPELLINGS = ['[MASK]', '<mask>'];
const TOP = 5;

/** The id of the tokenizer's mask token ([MASK] for BERT, <mask> for RoBERTa), if it has one. */
export function findMaskToken(tok: Tokenizer | undefined): { id: number; token: string } | undefined {
  if (!tok) return undefined;
  for (const spelling of MASK_SPELLINGS) {
    try {
      // A Hugging Face tokenizer may add [CLS]/[SEP] around it: look for the piece itself.
      const id = tok.encode(spelling).ids.find((i) => tok.token(i) === spelling);
      if (id !== undefined) return { id, token: spelling };
    } catch {
      // Not in this vocabulary (and no unk token): try the next spelling.
    }
  }
  return undefined;
}

/** Top-5 tokens with probabilities at every mask position; undefined when the input has no mask. */
export function mlmView(
  logits: Float32Array, // [n, vocab]
  ids: number[],
  vocab: number,
  mask: { id: number; token: string },
  tokenOf: (id: number) => string,
): AppData | undefined {
  const masks: MlmMask[] = [];
  ids.forEach((id, position) => {
    if (id !== mask.id) return;
    const row = logits.subarray(position * vocab, (position + 1) * vocab);
    // Stable softmax in float64: subtract the row max before exponentiating.
    let max = -Infinity;
    for (let j = 0; j < vocab; j++) max = Math.max(max, row[j]);
    let sum = 0;
    for (let j = 0; j < vocab; j++) sum += Math.exp(row[j] - max);
    const order = Array.from({ length: vocab }, (_, j) => j).sort((a, b) => row[b] - row[a] || a - b);
    masks.push({
      position,
      guesses: order.slice(0, TOP).map((j) => ({ id: j, token: tokenOf(j), probability: Math.exp(row[j] - max) / sum })),
    });
  });
  if (masks.length === 0) return undefined;
  const data: MlmData = { maskToken: mask.token, masks };
  return {
    kind: MLM_KIND,
    title: `Masked-LM guesses for ${mask.token}`,
    explain:
      `The LM head's five most probable tokens at each ${mask.token} position. Open the ${mask.token} row of the heads ` +
      'above to see which words the encoder read to make its guess.',
    data,
  };
}
