// The four trained examples with their own views (NARM, the melody RNN, Show-Attend-Tell, the
// Image Transformer) still do their task in the engine, measured on a fixed sample drawn here by
// the rules of their training scripts (scripts/train/*.py) with a seeded generator. The answers
// come from the task (the searched category, the motif, the scene's caption, the stripe pattern),
// not from the engine. Each test prints its figure (the README and examples/README quote them) and
// asserts a bound just under it, so a model that stops doing its task fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { loadModel, runModel } from '../../../src/engine/run';
import { isNarmData } from '../../../common/archViews/narm';
import { isShowAttendTellData } from '../../../common/archViews/show-attend-tell';
import { isImageTransformerData } from '../../../common/archViews/image-transformer';
import { rng } from '../../helpers/randomModel';

const EXAMPLES = path.join(__dirname, '..', '..', '..', '..', 'examples');
const load = (name: string) => loadModel(path.join(EXAMPLES, `${name}.model.json`));
const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

/** Seeded helpers in the shape of Python's random module (not its numbers). */
function draws(seed: number) {
  const r = rng(seed);
  const below = (n: number) => Math.floor(r() * n);
  const between = (lo: number, hi: number) => lo + below(hi - lo + 1); // inclusive, as randint
  const sample = <T>(xs: readonly T[], k: number): T[] => {
    const pool = [...xs];
    for (let i = 0; i < k; i++) {
      const j = i + below(pool.length - i);
      [pool[i], pool[j]] = [pool[j], pool[i]];
    }
    return pool.slice(0, k);
  };
  return { random: r, below, between, sample, choice: <T>(xs: readonly T[]) => xs[below(xs.length)] };
}

test('narm-sessions: the top item is in the searched category, and α sits on the deciding search', () => {
  const model = load('narm-sessions');
  const cats = ['shoes', 'shirts', 'hats', 'bags', 'books', 'games'];
  const products = cats.flatMap((c) => [1, 2, 3, 4, 5].map((i) => `${c}-${i}`));
  const d = draws(7);
  const total = 500;
  let hits = 0;
  let mass = 0;
  for (let k = 0; k < total; k++) {
    // narm.py session(): random products, one search early on, sometimes a second, later one that wins.
    const n = d.between(4, 10);
    const clicks = Array.from({ length: n }, () => d.choice(products));
    let cat = d.below(cats.length);
    const at = d.below(n - 2);
    clicks[at] = `search:${cats[cat]}`;
    let deciding = at;
    if (d.random() < 0.3 && at < n - 2) {
      cat = (cat + d.between(1, cats.length - 1)) % cats.length;
      deciding = d.between(at + 1, n - 1);
      clicks[deciding] = `search:${cats[cat]}`;
    }
    const data = runModel(model, { text: clicks.join(' ') }).app?.data;
    assert.ok(isNarmData(data), 'session view data passes its guard');
    if (data.recommended[0].token.startsWith(`${cats[cat]}-`)) hits++;
    mass += data.clicked[deciding].alpha;
  }
  const acc = hits / total;
  const alpha = mass / total;
  console.log(`narm-sessions: top item in the searched category ${pct(acc)}; ` +
    `mean α on the deciding search ${alpha.toFixed(3)} (${total} sessions)`);
  assert.ok(acc >= 0.98, `top item in the searched category ${pct(acc)}`);
  assert.ok(alpha >= 0.96, `mean α on the deciding search ${alpha.toFixed(3)}`);
});

test('melody-lookback: the greedy continuation of a two-motif primer repeats the motif; α looks L − 2 back', () => {
  const model = load('melody-lookback');
  const notes = ['rest', 'C4', 'D4', 'E4', 'F4', 'G4', 'A4', 'B4', 'C5', 'D5', 'E5'];
  const d = draws(5);
  const total = 200;
  let exact = 0;
  let onLookback = 0;
  let rows = 0;
  for (let k = 0; k < total; k++) {
    // attention_rnn.py melody(): a motif of 3–6 distinct notes, repeated; the primer is two repetitions.
    const L = d.between(3, 6);
    const motif = d.sample(notes, L);
    const r = runModel(model, { text: [...motif, ...motif].join(' ') });
    const T = r.tokens.target.length;
    const want = Array.from({ length: T }, (_, t) => motif[t % L]);
    if (r.tokens.target.join(' ') === want.join(' ')) exact++;
    // Row t (t ≥ 2L) chose note t + 1; the key L − 2 steps back was read right after that note's previous
    // occurrence. The share of α on those look-backs (b ≡ L − 2 mod L) within the window.
    const a = r.attentions[0];
    for (let t = 2 * L; t < T; t++) {
      for (let j = 0; j < t; j++) if ((t - j) % L === (L - 2) % L) onLookback += a.probs[t * T + j];
      rows++;
    }
  }
  const acc = exact / total;
  const share = onLookback / rows;
  console.log(`melody-lookback: greedy continuation exact ${pct(acc)}; ` +
    `α on look-backs ≡ L − 2 (mod L) ${pct(share)} (${total} melodies)`);
  assert.ok(acc >= 0.98, `exact continuations ${pct(acc)}`);
  assert.ok(share >= 0.55, `α on the motif's look-back ${pct(share)}`);
});

test('show-attend-tell-shapes: greedy captions name the scene; colour and shape words look at their object', () => {
  const model = load('show-attend-tell-shapes');
  const colours = ['red', 'green', 'blue', 'yellow'];
  const shapes = ['circle', 'square', 'triangle'];
  const centre: Record<string, [number, number]> = {
    'top-left': [6, 6], 'top-right': [6, 18], 'bottom-left': [18, 6], 'bottom-right': [18, 18],
  };
  const d = draws(11);
  const total = 300;
  let exact = 0;
  const mass: number[] = [];
  for (let k = 0; k < total; k++) {
    // show_attend_tell.py random_scene(): one or two objects, distinct colours and positions.
    const n = d.choice([1, 2, 2, 2]);
    const pos = d.sample(Object.keys(centre), n);
    const col = d.sample(colours, n);
    const objs = pos.map((p, i) => ({ colour: col[i], shape: d.choice(shapes), position: p }));
    const r = runModel(model, { text: objs.map((o) => `${o.colour} ${o.shape} ${o.position}`).join(' ') });
    const data = r.app?.data;
    assert.ok(isShowAttendTellData(data), 'image view data passes its guard');
    // caption(): reading order (upper first, then left), "above" across rows, "beside" in one row.
    const [a, b] = [...objs].sort((x, y) => {
      const [p, q] = [centre[x.position], centre[y.position]];
      return p[0] - q[0] || p[1] - q[1];
    });
    const link = b && centre[a.position][0] === centre[b.position][0] ? 'beside' : 'above';
    const caption = ['a', a.colour, a.shape, ...(b ? [link, 'a', b.colour, b.shape] : []), '</s>'];
    if (data.words.join(' ') === caption.join(' ')) exact++;
    // cell_mass(): α on the 3×3 cells of the 6×6 grid that cover the named object's 12×12 quadrant.
    const L = data.rows * data.cols;
    data.words.forEach((w, t) => {
      const named = objs.filter((o) => o.colour === w || o.shape === w);
      if (named.length !== 1) return;
      const [cy, cx] = centre[named[0].position];
      const r0 = Math.floor(cy / 4) - 1;
      const c0 = Math.floor(cx / 4) - 1;
      let m = 0;
      for (let y = r0; y < r0 + 3; y++) for (let x = c0; x < c0 + 3; x++) m += data.alpha[t * L + y * data.cols + x];
      mass.push(m);
    });
  }
  const acc = exact / total;
  const onObject = mass.reduce((s, x) => s + x, 0) / mass.length;
  console.log(`show-attend-tell-shapes: exact captions ${pct(acc)}; α of a colour/shape word on its object's ` +
    `3×3 quadrant ${pct(onObject)} (chance 25 %; ${total} scenes, ${mass.length} words)`);
  assert.ok(acc >= 0.98, `exact captions ${pct(acc)}`);
  assert.ok(onObject >= 0.78, `α on the object's quadrant ${pct(onObject)}`);
});

test('image-transformer-patterns: after the first block row, the next pixel of a stripe pattern is predicted', () => {
  const model = load('image-transformer-patterns');
  const H = 8;
  const W = 8;
  // image_transformer.py COORDS: 2×4 query blocks in raster order, raster order inside a block.
  const coords: [number, number][] = [];
  for (let by = 0; by < H; by += 2) {
    for (let bx = 0; bx < W; bx += 4) for (let y = 0; y < 2; y++) for (let x = 0; x < 4; x++) coords.push([by + y, bx + x]);
  }
  const d = draws(6);
  const total = 400;
  const FIRST = 2 * W; // pixels of the first block row: nothing above them shows the pattern yet
  let hits = 0;
  let count = 0;
  for (let k = 0; k < total; k++) {
    // pattern(): stripes of period 2 or 3 in two distinct colours, with a random phase.
    const kind = d.choice(['horizontal', 'vertical', 'diagonal'] as const);
    const p = d.choice([2, 3]);
    const [c0, c1] = d.sample([0, 1, 2, 3], 2);
    const ph = d.below(2 * p);
    const along = (y: number, x: number) => ({ horizontal: y, vertical: x, diagonal: x + y })[kind];
    const ids = coords.map(([y, x]) => (Math.floor((along(y, x) + ph) / p) % 2 ? c1 : c0));
    const data = runModel(model, { ids }).app?.data;
    assert.ok(isImageTransformerData(data), 'image view data passes its guard');
    for (let s = FIRST; s < ids.length; s++) {
      hits += Number(data.predicted[s - 1] === ids[s]); // predicted[s − 1]: the guess for position s
      count++;
    }
  }
  const acc = hits / count;
  console.log(`image-transformer-patterns: next-pixel accuracy after the first block row ${pct(acc)} ` +
    `(${total} patterns, ${count} pixels)`);
  assert.ok(acc >= 0.97, `next-pixel accuracy ${pct(acc)}`);
});
