// Types for named UI checks (see test/integration/ui.ts). A file test/integration/ui/<topic>.ui.ts
// exports `checks: UiCheck[]`:
//
//   import { runCommand, webviewFrame, type UiCheck } from '../harness';
//   export const checks: UiCheck[] = [{
//     name: 'inspector shows a heatmap',
//     async run({ page }) {
//       await runCommand(page, 'Attention: Open Model…');
//       await webviewFrame(page).locator('canvas').first().waitFor();
//     },
//   }];

import type { Page } from 'playwright-core';
import type { RunningServer } from './server';
import type { Steps } from './steps';

export interface Manifest {
  contributes: {
    commands: { command: string; title: string; category?: string }[];
    viewsContainers?: { activitybar?: { id: string; title: string }[] };
    views?: Record<string, { id: string; name: string }[]>;
    menus?: { commandPalette?: { command: string; when?: string }[] };
  };
}

/** Titles the command palette shows: every contributed command except those hidden with `when: false`. */
export function paletteTitles(manifest: Manifest): string[] {
  const hidden = new Set((manifest.contributes.menus?.commandPalette ?? []).filter((m) => m.when === 'false').map((m) => m.command));
  return manifest.contributes.commands
    .filter((c) => !hidden.has(c.command))
    .map((c) => (c.category ? `${c.category}: ${c.title}` : c.title));
}

export interface UiContext {
  page: Page;
  server: RunningServer;
  /** Repository root (examples/ holds the workspace that is open). */
  root: string;
  /** The extension's package.json. */
  manifest: Manifest;
  /** For extra screenshots inside a check: `await steps.screenshot('name')`. */
  steps: Steps;
}

export interface UiCheck {
  name: string;
  run(ctx: UiContext): Promise<void>;
  /** Default 60 s. */
  timeoutMs?: number;
  /** Screenshot after passing too (default true; failures are always screenshotted). */
  screenshot?: boolean;
  /** Later checks are not run when this one fails. */
  critical?: boolean;
}
