// The tokenizer thread (dist/tokenizerWorker.js): a message loop only. It holds the Hugging Face
// tokenizers of the thread that started it, answers on the port it was given, and after each
// reply raises the shared signal the caller waits on (see tokenizerClient.ts).
import { workerData, type MessagePort } from 'node:worker_threads';
import { isTokenizerRequest, type TokenizerErrorInfo, type TokenizerReply, type TokenizerRequest } from '../../../common/tokenizer';
import { serve, type Replier } from '../../../common/rpc';
import { encode, encodeChat, loadHf, probe, type LoadedHf } from './hfTokenizerCore';

const { port, signal } = workerData as { port: MessagePort; signal: SharedArrayBuffer };
const flag = new Int32Array(signal);
const loaded = new Map<number, { file: string; t: LoadedHf }>();
let nextHandle = 1;

function errorInfo(e: unknown): TokenizerErrorInfo {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e) };
  const { file, field, expected } = e as Error & { file?: unknown; field?: unknown; expected?: unknown };
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return { name: e.name, message: e.message, file: str(file), field: str(field), expected: str(expected) };
}

/** Posts an answer and wakes the caller, which waits on the shared flag (every answer goes through serve). */
function post(m: TokenizerReply): void {
  port.postMessage(m);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

function tokenizer(handle: number): { file: string; t: LoadedHf } {
  const hit = loaded.get(handle);
  if (!hit) throw new Error(`no tokenizer ${handle} in the tokenizer thread`);
  return hit;
}

function handle(msg: TokenizerRequest, r: Replier<TokenizerReply>): void {
  switch (msg.type) {
    case 'drop': // no answer: the caller does not wait for it
      loaded.delete(msg.handle);
      break;
    case 'load': {
      const t = loadHf(msg.file, msg.configFile);
      const handle = nextHandle++;
      loaded.set(handle, { file: msg.file, t });
      r.reply({
        type: 'loaded',
        handle,
        tokens: t.tokens,
        patterns: t.patterns,
        ...(t.unkToken === undefined ? {} : { unkToken: t.unkToken }),
        chatTemplate: t.chatTemplate !== undefined,
      });
      break;
    }
    case 'probe': {
      const { file, t } = tokenizer(msg.handle);
      try {
        probe(file, t);
      } catch (e) {
        loaded.delete(msg.handle); // a file that fails its probe is not used
        throw e;
      }
      r.reply({ type: 'encoded', ids: [], tokens: [] });
      break;
    }
    case 'encode': {
      const { file, t } = tokenizer(msg.handle);
      r.reply({ type: 'encoded', ...encode(file, t, msg.text) });
      break;
    }
    case 'chat': {
      const { file, t } = tokenizer(msg.handle);
      r.reply({ type: 'encoded', ...encodeChat(file, t, msg.chat) });
      break;
    }
  }
}

port.on(
  'message',
  serve<TokenizerRequest, TokenizerReply>({
    guard: isTokenizerRequest,
    post,
    error: (e) => ({ type: 'error', error: errorInfo(e) }),
    malformed: {
      reply: { type: 'error', error: { name: 'ProtocolError', message: 'malformed request to the tokenizer thread' } },
      fallbackId: 0,
    },
    oneWay: (m) => m.type === 'drop',
    handle,
  }),
);
