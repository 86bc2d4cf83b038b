// The worker-thread engine as the extension host uses it: results cross as typed arrays,
// every request gets one answer, crashes and out-of-memory are reported and recovered from,
// and Cancel stops a long run quickly.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { EngineHost } from '../../../src/engineHost';
import { layerSummary } from '../../../common/layerSummary';
import type { RunResult } from '../../../src/engine/types';
import { writeRandomTransformer } from '../../helpers/randomModel';
import { W2_VOCAB, writeW2Model } from '../../helpers/w2Model';
import { nativeModule } from '../../../src/engine/kernels/native';

const ROOT = path.join(__dirname, '..', '..', '..', '..');
const WORKER = path.join(ROOT, 'dist', 'worker.js');
const REDOS = path.join(ROOT, 'test', 'fixtures', 'malformed', 'hf-tokenizer-redos');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-host-'));
const small = writeRandomTransformer(tmp, { kind: 'encoder-decoder', dModel: 16, layers: 2 });
// Issue 8's cancel workload: W2 of bench/workloads.ts (BERT-base shape, random weights), 512 tokens.
const w2 = writeW2Model(path.join(tmp, 'w2'));
const w2Ids = Array.from({ length: 512 }, (_, i) => (i * 7919) % W2_VOCAB);
const hosts: EngineHost[] = [];
const host = (o: Partial<ConstructorParameters<typeof EngineHost>[0]> = {}) => {
  const h = new EngineHost({ workerScript: WORKER, faults: true, ...o });
  hosts.push(h);
  return h;
};
after(async () => {
  await Promise.all(hosts.map((h) => h.dispose()));
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('a run in the worker returns typed-array attentions with shapes', async () => {
  const h = host();
  const r = await h.run(small, { text: 'w3 w4 w5 w6', targetIds: [1, 5, 6] });
  const cross = r.attentions.filter((a) => a.part === 'cross');
  assert.equal(cross.length, 2);
  assert.ok(cross[0].probs instanceof Float32Array);
  assert.equal(cross[0].probs.length, 2 * 3 * 4); // [heads, target, source]
  assert.deepEqual(r.tokens.source, ['w3', 'w4', 'w5', 'w6']);
  const dec = r.attentions.find((a) => a.part === 'decoder')!;
  assert.equal(dec.probs[0 * 3 + 1], 0, 'first target token cannot see the second');
});

test('the worker says which kernels ran the run, on how many threads, in how long', async () => {
  const r = await host({ threads: () => 2 }).run(small, { text: 'w3 w4 w5 w6', targetIds: [1, 5, 6] });
  // The worker's choice is the engine's: native (AVX-512 or AVX2, as the module picked) where it
  // loads (fastKernels.test.ts fails when it should and does not), else WASM.
  const native = nativeModule();
  if (native.module) assert.equal(r.engine?.kernels, native.isa === 'avx2' ? 'native AVX2' : 'native AVX-512');
  else assert.match(r.engine?.kernels ?? '', /^WASM (relaxed )?SIMD$/);
  assert.equal(r.engine?.threads, 2);
  assert.ok(r.engine!.ms > 0 && r.engine!.ms < 10_000, `${r.engine?.ms} ms`);
});

test('after a restart, the next worker runs multi-threaded kernels again (the native module outlives the first worker)', async () => {
  const h = host({ threads: () => 2, timeoutMs: 30_000 });
  const ids = w2Ids.slice(0, 32); // big enough that every matmul goes to the thread pool
  const first = await h.run(w2, { ids });
  await h.restart('test');
  const t0 = performance.now();
  const again = await h.run(w2, { ids }); // hung until the timeout when the module was unloaded with the first worker
  assert.ok(performance.now() - t0 < 20_000);
  assert.deepEqual(again.attentions[11].probs, first.attentions[11].probs);
});

test('a long run is streamed: partial results with the layers finished so far arrive before it ends, equal to the final layers', async () => {
  const h = host();
  const ids = w2Ids.slice(0, 128);
  await h.run(w2, { ids: ids.slice(0, 2) }); // load and pack the model first: time the run alone
  const partials: { result: RunResult; settled: boolean }[] = [];
  let settled = false;
  const t0 = performance.now();
  let firstMs = 0;
  const r = await h.run(w2, { ids }, undefined, (p) => {
    if (partials.length === 0) firstMs = performance.now() - t0;
    partials.push({ result: p, settled });
  });
  settled = true;
  const totalMs = performance.now() - t0;
  assert.ok(partials.length >= 1, 'at least one partial result');
  assert.ok(
    partials.every((p) => !p.settled),
    'no partial after the result',
  );
  const first = partials[0].result;
  assert.equal(first.running?.total, 12);
  assert.ok(first.attentions.length >= 1 && first.attentions.length < 12, `${first.attentions.length} of 12 layers in the first partial`);
  assert.equal(first.attentions.length, first.running?.done, 'the layers before the current checkpoint');
  assert.deepEqual(first.addNorm, []);
  assert.equal(first.predicted, undefined);
  assert.deepEqual(first.ids.source, ids);
  // Later partials only add layers; every layer equals the final result's (copied across threads).
  partials.forEach((p, i) => {
    if (i > 0) assert.ok(p.result.attentions.length > partials[i - 1].result.attentions.length);
    p.result.attentions.forEach((a, l) => {
      assert.equal(a.layer, l);
      assert.deepEqual(a.probs, r.attentions[l].probs);
    });
  });
  // The host keeps one copy of a streamed layer: the result holds the very arrays it streamed.
  partials[partials.length - 1].result.attentions.forEach((a, l) =>
    assert.equal(r.attentions[l].probs, a.probs, `layer ${l} is the streamed copy`),
  );
  assert.equal(r.running, undefined);
  // Every layer comes summarised by the worker, with the numbers the host would compute from it.
  r.attentions.forEach((a, l) =>
    assert.deepStrictEqual(a.summary, layerSummary({ ...a, summary: undefined, probs: a.probs.slice() }), `layer ${l}`),
  );
  assert.ok(firstMs < totalMs, `first partial after ${firstMs.toFixed(0)} ms, result after ${totalMs.toFixed(0)} ms`);
});

test('a bad input is answered with an error naming the field, and the worker keeps working', async () => {
  const h = host();
  await assert.rejects(h.run(small, { ids: [3, 99] }), (e: Error & { field?: string }) => {
    assert.equal(e.name, 'InputError');
    assert.equal(e.field, 'ids[1]');
    return true;
  });
  const r = await h.run(small, { ids: [3, 4], targetIds: [1] });
  assert.equal(r.ids.source.length, 2);
  assert.equal(h.starts, 1);
});

test("the host's maxTokens (attentionInspector.maxSequenceLength) applies to every run that gives none", async () => {
  const h = host({ maxTokens: () => 3 });
  await assert.rejects(h.run(small, { text: 'w3 w4 w5 w6', targetIds: [1] }), /4 tokens is over the limit of 3/);
  const r = await h.run(small, { text: 'w3 w4 w5', targetIds: [1] });
  assert.equal(r.ids.source.length, 3);
});

test('a worker that exits is reported, requests queued behind it are answered, and the next run starts a new worker', async () => {
  const h = host();
  const crash = h.fault('exit');
  const pending = h.run(small, { ids: [3], targetIds: [1] }); // queued in the worker behind the crash
  await assert.rejects(crash, /stopped unexpectedly \(exit code 3\)/);
  await assert.rejects(pending, /It will start again for the next run/);
  const r = await h.run(small, { ids: [3], targetIds: [1] });
  assert.equal(r.attentions.length > 0, true);
  assert.equal(h.starts, 2);
});

test('a worker that runs out of memory is reported as such and replaced (heap limit from maxRunMemoryMB)', async () => {
  const h = host({ maxRunMemoryMB: () => 64 }); // → a 256 MB heap (workerResourceLimits)
  await assert.rejects(h.fault('oom'), /ran out of memory/);
  const r = await h.run(small, { ids: [4], targetIds: [1] });
  assert.equal(r.ids.source[0], 4);
});

test('a worker that allocates typed arrays without end (outside its heap limit) is stopped by the memory watch', async () => {
  const h = host({ maxRunMemoryMB: () => 64 }); // the process may grow by 2 × 64 MB + 1 GB
  const t0 = performance.now();
  await assert.rejects(h.fault('alloc'), (e: Error) => {
    assert.equal(e.name, 'MemoryLimitError');
    assert.match(
      e.message,
      /used [\d,]+ MB more memory while fault alloc, over what the setting attentionInspector\.maxRunMemoryMB \(64 MB\) allows/,
    );
    return true;
  });
  console.log(`runaway allocation stopped after ${(performance.now() - t0).toFixed(0)} ms`);
  const r = await h.run(small, { ids: [7], targetIds: [1] });
  assert.equal(r.ids.source[0], 7);
  assert.equal(h.starts, 2);
});

test('Cancel stops a W2 run (BERT-base shape, 12 layers, d 768, n = 512) within 200 ms and the engine stays usable', async () => {
  const h = host();
  // Warm the model cache so the measured run is compute, not reading the 340 MB file.
  await h.run(w2, { ids: w2Ids.slice(0, 4) });
  let layerStarted!: () => void;
  const computing = new Promise<void>((r) => (layerStarted = r));
  const run = h.run(w2, { ids: w2Ids }, () => layerStarted());
  await computing; // the first layer of the 512-token run is under way
  await new Promise((r) => setTimeout(r, 300));
  const t0 = performance.now();
  run.cancel();
  await assert.rejects(run, (e: Error) => e.name === 'CancelledError');
  const ms = performance.now() - t0;
  console.log(`Cancel of W2 n=512: answered in ${ms.toFixed(1)} ms`);
  assert.ok(ms < 200, `cancel took ${ms.toFixed(0)} ms`);
  const again = await h.run(small, { ids: [5], targetIds: [1] });
  assert.equal(again.ids.source[0], 5);
});

test('a hung worker is stopped by the timeout and the request is answered', async () => {
  // The timeout also covers the next run, which starts a fresh worker (WASM kernels, thread pool):
  // 500 ms was too tight for that on a busy machine.
  const h = host({ timeoutMs: 3000 });
  await assert.rejects(h.fault('hang'), (e: Error) => e.name === 'TimeoutError');
  const r = await h.run(small, { ids: [6], targetIds: [1] });
  assert.equal(r.ids.source[0], 6);
});

test(
  'a tokenizer.json whose pattern never finishes: info answers within 5 s, naming the pattern, and the requests queued behind it go on',
  { timeout: 30_000 },
  async () => {
    const h = host();
    await h.info(small); // the worker is up
    const t0 = performance.now();
    const hostile = h.info(REDOS); // its probe encode backtracks for hours in @huggingface/tokenizers
    const next = h.info(small); // queued behind it in the same worker
    await assert.rejects(hostile, (e: Error & { file?: string; field?: string }) => {
      assert.equal(e.name, 'ModelFormatError');
      assert.equal(e.file, path.join(REDOS, 'tokenizer.json'));
      assert.equal(e.field, 'pre_tokenizer.pattern.Regex');
      assert.match(e.message, /still running on a short probe text after 2 s and the tokenizer was stopped/);
      return true;
    });
    assert.equal((await next).name, (await h.info(small)).name);
    const ms = performance.now() - t0;
    console.log(`hostile tokenizer answered, and the next info, in ${ms.toFixed(0)} ms`);
    assert.ok(ms < 5000, `${ms.toFixed(0)} ms`);
    const r = await h.run(small, { ids: [3], targetIds: [1] });
    assert.equal(r.ids.source[0], 3);
    assert.equal(h.starts, 1, 'the engine worker kept running (and its loaded models)');
  },
);

test(
  'a model whose tokenizer ran out of time answers at once on the next info, until its tokenizer.json changes',
  { timeout: 30_000 },
  async () => {
    const dir = path.join(tmp, 'redos');
    fs.cpSync(REDOS, dir, { recursive: true });
    const h = host();
    const timedInfo = async () => {
      const t0 = performance.now();
      const e = await h.info(dir).then(
        () => undefined,
        (err: Error) => err,
      );
      return { message: e?.message, ms: performance.now() - t0 };
    };
    const first = await timedInfo();
    assert.match(first.message ?? '', /tokenizer\.json: pre_tokenizer\.pattern\.Regex: .* after 2 s/);
    const again = await timedInfo(); // a Models tree refresh
    assert.equal(again.message, first.message);
    assert.ok(again.ms < 1000, `${again.ms.toFixed(0)} ms`);
    fs.utimesSync(path.join(dir, 'tokenizer.json'), new Date(), new Date(Date.now() + 5000)); // edited
    const edited = await timedInfo();
    assert.equal(edited.message, first.message);
    assert.ok(edited.ms >= 2000, `loaded and probed again: ${edited.ms.toFixed(0)} ms`);
  },
);

test('a run over maxRunMemoryMB is refused by the worker with the numbers, before computing, and the worker stays', async () => {
  const h = host({ maxRunMemoryMB: () => 256 });
  const progress: string[] = [];
  await assert.rejects(
    h.run(w2, { ids: w2Ids }, (p) => progress.push(p.message)),
    (e: Error & { field?: string }) => {
      assert.equal(e.name, 'InputError');
      assert.equal(e.field, 'ids');
      assert.match(
        e.message,
        /this run needs ~\d+ MB .*the limit is 256 MB \(setting attentionInspector\.maxRunMemoryMB\).*at most about \d+ source tokens fit/,
      );
      return true;
    },
  );
  assert.deepEqual(progress, [], 'no layer was started');
  const r = await h.run(small, { ids: [3], targetIds: [1] });
  assert.equal(r.ids.source[0], 3);
  assert.equal(h.starts, 1);
});

test('settings apply without a reload: the timeout is read at each request, and a worker setting restarts the worker once it is idle', async () => {
  let timeoutMs = 30_000;
  let threads = 1;
  const h = host({ timeoutMs: () => timeoutMs, threads: () => threads });
  assert.equal((await h.run(small, { ids: [5], targetIds: [1] })).engine?.threads, 1);
  timeoutMs = 300; // the setting changed after the host was made
  await assert.rejects(h.fault('hang'), (e: Error) => e.name === 'TimeoutError' && /0\.3 s/.test(e.message));
  timeoutMs = 30_000;
  const running = h.run(small, { ids: [6], targetIds: [1] });
  const starts = h.starts; // the hang's timeout stopped the last worker: this run started one
  threads = 2;
  h.restartWhenIdle(); // a run is pending: it finishes on the old worker
  assert.equal((await running).engine?.threads, 1);
  const next = await h.run(small, { ids: [7], targetIds: [1] });
  assert.equal(next.engine?.threads, 2, 'the next run has a fresh worker with the new threads');
  assert.equal(h.starts, starts + 1);
});
