// Webview security (issue 8): a run whose tokens, model name, file name, panel title and error
// text are HTML/JS payloads, rendered in the real inspector page under its real CSP. Each payload
// that ran would set window.__pwned (or open a dialog, which the harness records as an error);
// every payload must show literally as text. Run by run.ts (registered in cases.ts).
import type { Page } from 'playwright-core';
import type { RunResult } from '../../src/engine/types';
import { assertClean, check, equal, hoverCell, texts, waitForHead, withInspector, type Case } from './helpers';
import { syntheticResult } from './synthetic';

/** One per source position of the synthetic run (6 tokens), each a different way in. */
export const PAYLOADS = [
  '<img src=x onerror="window.__pwned=\'img\'">',
  '</script><script>window.__pwned="script"</script>',
  'javascript:window.__pwned="js-url"',
  '"><svg onload="window.__pwned=\'svg\'">',
  '<iframe srcdoc="<script>parent.__pwned=\'iframe\'</script>">',
  "&lt;b&gt;not bold&lt;/b&gt; <b>bold?</b> {{constructor.constructor('alert(1)')()}}",
];
const MODEL_NAME = '<img src=x onerror="alert(\'model\')">';
const FILE_NAME = '/models/</script><script>alert("file")</script>.model.json';
const TITLE = '<script>window.__pwned="title"</script> run';
const ERROR_TEXT = 'bad.json: config: <img src=x onerror="window.__pwned=\'error\'"> javascript:alert(1)';

function hostileResult(): RunResult {
  const r = syntheticResult();
  check(r.tokens.source.length === PAYLOADS.length, 'the synthetic run has one source token per payload');
  r.tokens.source = [...PAYLOADS];
  r.model = {
    ...r.model,
    name: MODEL_NAME,
    file: FILE_NAME,
    details: { ...r.model.details, note: '<b onmouseover="window.__pwned=\'details\'">x</b>' },
  };
  return r;
}

/** Nothing in the document may carry an event-handler attribute or a javascript: URL. */
async function assertNoActiveMarkup(page: Page): Promise<void> {
  const found = await page.evaluate(() => {
    const bad: string[] = [];
    for (const e of Array.from(document.querySelectorAll('*'))) {
      for (const a of Array.from(e.attributes)) {
        if (/^on/i.test(a.name)) bad.push(`${e.tagName} ${a.name}`);
        if (/^(href|src|action|formaction|srcdoc)$/i.test(a.name) && /javascript:|<script/i.test(a.value))
          bad.push(`${e.tagName} ${a.name}=${a.value}`);
      }
    }
    const scripts = Array.from(document.querySelectorAll('script')).length;
    const injected = document.querySelectorAll('body img, body iframe, body b, body svg, #app script').length;
    return { bad, scripts, injected };
  });
  check(found.bad.length === 0, `active markup in the page: ${found.bad.join('; ')}`);
  equal(found.scripts, 1, 'script elements (only the nonce’d bundle)');
  equal(found.injected, 0, 'elements created from payload text (img, iframe, b, script)');
}

export const SECURITY_CASES: Case[] = [
  {
    name: 'security: HTML/JS in tokens, model name, file name, title and errors shows as text; nothing runs',
    run: (ctx) =>
      withInspector(
        ctx,
        hostileResult(),
        async (ins) => {
          const { page } = ins;
          await waitForHead(page, 0, 0);
          // Literal text where a person reads it: axis labels, token chips, model name, title.
          equal((await texts(page, '.query-label')).join('\n'), PAYLOADS.join('\n'), 'query labels, literally');
          equal((await texts(page, '.key-label')).join('\n'), PAYLOADS.join('\n'), 'key labels, literally');
          const chips = await page.$$eval('.chip', (cs) => cs.map((c) => c.getAttribute('title') ?? ''));
          for (const [i, p] of PAYLOADS.entries()) check(chips.includes(`#${i}: ${p}`), `token chip #${i} shows ${p}`);
          equal(await page.locator('.run-model').textContent(), MODEL_NAME, 'model name');
          equal(await page.locator('.run-title').textContent(), TITLE, 'panel title');
          equal(await page.locator('.run-details').getAttribute('title'), FILE_NAME, 'file name (tooltip of the details line)');
          check(((await page.locator('.run-details').textContent()) ?? '').includes('<b onmouseover='), 'details text literally');
          // The tooltip renders the hovered query and key tokens: row 0 is the <img> payload.
          const tip = await hoverCell(page, 0, 1);
          equal(tip.query, `${PAYLOADS[0]}  (#0)`, 'tooltip query token');
          equal(tip.key, `${PAYLOADS[1]}  (#1)`, 'tooltip key token');
          await page.mouse.move(5, 5);
          // An error from the host (e.g. a model file's message) is text too.
          await ins.send([ins.session.setError(ERROR_TEXT)]);
          await page.waitForFunction((t) => document.querySelector('.error-text')?.textContent === t, ERROR_TEXT, { timeout: 3000 });
          await page.hover('.run-details');
          await page.waitForTimeout(200); // give any injected handler (onload/onerror/onmouseover) time to fire
          await assertNoActiveMarkup(page);
          await assertClean(ins); // window.__pwned unset, no dialog, no CSP violation, no page error
        },
        { title: TITLE },
      ),
  },
  {
    name: 'security: CSP meta has a fresh nonce per load, matches the one script, no unsafe-inline/eval, default-src none',
    run: async (ctx) => {
      const nonces: string[] = [];
      for (let load = 0; load < 2; load++) {
        await withInspector(ctx, hostileResult(), async (ins) => {
          const { page } = ins;
          await waitForHead(page, 0, 0);
          const { csp, scriptNonce } = await page.evaluate(() => ({
            csp: document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.getAttribute('content') ?? '',
            scriptNonce: (document.querySelector('script') as HTMLScriptElement | null)?.nonce ?? '',
          }));
          const directives = new Map(
            csp
              .split(';')
              .map((d) => d.trim().split(/\s+/))
              .map(([k, ...v]) => [k, v]),
          );
          equal(directives.get('default-src')?.join(' '), "'none'", 'default-src');
          const script = directives.get('script-src') ?? [];
          check(
            script.length === 1 && /^'nonce-[A-Za-z0-9+/]{22}==?'$/.test(script[0]),
            `script-src is exactly one 128-bit nonce: ${script.join(' ')}`,
          );
          equal(script[0], `'nonce-${scriptNonce}'`, 'the script tag carries the CSP nonce');
          check(!/unsafe-inline|unsafe-eval|\*/.test(csp), `no 'unsafe-inline', 'unsafe-eval' or wildcards: ${csp}`);
          nonces.push(scriptNonce);
          await assertClean(ins);
        });
      }
      check(nonces[0] !== nonces[1], 'a new nonce for every page load');
    },
  },
  {
    name: 'security: markup inserted behind the app’s back still cannot run (CSP blocks inline handlers and scripts)',
    run: (ctx) =>
      withInspector(ctx, hostileResult(), async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        await assertClean(ins);
        // Defence in depth: even if some future code used innerHTML, the CSP must stop this.
        await page.evaluate(() => {
          const div = document.createElement('div');
          div.innerHTML = '<img src="data:," onerror="window.__pwned=\'inline-handler\'">';
          document.body.appendChild(div);
          const s = document.createElement('script');
          s.textContent = 'window.__pwned = "inline-script"';
          document.body.appendChild(s);
        });
        await page.waitForTimeout(200);
        const state = await page.evaluate(() => ({
          pwned: (window as unknown as { __pwned?: unknown }).__pwned ?? null,
          csp: (window as unknown as { __cspViolations: string[] }).__cspViolations,
        }));
        equal(state.pwned, null, 'window.__pwned after inserting an inline handler and an inline script');
        check(
          state.csp.some((v) => v.startsWith('script-src')),
          `the CSP reported the blocked inline code: ${state.csp.join('; ')}`,
        );
      }),
  },
  {
    name: 'security: malformed messages from the page are dropped by the host session, the page keeps working',
    run: (ctx) =>
      withInspector(ctx, hostileResult(), async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        const before = ins.received.length;
        const junk = [
          null,
          42,
          'ready',
          [],
          { type: 'requestHead' },
          { type: 'requestHead', runId: 1, requestId: 1, part: '__proto__', layer: 0, head: 0 },
          { type: 'requestHead', runId: 1, requestId: -1, part: 'encoder', layer: 1e300, head: NaN },
          { type: 'rerun', runId: 1, score: '<img src=x>' },
          { type: 'webviewError', message: 'x'.repeat(100_000) },
          { type: 'constructor' },
          { type: 'exportReply', requestId: 'x' },
        ];
        const replies = junk.map((m) => ins.session.handle(m).replies.length);
        // Only well-formed requests are answered; junk gets no reply (the panel logs it).
        equal(replies.filter((n) => n > 0).length, 0, 'replies to malformed messages');
        // Through the page's own channel too.
        await page.evaluate(
          (ms) => ms.forEach((m) => (window as unknown as { __toHost(x: unknown): void }).__toHost(m)),
          junk.filter((m) => m !== null && typeof m === 'object'),
        );
        check(ins.received.length > before, 'the page’s messages reached the host');
        await page.click('.grid-cell[data-layer="1"][data-head="2"]');
        await waitForHead(page, 1, 2);
        await assertClean(ins);
      }),
  },
];
