// Mutations of real model files for the fuzz campaigns, as fast-check arbitraries. A mutation is
// plain data (which path, which operation, which value), so a failing case prints as a short,
// replayable description and fast-check can shrink it.
import fc from 'fast-check';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Path = (string | number)[];

/** Values that have broken parsers before: edges of number ranges, wrong types, hostile text. */
const INTERESTING: Json[] = [
  0,
  -1,
  1,
  2,
  3,
  7,
  1.5,
  -0.5,
  0.1,
  1e-320,
  1e308,
  -1e308,
  2 ** 31,
  2 ** 32,
  2 ** 31 - 1,
  2 ** 53,
  2 ** 53 - 1,
  2 ** 53 + 2,
  1e15,
  65536,
  1e6,
  '',
  'x',
  '0',
  '-1',
  '1e999',
  'NaN',
  'Infinity',
  '🙂',
  '\u0000',
  '\ud800',
  ' ',
  '\n',
  'a'.repeat(300),
  '<img src=x onerror=alert(1)>',
  '../../../../etc/passwd',
  '/dev/zero',
  '.',
  '..',
  '__proto__',
  'constructor',
  'F32',
  'F16',
  'BF16',
  'I64',
  'U8',
  'F8_E4M3',
  'encoder',
  'decoder',
  'encoder-decoder',
  'sinusoidal',
  'sinusoidal-marian',
  'learned',
  'none',
  'gelu',
  'relu',
  'swish',
  'silu',
  'pre',
  'post',
  'gru',
  'lstm',
  'additive',
  'dot',
  'general',
  'scaled-dot',
  'bert',
  'gpt2',
  'marian',
  'WordPiece',
  'BPE',
  'Unigram',
  'WordLevel',
  'Sequence',
  'TemplateProcessing',
  'ByteLevel',
  'Metaspace',
  'BertPreTokenizer',
  null,
  true,
  false,
  [],
  {},
  [0],
  [1, 2],
  [-1],
  [2 ** 53 - 1, 2 ** 53 - 1],
  [0, 2 ** 40],
  { a: 1 },
  { dtype: 'F32', shape: [], data_offsets: [0, 4] },
];

export type Op =
  | { op: 'delete' }
  | { op: 'set'; value: Json }
  | { op: 'nudge'; by: number }
  | { op: 'retype' }
  | { op: 'rename'; to: string }
  | { op: 'add'; key: string; value: Json }
  | { op: 'copy'; fromIndex: number }
  | { op: 'nest'; depth: number };

export interface Mutation {
  /** Index into the document's path list (modulo its length). */
  at: number;
  op: Op;
}

const value: fc.Arbitrary<Json> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...INTERESTING) },
  { weight: 2, arbitrary: fc.integer({ min: -10, max: 100_000 }) },
  { weight: 1, arbitrary: fc.double({ noNaN: true }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json> },
);

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ op: 'delete' as const }) },
  { weight: 8, arbitrary: value.map((v) => ({ op: 'set' as const, value: v })) },
  { weight: 4, arbitrary: fc.constantFrom(1, -1, 2, -2, 0.5, 1000, -1000, 2 ** 32, 1e9).map((by) => ({ op: 'nudge' as const, by })) },
  { weight: 2, arbitrary: fc.constant({ op: 'retype' as const }) },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom('__proto__', 'constructor', 'x', '', 'weight', 'embed.tokens', '__metadata__')
      .map((to) => ({ op: 'rename' as const, to })),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ key: fc.constantFrom('extra', '__proto__', 'dtype', 'shape', 'unk_token', 'type'), value })
      .map((r) => ({ op: 'add' as const, ...r })),
  },
  { weight: 2, arbitrary: fc.nat().map((fromIndex) => ({ op: 'copy' as const, fromIndex })) },
  { weight: 1, arbitrary: fc.constantFrom(50, 20_000).map((depth) => ({ op: 'nest' as const, depth })) },
);

export const mutations = (max = 3): fc.Arbitrary<Mutation[]> => fc.array(fc.record({ at: fc.nat(), op }), { minLength: 1, maxLength: max });

/** Text-level damage applied after serialising: cut, insert or overwrite characters. */
export type TextOp = { cut: number } | { insert: number; text: string } | { flip: number; char: string };
export const textOps: fc.Arbitrary<TextOp[]> = fc.array(
  fc.oneof(
    fc.nat().map((cut) => ({ cut })),
    fc.record({ insert: fc.nat(), text: fc.constantFrom('"', '{', '}', ',', ']', '\\', '\u0000', 'null', ':', '\ufeff', '1e99999') }),
    fc.record({ flip: fc.nat(), char: fc.constantFrom('"', '{', '0', 'x', ' ', '\\', 'é') }),
  ),
  { minLength: 1, maxLength: 2 },
);

export function applyTextOps(text: string, ops: TextOp[]): string {
  let s = text;
  for (const o of ops) {
    const at = (n: number) => (s.length ? n % (s.length + 1) : 0);
    if ('cut' in o) s = s.slice(0, at(o.cut));
    else if ('insert' in o) s = s.slice(0, at(o.insert)) + o.text + s.slice(at(o.insert));
    else s = s.slice(0, at(o.flip)) + o.char + s.slice(at(o.flip) + 1);
  }
  return s;
}

/**
 * Paths worth mutating: every object key and the first two and last elements of each array, to
 * `maxDepth`. Long arrays (vocabularies, merges) would otherwise drown the config fields.
 */
export function pathsOf(doc: Json, maxDepth = 6): Path[] {
  const out: Path[] = [];
  const walk = (v: Json, p: Path) => {
    if (p.length) out.push(p);
    if (p.length >= maxDepth || v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      const idx = v.length <= 3 ? v.map((_, i) => i) : [0, 1, v.length - 1];
      for (const i of idx) walk(v[i], [...p, i]);
    } else for (const k of Object.keys(v)) walk(v[k], [...p, k]);
  };
  walk(doc, []);
  return out;
}

function parentOf(doc: Json, p: Path): { parent: Json[] | { [k: string]: Json }; key: string | number } | undefined {
  let cur: Json = doc;
  for (const k of p.slice(0, -1)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, Json>)[k as string];
  }
  if (cur === null || typeof cur !== 'object') return undefined;
  return { parent: cur, key: p[p.length - 1] };
}

/** Applies the mutations to a deep copy of `doc`; paths come from the *original* document. */
export function applyMutations(doc: Json, paths: Path[], muts: Mutation[]): Json {
  const out = structuredClone(doc);
  for (const m of muts) {
    const p = paths[m.at % paths.length];
    const loc = parentOf(out, p);
    if (!loc) continue; // an earlier mutation removed or replaced the parent
    const { parent, key } = loc;
    const rec = parent as Record<string | number, Json>;
    const cur = rec[key];
    const o = m.op;
    switch (o.op) {
      case 'delete':
        if (Array.isArray(parent)) parent.splice(Number(key), 1);
        else delete rec[key];
        break;
      case 'set':
        rec[key] = o.value;
        break;
      case 'nudge':
        rec[key] = typeof cur === 'number' ? (o.by === 0.5 ? cur + 0.5 : cur + o.by) : Array.isArray(cur) ? [...cur, o.by] : o.by;
        break;
      case 'retype':
        rec[key] =
          typeof cur === 'number'
            ? String(cur)
            : typeof cur === 'string' && cur.trim() !== '' && !Number.isNaN(Number(cur))
              ? Number(cur)
              : Array.isArray(cur)
                ? { ...cur }
                : cur && typeof cur === 'object'
                  ? Object.values(cur)
                  : [cur];
        break;
      case 'rename':
        if (!Array.isArray(parent)) {
          delete rec[key];
          Object.defineProperty(rec, o.to, { value: cur, enumerable: true, writable: true, configurable: true });
        }
        break;
      case 'add':
        if (cur && typeof cur === 'object' && !Array.isArray(cur))
          Object.defineProperty(cur, o.key, { value: o.value, enumerable: true, writable: true, configurable: true });
        else if (Array.isArray(cur)) cur.push(o.value);
        break;
      case 'copy': {
        const from = parentOf(out, paths[o.fromIndex % paths.length]);
        if (from) rec[key] = structuredClone((from.parent as Record<string | number, Json>)[from.key] ?? null);
        break;
      }
      case 'nest':
        // Replaced after stringify (see serialise): a marker string keeps the document small.
        rec[key] = `\u0001NEST${o.depth}\u0001`;
        break;
    }
  }
  return out;
}

/** JSON text of a mutated document, with deep-nesting markers expanded. */
export function serialise(doc: Json): string {
  return JSON.stringify(doc).replace(/"\\u0001NEST(\d+)\\u0001"/g, (_, d: string) => '['.repeat(Number(d)) + ']'.repeat(Number(d)));
}

/** Short human-readable form of a mutation list, for failure reports and the slowest case. */
export function describeMutations(paths: Path[], muts: Mutation[]): string {
  return muts
    .map((m) => {
      const p = paths[m.at % paths.length].map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('');
      const { op, ...rest } = m.op;
      const arg = JSON.stringify(rest);
      return `${op} ${p}${arg === '{}' ? '' : ' ' + (arg.length > 80 ? arg.slice(0, 77) + '…' : arg)}`;
    })
    .join('; ');
}
