// What the tokenizer thread does with a tokenizer.json: read and check it, build it with
// @huggingface/tokenizers, probe it, encode. Runs only in that thread (tokenizerThread.ts), where
// a pattern that backtracks without end can be stopped; the rest of the engine talks to it
// through HfTokenizer (tokenizer.ts).
import { Tokenizer as HfTokenizerImpl } from '@huggingface/tokenizers';
import { InputError, ModelFormatError, showValue } from './errors';
import { readJsonObject } from './modelJson';
import { isRecord as isObj } from '../../../common/guards';
import type { TokenizerPattern } from '../../../common/tokenizer';

export interface LoadedHf {
  impl: HfTokenizerImpl;
  json: Record<string, unknown>;
  config: Record<string, unknown>;
  /** tokens[id]: the token of id, null where the vocabulary has none. */
  tokens: (string | null)[];
  patterns: TokenizerPattern[];
  /** The token unknown words become ([UNK], <unk>…), where the model names one. */
  unkToken?: string;
}

/** Reads, checks and builds the tokenizer. Errors from the library become a ModelFormatError on `file`. */
export function loadHf(file: string, configFile?: string): LoadedHf {
  const json = readJsonObject(file);
  const config = configFile === undefined ? {} : readJsonObject(configFile);
  checkNesting(file, json);
  checkTokenIds(file, json);
  try {
    const impl = new HfTokenizerImpl(json, config);
    let max = -1;
    for (const id of impl.get_vocab(true).values()) max = Math.max(max, id);
    const tokens = Array.from({ length: max + 1 }, (_, id): unknown => impl.id_to_token(id) ?? null);
    // The library takes a Unigram piece as it is: [["a"], 0.5] gives a token that is an array.
    const bad = tokens.findIndex((t) => t !== null && typeof t !== 'string');
    if (bad >= 0) throw new ModelFormatError(file, `model.vocab[${bad}]`, `a token that is a string; found ${showValue(tokens[bad])}`);
    const t = tokens as (string | null)[];
    return { impl, json, config, tokens: t, patterns: patternsOf(json), unkToken: unkTokenOf(json, t) };
  } catch (e) {
    if (e instanceof ModelFormatError) throw e;
    throw libraryError(file, blame(json, config), e);
  }
}

/**
 * The library checks little when it loads (a post_processor of `0` fails only on the first
 * encode), so a probe text is encoded when a file is opened: a broken file is reported then,
 * naming the part that breaks it.
 */
export function probe(file: string, t: LoadedHf): void {
  try {
    t.impl.encode(PROBE_TEXT);
  } catch (e) {
    throw libraryError(file, blame(t.json, t.config), e);
  }
}

export function encode(file: string, t: LoadedHf, text: string): { ids: number[]; tokens: string[] } {
  let enc: { ids: number[]; tokens: string[] };
  try {
    enc = t.impl.encode(text);
  } catch (e) {
    // The probe passed, so this text reaches a part of the file the probe did not.
    throw new ModelFormatError(
      file,
      'tokenizer',
      `a tokenizer.json that can encode the input text (${(e as Error)?.message ?? String(e)})`,
    );
  }
  // A vocabulary without an unk token maps unknown pieces to undefined: report, don't run.
  const bad = enc.ids.findIndex((id) => id === undefined);
  if (bad >= 0)
    throw new InputError(
      'text',
      `text the tokenizer can encode; ${showValue(enc.tokens[bad])} has no id and the tokenizer has no unk token`,
    );
  // Fields the library takes as they are (a Unigram unk_id of 5e-324) reach the ids and tokens.
  const odd = enc.ids.findIndex((id, i) => !(Number.isSafeInteger(id) && id >= 0 && typeof enc.tokens[i] === 'string'));
  if (odd >= 0) {
    const found = `token ${showValue(enc.tokens[odd])} with id ${showValue(enc.ids[odd])}`;
    throw new ModelFormatError(file, 'model', `a tokenizer.json that encodes to string tokens with integer ids; found ${found}`);
  }
  return { ids: enc.ids, tokens: enc.tokens };
}

const libraryError = (file: string, field: string, e: unknown) =>
  new ModelFormatError(
    file,
    field,
    `a tokenizer.json that @huggingface/tokenizers can load and run (${(e as Error)?.message ?? String(e)})`,
  );

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
    if (depth >= MAX_TOKENIZER_DEPTH)
      throw new ModelFormatError(file, at || '(document)', `values nested at most ${MAX_TOKENIZER_DEPTH} deep; this one is deeper`);
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
  const vocab = isObj(json.model) ? json.model.vocab : undefined;
  const ids: [string, unknown][] = isObj(vocab)
    ? Object.entries(vocab).map(([tok, id]) => [`model.vocab[${JSON.stringify(tok)}]`, id])
    : [];
  const added = Array.isArray(json.added_tokens) ? json.added_tokens : [];
  added.forEach((t, i) => isObj(t) && ids.push([`added_tokens[${i}].id`, t.id]));
  const count = (Array.isArray(vocab) ? vocab.length : ids.length - added.length) + added.length;
  for (const [field, id] of ids) {
    if (!(Number.isInteger(id) && (id as number) >= 0 && (id as number) < count)) {
      throw new ModelFormatError(file, field, `a token id from 0 to ${count - 1} (the file has ${count} tokens); found ${showValue(id)}`);
    }
  }
}

/** How many patterns are listed; real files have one or two. */
const MAX_PATTERNS = 16;

/** Every `"Regex": "…"` of the file (Split and Replace patterns), with its JSON path. Nesting is checked first. */
function patternsOf(json: Record<string, unknown>): TokenizerPattern[] {
  const found: TokenizerPattern[] = [];
  const stack: [unknown, string][] = [[json, '']];
  while (stack.length && found.length < MAX_PATTERNS) {
    const [v, at] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    const entries = Object.entries(v).reverse(); // popped in document order
    for (const [k, child] of entries) {
      const field = Array.isArray(v) ? `${at}[${k}]` : at ? `${at}.${k}` : k;
      if (k === 'Regex' && typeof child === 'string' && !Array.isArray(v)) found.push({ field, source: child });
      else stack.push([child, field]);
    }
  }
  return found;
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

/** model.unk_token (WordPiece, BPE, WordLevel) or the token of model.unk_id (Unigram), if any. */
function unkTokenOf(json: Record<string, unknown>, tokens: (string | null)[]): string | undefined {
  const model = json.model as Record<string, unknown> | null | undefined;
  if (typeof model !== 'object' || model === null) return undefined;
  if (typeof model.unk_token === 'string') return model.unk_token;
  const id = model.unk_id;
  return typeof id === 'number' && Number.isInteger(id) && id >= 0 && id < tokens.length ? (tokens[id] ?? undefined) : undefined;
}
