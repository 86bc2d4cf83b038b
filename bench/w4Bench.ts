// W4 for `npm run bench`: a Qwen2.5-0.5B-shaped BF16 decoder (bench/w4Model.ts), prefill n = 512 with
// all 24 × 14 attention maps, then 32 greedy steps over the KV cache — ours (bench/w4.ts) beside
// PyTorch + transformers in float32 and bfloat16 (bench/w4_torch.py), each in a process of its own so
// that each peak RSS is that engine's alone. The folder (~1 GB) is written once into the temp folder
// and reused. PyTorch: $BENCH_PYTHON, else /work/venv/bin/python, else python3; without torch and
// transformers the rows say "PyTorch not available". onnxruntime-web (bench/w4Ort.ts) runs float32
// weights, having no BF16 MatMul (microsoft/onnxruntime#20630); its row carries the error if it fails.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import type { W4Result } from './w4';
import type { OrtW4Result } from './w4Ort';
import { median } from './stats';

export interface TorchW4 {
  dtype: 'float32' | 'bfloat16';
  torch?: string;
  prefillMs?: number[];
  stepsMs?: number[];
  prefillCpuMs?: number[];
  stepsCpuMs?: number[];
  tokens?: number[];
  peakRssMB?: number;
  /** Why there are no figures. */
  unavailable?: string;
}

export interface W4Report {
  folder: string;
  ours: W4Result;
  torch: TorchW4[];
  ort: OrtW4Result;
  /** Goal: peak RSS ≤ the BF16 weights + the attention maps + 300 MB. */
  rssGoalMB: number;
  tokensEqualTorchF32?: string;
  tokensEqualOrt?: string;
}

const ROOT = path.join(__dirname, '..', '..');

function python(): string {
  if (process.env.BENCH_PYTHON) return process.env.BENCH_PYTHON;
  return fs.existsSync('/work/venv/bin/python') ? '/work/venv/bin/python' : 'python3';
}

/** The last line of a child's stdout as JSON, or an Error naming what went wrong. */
function child(cmd: string, args: string[]): unknown {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error || r.status !== 0)
    throw new Error(
      `${path.basename(cmd)} ${args.slice(0, 2).join(' ')}: ${r.error?.message ?? r.stderr.trim().split('\n').slice(-3).join(' ')}`,
    );
  const last = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last);
}

export function runW4Bench(opts: { threads: number; kernels: string; runs: number; log: (s: string) => void }): W4Report {
  const folder = path.join(os.tmpdir(), 'attention-inspector-bench', 'w4-qwen2.5-0.5b-bf16');
  const node = (entry: string, args: string[]) => child(process.execPath, [path.join('bench', 'run.js'), entry, ...args]);
  opts.log(`W4: the model folder ${folder} (written once, ~1 GB)`);
  spawnSync(process.execPath, [path.join('bench', 'run.js'), 'bench/w4Write.ts', folder], { cwd: ROOT, stdio: 'inherit' });
  const common = ['--threads', String(opts.threads), '--runs', String(opts.runs)];
  opts.log('W4: ours');
  const ours = node('bench/w4.ts', [folder, ...common, '--kernels', opts.kernels]) as W4Result;
  const torch: TorchW4[] = [];
  const py = python();
  const probe = spawnSync(py, ['-c', 'import torch, transformers'], { encoding: 'utf8' });
  for (const dtype of ['float32', 'bfloat16'] as const) {
    if (probe.error || probe.status !== 0) {
      torch.push({ dtype, unavailable: `PyTorch not available (${py}: ${probe.error?.message ?? 'import torch, transformers failed'})` });
      continue;
    }
    opts.log(`W4: PyTorch ${dtype}`);
    try {
      torch.push({ dtype, ...(child(py, ['bench/w4_torch.py', folder, '--dtype', dtype, ...common]) as object) });
    } catch (e) {
      torch.push({ dtype, unavailable: `PyTorch run failed: ${e instanceof Error ? e.message : String(e)}` });
    }
  }
  opts.log('W4: onnxruntime-web float32');
  let ort: OrtW4Result;
  try {
    ort = node('bench/w4Ort.ts', [folder, ...common]) as OrtW4Result;
  } catch (e) {
    ort = { engine: 'onnxruntime-web', weights: 'float32', threads: opts.threads, failed: e instanceof Error ? e.message : String(e) };
  }
  const f32 = torch.find((t) => t.dtype === 'float32')?.tokens;
  const same = f32 ? ours.tokens.filter((t, i) => t === f32[i]).length : undefined;
  return {
    folder,
    ours,
    torch,
    ort,
    rssGoalMB: ours.weightsMB + ours.mapsMB + 300,
    tokensEqualTorchF32: same === undefined ? undefined : `${same}/${ours.tokens.length}`,
    tokensEqualOrt: ort.tokens && `${ours.tokens.filter((t, i) => t === ort.tokens![i]).length}/${ours.tokens.length}`,
  };
}

/** The README table's rows: wall and CPU medians of each engine, then peak RSS. */
export function printW4(r: W4Report, log: (s: string) => void): void {
  const m = (x?: number[]) => (x && x.length ? median(x) : undefined);
  const f = (x?: number) => (x === undefined ? '–' : (x / 1000).toFixed(2));
  log(`\nW4 Qwen2.5-0.5B-shaped BF16 (prefill n=512 with all 24×14 maps; 32 greedy steps), seconds: wall (CPU of all threads)`);
  log('| engine | prefill | 32 steps | peak RSS (MB) |');
  log('|---|---|---|---|');
  const o = r.ours;
  log(
    `| ours (${o.kernels}, BF16 weights) | ${f(m(o.prefillMs))} (${f(m(o.prefillCpuMs))}) | ${f(m(o.stepsMs))} (${f(m(o.stepsCpuMs))}) | ${o.peakRssMB.toFixed(0)} |`,
  );
  for (const t of r.torch) {
    if (t.unavailable) log(`| PyTorch ${t.dtype} | ${t.unavailable} | | |`);
    else
      log(
        `| PyTorch ${t.torch} ${t.dtype} | ${f(m(t.prefillMs))} (${f(m(t.prefillCpuMs))}) | ${f(m(t.stepsMs))} (${f(m(t.stepsCpuMs))}) | ${t.peakRssMB?.toFixed(0)} |`,
      );
  }
  const x = r.ort;
  if (x.failed) log(`| ${x.engine}, float32 weights | failed: ${x.failed} | | ${x.peakRssMB?.toFixed(0) ?? '–'} |`);
  else
    log(
      `| ${x.engine}, float32 weights | ${f(m(x.prefillMs))} (${f(m(x.prefillCpuMs))}) | ${f(m(x.stepsMs))} (${f(m(x.stepsCpuMs))}) | ${x.peakRssMB?.toFixed(0)} |`,
    );
  log(
    `onnxruntime-web runs float32 weights (its WASM kernels have no BF16 MatMul, microsoft/onnxruntime#20630; ` +
      `a BF16 MatMul session: ${x.bf16MatMul ?? 'not tried'}): ` +
      `${x.dataMB?.toFixed(0) ?? '–'} MB as external data, one session for prefill and KV-cache steps; ` +
      `check on a tiny shape against ours: ${x.check ? `max |Δp| ${x.check.maxAbsDiff.toExponential(1)} (≤ 1e-4: ${x.check.maxAbsDiff <= 1e-4 ? 'same computation' : 'NOT the same computation'}), tokens ${x.check.tokensEqual ? 'equal' : 'differ'}` : 'not run'}; ` +
      `greedy tokens equal to ours: ${r.tokensEqualOrt ?? '–'}`,
  );
  log(
    `ours: file ${o.fileMB.toFixed(0)} MB, weights in memory ${o.weightsMB.toFixed(0)} MB, maps ${o.mapsMB.toFixed(0)} MB, RSS after opening ${o.rssAfterOpenMB.toFixed(0)} MB, ` +
      `peak ${o.peakRssMB.toFixed(0)} MB (goal ≤ ${r.rssGoalMB.toFixed(0)}: ${o.peakRssMB <= r.rssGoalMB ? 'met' : 'not met'}); ` +
      `greedy tokens equal to PyTorch float32: ${r.tokensEqualTorchF32 ?? 'PyTorch not available'}`,
  );
}
