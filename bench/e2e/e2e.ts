// `npm run bench:e2e`: issue 20's scenario in the real VS Code server + Chromium (scenario.ts).
// Prints a table (figure, goal, pass/fail) and writes artifacts/bench/e2e[-small].json.
//   npm run bench:e2e                        BERT-base size (12 layers, 86.6 M parameters), n = 512
//   npm run bench:e2e -- --small             2 layers, n = 128 (the UI test level runs this one)
//   WARM=2 SWITCHES=6 npm run bench:e2e      warm runs, head switches during and after each
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { finish, repoRoot } from '../../test/integration/harness';
import { median } from '../stats';
import { BERT_BASE_SIZE, parameterCount } from './bertFolder';
import { runScenario, type ScenarioResult } from './scenario';
import { e2eRows, type E2eRow } from './rows';

async function main(): Promise<number> {
  const small = process.argv.includes('--small');
  const size = small ? { ...BERT_BASE_SIZE, layers: 2 } : BERT_BASE_SIZE;
  const n = small ? 128 : 512;
  console.log(
    `e2e bench: ${size.layers} layers, ${(parameterCount(size) / 1e6).toFixed(1)} M parameters, n = ${n}; load ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`,
  );
  const result = await runScenario({
    size,
    n,
    // The cancelled run is the model's longest input: at 512 ids a warm run could end before the
    // notification center opened and its Cancel landed.
    cancelN: 1024,
    warmRuns: Number(process.env.WARM ?? 2),
    switches: Number(process.env.SWITCHES ?? 6),
    runTimeoutMs: 180_000,
    log: (l) => console.log(`  … ${l}`),
  });
  const rows = e2eRows(result);
  printTable(rows, result);
  const out = path.join(repoRoot(), 'artifacts', 'bench', small ? 'e2e-small.json' : 'e2e.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(
    out,
    JSON.stringify({ when: new Date().toISOString(), load: os.loadavg(), cores: os.cpus().length, rows, result }, null, 2),
  );
  console.log(`written: ${path.relative(process.cwd(), out)}`);
  return 0;
}

function printTable(rows: E2eRow[], r: ScenarioResult): void {
  const w = Math.max(...rows.map((x) => x.name.length));
  for (const row of rows) {
    const verdict = row.pass === undefined ? '' : row.pass ? 'ok' : 'MISS';
    console.log(`${row.name.padEnd(w)}  ${row.value.padStart(16)}  ${(row.goal ?? '').padEnd(12)} ${verdict}`);
  }
  r.warm.forEach((x, i) =>
    console.log(
      `warm run ${i + 1} statuses: ${x.statuses.slice(0, 4).join(' / ')}${x.statuses.length > 4 ? ` … (${x.statuses.length})` : ''}`,
    ),
  );
  for (const p of r.problems) console.log(`problem: ${p}`);
  void median;
}

main().then(
  (code) => finish(code),
  (e) => {
    console.error(e);
    return finish(1);
  },
);
