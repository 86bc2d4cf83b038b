// Runs inside the VS Code extension host (extensionTestsPath → out/test/integration/suite/index.js).
// Loads every *.suite.js next to this file into one mocha (tdd ui) run.
//
// The extension host's console is not our terminal, so every line is also appended to the file
// named by $AI_TEST_REPORT; runCodeServer.ts tails that file to its stdout. The last line is
// `N passed, N failed`, which scripts/test-all.sh reads.
//
// Environment (set by the runner, inherited by the extension host):
//   AI_TEST_REPORT   file to append the report to
//   AI_TEST_GREP     only run tests whose full title matches this regexp
//   AI_TEST_TIMEOUT  per-test timeout in ms (default 30000)

import * as fs from 'fs';
import * as path from 'path';
import Mocha from 'mocha';

type Out = (line: string) => void;

export async function run(): Promise<void> {
  const report = process.env.AI_TEST_REPORT;
  const out: Out = (line) => {
    console.log(line);
    if (report) fs.appendFileSync(report, line + '\n');
  };
  const files = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.suite.js'))
    .sort();
  if (!files.length) {
    out(`no *.suite.js files in ${__dirname}`);
    out('0 passed, 1 failed');
    throw new Error('no integration suites found');
  }
  out(`suites: ${files.join(', ')}`);
  const mocha = new Mocha({
    ui: 'tdd',
    color: false,
    timeout: Number(process.env.AI_TEST_TIMEOUT) || 30_000,
    reporter: reporter(out),
    ...(process.env.AI_TEST_GREP ? { grep: new RegExp(process.env.AI_TEST_GREP) } : {}),
  });
  for (const f of files) mocha.addFile(path.join(__dirname, f));
  try {
    await mocha.loadFilesAsync();
  } catch (e) {
    out(`failed to load suites: ${(e as Error).stack ?? e}`);
    out('0 passed, 1 failed');
    throw e;
  }
  const failures = await new Promise<number>((resolve) => mocha.run(resolve));
  if (failures) throw new Error(`${failures} integration test(s) failed`);
}

/** A spec-like reporter that writes through `out` and ends with `N passed, N failed`. */
function reporter(out: Out): new (runner: Mocha.Runner) => Mocha.reporters.Base {
  return class extends Mocha.reporters.Base {
    constructor(runner: Mocha.Runner) {
      super(runner);
      const c = Mocha.Runner.constants;
      let depth = 0;
      let passed = 0;
      let pending = 0;
      const failures: { title: string; err: Error }[] = [];
      const pad = () => '  '.repeat(depth);
      runner.on(c.EVENT_SUITE_BEGIN, (s: Mocha.Suite) => {
        if (s.title) out(`${pad()}${s.title}`);
        if (s.title) depth++;
      });
      runner.on(c.EVENT_SUITE_END, (s: Mocha.Suite) => {
        if (s.title) depth--;
      });
      runner.on(c.EVENT_TEST_PASS, (t: Mocha.Test) => {
        passed++;
        out(`${pad()}✓ ${t.title} (${t.duration ?? 0} ms)`);
      });
      runner.on(c.EVENT_TEST_PENDING, (t: Mocha.Test) => {
        pending++;
        out(`${pad()}- ${t.title} (pending)`);
      });
      // Also fires for failing hooks ("before all" etc.), which count as failures.
      runner.on(c.EVENT_TEST_FAIL, (t: Mocha.Runnable, err: Error) => {
        failures.push({ title: t.fullTitle(), err });
        out(`${pad()}✗ ${failures.length}) ${t.title}`);
      });
      runner.once(c.EVENT_RUN_END, () => {
        failures.forEach(({ title, err }, i) => {
          out('');
          out(`${i + 1}) ${title}`);
          // Frames inside VS Code itself say nothing about our code.
          const lines = String(err?.stack ?? err)
            .split('\n')
            .filter((l) => !/^\s+at .*(extensionHostProcess|workbench)\.js/.test(l));
          out(`   ${lines.slice(0, 20).join('\n   ')}`);
        });
        out('');
        if (pending) out(`${pending} pending`);
        out(`${passed} passed, ${failures.length} failed`);
      });
    }
  };
}
