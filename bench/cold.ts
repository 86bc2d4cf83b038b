// `npm run bench -- bench/cold.ts [runs]`: the cold start of a BERT-base model (W2's weights as a
// ~340 MB model file), each in a new process as a new engine worker would: read the file, then the
// first run (n = 8, so that packing the weights for the native matmul is nearly all of it). Prints
// each phase's time and minor page faults: on the 2-core VM of issue 7 both phases are mostly the
// first touch of 340 MB of new memory, which the native module asks the kernel to back with huge pages.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadModel, prepare, runModel } from '../src/engine/run';
import { defaultKernels } from '../src/engine/kernels/index';
import { writeW2Model } from '../test/helpers/w2Model';
import { median } from './stats';

if (process.argv[2] === '--child') {
  const kernels = defaultKernels(); // loads the native module first, as the worker does
  const faults = () => process.resourceUsage().minorPageFault;
  let f0 = faults(),
    t0 = performance.now();
  const model = loadModel(process.argv[3]);
  const load = { ms: performance.now() - t0, faults: faults() - f0 };
  prepare(model, kernels);
  f0 = faults();
  t0 = performance.now();
  runModel(model, { ids: [1, 2, 3, 4, 5, 6, 7, 8] });
  const run = { ms: performance.now() - t0, faults: faults() - f0 };
  console.log(JSON.stringify({ load, run, kernels: (kernels as { name?: string }).name }));
} else {
  const runs = Number(process.argv[2] ?? 5);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-cold-'));
  const file = writeW2Model(dir);
  try {
    const rows: { load: { ms: number; faults: number }; run: { ms: number; faults: number }; kernels: string }[] = [];
    for (let i = 0; i < runs; i++) {
      const r = spawnSync(process.execPath, [__filename, '--child', file], { encoding: 'utf8', env: process.env });
      if (r.status !== 0) throw new Error(r.stderr);
      rows.push(JSON.parse(r.stdout.trim().split('\n').pop()!));
    }
    console.log(`cold BERT-base model (the file in the OS cache after the first) on ${rows[0].kernels}, ${runs} new processes:`);
    for (const r of rows)
      console.log(
        `  read + parse ${r.load.ms.toFixed(0)} ms (${r.load.faults} faults), first run ${r.run.ms.toFixed(0)} ms (${r.run.faults} faults)`,
      );
    console.log(
      `median: read ${median(rows.map((r) => r.load.ms)).toFixed(0)} ms, first run ${median(rows.map((r) => r.run.ms)).toFixed(0)} ms, together ${median(rows.map((r) => r.load.ms + r.run.ms)).toFixed(0)} ms`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
