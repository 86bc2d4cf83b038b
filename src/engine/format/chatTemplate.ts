// A chat model's prompt format: tokenizer_config.json's `chat_template` (or chat_template.jinja
// beside it, which transformers 5 prefers), rendered with @huggingface/jinja the way transformers'
// apply_chat_template renders it (tokenization_utils_base.apply_chat_template: the special tokens
// map as variables, messages, add_generation_prompt). Runs in the tokenizer thread, inside its
// time budget: a template can loop over a huge range.
import * as fs from 'fs';
import * as path from 'path';
import { Template } from '@huggingface/jinja';
import { ModelFormatError, showValue } from './errors';
import type { ChatInput } from '../../../common/tokenizer';

export interface ChatTemplate {
  /** The file the template came from (tokenizer_config.json or chat_template.jinja). */
  file: string;
  source: string;
  /** bos_token, eos_token … as strings: transformers passes its special_tokens_map to the template. */
  specials: Record<string, string>;
}

const SPECIAL_KEYS = ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token'];

/** The folder's chat template, if it has one; a chat_template of the wrong shape is the config's error. */
export function readChatTemplate(configFile: string | undefined, config: Record<string, unknown>): ChatTemplate | undefined {
  if (configFile === undefined) return undefined;
  const specials: Record<string, string> = {};
  for (const k of SPECIAL_KEYS) {
    const v = config[k];
    // A special token is written as a string or as an AddedToken object ({"content": "<s>", …}).
    const s = typeof v === 'string' ? v : typeof v === 'object' && v !== null ? (v as { content?: unknown }).content : undefined;
    if (typeof s === 'string') specials[k] = s;
  }
  const jinjaFile = path.join(path.dirname(configFile), 'chat_template.jinja');
  if (fs.existsSync(jinjaFile)) return { file: jinjaFile, source: fs.readFileSync(jinjaFile, 'utf8'), specials };
  const t = config.chat_template;
  if (t === undefined || t === null) return undefined;
  if (typeof t === 'string') return { file: configFile, source: t, specials };
  // Several named templates: apply_chat_template uses "default" when none is asked for.
  if (Array.isArray(t)) {
    const d = t.find((x): x is { name: string; template: string } => typeof x === 'object' && x?.name === 'default');
    if (d && typeof d.template === 'string') return { file: configFile, source: d.template, specials };
    throw new ModelFormatError(configFile, 'chat_template', 'a template string, or a list with one named "default"; found none');
  }
  throw new ModelFormatError(configFile, 'chat_template', `a template string; found ${showValue(t)}`);
}

/** The prompt text for [system?, user] with the assistant's turn opened (add_generation_prompt=True). */
export function renderChat(t: ChatTemplate, chat: ChatInput): string {
  const messages = [...(chat.system !== undefined ? [{ role: 'system', content: chat.system }] : []), { role: 'user', content: chat.user }];
  const fail = (what: string, e: unknown) =>
    new ModelFormatError(
      t.file,
      'chat_template',
      `a chat template @huggingface/jinja can ${what} (${(e as Error)?.message ?? String(e)}); ` +
        'give text or ids instead of the chat template',
    );
  let template: Template;
  try {
    template = new Template(t.source);
  } catch (e) {
    throw fail('parse', e);
  }
  try {
    return template.render({ ...t.specials, messages, add_generation_prompt: true });
  } catch (e) {
    throw fail('render for these messages', e);
  }
}
