// A run whose probabilities the engine worker keeps (RunResult.kept): the session has only each
// layer's summaries and statistics, and asks the worker for a head when the page needs one. The
// worker is stood in for by its own store (engine/keptRuns.ts) over the full run.
import { KeptRuns, keptLayer } from '../../src/engine/keptRuns';
import { findLayer, runMeta } from '../../common/headData';
import type { KeptSource } from '../../src/protocol/inspectorSession';
import { check, equal, hoverCell, texts, waitForHead, withInspector, type Case } from './helpers';
import { syntheticResult } from './synthetic';

const RUN = 7;

export const KEPT_CASES: Case[] = [
  {
    name: 'a run the engine keeps: the grid shows from its statistics alone; the opening head and one switched to paint the engine’s numbers',
    run: async (ctx) => {
      const full = syntheticResult();
      const store = new KeptRuns();
      store.set(RUN, full.attentions);
      const asked: string[] = [];
      const kept: KeptSource = {
        head: async (run, part, layer, head) => {
          asked.push(`${run}:${part}/${layer}/${head}`);
          await new Promise((r) => setTimeout(r, 20)); // a round trip to the worker
          return store.head(run, part, layer, head);
        },
        aggregate: async (run, part, layer, kind) => store.aggregate(run, part, layer, kind, false),
      };
      const shown = { ...full, attentions: full.attentions.map((a) => keptLayer(a, full)), kept: { run: RUN } };
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
];
