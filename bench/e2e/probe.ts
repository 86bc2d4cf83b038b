// In-page marks for the end-to-end bench, installed as a Playwright init script in every frame of
// the workbench (the page itself, and each webview's content frame, which VS Code rewrites with
// document.open after a fake load, so the probe re-attaches whenever a new #app appears).
// Timestamps are wall-clock milliseconds (performance.timeOrigin + now()), comparable across frames
// and with the bench process. A change is marked after the frame that shows it is painted: the
// mark is taken in a message posted from a requestAnimationFrame callback ("rAF + message").
import type { Frame, Page } from 'playwright-core';

export type Role = 'inspector' | 'sidebar' | 'workbench';

export interface Mark {
  role: Role;
  /** 'input:click' | 'input:enter' | 'head' | 'headValues' (painted with its numbers) | 'headDrawMs' (the page's own drawing time of that head) |
   *  'headWaitMs' (the page's wait for the host's answer) |
   *  'grid' | 'status' | 'banner' | 'loading'. */
  kind: string;
  /** What was clicked (data-layer/data-head), the head title, or the status line. */
  value: string;
  t: number;
  /** The frame's file (workbench.html, index.html of a webview's outer frame, …). */
  where?: string;
}

/** The probe itself; runs in the page, so it may only use what it defines. */
function probe(): void {
  const w = window as unknown as { __e2eMarks?: unknown[]; __e2eProbe?: boolean };
  if (w.__e2eProbe) return;
  w.__e2eProbe = true;
  const marks: { kind: string; value: string; t: number }[] = (w.__e2eMarks = []);
  const now = () => performance.timeOrigin + performance.now();
  // When each frame's document started, and when it was parsed (a webview's page loads in a frame).
  marks.push({ kind: 'boot', value: location.pathname.split('/').pop() ?? '', t: performance.timeOrigin });
  document.addEventListener('DOMContentLoaded', () =>
    marks.push({ kind: 'parsed', value: location.pathname.split('/').pop() ?? '', t: now() }),
  );
  const painted = (kind: string, value: string) =>
    requestAnimationFrame(() => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => marks.push({ kind, value, t: now() });
      ch.port2.postMessage(0);
    });
  const target = (e: Event) => {
    const el = (e.target as Element | null)?.closest?.('[data-layer]');
    const text = ((e.target as Element | null)?.textContent ?? '').trim().slice(0, 40);
    return el ? `${el.getAttribute('data-layer')}/${el.getAttribute('data-head')}` : text;
  };
  const listen = () => {
    // Long frames (over 50 ms): how much was script (and which) and how much style, layout and paint.
    try {
      new PerformanceObserver((list) => {
        for (const e of list.getEntries() as unknown as {
          startTime: number;
          duration: number;
          renderStart: number;
          styleAndLayoutStart: number;
          scripts: { invoker: string; sourceFunctionName: string; sourceURL: string; duration: number }[];
        }[]) {
          // Scripts summed by where they come from (workbench, a webview's page…), largest first.
          const by = new Map<string, number>();
          for (const x of e.scripts) {
            const k = `${x.invoker.split(/[.:]/)[0]}@${(x.sourceURL || '?').split('/').pop()}`;
            by.set(k, (by.get(k) ?? 0) + x.duration);
          }
          const scripts = [...by]
            .sort((a, b) => b[1] - a[1])
            .slice(0, 4)
            .map(([k, d]) => `${k} ${Math.round(d)}`)
            .join('; ');
          const render = e.renderStart ? Math.round(e.startTime + e.duration - e.renderStart) : 0;
          const layout = e.styleAndLayoutStart ? Math.round(e.startTime + e.duration - e.styleAndLayoutStart) : 0;
          marks.push({
            kind: 'loaf',
            value: `${Math.round(e.duration)} ms (render ${render}, style+layout+paint ${layout}) ${scripts}`,
            t: performance.timeOrigin + e.startTime,
          });
        }
      }).observe({ type: 'long-animation-frame' });
    } catch {
      // not supported
    }
    // When each of the host's messages reaches this frame (before the page handles it).
    window.addEventListener(
      'message',
      (e: MessageEvent) => {
        const type = (e.data as { type?: unknown } | null)?.type;
        if (typeof type !== 'string') return;
        const t = now();
        // The next task runs once the page has handled this message: how long that took.
        const ch = new MessageChannel();
        ch.port1.onmessage = () => marks.push({ kind: 'msg', value: `${type} (${Math.round(now() - t)} ms)`, t });
        ch.port2.postMessage(0);
      },
      true,
    );
    // document.open (VS Code's webview frames) removes the window's listeners: add them again.
    window.addEventListener('click', (e) => marks.push({ kind: 'input:click', value: target(e), t: now() }), true);
    window.addEventListener(
      'keydown',
      (e) => {
        if (e.key === 'Enter') marks.push({ kind: 'input:enter', value: '', t: now() });
      },
      true,
    );
  };
  listen();
  let attached: Element | null = null;
  setInterval(() => {
    const app = document.getElementById('app');
    if (!app || app === attached) return;
    attached = app;
    listen();
    const text = (sel: string) => (app.querySelector(sel)?.textContent ?? '').replace(/\s+/g, ' ').trim();
    const visible = (sel: string) => {
      const e = app.querySelector(sel) as HTMLElement | null;
      return !!e && !e.hidden;
    };
    const bar = () => app.querySelector('.run-progress') as HTMLProgressElement;
    const state = (): Record<string, string> =>
      app.querySelector('.run-header')
        ? {
            // The run's status line (or the line above the previous run), the engine badge ("ran in …"),
            // the empty-panel message, staleness.
            status: [
              text('.run-status-text'),
              text('.run-pending-text'),
              text('.run-engine'),
              text('.empty-message'),
              app.querySelector('.stale') ? 'stale' : '',
            ].join(' | '),
            banner: visible('.error-banner') ? text('.error-text') : '',
            loading: text('.detail-status'),
          }
        : {
            status: text('.status'),
            // The Run view's bar: layers done / total while a run goes on.
            progress: visible('.run-progress') ? `${bar().value}/${bar().max}` : '',
          };
    let last: Record<string, string> = {};
    const check = (records: MutationRecord[]) => {
      for (const r of records) {
        if (r.attributeName === 'data-head-ms') {
          painted('head', text('.detail-title'));
          // A preview paints the colours; the numbers (hover) come with the next paint.
          if (!app.hasAttribute('data-head-preview')) painted('headValues', text('.detail-title'));
          marks.push({ kind: 'headDrawMs', value: app.getAttribute('data-head-ms') ?? '', t: now() });
          marks.push({ kind: 'headWaitMs', value: app.getAttribute('data-head-wait-ms') ?? '', t: now() });
        }
        if (r.attributeName === 'data-grid-ms') painted('grid', '');
      }
      const s = state();
      for (const k of Object.keys(s)) if (s[k] !== last[k]) painted(k, s[k]);
      last = s;
    };
    new MutationObserver(check).observe(app, { attributes: true, childList: true, subtree: true, characterData: true });
    check([]);
  }, 20);
}

export async function installProbe(page: Page): Promise<void> {
  await page.addInitScript(probe);
}

/** Collects the marks of every frame as they come. */
export class Marks {
  readonly all: Mark[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly page: Page) {}

  start(): void {
    const tick = async () => {
      await Promise.all(this.page.frames().map((f) => this.drain(f)));
      this.timer = setTimeout(() => void tick(), 50);
    };
    void tick();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private async drain(f: Frame): Promise<void> {
    try {
      const got = await f.evaluate(() => {
        const w = window as unknown as { __e2eMarks?: { kind: string; value: string; t: number }[] };
        const role = document.querySelector('#app .run-header')
          ? 'inspector'
          : document.querySelector('#app textarea.input')
            ? 'sidebar'
            : 'workbench';
        return { role, where: location.pathname.split('/').pop() ?? '', marks: w.__e2eMarks ? w.__e2eMarks.splice(0) : [] };
      });
      for (const m of got.marks) this.all.push({ role: got.role as Role, where: got.where, ...m });
    } catch {
      // a frame that went away while asked
    }
  }

  /** The first mark after `since` that matches, waiting up to timeoutMs (undefined on timeout). */
  async next(pred: (m: Mark) => boolean, since: number, timeoutMs: number): Promise<Mark | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.all.filter((x) => x.t >= since && pred(x)).sort((a, b) => a.t - b.t)[0];
      if (m) return m;
      if (Date.now() > deadline) return undefined;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
