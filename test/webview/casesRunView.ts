// The side panel's Run view as a page: its Cancel beside the progress bar says so at once and
// asks the host once; the host's state then ends it.
import type { SidebarState } from '../../common/sidebar';
import { openRunView } from './harness';
import { check, equal, screenshot, type Case } from './helpers';

const state = (status: SidebarState['status'], message?: string): SidebarState => ({
  type: 'state',
  model: { name: 'bert-random', file: '/m/bert-random/config.json' },
  input: 'ids: 1, 2, 3',
  status,
  ...(message ? { message } : {}),
  tokens: { source: ['1', '2', '3'], target: [] },
  parts: [],
});

export const RUN_VIEW_CASES: Case[] = [
  {
    name: "Run view: Cancel beside the bar says 'Cancelling…' in the click's frame, asks the host once, and the next state ends it",
    run: async (ctx) => {
      const v = await openRunView(ctx.browser, ctx.origin);
      const { page } = v;
      try {
        await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'ready'));
        await v.send([state('idle')]);
        await page.waitForFunction(() => document.querySelector('.model-name')?.textContent === 'bert-random');
        check(await page.$eval('button.cancel', (b) => (b as HTMLElement).hidden), 'no Cancel while nothing runs');
        await v.send([state('running'), { type: 'progress', done: 1, total: 12, message: 'encoder layer 1/12' }]);
        await page.waitForSelector('button.cancel:not([hidden])', { timeout: 5000 });
        equal(await page.textContent('.status'), 'Running (encoder layer 1/12)…', 'while it runs');
        await screenshot(page, ctx.artifacts, 'run-view-running');
        const frame = await page.evaluate(
          () =>
            new Promise<string>((resolve) => {
              const b = document.querySelector('button.cancel') as HTMLButtonElement;
              b.click();
              requestAnimationFrame(() => resolve(`${document.querySelector('.status')?.textContent}|${b.disabled}`));
            }),
        );
        equal(frame, 'Cancelling the run…|true', 'the frame after the click');
        const cancels = () => v.received.filter((m) => (m as { type?: string }).type === 'cancel').length;
        equal(cancels(), 1, 'the host is asked');
        // A step that was on its way still comes: the line keeps saying Cancelling.
        await v.send([{ type: 'progress', done: 2, total: 12, message: 'encoder layer 2/12' }]);
        equal(await page.getAttribute('.run-progress', 'value'), '2', 'the bar still follows the run');
        equal(await page.textContent('.status'), 'Cancelling the run…', 'after a late step');
        await page.click('button.cancel', { force: true });
        equal(cancels(), 1, 'asked once');
        // The host says the run stopped: no bar, no Cancel, its message.
        await v.send([state('idle', 'Run cancelled.')]);
        await page.waitForSelector('button.cancel[hidden]', { state: 'attached', timeout: 5000 });
        check(await page.$eval('.run-progress', (b) => (b as HTMLElement).hidden), 'the bar is gone');
        equal(await page.textContent('.status'), 'Run cancelled.', 'the host’s words');
        // The next run starts afresh.
        await v.send([state('running')]);
        await page.waitForSelector('button.cancel:not([hidden]):not([disabled])', { timeout: 5000 });
        equal(await page.textContent('.status'), 'Running…', 'the next run');
        check(v.errors.length === 0, `page errors: ${v.errors.join('; ')}`);
        const csp = await page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations);
        check(csp.length === 0, `CSP violations: ${csp.join('; ')}`);
      } finally {
        await v.close();
      }
    },
  },
];
