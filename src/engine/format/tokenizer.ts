// Text → ids. Two kinds: a plain token list from the model JSON's `vocab` (split on whitespace or
// into characters), and a Hugging Face tokenizer.json run by @huggingface/tokenizers in its own
// thread, with a time budget (tokenizerClient.ts).
import type { Tokenizer } from './loaded';
import { InputError, ModelFormatError, showValue } from './errors';
import type { ChatInput, TokenizerErrorInfo, TokenizerPattern, TokenizerReply, TokenizerRequest } from '../../../common/tokenizer';
import {
  callTokenizerThread,
  currentTokenizerGeneration,
  dropInTokenizerThread,
  encodeBudgetMs,
  requestId,
  TokenizerTimeout,
  ENCODE_BUDGET_MS,
  LOAD_BUDGET_MS,
} from './tokenizerClient';

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

  get unkToken(): string | undefined {
    return this.spec.unk_token;
  }

  encode(text: string): { ids: number[]; tokens: string[] } {
    const s = this.spec.lowercase ? text.toLowerCase() : text;
    const pieces =
      this.spec.split === 'whitespace'
        ? s.split(/\s+/u).filter((p) => p.length > 0)
        : Array.from(s).filter((c) => this.keepsWhitespace || !/\s/u.test(c));
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

/** Longest input text encoded (UTF-16 units); the engine runs at most a few thousand tokens. */
export const MAX_TEXT_CHARS = 100_000;

/** An InputError on `field` for a text over MAX_TEXT_CHARS: checked before any tokenizer sees it. */
export function checkTextLength(field: string, text: string): void {
  if (text.length <= MAX_TEXT_CHARS) return;
  const n = (x: number) => x.toLocaleString('en-US');
  throw new InputError(field, `a text of at most ${n(MAX_TEXT_CHARS)} characters; this one has ${n(text.length)}`);
}

/** Drops a tokenizer in the tokenizer thread when its HfTokenizer is collected (a reloaded model). */
const dropped = new FinalizationRegistry<{ handle: number; generation: number }>((h) => dropInTokenizerThread(h.handle, h.generation));

/**
 * A Hugging Face `tokenizer.json`, run by @huggingface/tokenizers in the tokenizer thread
 * (tokenizerClient.ts), where a pattern that runs past its time budget is stopped. Special tokens
 * (BERT's [CLS] … [SEP]) come from its post-processor.
 */
export class HfTokenizer implements Tokenizer {
  private handle = 0;
  private generation = 0;
  private tokens: (string | null)[] = [];
  private patterns: TokenizerPattern[] = [];
  unkToken: string | undefined;
  /** The folder has a chat template (encodeChat renders it). */
  chatTemplate = false;

  private constructor(
    /** Path of tokenizer.json; convert copies it beside the converted model. */
    readonly file: string,
    /** Path of tokenizer_config.json if one is read (it tunes a few tokenizers, e.g. remove_space). */
    readonly configFile: string | undefined,
  ) {}

  /** Reads and builds the tokenizer, and encodes a probe text: a broken or hostile file fails here. */
  static load(file: string, configFile?: string): HfTokenizer {
    const t = new HfTokenizer(file, configFile);
    t.loadInThread();
    t.call({ type: 'probe', id: requestId(), handle: t.handle }, ENCODE_BUDGET_MS, 'a short probe text');
    return t;
  }

  get size(): number {
    return this.tokens.length;
  }

  encode(text: string): { ids: number[]; tokens: string[] } {
    checkTextLength('text', text);
    // A thread stopped since (this tokenizer's or another's pattern ran out of time) lost it: load again.
    if (currentTokenizerGeneration() !== this.generation) this.loadInThread();
    const what = `a text of ${text.length.toLocaleString('en-US')} characters`;
    const r = this.call({ type: 'encode', id: requestId(), handle: this.handle, text }, encodeBudgetMs(text.length), what);
    if (r.type !== 'encoded') throw new Error(`tokenizer thread: unexpected ${r.type} reply to encode`);
    return { ids: r.ids, tokens: r.tokens };
  }

  /** The chat template rendered for these messages, encoded as transformers' apply_chat_template does. */
  encodeChat(chat: ChatInput): { ids: number[]; tokens: string[] } {
    checkTextLength('chat', (chat.system ?? '') + chat.user);
    if (currentTokenizerGeneration() !== this.generation) this.loadInThread();
    const what = `a chat prompt of ${(chat.user.length + (chat.system?.length ?? 0)).toLocaleString('en-US')} characters`;
    const budget = encodeBudgetMs(chat.user.length + (chat.system?.length ?? 0));
    const r = this.call({ type: 'chat', id: requestId(), handle: this.handle, chat }, budget, what);
    if (r.type !== 'encoded') throw new Error(`tokenizer thread: unexpected ${r.type} reply to chat`);
    return { ids: r.ids, tokens: r.tokens };
  }

  token(id: number): string {
    return (Number.isInteger(id) && id >= 0 && id < this.tokens.length ? this.tokens[id] : null) ?? `[${id}]`;
  }

  private loadInThread(): void {
    const r = this.call({ type: 'load', id: requestId(), file: this.file, configFile: this.configFile }, LOAD_BUDGET_MS);
    if (r.type !== 'loaded') throw new Error(`tokenizer thread: unexpected ${r.type} reply to load`);
    if (this.handle) dropped.unregister(this);
    ({ handle: this.handle, tokens: this.tokens, patterns: this.patterns, unkToken: this.unkToken, chatTemplate: this.chatTemplate } = r);
    this.generation = currentTokenizerGeneration() ?? 0;
    dropped.register(this, { handle: this.handle, generation: this.generation }, this);
  }

  /**
   * One call into the thread; its errors, and running out of time, become this file's errors.
   * `what` names the text a pattern ran on; without it the call ran none (reading, building).
   */
  private call(req: TokenizerRequest, budgetMs: number, what?: string): TokenizerReply {
    let reply: TokenizerReply;
    try {
      reply = callTokenizerThread(req, budgetMs).reply;
    } catch (e) {
      if (e instanceof TokenizerTimeout) throw this.timeoutError(e.ms, what);
      throw e;
    }
    if (reply.type === 'error') throw rebuildError(reply.error);
    return reply;
  }

  /** Names the file's patterns: the thread cannot say which one was running when it was stopped. */
  private timeoutError(ms: number, what?: string): TokenizerTimeoutError {
    const s = `${Math.round(ms / 100) / 10} s`;
    const error = (field: string, expected: string) => new TokenizerTimeoutError(this.file, field, expected);
    if (what === undefined) return error('file', `a tokenizer.json that can be read and built in time; it took over ${s}`);
    const stopped = `was still running on ${what} after ${s} and the tokenizer was stopped`;
    const ps = this.patterns;
    if (ps.length === 0) return error('tokenizer', `a tokenizer that finishes in time; it ${stopped}`);
    if (ps.length === 1) {
      const why = '(a regular expression that backtracks without end)';
      return error(ps[0].field, `a pattern that finishes in time; ${showValue(ps[0].source)} ${stopped} ${why}`);
    }
    const parts = new Set(ps.map((p) => p.field.split(/[.[]/)[0]));
    const listed = ps.map((p) => `${p.field} ${showValue(p.source, 40)}`).join(', ');
    return error(parts.size === 1 ? [...parts][0] : 'tokenizer', `patterns that finish in time; one of ${listed} ${stopped}`);
  }
}

/** A tokenizer that ran out of its time budget: the file's error, and the worker remembers it. */
export class TokenizerTimeoutError extends ModelFormatError {}

/** The thread's error as the class the engine's callers know (ModelFormatError, InputError). */
function rebuildError(info: TokenizerErrorInfo): Error {
  const { name, file, field, expected } = info;
  if (name === 'ModelFormatError' && file !== undefined && field !== undefined && expected !== undefined) {
    return new ModelFormatError(file, field, expected);
  }
  if (name === 'InputError' && field !== undefined && expected !== undefined) return new InputError(field, expected);
  const e = new Error(info.message);
  e.name = name;
  return e;
}
