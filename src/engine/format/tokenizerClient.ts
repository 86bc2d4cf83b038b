// Calls into the tokenizer thread (tokenizerThread.ts) synchronously, each with a time budget.
// @huggingface/tokenizers compiles a tokenizer.json's Split and Replace patterns into backtracking
// JS regular expressions: `(a|a)*b` runs for hours on 34 characters. A call that outlives its
// budget terminates the thread (V8 stops even a running regular expression) and throws
// TokenizerTimeout; the next call starts a new thread. So one hostile file costs its caller the
// budget, not the engine: other models' `info` and runs go on. Any thread may call (the engine
// worker, the CLI's main thread, tests): it blocks in Atomics.wait until the reply or the budget.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { isTokenizerReply, type TokenizerReply, type TokenizerRequest } from '../../../common/tokenizer';

/** Encoding a text may take this long, plus ENCODE_MS_PER_CHAR for each character. */
export const ENCODE_BUDGET_MS = 2000;
/** 1 s per 20,000 characters: a BPE tokenizer encodes 100,000 characters in about 0.25 s. */
const ENCODE_MS_PER_CHAR = 0.05;
/** Reading, checking and building a tokenizer.json (no pattern runs): big vocabularies take seconds. */
export const LOAD_BUDGET_MS = 30_000;
/** Added to the first call on a new thread: starting it and loading the library. */
const STARTUP_MS = 10_000;
/** The thread holds parsed tokenizer.json files; a runaway one stops at this heap size. */
const HEAP_MB = 2048;

export const encodeBudgetMs = (chars: number) => Math.round(ENCODE_BUDGET_MS + chars * ENCODE_MS_PER_CHAR);

/** The call did not answer within `ms`; the thread was terminated. */
export class TokenizerTimeout extends Error {
  override readonly name = 'TokenizerTimeout';
  constructor(readonly ms: number) {
    super(`the tokenizer thread did not answer within ${ms} ms and was stopped`);
  }
}

interface Thread {
  worker: Worker;
  port: MessagePort;
  flag: Int32Array;
  generation: number;
  started: boolean;
}

let current: Thread | undefined;
let generations = 0;
let nextId = 1;

export const requestId = (): number => nextId++;

/**
 * Sends `req` and waits for its reply. Returns it with the generation of the thread that answered:
 * a tokenizer loaded in an earlier generation is gone and must be loaded again.
 */
export function callTokenizerThread(req: TokenizerRequest, budgetMs: number): { reply: TokenizerReply; generation: number } {
  const t = (current ??= start());
  const ms = budgetMs + (t.started ? 0 : STARTUP_MS);
  t.started = true;
  Atomics.store(t.flag, 0, 0);
  t.port.postMessage(req);
  if (Atomics.wait(t.flag, 0, 0, ms) === 'timed-out') {
    stop(t);
    throw new TokenizerTimeout(ms);
  }
  for (let m = receiveMessageOnPort(t.port); m; m = receiveMessageOnPort(t.port)) {
    const reply: unknown = m.message;
    if (isTokenizerReply(reply) && reply.id === req.id) return { reply, generation: t.generation };
  }
  stop(t); // the signal came without a matching reply: the thread cannot be trusted
  throw new Error('the tokenizer thread sent a malformed reply');
}

/** Tells the thread a tokenizer is no longer used (no reply; nothing if that thread is gone). */
export function dropInTokenizerThread(handle: number, generation: number): void {
  if (current?.generation === generation) current.port.postMessage({ type: 'drop', id: requestId(), handle } satisfies TokenizerRequest);
}

export function currentTokenizerGeneration(): number | undefined {
  return current?.generation;
}

function start(): Thread {
  const { port1, port2 } = new MessageChannel();
  const signal = new SharedArrayBuffer(4);
  const worker = new Worker(workerScript(), {
    workerData: { port: port2, signal },
    transferList: [port2],
    resourceLimits: { maxOldGenerationSizeMb: HEAP_MB },
  });
  const t: Thread = { worker, port: port1, flag: new Int32Array(signal), generation: ++generations, started: false };
  // A thread that dies (out of heap) answers nothing: the call waiting on it times out. The events
  // only clear it for the next call; an 'error' without a listener would throw here.
  worker.on('error', () => current === t && (current = undefined));
  worker.on('exit', () => current === t && (current = undefined));
  worker.unref(); // an idle tokenizer must not keep the CLI or a test process alive
  return t;
}

function stop(t: Thread): void {
  if (current === t) current = undefined;
  t.port.close();
  void t.worker.terminate();
}

const SCRIPT = 'tokenizerWorker.js';
let script: string | undefined;

/**
 * dist/tokenizerWorker.js (esbuild.js builds it). The bundles in dist/ find it beside themselves;
 * the test bundles in out/test/… find the one in dist/ of the repository above them.
 */
function workerScript(): string {
  if (script) return script;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    for (const p of [path.join(dir, SCRIPT), path.join(dir, 'dist', SCRIPT)]) if (fs.existsSync(p)) return (script = p);
    if (path.dirname(dir) === dir) break;
  }
  throw new Error(`${SCRIPT} was not found beside ${__dirname} or in a dist/ folder above it (build with node esbuild.js)`);
}
