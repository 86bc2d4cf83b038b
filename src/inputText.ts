// How typed input becomes a RunInput, and how a run is named in titles. No vscode import (unit-tested).
import type { RunInput, RunResult } from './engine/types';

/** "ids: 1, 2, 3" runs those ids; anything else is text for the model's tokenizer. */
export function parseTypedInput(text: string): RunInput {
  const m = /^ids:\s*(.*)$/i.exec(text.trim());
  return m ? { ids: m[1].split(/[\s,]+/).filter(Boolean).map(Number) } : { text };
}

/** The text a person would type to get this input again (the side panel's box shows it). */
export function inputAsText(input: RunInput | undefined): string {
  if (!input) return '';
  if (input.text !== undefined) return input.text;
  return input.ids ? `ids: ${input.ids.join(', ')}` : '';
}

/** Panel title: the first source tokens, so two runs of one model can be told apart. */
export function describeInput(r: Pick<RunResult, 'tokens'>): string {
  const words = r.tokens.source.slice(0, 6).join(' ');
  return r.tokens.source.length > 6 ? `${words} …` : words;
}
