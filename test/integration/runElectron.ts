// The same integration suites in desktop VS Code (Electron), for machines with internet:
// @vscode/test-electron downloads VS Code into .vscode-test/ on first use.
//
//   npm run test:electron
//
// Offline (as on the CI machine) the download fails (ENOTFOUND); use runCodeServer.ts there.
// Headless Linux needs a display: `xvfb-run -a npm run test:electron`.

import * as path from 'path';
import { runTests } from '@vscode/test-electron';

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '..', '..', '..'); // out/test/integration → repo root
  try {
    await runTests({
      version: process.env.AI_VSCODE_VERSION || 'stable',
      extensionDevelopmentPath: root,
      extensionTestsPath: path.join(root, 'out', 'test', 'integration', 'suite', 'index.js'),
      // Test env for the extension host; the suite prints to this process's stdout already.
      extensionTestsEnv: process.env.AI_TEST_GREP ? { AI_TEST_GREP: process.env.AI_TEST_GREP } : {},
      launchArgs: [
        path.join(root, 'examples'),
        '--disable-extensions',
        '--disable-workspace-trust',
        '--skip-welcome',
        '--skip-release-notes',
      ],
    });
  } catch (e) {
    console.error(`integration tests (Electron) failed: ${(e as Error).message ?? e}`);
    process.exit(1);
  }
}

void main();
