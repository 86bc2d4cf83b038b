// Special tokens and chat templates through the product's tokenizer path (the tokenizer thread),
// against the ids Hugging Face transformers gives (test/fixtures/gen_chat_tokenizers.py).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadHfTokenizer } from '../../../src/engine/format/modelJson';
import { InputError, ModelFormatError } from '../../../src/engine/format/errors';

const ROOT = path.resolve(__dirname, '../../../..');
const dirOf = (name: string) => path.join(ROOT, 'test/fixtures/tokenizers', `chat-${name}`);

interface Expected {
  texts: { text: string; ids: number[]; tokens: string[] }[];
  chats: { system?: string; user: string; ids: number[]; tokens: string[] }[];
}
const expectedOf = (name: string) => JSON.parse(fs.readFileSync(path.join(dirOf(name), 'expected.json'), 'utf8')) as Expected;
const load = (dir: string) => loadHfTokenizer(path.join(dir, 'tokenizer.json'), path.join(dir, 'config.json'), 'tokenizer.json');

for (const name of ['llama', 'gemma']) {
  test(`${name}: tokenizer(text) ids and tokens equal transformers', BOS included`, () => {
    const t = load(dirOf(name));
    for (const e of expectedOf(name).texts) assert.deepEqual(t.encode(e.text), { ids: e.ids, tokens: e.tokens }, JSON.stringify(e.text));
  });

  test(`${name}: the chat template's ids equal apply_chat_template(add_generation_prompt=True)`, () => {
    const t = load(dirOf(name));
    assert.equal(t.chatTemplate, true);
    for (const e of expectedOf(name).chats) {
      const chat = { user: e.user, ...(e.system !== undefined ? { system: e.system } : {}) };
      assert.deepEqual(t.encodeChat(chat), { ids: e.ids, tokens: e.tokens }, JSON.stringify(chat));
    }
  });
}

test('BOS is visible once: the template writes it and encoding adds no second one', () => {
  const { tokens } = load(dirOf('gemma')).encodeChat({ user: 'Hi' });
  assert.equal(tokens[0], '<bos>');
  assert.equal(tokens.filter((x) => x === '<bos>').length, 1);
});

/** A copy of the llama tokenizer folder with tokenizer_config.json changed by `edit`. */
function variant(edit: (config: Record<string, unknown>) => void): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-'));
  fs.copyFileSync(path.join(dirOf('llama'), 'tokenizer.json'), path.join(dir, 'tokenizer.json'));
  const config = JSON.parse(fs.readFileSync(path.join(dirOf('llama'), 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
  edit(config);
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify(config));
  return dir;
}

const templateError = (dir: string, message: RegExp) => (e: unknown) =>
  e instanceof ModelFormatError &&
  e.file === path.join(dir, 'tokenizer_config.json') &&
  e.field === 'chat_template' &&
  message.test(e.expected) &&
  /tokenizer_config\.json/.test(e.message);

test("raise_exception in the template is the template's error, naming tokenizer_config.json and chat_template", () => {
  const dir = dirOf('gemma');
  assert.throws(() => load(dir).encodeChat({ system: 'Be brief.', user: 'Hi' }), templateError(dir, /System role not supported/));
});

test('a template jinja cannot parse, or a filter it lacks, is a clear error; plain text still works', () => {
  const broken = variant((c) => (c.chat_template = '{% for m in messages %}{{ m.content }}'));
  const t = load(broken);
  assert.throws(() => t.encodeChat({ user: 'Hi' }), templateError(broken, /can parse/));
  assert.equal(t.encode('Hi').tokens[0], '<s>');
  const lacking = variant((c) => (c.chat_template = '{{ messages[0].content | no_such_filter }}'));
  assert.throws(() => load(lacking).encodeChat({ user: 'Hi' }), templateError(lacking, /no_such_filter/));
});

test('without a chat template, a chat prompt is an InputError on "chat"', () => {
  const t = load(variant((c) => delete c.chat_template));
  assert.equal(t.chatTemplate, false);
  assert.throws(
    () => t.encodeChat({ user: 'Hi' }),
    (e: unknown) => e instanceof InputError && e.field === 'chat' && /chat_template/.test(e.expected),
  );
});

test('named templates use "default"; chat_template.jinja beside the config takes priority', () => {
  const other = { name: 'tool_use', template: '{{ eos_token }}' };
  const named = variant((c) => (c.chat_template = [other, { name: 'default', template: '{{ bos_token }}[{{ messages[-1].content }}]' }]));
  assert.equal(load(named).encodeChat({ user: 'a' }).tokens.join(''), '<s>[a]');
  fs.writeFileSync(path.join(named, 'chat_template.jinja'), '{{ eos_token }}{{ messages[0].content }}');
  assert.equal(load(named).encodeChat({ user: 'a' }).tokens.join(''), '</s>a');
});
