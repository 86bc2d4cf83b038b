// The real files the campaigns mutate: project models (test/fixtures/project, examples/), the
// Hugging Face fixture folders (config.json + model.safetensors) and tokenizer.json files — the
// BERT WordPiece fixture plus small hand-written BPE, WordLevel and Unigram ones so that every
// tokenizer model type the library reads is exercised.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Json } from './mutate';

export const ROOT = path.resolve(__dirname, '../../../..');
const FIX = path.join(ROOT, 'test', 'fixtures');

export interface ProjectSeed {
  name: string;
  doc: Json;
  /** Sidecar safetensors to place beside the mutated file (name as referenced, absolute source). */
  sidecar?: { name: string; from: string };
}

export function projectSeeds(): ProjectSeed[] {
  const files = [
    ...fs.readdirSync(path.join(FIX, 'project')).map((f) => path.join(FIX, 'project', f)),
    ...fs
      .readdirSync(path.join(ROOT, 'examples'))
      .filter((f) => f.endsWith('.model.json'))
      .map((f) => path.join(ROOT, 'examples', f)),
  ].filter((f) => f.endsWith('.model.json'));
  return files.map((f) => {
    const doc = JSON.parse(fs.readFileSync(f, 'utf8')) as Json & { weights: { safetensors?: string } };
    const st = doc.weights.safetensors;
    return { name: path.basename(f), doc, sidecar: st ? { name: st, from: path.resolve(path.dirname(f), st) } : undefined };
  });
}

export const HF_DIRS = ['bert', 'bert-prefixed', 'gpt2', 'marian'].map((d) => path.join(FIX, 'hf', d));

export interface SafetensorsSeed {
  name: string;
  /** The HF folder it came from (its config.json is used for the full-load cases). */
  hfDir?: string;
  header: Json;
  data: Uint8Array;
}

/** A u64 length, the header JSON and the data section of one file. */
export function splitSafetensors(bytes: Uint8Array): { header: Json; data: Uint8Array } {
  const n = Number(Buffer.from(bytes).readBigUInt64LE(0));
  return { header: JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8')) as Json, data: bytes.subarray(8 + n) };
}

export function safetensorsSeeds(): SafetensorsSeed[] {
  const seeds: SafetensorsSeed[] = HF_DIRS.map((d) => ({
    name: path.basename(d),
    hfDir: d,
    ...splitSafetensors(fs.readFileSync(path.join(d, 'model.safetensors'))),
  }));
  for (const p of projectSeeds()) {
    if (p.sidecar) seeds.push({ name: p.sidecar.name, ...splitSafetensors(fs.readFileSync(p.sidecar.from)) });
  }
  // Every dtype the reader decodes, metadata, an empty tensor and a scalar.
  seeds.push({
    name: 'mixed-dtypes',
    header: {
      __metadata__: { format: 'pt', note: 'mixed' },
      a: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] },
      b: { dtype: 'F16', shape: [4], data_offsets: [24, 32] },
      c: { dtype: 'BF16', shape: [2, 2], data_offsets: [32, 40] },
      empty: { dtype: 'F32', shape: [0, 5], data_offsets: [40, 40] },
      scalar: { dtype: 'F32', shape: [], data_offsets: [40, 44] },
    },
    data: Uint8Array.from({ length: 44 }, (_, i) => (i * 37) & 0xff),
  });
  return seeds;
}

export interface JsonSeed {
  name: string;
  doc: Json;
}

export function hfConfigSeeds(): (JsonSeed & { dir: string })[] {
  return HF_DIRS.map((dir) => ({
    name: path.basename(dir),
    dir,
    doc: JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as Json,
  }));
}

const special = (id: number, content: string) => ({
  id,
  content,
  single_word: false,
  lstrip: false,
  rstrip: false,
  normalized: false,
  special: true,
});

export function tokenizerSeeds(): JsonSeed[] {
  const bert = JSON.parse(fs.readFileSync(path.join(FIX, 'tokenizers', 'bert-wordpiece', 'tokenizer.json'), 'utf8')) as Json;
  const base = { version: '1.0', truncation: null, padding: null };
  const letters = 'abcdefghijklmnopqrstuvwxyz'.split('');
  const bpeVocab: Record<string, number> = { '<unk>': 0 };
  for (const c of [...letters, 'Ġ']) bpeVocab[c] = Object.keys(bpeVocab).length;
  for (const m of ['he', 'll', 'hell', 'hello', 'Ġw', 'or', 'Ġwor', 'ld', 'Ġworld']) bpeVocab[m] = Object.keys(bpeVocab).length;
  return [
    { name: 'bert-wordpiece', doc: bert },
    {
      name: 'bpe-bytelevel',
      doc: {
        ...base,
        added_tokens: [special(0, '<unk>')],
        normalizer: null,
        pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
        post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
        decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
        model: {
          type: 'BPE',
          dropout: null,
          unk_token: '<unk>',
          continuing_subword_prefix: null,
          end_of_word_suffix: null,
          fuse_unk: false,
          byte_fallback: false,
          vocab: bpeVocab,
          merges: ['h e', 'l l', 'he ll', 'hell o', 'Ġ w', 'o r', 'Ġw or', 'l d', 'Ġwor ld'],
        },
      },
    },
    {
      name: 'wordlevel',
      doc: {
        ...base,
        added_tokens: [special(0, '<unk>'), special(1, '<s>')],
        normalizer: { type: 'Sequence', normalizers: [{ type: 'NFKC' }, { type: 'Lowercase' }] },
        pre_tokenizer: { type: 'Whitespace' },
        post_processor: {
          type: 'TemplateProcessing',
          single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
          pair: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
          special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
        },
        decoder: null,
        model: { type: 'WordLevel', vocab: { '<unk>': 0, '<s>': 1, hello: 2, world: 3, the: 4, cat: 5 }, unk_token: '<unk>' },
      },
    },
    {
      name: 'unigram-metaspace',
      doc: {
        ...base,
        added_tokens: [special(0, '<unk>'), special(1, '</s>')],
        normalizer: { type: 'Precompiled', precompiled_charsmap: null },
        pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
        post_processor: {
          type: 'TemplateProcessing',
          single: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }],
          pair: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 0 } }],
          special_tokens: { '</s>': { id: '</s>', ids: [1], tokens: ['</s>'] } },
        },
        decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
        model: {
          type: 'Unigram',
          unk_id: 0,
          byte_fallback: false,
          vocab: [['<unk>', 0], ['</s>', 0], ['▁hello', -1], ['▁world', -1.5], ['▁', -2], ...letters.map((c): [string, number] => [c, -4])],
        },
      },
    },
  ];
}
