// Named checks for scripted (non-mocha) drivers such as ui.ts and the package test. Each step
// is timed, prints one line, screenshots the page afterwards (or on failure), and counts
// towards the final `N passed, N failed` line that scripts/test-all.sh reads.

import * as fs from 'fs';
import * as path from 'path';
import type { Page } from 'playwright-core';
import { withTimeout } from './cleanup';

export interface StepOptions {
  /** Fails the step after this long (default 60 s). */
  timeoutMs?: number;
  /** Screenshot after a passing step too (failures are always screenshotted when a page exists). */
  screenshot?: boolean;
  /** When this step fails, later steps are reported as not run (and counted as failed). */
  critical?: boolean;
}

export class Steps {
  passed = 0;
  failed = 0;
  private n = 0;
  private blockedBy: string | undefined;
  /** Set once a page exists so steps can screenshot it. */
  page: Page | undefined;

  constructor(readonly artifactsDir: string) {
    fs.rmSync(artifactsDir, { recursive: true, force: true });
    fs.mkdirSync(artifactsDir, { recursive: true });
  }

  /** Runs one named check; returns whether it passed. Never throws. */
  async step(name: string, fn: () => Promise<void>, opts: StepOptions = {}): Promise<boolean> {
    const id = String(++this.n).padStart(2, '0');
    if (this.blockedBy) {
      this.failed++;
      console.log(`  ✗ ${id} ${name} — not run: "${this.blockedBy}" failed`);
      return false;
    }
    const t0 = Date.now();
    try {
      await withTimeout(fn(), opts.timeoutMs ?? 60_000, `step "${name}"`);
      this.passed++;
      const shot = opts.screenshot ? await this.screenshot(`${id}-${slug(name)}`) : '';
      console.log(`  ✓ ${id} ${name} (${ms(t0)})${shot ? `  [${shot}]` : ''}`);
      return true;
    } catch (e) {
      this.failed++;
      const shot = await this.screenshot(`${id}-${slug(name)}-FAILED`);
      console.log(`  ✗ ${id} ${name} (${ms(t0)})${shot ? `  [${shot}]` : ''}`);
      console.log(indent(String((e as Error)?.stack ?? e)));
      if (opts.critical) this.blockedBy = name;
      return false;
    }
  }

  /** Saves a screenshot of the current page; returns its repo-relative path or ''. */
  async screenshot(name: string): Promise<string> {
    if (!this.page || this.page.isClosed()) return '';
    const file = path.join(this.artifactsDir, `${name}.png`);
    try {
      await this.page.screenshot({ path: file, timeout: 10_000 });
      return path.relative(process.cwd(), file);
    } catch {
      return '';
    }
  }

  /** The line scripts/test-all.sh parses. */
  summary(): string {
    return `${this.passed} passed, ${this.failed} failed`;
  }
}

function slug(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60);
}

function ms(t0: number): string {
  return `${((Date.now() - t0) / 1000).toFixed(1)} s`;
}

function indent(s: string): string {
  return s
    .split('\n')
    .slice(0, 12)
    .map((l) => `      ${l}`)
    .join('\n');
}
