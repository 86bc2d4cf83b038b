// Messages between a thread that uses Hugging Face tokenizers (the engine worker, the CLI, a test)
// and the tokenizer thread that runs them (src/engine/format/tokenizerThread.ts). The caller waits
// for each reply synchronously, with a time budget: the library's patterns are backtracking JS
// regular expressions, and a hostile tokenizer.json can make one run for hours. Every request but
// `drop` gets exactly one reply with its id; both sides check what they receive with the guards.
import { isId, isOptString, isRecord } from './guards';

export type TokenizerRequest =
  /** Read tokenizer.json (and tokenizer_config.json if given), check it and build the tokenizer. */
  | { type: 'load'; id: number; file: string; configFile?: string }
  /** Encode a probe text: a broken file is reported when it is opened, naming the part to blame. */
  | { type: 'probe'; id: number; handle: number }
  | { type: 'encode'; id: number; handle: number; text: string }
  /** Render the chat template for these messages and encode it without adding special tokens again. */
  | { type: 'chat'; id: number; handle: number; chat: ChatInput }
  /** The tokenizer is no longer used (no reply). */
  | { type: 'drop'; id: number; handle: number };

/** A chat prompt: an optional system message and the user's message (RunInput.chat). */
export interface ChatInput {
  system?: string;
  user: string;
}

export const isChatInput = (v: unknown): v is ChatInput => isRecord(v) && typeof v.user === 'string' && isOptString(v.system);

/** A regular expression of the file, with its JSON path: named when the tokenizer runs out of time. */
export interface TokenizerPattern {
  field: string;
  source: string;
}

export interface TokenizerErrorInfo {
  name: string;
  message: string;
  /** ModelFormatError: file and field; InputError: field. Both: what was expected. */
  file?: string;
  field?: string;
  expected?: string;
}

export type TokenizerReply =
  /** `tokens[id]` is the token of id (null where the vocabulary has none); size = tokens.length. */
  | {
      type: 'loaded';
      id: number;
      handle: number;
      tokens: (string | null)[];
      patterns: TokenizerPattern[];
      unkToken?: string;
      /** The folder has a chat template (tokenizer_config.json's chat_template or chat_template.jinja). */
      chatTemplate: boolean;
    }
  | { type: 'encoded'; id: number; ids: number[]; tokens: string[] }
  | { type: 'error'; id: number; error: TokenizerErrorInfo };

export function isTokenizerRequest(v: unknown): v is TokenizerRequest {
  if (!isRecord(v) || !isId(v.id)) return false;
  switch (v.type) {
    case 'load':
      return typeof v.file === 'string' && isOptString(v.configFile);
    case 'probe':
    case 'drop':
      return isId(v.handle);
    case 'encode':
      return isId(v.handle) && typeof v.text === 'string';
    case 'chat':
      return isId(v.handle) && isChatInput(v.chat);
    default:
      return false;
  }
}

const isPattern = (v: unknown) => isRecord(v) && typeof v.field === 'string' && typeof v.source === 'string';

export function isTokenizerReply(v: unknown): v is TokenizerReply {
  if (!isRecord(v) || !isId(v.id)) return false;
  switch (v.type) {
    case 'loaded':
      return (
        isId(v.handle) &&
        Array.isArray(v.tokens) &&
        v.tokens.every((t) => t === null || typeof t === 'string') &&
        Array.isArray(v.patterns) &&
        v.patterns.every(isPattern) &&
        (v.unkToken === undefined || typeof v.unkToken === 'string') &&
        typeof v.chatTemplate === 'boolean'
      );
    case 'encoded':
      return (
        Array.isArray(v.ids) &&
        v.ids.every(isId) &&
        Array.isArray(v.tokens) &&
        v.tokens.length === v.ids.length &&
        v.tokens.every((t) => typeof t === 'string')
      );
    case 'error':
      return (
        isRecord(v.error) &&
        typeof v.error.name === 'string' &&
        typeof v.error.message === 'string' &&
        isOptString(v.error.file) &&
        isOptString(v.error.field) &&
        isOptString(v.error.expected)
      );
    default:
      return false;
  }
}
