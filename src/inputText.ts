// How typed input becomes a RunInput, and how a run is named in titles. No vscode import (unit-tested).
import type { ModelSummary, RunInput, RunResult } from './engine/types';

/** What the model's source side reads (ModelSummary.vocab): text, or ids from 0 to size − 1. */
export type InputVocab = NonNullable<ModelSummary['vocab']>;

/** Typed input the model cannot take; the message says what to type instead. */
export class TypedInputError extends Error {
  override readonly name = 'TypedInputError';
}

const ID_LIST = /^\d+(?:[\s,]+\d+)*$/;

function idRange(vocab: InputVocab | undefined): string {
  return vocab ? `0…${vocab.size - 1}` : '0 and up';
}

/**
 * "ids: 1, 2, 3" runs those ids; anything else is text for the model's tokenizer. With `vocab`,
 * ids are checked against its size, and a model without a tokenizer also takes bare ids
 * ("1 2 3"). Throws TypedInputError for anything else: never a NaN id.
 */
export function parseTypedInput(text: string, vocab?: InputVocab): RunInput {
  const trimmed = text.trim();
  const m = /^ids:\s*(.*)$/is.exec(trimmed);
  const idsOnly = vocab !== undefined && !vocab.tokenizer;
  if (!m && !(idsOnly && ID_LIST.test(trimmed))) {
    if (idsOnly) {
      throw new TypedInputError(
        `This model has no tokenizer, so it cannot read text: type token ids (${idRange(vocab)}) instead, e.g. ids: 1, 2, 3.`,
      );
    }
    return { text };
  }
  const parts = (m ? m[1] : trimmed).split(/[\s,]+/).filter(Boolean);
  if (!parts.length) throw new TypedInputError(`Give at least one token id (${idRange(vocab)}) after “ids:”, e.g. ids: 1, 2, 3.`);
  const ids = parts.map((p) => {
    if (!/^\d+$/.test(p)) {
      throw new TypedInputError(
        `“${p.slice(0, 40)}” is not a token id: ids are whole numbers (${idRange(vocab)}) separated by commas or spaces.`,
      );
    }
    const id = Number(p);
    if (vocab && id >= vocab.size)
      throw new TypedInputError(`Token id ${p.slice(0, 40)} is outside this model's vocabulary (${idRange(vocab)}).`);
    return id;
  });
  return { ids };
}

/** The input prompt's hint: says up front when a model takes only ids, and their range. */
export function inputPlaceholder(vocab: InputVocab | undefined, examples: boolean): string {
  const pick = examples ? 'Pick an example or type an input' : 'Type an input';
  if (vocab && !vocab.tokenizer)
    return `${pick}: token ids ${idRange(vocab)}, e.g. "ids: 1, 2, 3" (this model has no tokenizer, so no text)`;
  return `${pick} (or "ids: 1, 2, 3")`;
}

/** The text a person would type to get this input again (the side panel's box shows it). */
export function inputAsText(input: RunInput | undefined): string {
  if (!input) return '';
  if (input.text !== undefined) return input.text;
  if (input.chat) return input.chat.user;
  return input.ids ? `ids: ${input.ids.join(', ')}` : '';
}

/** Panel title: the first source tokens (a vision run: its image), so two runs of one model can be told apart. */
export function describeInput(r: Pick<RunResult, 'tokens' | 'imageName' | 'pixels'>): string {
  if (r.imageName !== undefined) return r.imageName;
  if (r.pixels) return `pixel_values ${r.pixels.channels}×${r.pixels.height}×${r.pixels.width}`; // no file to name
  const words = r.tokens.source.slice(0, 6).join(' ');
  return r.tokens.source.length > 6 ? `${words} …` : words;
}
