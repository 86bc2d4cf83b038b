// The four fuzz campaigns. Each mutates real files and feeds them to the real readers in this
// process — from memory where the reader takes bytes (parseSafetensors), through a temp file
// where it takes a path (project JSON, HF folder, tokenizer.json) — then builds what was accepted
// and runs a two-token input through the engine with the run limits on.
import fc from 'fast-check';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadModel, prepare, runModel } from '../../../src/engine/run';
import { parseSafetensors } from '../../../src/engine/format/safetensors';
import { loadHfTokenizer } from '../../../src/engine/format/modelJson';
import type { LoadedModel } from '../../../src/engine/format/loaded';
import { estimateRunMemory } from '../../../src/engine/runMemory';
import {
  applyMutations,
  applyTextOps,
  describeMutations,
  mutations,
  pathsOf,
  serialise,
  textOps,
  type Json,
  type Mutation,
  type Path,
  type TextOp,
} from './mutate';
import { hfConfigSeeds, projectSeeds, safetensorsSeeds, tokenizerSeeds } from './seeds';
import { runCase, type Figures } from './outcome';

/** Per case, typed-array allocations may total this much plus a multiple of the input's size. */
export const CAP_BASE = 64 * 1024 * 1024;
const capFor = (inputBytes: number) => CAP_BASE + 8 * inputBytes;
/** The run stage's limits: small, so a mutated size cannot turn a case into a long computation. */
export const RUN_LIMITS = { maxTokens: 64, maxRunMemoryMB: 64 };

export interface Campaign<T> {
  name: string;
  /** Cases per CI run (scaled by AI_FUZZ_SCALE). */
  runs: number;
  arbitrary: fc.Arbitrary<T>;
  exercise(input: T, f: Figures): void;
}

/** Reads and builds (the `read` stage): loading alone would skip the builders' tensor checks. */
function loadAndBuild(p: string): LoadedModel {
  const m = loadModel(p);
  prepare(m);
  return m;
}

/**
 * The `run` stage: two source tokens (and a start token for seq2seq models). Only architectures
 * with a memory estimate run: without one, a mutated size (steps, lengths) is not refused up
 * front and a case could legitimately compute for minutes.
 */
function runShort(m: LoadedModel): boolean {
  if (!estimateRunMemory(m, { source: 2 })) return false;
  const r = prepare(m);
  runModel(m, { ids: [1, 2], targetIds: r.hasTarget ? [r.decoderStartId ?? 1] : undefined, ...RUN_LIMITS });
  return true;
}

interface JsonCase {
  seed: number;
  muts: Mutation[];
  text: TextOp[] | null;
}
/** `x` in about `percent` % of cases, else null (fc.option's freq is the chance of null). */
const sometimes = <T>(percent: number, x: fc.Arbitrary<T>): fc.Arbitrary<T | null> =>
  fc.oneof({ weight: percent, arbitrary: x }, { weight: 100 - percent, arbitrary: fc.constant(null) });

// Mostly one or two structural mutations (so that a good share of files get past the parser
// into the checks that need arithmetic); text-level damage in 15 % of cases.
const jsonCase = fc.record({ seed: fc.nat(), muts: mutations(2), text: sometimes(15, textOps) });

function mutatedText(doc: Json, paths: Path[], c: JsonCase): string {
  const s = serialise(applyMutations(doc, paths, c.muts));
  return c.text ? applyTextOps(s, c.text) : s;
}
const describeJson = (name: string, paths: Path[], c: JsonCase) =>
  `${name}: ${describeMutations(paths, c.muts)}${c.text ? `; text ${JSON.stringify(c.text)}` : ''}`;

export function projectCampaign(tmp: string): Campaign<JsonCase> {
  const seeds = projectSeeds().map((s) => {
    const dir = path.join(tmp, 'project', s.name);
    fs.mkdirSync(dir, { recursive: true });
    if (s.sidecar) fs.copyFileSync(s.sidecar.from, path.join(dir, s.sidecar.name));
    // Tensors contribute most paths; weight config, vocab and top-level fields up so they get their share.
    const all = pathsOf(s.doc);
    const structural = all.filter((p) => p[0] !== 'weights' || p.length <= 2);
    return { ...s, file: path.join(dir, 'case.model.json'), paths: [...all, ...structural, ...structural, ...structural] };
  });
  return {
    name: 'project JSON',
    runs: 3000,
    arbitrary: jsonCase,
    exercise(c, f) {
      const s = seeds[c.seed % seeds.length];
      const text = mutatedText(s.doc, s.paths, c);
      fs.writeFileSync(s.file, text);
      runCase(
        f,
        () => describeJson(s.name, s.paths, c),
        capFor(text.length),
        () => loadAndBuild(s.file),
        runShort,
      );
    },
  };
}

interface StCase {
  seed: number;
  muts: Mutation[] | null;
  length: bigint | null;
  flips: { at: number; byte: number }[];
  cut: number | null;
  append: number | null;
  full: boolean;
}

const lengthField = fc.oneof(
  fc.constantFrom(
    0n,
    1n,
    2n,
    7n,
    8n,
    2n ** 31n,
    2n ** 32n,
    2n ** 53n,
    2n ** 63n,
    2n ** 64n - 1n,
    100n * 1024n * 1024n,
    100n * 1024n * 1024n + 1n,
  ),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  fc.bigInt({ min: 0n, max: 4096n }),
);

export function safetensorsCampaign(tmp: string): Campaign<StCase> {
  const seeds = safetensorsSeeds().map((s) => {
    const dir = path.join(tmp, 'st', s.name);
    fs.mkdirSync(dir, { recursive: true });
    if (s.hfDir) fs.copyFileSync(path.join(s.hfDir, 'config.json'), path.join(dir, 'config.json'));
    return { ...s, dir, headerText: JSON.stringify(s.header), paths: pathsOf(s.header, 4) };
  });
  return {
    name: 'safetensors',
    runs: 4000,
    arbitrary: fc.record({
      seed: fc.nat(),
      muts: sometimes(75, mutations(2)), // mostly structural, a quarter byte-level only
      length: sometimes(15, lengthField),
      flips: fc.oneof(
        { weight: 3, arbitrary: fc.constant([] as { at: number; byte: number }[]) },
        {
          weight: 1,
          arbitrary: fc.array(fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 3 }),
        },
      ),
      cut: sometimes(10, fc.nat()),
      append: sometimes(5, fc.integer({ min: 1, max: 64 })),
      full: fc.integer({ min: 0, max: 99 }).map((n) => n < 15),
    }),
    exercise(c, f) {
      const s = seeds[c.seed % seeds.length];
      const header = Buffer.from(c.muts ? serialise(applyMutations(s.header, s.paths, c.muts)) : s.headerText);
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(c.length ?? BigInt(header.length));
      let bytes: Uint8Array = Buffer.concat([len, header, s.data, Buffer.alloc(c.append ?? 0, 0x41)]);
      for (const fl of c.flips) bytes[fl.at % bytes.length] = fl.byte;
      if (c.cut !== null) bytes = bytes.subarray(0, c.cut % (bytes.length + 1));
      const what = () =>
        `${s.name}: ${c.muts ? describeMutations(s.paths, c.muts) : 'header kept'}; length ${c.length ?? 'kept'}; flips ${JSON.stringify(c.flips)}; cut ${c.cut}; append ${c.append}${c.full && s.hfDir ? '; via HF folder' : ''}`;
      if (c.full && s.hfDir) {
        fs.writeFileSync(path.join(s.dir, 'model.safetensors'), bytes);
        runCase(f, what, capFor(bytes.length), () => loadAndBuild(s.dir), runShort);
      } else {
        runCase(f, what, capFor(bytes.length), () => parseSafetensors(path.join(s.dir, 'case.safetensors'), bytes));
      }
    },
  };
}

export function hfConfigCampaign(tmp: string): Campaign<JsonCase> {
  const seeds = hfConfigSeeds().map((s) => {
    const dir = path.join(tmp, 'hf', s.name);
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(path.join(s.dir, 'model.safetensors'), path.join(dir, 'model.safetensors'));
    return { ...s, dir, paths: pathsOf(s.doc) };
  });
  return {
    name: 'config.json',
    runs: 2000,
    arbitrary: jsonCase,
    exercise(c, f) {
      const s = seeds[c.seed % seeds.length];
      const text = mutatedText(s.doc, s.paths, c);
      fs.writeFileSync(path.join(s.dir, 'config.json'), text);
      runCase(
        f,
        () => describeJson(s.name, s.paths, c),
        capFor(text.length),
        () => loadAndBuild(s.dir),
        runShort,
      );
    },
  };
}

const TEXTS = ['hello world', 'The cat', '', '   ', 'ÀÉÎ õü 漢字 🙂', '<img src=x onerror=alert(1)>', 'a'.repeat(200)];

export function tokenizerCampaign(tmp: string): Campaign<JsonCase> {
  const seeds = tokenizerSeeds().map((s) => {
    const dir = path.join(tmp, 'tok', s.name);
    fs.mkdirSync(dir, { recursive: true });
    return { ...s, file: path.join(dir, 'tokenizer.json'), paths: pathsOf(s.doc) };
  });
  return {
    name: 'tokenizer.json',
    runs: 1500,
    arbitrary: jsonCase,
    exercise(c, f) {
      const s = seeds[c.seed % seeds.length];
      const text = mutatedText(s.doc, s.paths, c);
      fs.writeFileSync(s.file, text);
      runCase(
        f,
        () => describeJson(s.name, s.paths, c),
        capFor(text.length),
        () => loadHfTokenizer(s.file, path.join(path.dirname(s.file), 'model.json'), 'vocab.tokenizer_file'),
        (tok) => {
          for (const t of TEXTS) tok.encode(t);
          for (const id of [0, 1, 5, tok.size - 1, tok.size, -1, 1e9]) tok.token(id);
        },
      );
    },
  };
}

export const CAMPAIGNS = {
  project: projectCampaign,
  safetensors: safetensorsCampaign,
  hfConfig: hfConfigCampaign,
  tokenizer: tokenizerCampaign,
};
export type CampaignName = keyof typeof CAMPAIGNS;
