// Fuzzing the model readers (issue 8): ≥ 10,000 mutated model files per run — project JSON,
// safetensors, HF config.json, tokenizer.json — each must be accepted or rejected with the
// readers' own error naming file and field; no case may take over 5 s or allocate over the cap.
//
//   AI_FUZZ_SEED=<n>        another seed (default fixed, printed)
//   AI_FUZZ_SCALE=<x>       x times the default number of cases (e.g. 10 for a long local run)
//   AI_FUZZ_CAMPAIGN=<name> only one campaign: project | safetensors | hfConfig | tokenizer
//
// Each campaign runs in a worker thread watched from here: a case that stops reporting for
// longer than the case limit is a hang, and the worker is terminated.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FuzzJob, FuzzMessage } from './fuzzWorker';
import { CASE_LIMIT_MS, type Figures } from './outcome';
import type { CampaignName } from './campaigns';

const DEFAULT_SEED = 20261125;
const seed = Number(process.env.AI_FUZZ_SEED ?? DEFAULT_SEED);
const scale = Number(process.env.AI_FUZZ_SCALE ?? 1);
const only = process.env.AI_FUZZ_CAMPAIGN as CampaignName | undefined;
const NAMES: CampaignName[] = only ? [only] : ['project', 'safetensors', 'hfConfig', 'tokenizer'];
// Cases go through real files; on Linux a RAM disk keeps 10,000 writes off a busy disk.
const tmp = fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'ai-fuzz-'));
const results: Figures[] = [];
const failures: string[] = [];
after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  report(results);
});

function runCampaign(campaign: CampaignName, i: number): Promise<{ figures?: Figures; failure?: string }> {
  const job: FuzzJob = { campaign, seed: seed + i, scale, tmp: path.join(tmp, campaign) };
  const worker = new Worker(path.join(__dirname, 'fuzzWorker.js'), { workerData: job, resourceLimits: { maxOldGenerationSizeMb: 1024 } });
  return new Promise((resolve) => {
    let last: { index: number; at: number; input?: unknown } = { index: -1, at: performance.now() };
    const watchdog = setInterval(() => {
      if (performance.now() - last.at < CASE_LIMIT_MS + 2000) return;
      clearInterval(watchdog);
      void worker.terminate();
      const input = JSON.stringify(last.input, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
      resolve({
        failure: `case ${last.index} of ${campaign} (seed ${job.seed}) did not finish in ${CASE_LIMIT_MS} ms: a hang\n  input: ${input}`,
      });
    }, 250);
    worker.on('message', (m: FuzzMessage) => {
      if (m.type === 'case') last = { index: m.index, at: performance.now(), input: m.input };
      else {
        clearInterval(watchdog);
        void worker.terminate();
        resolve({ figures: m.figures, failure: m.failure });
      }
    });
    worker.on('error', (e) => {
      clearInterval(watchdog);
      resolve({ failure: `the fuzz worker died in case ${last.index} of ${campaign} (seed ${job.seed}): ${e.message}` });
    });
  });
}

NAMES.forEach((name, i) => {
  test(
    `fuzz ${name}: every mutated file is accepted or rejected with a reader error naming file and field`,
    { timeout: 600_000 },
    async () => {
      const r = await runCampaign(name, i);
      if (r.figures) results.push(r.figures);
      if (r.failure) failures.push(r.failure.split('\n')[0]);
      if (r.failure) assert.fail(r.failure);
      assert.ok(r.figures && r.figures.slowest.ms < CASE_LIMIT_MS);
    },
  );
});

test('the fuzz run tried at least 10,000 files in total', { skip: only !== undefined || scale < 1 }, () => {
  const tried = results.reduce((s, f) => s + f.tried, 0);
  assert.ok(tried >= 10_000, `only ${tried} files tried`);
});

const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;

/** The figures for docs/reliability.md; also written to artifacts/fuzz-figures.json. */
function report(all: Figures[]): void {
  if (!all.length) return;
  const lines = [`fuzz seed ${seed} (set AI_FUZZ_SEED to change; campaign i uses seed + i), scale ${scale}`];
  for (const f of all) {
    const rejected = Object.values(f.rejected).reduce((a, b) => a + b, 0);
    lines.push(
      `${f.campaign}: ${f.tried} files, ${f.accepted} accepted by the reader (${f.ran} of them also ran a short input${f.notRun ? `, ${f.notRun} not run: no memory estimate for their architecture` : ''}), ${rejected} rejected, ` +
        `slowest ${f.slowest.ms.toFixed(1)} ms, largest allocation ${mb(f.largestAllocation)} (case total ≤ ${mb(f.largestCaseAllocation)}), ${(f.ms / 1000).toFixed(1)} s`,
    );
    lines.push(
      `  by error: ${Object.entries(f.rejected)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
    const top = Object.entries(f.fields).sort((a, b) => b[1] - a[1]);
    lines.push(
      `  by field (${top.length} kinds): ${top
        .slice(0, 12)
        .map(([k, v]) => `${k.replace(/^(\S+)( \(run\))?\s+(.*)$/, '$3$2')} ${v}`)
        .join(', ')}${top.length > 12 ? ', …' : ''}`,
    );
    lines.push(`  slowest case: ${f.slowest.what.slice(0, 200)}`);
  }
  const tried = all.reduce((s, f) => s + f.tried, 0);
  lines.push(
    failures.length
      ? `total: ${tried} files; FAILED: ${failures.join(' | ')}`
      : `total: ${tried} files, 0 hangs, 0 crashes (uncaught errors), 0 over the allocation cap`,
  );
  console.log(lines.join('\n'));
  const out = path.join(__dirname, '..', '..', '..', '..', 'artifacts');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'fuzz-figures.json'), JSON.stringify({ seed, scale, campaigns: all }, null, 2));
}
