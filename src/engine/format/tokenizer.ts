// Text → ids. Two kinds: a plain token list from the model JSON's `vocab` (split on whitespace or
// into characters), and a Hugging Face tokenizer.json run by @huggingface/tokenizers.
import { Tokenizer as HfTokenizerImpl } from '@huggingface/tokenizers';
import type { Tokenizer } from './loaded';
import { InputError, ModelFormatError, showValue } from './errors';

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
  private constructor(
    /** Path of tokenizer.json; convert copies it beside the converted model. */
    readonly file: string,
    /** Path of tokenizer_config.json if one was read (it tunes a few tokenizers, e.g. remove_space). */
    readonly configFile: string | undefined,
    private readonly impl: HfTokenizerImpl,
    readonly size: number,
  ) {}

  /**
   * Builds the tokenizer from a parsed tokenizer.json (and tokenizer_config.json, `{}` if none).
   * Errors from the library become a ModelFormatError on `file`. The library checks little when
   * it loads (a post_processor of `0` fails only on the first encode), so a probe text is
   * encoded here: a broken file is reported when it is opened, naming the part that breaks it.
   */
  static fromJson(file: string, json: Record<string, unknown>, config: Record<string, unknown>, configFile?: string): HfTokenizer {
    checkNesting(file, json);
    checkTokenIds(file, json);
    try {
      const impl = new HfTokenizerImpl(json, config);
      let max = -1;
      for (const id of impl.get_vocab(true).values()) max = Math.max(max, id);
      impl.encode(PROBE_TEXT);
      return new HfTokenizer(file, configFile, impl, max + 1);
    } catch (e) {
      throw new ModelFormatError(file, blame(json, config), `a tokenizer.json that @huggingface/tokenizers can load and run (${(e as Error)?.message ?? String(e)})`);
    }
  }

  encode(text: string): { ids: number[]; tokens: string[] } {
    let enc: { ids: number[]; tokens: string[] };
    try {
      enc = this.impl.encode(text);
    } catch (e) {
      // The probe passed, so this text reaches a part of the file the probe did not.
      throw new ModelFormatError(this.file, 'tokenizer', `a tokenizer.json that can encode the input text (${(e as Error)?.message ?? String(e)})`);
    }
    // A vocabulary without an unk token maps unknown pieces to undefined: report, don't run.
    const bad = enc.ids.findIndex((id) => id === undefined);
    if (bad >= 0) throw new InputError('text', `text the tokenizer can encode; ${showValue(enc.tokens[bad])} has no id and the tokenizer has no unk token`);
    return { ids: enc.ids, tokens: enc.tokens };
  }

  token(id: number): string {
    try {
      return this.impl.id_to_token(id) ?? `[${id}]`;
    } catch {
      return `[${id}]`; // token() never throws (Tokenizer interface)
    }
  }
}

/** Deepest nesting of arrays/objects accepted; real tokenizer.json files nest fewer than 10 deep. */
const MAX_TOKENIZER_DEPTH = 64;

/**
 * The library walks the document recursively (and joins token arrays into strings): a value nested
 * 20,000 deep overflowed the stack, or took seconds to fail. Checked without recursion.
 */
function checkNesting(file: string, json: unknown): void {
  const stack: [unknown, string, number][] = [[json, '', 0]];
  while (stack.length) {
    const [v, at, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= MAX_TOKENIZER_DEPTH) throw new ModelFormatError(file, at || '(document)', `values nested at most ${MAX_TOKENIZER_DEPTH} deep; this one is deeper`);
    // The field named is where the deep value hangs in the document (two levels), not the whole chain.
    const name = (k: string) => (depth >= 2 ? at : Array.isArray(v) ? `${at}[${k}]` : at ? `${at}.${k}` : k);
    for (const [k, child] of Object.entries(v)) stack.push([child, name(k), depth + 1]);
  }
}

/**
 * Token ids must be integers below the number of tokens in the file. The library stores tokens in
 * an array indexed by id and later walks it to its length, so one id of 10⁹ would hang it.
 */
function checkTokenIds(file: string, json: Record<string, unknown>): void {
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const vocab = isObj(json.model) ? json.model.vocab : undefined;
  const ids: [string, unknown][] = isObj(vocab) ? Object.entries(vocab).map(([tok, id]) => [`model.vocab[${JSON.stringify(tok)}]`, id]) : [];
  const added = Array.isArray(json.added_tokens) ? json.added_tokens : [];
  added.forEach((t, i) => isObj(t) && ids.push([`added_tokens[${i}].id`, t.id]));
  const count = (Array.isArray(vocab) ? vocab.length : ids.length - added.length) + added.length;
  for (const [field, id] of ids) {
    if (!(Number.isInteger(id) && (id as number) >= 0 && (id as number) < count)) {
      throw new ModelFormatError(file, field, `a token id from 0 to ${count - 1} (the file has ${count} tokens); found ${showValue(id)}`);
    }
  }
}

/** Exercises normalizer, pre-tokenizer, model and post-processor; digits, accents and CJK included. */
const PROBE_TEXT = 'Hello, world 1 àé 漢';

/**
 * Which top-level part of a tokenizer.json that the library rejects is to blame: the first one
 * whose removal makes the file load and encode. The model itself cannot be removed, so it is
 * named when nothing else helps.
 */
function blame(json: Record<string, unknown>, config: Record<string, unknown>): string {
  for (const part of ['post_processor', 'pre_tokenizer', 'normalizer', 'added_tokens', 'decoder']) {
    if (json[part] === undefined || json[part] === null) continue;
    try {
      new HfTokenizerImpl({ ...json, [part]: part === 'added_tokens' ? [] : null }, config).encode(PROBE_TEXT);
      return part;
    } catch {
      // not this part
    }
  }
  return 'model';
}
