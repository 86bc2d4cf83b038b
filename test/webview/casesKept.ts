// A run whose probabilities the engine worker keeps (RunResult.kept): the session has only each
// layer's summaries and statistics, and asks the worker for a head when the page needs one. The
// worker is stood in for by its own store (engine/keptRuns.ts) over the full run.
import { KeptRuns, keptLayer } from '../../src/engine/keptRuns';
import { answerHead, softmaxHead } from '../../common/headWire';
import type { AttentionLayer, RunResult } from '../../src/engine/types';
import { findLayer, runMeta } from '../../common/headData';
import type { KeptSource } from '../../src/protocol/inspectorSession';
import { check, equal, hoverCell, texts, waitForHead, withInspector, type Case } from './helpers';
import { POINT_MS } from '../../webview/inspector/grid';
import type { RequestHeadMessage } from '../../common/webview';
import { syntheticResult } from './synthetic';

const RUN = 7;

/** The engine worker, stood in for by its own store, answering as worker.ts does (answerHead), after `delayMs`. */
function workerStandIn(store: KeptRuns, asked: (key: string, preview: boolean) => void, delayMs = 0): KeptSource {
  return {
    head: async (run, part, layer, head, preview) => {
      asked(`${run}:${part}/${layer}/${head}`, preview === true);
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      return answerHead(store.head(run, part, layer, head), preview === true);
    },
    aggregate: async (run, part, layer, kind) => store.aggregate(run, part, layer, kind, false),
  };
}

/** A run as the session holds it when the engine keeps it (summaries only), its heads from the stand-in over `full`. */
function keptSetup(full: RunResult, asked: (key: string, preview: boolean) => void, delayMs = 0) {
  const store = new KeptRuns();
  store.set(RUN, full.attentions);
  const kept = workerStandIn(store, asked, delayMs);
  const shown = { ...full, attentions: full.attentions.map((a) => keptLayer(a, full)), kept: { run: RUN } };
  return { store, kept, shown };
}

export const KEPT_CASES: Case[] = [
  {
    name: 'a run the engine keeps: the grid shows from its statistics alone; the opening head and one switched to paint the engine’s numbers',
    run: async (ctx) => {
      const full = syntheticResult();
      const asked: string[] = [];
      const { store, kept, shown } = keptSetup(full, (key) => asked.push(key), 20); // 20 ms: a round trip to the worker
      check(
        shown.attentions.every((a) => a.probs.length === 0),
        'the session holds no probabilities',
      );
      equal(JSON.stringify(runMeta(shown)), JSON.stringify(runMeta(full)), 'the grid’s statistics are the full run’s');
      await withInspector(
        ctx,
        shown,
        async (ins) => {
          const { page } = ins;
          await waitForHead(page, 0, 0);
          await page.click('.grid-cell[data-layer="1"][data-head="2"]');
          await waitForHead(page, 1, 2);
          equal(asked.join(' '), `${RUN}:encoder/0/0 ${RUN}:encoder/1/2`, 'each head asked of the engine once');
          asked.length = 0;
          const l = findLayer(full, 'encoder', 1)!;
          const n = l.queries * l.keys;
          for (const [i, j] of [
            [3, 3],
            [3, 0],
            [5, 2],
          ]) {
            const shownP = Number((await hoverCell(page, i, j)).probability);
            const want = l.probs[2 * n + i * l.keys + j];
            check(Math.abs(shownP - want) <= 0.0005 + 1e-5, `L1 H2 (${i},${j}): shown ${shownP}, run ${want.toFixed(6)}`);
          }
          // The next kept run waits for the head it opens (openingWait) and brings it along: no request.
          const requests = () => ins.received.filter((m) => (m as { type?: string }).type === 'requestHead').length;
          const before = requests();
          const next = { ...shown, attentions: [...shown.attentions] };
          const from = ins.received.length;
          const messages = ins.session.setResult(next, 'next run');
          await ins.session.openingWait(messages);
          await ins.send(ins.session.withOpening(messages));
          const opened = await ins.waitForPosted((m) => m.type === 'headShown', from);
          equal(`${opened.part}/${opened.layer}/${opened.head}`, 'encoder/1/2', 'the open head, sent with the run');
          await waitForHead(page, 1, 2);
          equal(requests(), before, 'no request for it');
          // An old run's head (the worker dropped it) says to run again, in the page.
          store.retain([]);
          await page.click('.grid-cell[data-layer="1"][data-head="0"]');
          await page.waitForFunction(() => /Run it again/.test(document.body.textContent ?? ''), undefined, { timeout: 5000 });
          check((await texts(page, '.detail-title')).length > 0, 'the detail pane stays');
        },
        { kept },
      );
    },
  },
  {
    name: 'a long run’s head switch paints from its colour levels first, pixel for pixel what its numbers paint; hover waits for the numbers, which come in pieces',
    run: async (ctx) => {
      // Cells under 8 px at this width: the sizes a preview is for; 640 KB of scores: five pieces.
      const n = 400;
      const base = syntheticResult();
      let seed = 7;
      const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
      const scores = Float32Array.from({ length: 2 * n * n }, () => (rnd() - 0.5) * 12); // [heads, q, k]
      const probs = new Float32Array(2 * n * n);
      for (let h = 0; h < 2; h++) probs.set(softmaxHead(scores.subarray(h * n * n, (h + 1) * n * n), n, n), h * n * n);
      const layer: AttentionLayer = { part: 'encoder', layer: 0, heads: 2, queries: n, keys: n, probs, scores };
      const tokens = Array.from({ length: n }, (_, i) => `t${i}`);
      const full = {
        ...base,
        tokens: { source: tokens, target: [] },
        ids: { source: tokens.map((_, i) => i), target: [] },
        attentions: [layer],
      };
      const asked: boolean[] = [];
      const { kept, shown } = keptSetup(full, (_, preview) => asked.push(preview));
      await withInspector(
        ctx,
        shown,
        async (ins) => {
          const { page } = ins;
          await waitForHead(page, 0, 0);
          // When the head's numbers arrive, before the page handles them: what the preview painted.
          await page.evaluate(() => {
            const w = window as unknown as { __onMessageFirst?: (e: MessageEvent) => void; __atPreview?: unknown };
            w.__onMessageFirst = (e) => {
              // The opening head's last numbers may still be on their way: head 1's are the ones.
              const d = e.data as { type?: string; head?: number };
              if (d.type !== 'head' || d.head !== 1 || w.__atPreview) return;
              const c = document.querySelector('.heatmap-canvas') as HTMLCanvasElement;
              const r = c.getBoundingClientRect();
              c.parentElement!.dispatchEvent(new MouseEvent('mousemove', { clientX: r.left + 2, clientY: r.top + 2, bubbles: true }));
              w.__atPreview = {
                title: document.querySelector('.detail-title')?.textContent,
                preview: document.getElementById('app')!.hasAttribute('data-head-preview'),
                pixels: c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data, // kept in the page: 640 K values
                tooltip: document.querySelector('.tooltip')?.textContent ?? '',
              };
            };
          });
          await page.click('.grid-cell[data-layer="0"][data-head="1"]');
          await waitForHead(page, 0, 1);
          await page.waitForFunction(() => !document.getElementById('app')!.hasAttribute('data-head-preview'), undefined, {
            timeout: 5000,
          });
          // What the preview painted (its pixels stay in the page), and how many channel values differ now.
          const atPreview = () =>
            page.evaluate(() => {
              const x = (window as unknown as { __atPreview?: { pixels: Uint8ClampedArray } }).__atPreview;
              if (!x) return undefined;
              const c = document.querySelector('.heatmap-canvas') as HTMLCanvasElement;
              const now = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
              let differ = 0;
              for (let i = 0; i < now.length; i++) if (now[i] !== x.pixels[i]) differ++;
              return { ...x, pixels: undefined, length: now.length, differ };
            }) as Promise<{ title: string; preview: boolean; tooltip: string; length: number; differ: number } | undefined>;
          const at = await atPreview();
          check(asked.at(-1) === true, `the page asked for a preview (asked: ${asked.join(', ')})`);
          // The host held the numbers until the page said it had the colours, and sent more pieces
          // as the page asked on each arrival.
          const req = ins.received.filter((m) => (m as { type?: string }).type === 'requestHead').at(-1) as { requestId: number };
          await ins.waitForPosted((m) => m.type === 'headNumbers' && m.requestId === req.requestId && m.from === undefined);
          await ins.waitForPosted((m) => m.type === 'headNumbers' && m.requestId === req.requestId && Number(m.from) > 0);
          check(!!at, 'the head’s numbers arrived after a preview was painted');
          equal(at!.title, 'Layer 0 · Head 1', 'the preview is the head clicked');
          check(at!.preview, 'the page marked the heatmap as a preview');
          check(/arriving/.test(at!.tooltip), `hover during the preview says the numbers are on their way: ${at!.tooltip}`);
          equal(at!.length, n * n * 4, 'one canvas pixel per cell');
          equal(at!.differ, 0, 'channel values that differ between the preview and the head drawn from its numbers');
          const p = Number((await hoverCell(page, 3, 5)).probability);
          const want = probs[n * n + 3 * n + 5];
          check(Math.abs(p - want) <= 0.0005 + 1e-5, `after the numbers, hover shows them: ${p} vs ${want}`);
          // The next run brings the head it opens as colours, and the head in a message of its own
          // when the page has them: painted from the colours at once, no request.
          const requests = () => ins.received.filter((m) => (m as { type?: string }).type === 'requestHead').length;
          const before = requests();
          await page.evaluate(() => {
            (window as unknown as { __atPreview?: unknown }).__atPreview = undefined;
          });
          const messages = ins.session.setResult({ ...shown, attentions: [...shown.attentions] }, 'next run');
          await ins.session.openingWait(messages);
          const sent = ins.session.withOpening(messages);
          const run = sent.find((m) => m.type === 'run');
          check(!!run && run.type === 'run' && !!run.preview && !run.head, 'the run message carries the colours, not the head');
          equal(sent.map((m) => m.type).join(), 'run,thumbnails', 'the head waits until the page has the colours');
          const from = ins.received.length;
          await ins.send(sent);
          await ins.waitForPosted((m) => m.type === 'headNumbers' && m.requestId === 0, from);
          await ins.waitForPosted((m) => m.type === 'headNumbers' && m.requestId === 0 && Number(m.from) > 0, from);
          await waitForHead(page, 0, 1);
          await page.waitForFunction(() => !document.getElementById('app')!.hasAttribute('data-head-preview'), undefined, {
            timeout: 5000,
          });
          const again = await atPreview();
          check(!!again?.preview, 'the run’s first heatmap was painted from its colours');
          equal(again!.differ, 0, 'channel values that differ between the colours and the head');
          equal(requests(), before, 'no request for the head the run brought');
          const q = Number((await hoverCell(page, 7, 2)).probability);
          check(Math.abs(q - probs[n * n + 7 * n + 2]) <= 0.0005 + 1e-5, `the numbers arrived: ${q}`);
        },
        { kept },
      );
    },
  },
  {
    name: 'a head pointed at is fetched ahead: clicking it then paints it with no request; a sweep across tiles fetches nothing',
    run: async (ctx) => {
      const full = syntheticResult();
      const asked: string[] = [];
      const { kept, shown } = keptSetup(full, (key) => asked.push(key), 20);
      await withInspector(
        ctx,
        shown,
        async (ins) => {
          const { page } = ins;
          await waitForHead(page, 0, 0);
          const requests = (from: number) =>
            ins.received.slice(from).filter((m): m is RequestHeadMessage => (m as { type?: string }).type === 'requestHead');
          const tile = async (layer: number, head: number) => {
            const box = await page.locator(`.grid-cell[data-layer="${layer}"][data-head="${head}"]`).boundingBox();
            return { x: box!.x + box!.width / 2, y: box!.y + box!.height / 2 };
          };
          // A sweep: the pointer crosses a row of tiles without resting on any (in one task, so no
          // wait of the machine's can make it rest).
          let from = ins.received.length;
          await page.evaluate(() => {
            for (let h = 0; h < 3; h++) {
              const cell = document.querySelector(`.grid-cell[data-layer="1"][data-head="${h}"]`)!;
              const at = { screenX: 100 + 40 * h, screenY: 200, clientX: 40 * h, clientY: 10 };
              cell.dispatchEvent(new MouseEvent('mouseenter', at));
              cell.dispatchEvent(new MouseEvent('mousemove', { ...at, bubbles: true }));
              cell.dispatchEvent(new MouseEvent('mouseleave', at));
            }
          });
          await new Promise((r) => setTimeout(r, 4 * POINT_MS));
          equal(requests(from).length, 0, 'requests after a sweep across the grid');
          // The grid scrolled under a pointer at rest: the tile now under it was not pointed at.
          await page.evaluate(() => {
            const at = (l: number, h: number) => document.querySelector(`.grid-cell[data-layer="${l}"][data-head="${h}"]`)!;
            const opts = { screenX: 300, screenY: 200, clientX: 10, clientY: 10 };
            at(1, 0).dispatchEvent(new MouseEvent('mousemove', { ...opts, bubbles: true }));
            at(1, 0).dispatchEvent(new MouseEvent('mouseleave', opts));
            at(1, 1).dispatchEvent(new MouseEvent('mouseenter', opts));
          });
          await new Promise((r) => setTimeout(r, 4 * POINT_MS));
          equal(requests(from).length, 0, 'requests after the grid scrolled under the pointer');
          await page.mouse.move(0, 0);
          // Resting on a tile fetches its head ahead; the click then opens it with no request.
          from = ins.received.length;
          await page.evaluate(() => {
            const w = window as unknown as { __heads: string[] };
            w.__heads = [];
            window.addEventListener('message', (e: MessageEvent) => {
              const m = e.data as { type?: string; layer?: number; head?: number };
              if (m.type === 'head') w.__heads.push(`${m.layer}/${m.head}`);
            });
          });
          const c = await tile(1, 2);
          await page.mouse.move(c.x, c.y);
          await page.waitForFunction(() => (window as unknown as { __heads: string[] }).__heads.includes('1/2'), undefined, {
            timeout: 5000,
          });
          const ahead = requests(from);
          equal(ahead.map((m) => `${m.layer}/${m.head}:${m.prefetch === true}`).join(), '1/2:true', 'the request made ahead');
          check((await texts(page, '.detail-title'))[0] === 'Layer 0 · Head 0', 'fetching ahead does not open the head');
          from = ins.received.length;
          await page.mouse.down();
          await page.mouse.up();
          await waitForHead(page, 1, 2);
          equal(requests(from).length, 0, 'requests for a head fetched ahead, when clicked');
          const opened = await ins.waitForPosted((m) => m.type === 'headShown', from);
          equal(`${opened.layer}/${opened.head}`, '1/2', 'the host is told which head is open');
          const l = findLayer(full, 'encoder', 1)!;
          const n = l.queries * l.keys;
          const p = Number((await hoverCell(page, 3, 3)).probability);
          check(Math.abs(p - l.probs[2 * n + 3 * l.keys + 3]) <= 0.0005 + 1e-5, `L1 H2 (3,3) shows the engine’s number: ${p}`);
          // A head opened before is kept: going back to it asks nothing either.
          await page.click('.grid-cell[data-layer="0"][data-head="1"]');
          await waitForHead(page, 0, 1);
          from = ins.received.length;
          await page.click('.grid-cell[data-layer="1"][data-head="2"]');
          await waitForHead(page, 1, 2);
          equal(requests(from).length, 0, 'requests for a head opened before');
          equal(asked.filter((k) => k === `${RUN}:encoder/1/2`).length, 1, 'times L1 H2 was asked of the engine');
        },
        { kept },
      );
    },
  },
  {
    name: 'a head clicked just before the next run arrives opens in that run, not the head the host chose before the click',
    run: async (ctx) => {
      const full = syntheticResult();
      const asked: string[] = [];
      const { kept, shown } = keptSetup(full, (key) => asked.push(key), 300); // the click's answer is slow
      await withInspector(
        ctx,
        shown,
        async (ins) => {
          const { page } = ins;
          await waitForHead(page, 0, 0);
          const from = ins.received.length;
          await page.click('.grid-cell[data-layer="1"][data-head="2"]');
          await ins.waitForPosted((m) => m.type === 'requestHead' && m.layer === 1 && m.head === 2, from);
          // The next run was posted before the host saw the click: it opens the host's earlier choice.
          const messages = ins.session.setResult({ ...shown, attentions: [...shown.attentions] }, 'next run');
          await ins.session.openingWait(messages);
          const sent = ins.session.withOpening(messages);
          const run = sent.find((m) => m.type === 'run');
          const opening = run?.type === 'run' ? (run.head ?? run.preview) : undefined;
          check(!!opening && !(opening.layer === 1 && opening.head === 2), 'the run message opens another head');
          await ins.send(sent);
          await waitForHead(page, 1, 2);
          const again = ins.received
            .slice(from)
            .filter(
              (m): m is RequestHeadMessage =>
                (m as { type?: string }).type === 'requestHead' && (m as RequestHeadMessage).runId === ins.session.runId,
            );
          equal(again.map((m) => `${m.layer}/${m.head}`).join(), '1/2', 'the clicked head, asked again in the new run');
        },
        { kept },
      );
    },
  },
];
