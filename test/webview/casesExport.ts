// Export from the inspector: PNG, SVG and CSV of the open view, titled and escaped.
import { openView } from './casesMain2';
import { assertClean, check, equal, waitForHead, withInspector, type Case } from './helpers';
import { HOSTILE_TOKEN, syntheticResult } from './synthetic';

export const EXPORT_CASES: Case[] = [
  {
    name: 'export: PNG and SVG of the view titled with model, layer, head and input; tokens escaped in SVG; CSV names the head',
    run: async (ctx) => {
      const result = syntheticResult();
      await withInspector(ctx, result, async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        await page.click('.grid-cell[data-layer="1"][data-head="2"]');
        await waitForHead(page, 1, 2);
        const ask = async (format: 'png' | 'svg' | 'csv', requestId: number) => {
          const from = ins.received.length;
          await ins.send([{ type: 'exportRequest', requestId, format }]);
          return ins.waitForPosted((m) => m.type === 'exportReply' && m.requestId === requestId, from);
        };
        const png = await ask('png', 1);
        const title = String(png.title);
        check(title.startsWith('synthetic-enc-dec · encoder layer 1 head 2 · input: [CLS] the cat'), title);
        check(String(png.image).startsWith('data:image/png;base64,'), 'PNG data URL');
        const bytes = Buffer.from(String(png.image).split(',')[1], 'base64');
        equal(bytes.subarray(1, 4).toString('latin1'), 'PNG', 'PNG signature');
        check(bytes.readUInt32BE(16) > 300 && bytes.readUInt32BE(20) > 200, 'image has the size of the view');
        const svg = String((await ask('svg', 2)).image);
        check(svg.startsWith('<svg') && svg.includes('<title>synthetic-enc-dec · encoder layer 1 head 2'), 'SVG title');
        check(
          svg.includes('&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;') && !svg.includes(HOSTILE_TOKEN),
          'hostile token escaped in SVG',
        );
        check(svg.includes('>query = token attending<') && svg.includes('<image '), 'axis names as text, heatmap as image');
        await openView(page, 'aggregates');
        await page.waitForSelector('.agg-rollout .matrix-canvas', { timeout: 5000 });
        const agg = await ask('svg', 4);
        check(String(agg.title).startsWith('synthetic-enc-dec · aggregates · input:'), `aggregates export title: ${agg.title}`);
        check(
          String(agg.image).includes('>Mean over heads · layer 0<') && (String(agg.image).match(/<image /g) ?? []).length >= 3,
          'both matrices and the entropy chart exported',
        );
        await openView(page, 'heads');
        const csv = await ask('csv', 3);
        equal(JSON.stringify(csv.head), JSON.stringify({ part: 'encoder', layer: 1, head: 2 }), 'CSV export names the open head');
        await assertClean(ins);
      });
    },
  },
  {
    name: 'export: SVG stays well-formed XML when a token holds a control character and a lone surrogate',
    run: async (ctx) => {
      const result = syntheticResult();
      result.tokens.source[1] = 'th\u0001e\uD800';
      await withInspector(ctx, result, async (ins) => {
        const { page } = ins;
        await waitForHead(page, 0, 0);
        const from = ins.received.length;
        await ins.send([{ type: 'exportRequest', requestId: 7, format: 'svg' }]);
        const svg = String((await ins.waitForPosted((m) => m.type === 'exportReply' && m.requestId === 7, from)).image);
        // Chromium's XML parser is strict: an ill-formed document comes back as a <parsererror>. In a
        // blank page of its own: the inspector's CSP would report the SVG's style attribute.
        const blank = await page.context().newPage();
        const parsed = await blank.evaluate((text) => {
          const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
          const error = doc.getElementsByTagName('parsererror')[0];
          return { error: error?.textContent ?? null, texts: [...doc.getElementsByTagName('text')].map((t) => t.textContent) };
        }, svg);
        await blank.close();
        equal(parsed.error, null, 'the SVG parses as XML');
        check(parsed.texts.includes('the'), `the token's label without the control character: ${JSON.stringify(parsed.texts)}`);
        await assertClean(ins);
      });
    },
  },
];
