// Chat prompts end to end: a Llama/Gemma checkpoint with a chat tokenizer beside it, run from the
// engine and from the CLI; the prompt's ids are transformers' apply_chat_template ids.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadModel } from '../../../src/engine/format/load';
import { runModel, summarize } from '../../../src/engine/run';
import { InputError } from '../../../src/engine/format/errors';

const ROOT = path.join(__dirname, '..', '..', '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const FIX = path.join(ROOT, 'test', 'fixtures');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-chat-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** hf-families/<family> with tokenizers/chat-<tok>'s tokenizer.json and tokenizer_config.json beside it. */
function chatModel(family: string, tok: string): string {
  const dir = path.join(tmp, `${family}-${tok}`);
  fs.cpSync(path.join(FIX, 'hf-families', family), dir, { recursive: true });
  for (const f of ['tokenizer.json', 'tokenizer_config.json'])
    fs.copyFileSync(path.join(FIX, 'tokenizers', `chat-${tok}`, f), path.join(dir, f));
  return dir;
}
const expected = (tok: string) =>
  JSON.parse(fs.readFileSync(path.join(FIX, 'tokenizers', `chat-${tok}`, 'expected.json'), 'utf8')) as {
    chats: { system?: string; user: string; ids: number[]; tokens: string[] }[];
  };

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('engine: a chat prompt runs on the template ids (BOS first) and the summary offers the template', () => {
  const model = loadModel(chatModel('llama', 'llama'));
  assert.equal(summarize(model).chatTemplate, true);
  const e = expected('llama').chats[1];
  const r = runModel(model, { chat: { system: e.system, user: e.user } });
  assert.deepEqual(r.ids.source, e.ids);
  assert.deepEqual(r.tokens.source, e.tokens);
  assert.equal(r.tokens.source[0], '<s>');
  const layer = r.attentions.find((a) => a.part === 'decoder')!;
  assert.equal(layer.queries, e.ids.length);
  assert.throws(
    () => runModel(model, { chat: { user: 'a' }, text: 'a' }),
    (x: unknown) => x instanceof InputError && x.field === 'chat',
  );
});

test('CLI: run --chat-user [--chat-system] tokenizes with the chat template', () => {
  const dir = chatModel('gemma', 'gemma');
  const e = expected('gemma').chats[0];
  const r = cli('run', dir, '--chat-user', e.user);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.deepEqual(j.tokens.source, e.tokens);
  assert.equal(j.attentions.decoder[0][0].length, e.ids.length);
  const withSystem = cli('run', chatModel('llama', 'llama'), '--chat-system', expected('llama').chats[1].system!, '--chat-user', 'Hi');
  assert.equal(withSystem.code, 0, withSystem.err);
  assert.match(JSON.parse(withSystem.out).tokens.source.join(''), /^<s><<SYS>>/);
});

test('CLI: template errors and models without a template exit 1 with one line naming the file and field', () => {
  const refused = cli('run', chatModel('gemma', 'gemma'), '--chat-system', 'Be brief.', '--chat-user', 'Hi');
  assert.equal(refused.code, 1);
  assert.match(refused.err.trim(), /tokenizer_config\.json.*chat_template.*System role not supported/);
  assert.equal(refused.err.trim().split('\n').length, 1);
  const none = cli('run', path.join(FIX, 'hf', 'gpt2'), '--chat-user', 'Hi');
  assert.equal(none.code, 1);
  assert.match(none.err, /chat: .*chat_template/);
  const usage = cli('run', path.join(FIX, 'hf', 'gpt2'), '--chat-system', 'x');
  assert.equal(usage.code, 2);
  assert.match(usage.err, /--chat-system: give --chat-user too/);
});
