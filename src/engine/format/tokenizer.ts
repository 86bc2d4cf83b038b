// Text → ids. Two kinds: a plain token list from the model JSON's `vocab` (split on whitespace or
// into characters), and a Hugging Face tokenizer.json run by @huggingface/tokenizers.
import { Tokenizer as HfTokenizerImpl } from '@huggingface/tokenizers';
import type { Tokenizer } from './loaded';
import { InputError, ModelFormatError } from './errors';

export type SplitMode = 'whitespace' | 'chars';

export interface VocabSpec {
  tokens: string[];
  split: SplitMode;
  unk_token?: string;
  lowercase: boolean;
}

/** `inputField` names the run input in errors: "text" for the source side, "target_text" for the target. */
export class VocabTokenizer implements Tokenizer {
  private readonly ids = new Map<string, number>();
  private readonly unkId?: number;
  /** chars mode keeps whitespace characters only when the vocabulary has them (e.g. " "). */
  private readonly keepsWhitespace: boolean;

  constructor(
    readonly spec: VocabSpec,
    private readonly inputField = 'text',
  ) {
    spec.tokens.forEach((t, i) => {
      if (!this.ids.has(t)) this.ids.set(t, i);
    });
    if (spec.unk_token !== undefined) this.unkId = this.ids.get(spec.unk_token);
    this.keepsWhitespace = spec.tokens.some((t) => /^\s$/u.test(t));
  }

  get size(): number {
    return this.spec.tokens.length;
  }

  encode(text: string): { ids: number[]; tokens: string[] } {
    const s = this.spec.lowercase ? text.toLowerCase() : text;
    const pieces =
      this.spec.split === 'whitespace' ? s.split(/\s+/u).filter((p) => p.length > 0) : Array.from(s).filter((c) => this.keepsWhitespace || !/\s/u.test(c));
    const ids: number[] = [];
    const tokens: string[] = [];
    for (const p of pieces) {
      const id = this.ids.get(p) ?? this.unkId;
      if (id === undefined) {
        throw new InputError(this.inputField, `tokens from the vocabulary; "${p}" is not in it and the vocabulary has no unk_token`);
      }
      ids.push(id);
      tokens.push(this.spec.tokens[id]);
    }
    return { ids, tokens };
  }

  token(id: number): string {
    return Number.isInteger(id) && id >= 0 && id < this.spec.tokens.length ? this.spec.tokens[id] : `[${id}]`;
  }
}

/**
 * Checks a vocab spec (duplicates, unk_token membership) and builds its tokenizer. `field` is the
 * JSON path of the token list, e.g. `vocab.tokens`, for the error messages.
 */
export function vocabTokenizer(file: string, field: string, spec: VocabSpec, inputField: string): VocabTokenizer {
  const seen = new Map<string, number>();
  spec.tokens.forEach((t, i) => {
    const first = seen.get(t);
    if (first !== undefined) throw new ModelFormatError(file, `${field}[${i}]`, `distinct tokens; "${t}" is also token ${first}`);
    seen.set(t, i);
  });
  if (spec.unk_token !== undefined && !seen.has(spec.unk_token)) {
    throw new ModelFormatError(file, 'vocab.unk_token', `one of the tokens in ${field}; "${spec.unk_token}" is not`);
  }
  return new VocabTokenizer(spec, inputField);
}

/** A Hugging Face `tokenizer.json`; special tokens (BERT's [CLS] … [SEP]) come from its post-processor. */
export class HfTokenizer implements Tokenizer {
  readonly size: number;

  private constructor(
    /** Path of tokenizer.json; convert copies it beside the converted model. */
    readonly file: string,
    /** Path of tokenizer_config.json if one was read (it tunes a few tokenizers, e.g. remove_space). */
    readonly configFile: string | undefined,
    private readonly impl: HfTokenizerImpl,
  ) {
    let max = -1;
    for (const id of impl.get_vocab(true).values()) max = Math.max(max, id);
    this.size = max + 1;
  }

  /**
   * Builds the tokenizer from a parsed tokenizer.json (and tokenizer_config.json, `{}` if none).
   * Errors from the library become a ModelFormatError on `file`.
   */
  static fromJson(file: string, json: Record<string, unknown>, config: Record<string, unknown>, configFile?: string): HfTokenizer {
    let impl: HfTokenizerImpl;
    try {
      impl = new HfTokenizerImpl(json, config);
    } catch (e) {
      throw new ModelFormatError(file, 'tokenizer', `a tokenizer.json that @huggingface/tokenizers can load (${(e as Error).message})`);
    }
    return new HfTokenizer(file, configFile, impl);
  }

  encode(text: string): { ids: number[]; tokens: string[] } {
    const enc = this.impl.encode(text);
    // A vocabulary without an unk token maps unknown pieces to undefined: report, don't run.
    const bad = enc.ids.findIndex((id) => id === undefined);
    if (bad >= 0) throw new InputError('text', `text the tokenizer can encode; "${enc.tokens[bad]}" has no id and the tokenizer has no unk token`);
    return { ids: enc.ids, tokens: enc.tokens };
  }

  token(id: number): string {
    return this.impl.id_to_token(id) ?? `[${id}]`;
  }
}
