// Reader for the project's own model file (docs/model-format.md): JSON → schema check (ajv) →
// config with defaults → tokenizers → weights (inline base64 or a sidecar safetensors). Checks
// that need arithmetic across fields (heads | d_model, ids < vocab size) are done in code after
// the schema. Tensor names and shapes are the model builders' business (load.ts helpers).
import * as fs from 'fs';
import * as path from 'path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import schema from './model.schema.json';
import { ModelFormatError, showValue } from './errors';
import type { AttentionRnnConfig, ImageTransformerConfig, LoadedModel, SentenceEncoderConfig, ShowAttendTellConfig, NarmConfig, RnnSeq2seqConfig, TdmcaConfig, Tokenizer, TransformerConfig, UniversalConfig } from './loaded';
import { parseSafetensors } from './safetensors';
import { readRegularFile, resolveInModelFolder, statRegularFile } from './files';
import { parseJsonText } from './jsonText';
import { checkWeightsMemory, type LoadLimits } from './weightsMemory';
import { HfTokenizer, vocabTokenizer, type SplitMode } from './tokenizer';
import { sizeOf, type Tensor } from '../tensor';
import { partShapes } from '../models/parts';
import type { Part } from '../types';

type HeadRef = { part: Part; layer: number; head: number };

/** open_first must name a head the model has (the schema checked its shape). */
function checkOpenFirst(file: string, model: LoadedModel, ref: HeadRef): HeadRef {
  const shapes = partShapes(model);
  const shape = shapes.find((s) => s.part === ref.part);
  if (!shape) throw new ModelFormatError(file, 'open_first.part', `one of ${shapes.map((s) => `"${s.part}"`).join(', ')}; found "${ref.part}"`);
  if (ref.layer >= shape.layers) throw new ModelFormatError(file, 'open_first.layer', `a ${ref.part} layer 0…${shape.layers - 1}; found ${ref.layer}`);
  if (ref.head >= shape.heads) throw new ModelFormatError(file, 'open_first.head', `a head 0…${shape.heads - 1}; found ${ref.head}`);
  return ref;
}

export const FORMAT_ID = 'attention-inspector/model';

interface VocabJson {
  tokens?: string[];
  target_tokens?: string[];
  split: SplitMode;
  unk_token?: string;
  lowercase: boolean;
  tokenizer_file?: string;
}

interface ExampleJson {
  text?: string;
  target_text?: string;
  ids?: number[];
  target_ids?: number[];
}

/** The document after validation with defaults filled in; config is checked per architecture. */
interface ModelJson {
  format: typeof FORMAT_ID;
  version: 1;
  name?: string;
  description?: string;
  open_first?: HeadRef;
  architecture: 'transformer' | 'universal' | 'tdmca' | 'rnn-seq2seq' | 'narm' | 'attention-rnn' | 'show-attend-tell' | 'image-transformer' | 'sentence-encoder';
  config: Record<string, unknown>;
  vocab?: VocabJson;
  examples?: ExampleJson[];
  weights: { safetensors?: string; inline?: Record<string, { shape: number[]; data: string }> };
}

type TransformerJson = Omit<TransformerConfig, 'encoder_layers' | 'decoder_layers'> & { encoder_layers?: number; decoder_layers?: number };

export function readModelJson(file: string, limits?: LoadLimits): LoadedModel {
  const doc = readJsonFile(file);
  const validate = validator();
  if (!validate(doc)) throw schemaError(file, validate.errors ?? []);
  const bad = (field: string, expected: string) => new ModelFormatError(file, field, expected);

  const base = {
    file,
    name: doc.name ?? path.basename(file).replace(/(\.model)?\.json$/i, ''),
    description: doc.description,
    examples: (doc.examples ?? []).map((e) => ({ text: e.text, targetText: e.target_text, ids: e.ids, targetIds: e.target_ids })),
  };
  let model: LoadedModel;
  let sizes: { source: number; target: number };
  if (doc.architecture === 'transformer') {
    const config = transformerConfig(file, doc.config as unknown as TransformerJson); // shape guaranteed by the schema
    sizes = { source: config.vocab_size, target: config.vocab_size };
    model = { ...base, architecture: 'transformer', config, weights: new Map() };
  } else if (doc.architecture === 'universal') {
    const config = { ...(doc.config as unknown as UniversalConfig) }; // shape and defaults from the schema
    checkHeads(file, config.d_model, config.heads);
    checkComputedTable(file, 'config.max_positions', config.max_positions, config.d_model);
    checkComputedTable(file, 'config.max_steps', config.max_steps, config.d_model);
    sizes = { source: config.vocab_size, target: config.vocab_size };
    model = { ...base, architecture: 'universal', config, weights: new Map() };
  } else if (doc.architecture === 'tdmca') {
    const config = { ...(doc.config as unknown as TdmcaConfig) };
    checkHeads(file, config.d_model, config.heads);
    if (config.positions === 'sinusoidal') checkComputedTable(file, 'config.max_positions', config.max_positions, config.d_model);
    sizes = { source: config.vocab_size, target: config.vocab_size };
    model = { ...base, architecture: 'tdmca', config, weights: new Map() };
  }
 else if (doc.architecture === 'narm') {
    const config = { ...(doc.config as unknown as NarmConfig) }; // shape and defaults from the schema
    sizes = { source: config.vocab_size, target: config.vocab_size };
    model = { ...base, architecture: 'narm', config, weights: new Map() };
  } else if (doc.architecture === 'show-attend-tell') {
    const config = { ...(doc.config as unknown as ShowAttendTellConfig) }; // shape and defaults from the schema
    checkId(file, 'bos_id', config.bos_id, config.tgt_vocab_size, 'tgt_vocab_size');
    checkId(file, 'eos_id', config.eos_id, config.tgt_vocab_size, 'tgt_vocab_size');
    sizes = { source: config.src_vocab_size, target: config.tgt_vocab_size };
    model = { ...base, architecture: 'show-attend-tell', config, weights: new Map() };
  } else if (doc.architecture === 'image-transformer') {
    const config = { ...(doc.config as unknown as ImageTransformerConfig) };
    sizes = { source: config.vocab_size, target: config.vocab_size };
    model = { ...base, architecture: 'image-transformer', config, weights: new Map() };
  } else if (doc.architecture === 'sentence-encoder') {
    const config = { ...(doc.config as unknown as SentenceEncoderConfig) };
    checkHeads(file, config.embed_dim, config.heads);
    checkHeads(file, config.d_model, config.heads);
    checkComputedTable(file, 'config.max_positions', config.max_positions, config.embed_dim);
    sizes = { source: config.vocab_size, target: config.vocab_size };
    model = { ...base, architecture: 'sentence-encoder', config, weights: new Map() };
  } else if (doc.architecture === 'attention-rnn') {
    const config = { ...(doc.config as unknown as AttentionRnnConfig) };
    sizes = { source: config.vocab_size, target: config.vocab_size };
    model = { ...base, architecture: 'attention-rnn', config, weights: new Map() };
  } else {
    const config = rnnConfig(file, doc.config as unknown as RnnSeq2seqConfig);
    sizes = { source: config.src_vocab_size, target: config.tgt_vocab_size };
    model = { ...base, architecture: 'rnn-seq2seq', config, weights: new Map() };
  }
  if (doc.vocab) Object.assign(model, tokenizers(file, doc.vocab, sizes));
  if (doc.open_first) model.openFirst = checkOpenFirst(file, model, doc.open_first);

  if (doc.weights.inline) {
    for (const [name, t] of Object.entries(doc.weights.inline)) model.weights.set(name, decodeInline(file, name, t));
  } else if (doc.weights.safetensors !== undefined) {
    const sidecar = resolveInModelFolder(file, 'weights.safetensors', doc.weights.safetensors);
    if (!fs.existsSync(sidecar)) throw bad('weights.safetensors', `a safetensors file at ${sidecar} (not found)`);
    checkWeightsMemory(file, [sidecar], limits);
    model.weights = parseSafetensors(sidecar, readRegularFile(sidecar));
  }
  return model;
}

function transformerConfig(file: string, c: TransformerJson): TransformerConfig {
  const cfg: TransformerConfig = {
    ...c,
    encoder_layers: c.kind === 'decoder' ? 0 : (c.encoder_layers ?? 0),
    decoder_layers: c.kind === 'encoder' ? 0 : (c.decoder_layers ?? 0),
  };
  if (cfg.d_model % cfg.heads !== 0) {
    throw new ModelFormatError(file, 'config.heads', `a divisor of config.d_model ${cfg.d_model} (head size = d_model / heads); found ${cfg.heads}`);
  }
  for (const key of ['bos_id', 'eos_id', 'decoder_start_id'] as const) checkId(file, key, cfg[key], cfg.vocab_size, 'vocab_size');
  if (cfg.positions === 'sinusoidal' || cfg.positions === 'sinusoidal-marian') checkComputedTable(file, 'config.max_positions', cfg.max_positions, cfg.d_model);
  return cfg;
}

function rnnConfig(file: string, c: RnnSeq2seqConfig): RnnSeq2seqConfig {
  // dot and scaled-dot compare s (size H) with h_j (size H_enc): only possible when they match.
  if ((c.score === 'dot' || c.score === 'scaled-dot') && c.bidirectional) {
    throw new ModelFormatError(
      file,
      'config.score',
      `"general" or "additive" for a bidirectional encoder (${c.score} needs hidden_size = encoder output size, here ${c.hidden_size} ≠ ${2 * c.hidden_size}); found "${c.score}"`,
    );
  }
  checkId(file, 'bos_id', c.bos_id, c.tgt_vocab_size, 'tgt_vocab_size');
  checkId(file, 'eos_id', c.eos_id, c.tgt_vocab_size, 'tgt_vocab_size');
  return { ...c };
}

/** Largest sinusoidal table a builder computes (positions × d_model float32s) from a file's config. */
export const MAX_COMPUTED_TABLE_BYTES = 64 * 1024 * 1024;

/**
 * A computed table (sinusoidal positions, step signals) is allocated from config values alone,
 * before any tensor is checked: a max_positions of 2³² would ask for terabytes. Found by fuzzing.
 */
export function checkComputedTable(file: string, field: string, rows: number, d: number): void {
  if (rows * d * 4 <= MAX_COMPUTED_TABLE_BYTES) return;
  const most = Math.floor(MAX_COMPUTED_TABLE_BYTES / 4 / d);
  throw new ModelFormatError(file, field, `at most ${most} for d_model ${d} (its sinusoidal table, ${field.replace(/^config\./, '')} × d_model float32s, is computed and capped at ${MAX_COMPUTED_TABLE_BYTES / 1024 / 1024} MB); found ${rows}`);
}

function checkHeads(file: string, d: number, heads: number): void {
  if (d % heads !== 0) throw new ModelFormatError(file, 'config.heads', `a divisor of config.d_model ${d} (head size = d_model / heads); found ${heads}`);
}

function checkId(
file: string, key: string, id: number | undefined, size: number, sizeKey: string): void {
  if (id !== undefined && id >= size) throw new ModelFormatError(file, `config.${key}`, `an id below config.${sizeKey} ${size}; found ${id}`);
}

function tokenizers(file: string, v: VocabJson, sizes: { source: number; target: number }): { sourceTokenizer: Tokenizer; targetTokenizer: Tokenizer } {
  if (v.tokenizer_file !== undefined) {
    const tokFile = resolveInModelFolder(file, 'vocab.tokenizer_file', v.tokenizer_file);
    // The tokenizer_config.json read beside it must not lead out of the folder either.
    resolveInModelFolder(file, 'vocab.tokenizer_file', path.join(path.dirname(tokFile), 'tokenizer_config.json'));
    const tok = loadHfTokenizer(tokFile, file, 'vocab.tokenizer_file');
    return { sourceTokenizer: tok, targetTokenizer: tok };
  }
  const tokens = v.tokens ?? []; // the schema requires tokens without tokenizer_file
  const spec = (t: string[]) => ({ tokens: t, split: v.split, unk_token: v.unk_token, lowercase: v.lowercase });
  if (tokens.length !== sizes.source) {
    throw new ModelFormatError(file, 'vocab.tokens', `one token per id of the source vocabulary (${sizes.source}); found ${tokens.length}`);
  }
  const source = vocabTokenizer(file, 'vocab.tokens', spec(tokens), 'text');
  if (v.target_tokens === undefined) {
    if (sizes.target !== sizes.source) {
      throw new ModelFormatError(file, 'vocab.target_tokens', `a target vocabulary of ${sizes.target} tokens (the source and target sizes differ); it is missing`);
    }
    return { sourceTokenizer: source, targetTokenizer: vocabTokenizer(file, 'vocab.tokens', spec(tokens), 'target_text') };
  }
  if (v.target_tokens.length !== sizes.target) {
    throw new ModelFormatError(file, 'vocab.target_tokens', `one token per id of the target vocabulary (${sizes.target}); found ${v.target_tokens.length}`);
  }
  if (v.unk_token !== undefined && !v.target_tokens.includes(v.unk_token)) {
    throw new ModelFormatError(file, 'vocab.unk_token', `one of the tokens in vocab.target_tokens too; "${v.unk_token}" is not`);
  }
  return { sourceTokenizer: source, targetTokenizer: vocabTokenizer(file, 'vocab.target_tokens', { ...spec(v.target_tokens), unk_token: v.unk_token }, 'target_text') };
}

/** Reads a tokenizer.json and the tokenizer_config.json beside it, if any. */
export function loadHfTokenizer(tokenizerFile: string, modelFile: string, field: string): HfTokenizer {
  if (!fs.existsSync(tokenizerFile)) throw new ModelFormatError(modelFile, field, `a tokenizer file at ${tokenizerFile} (not found)`);
  const configFile = path.join(path.dirname(tokenizerFile), 'tokenizer_config.json');
  const hasConfig = fs.existsSync(configFile);
  // Checked here too: a device or a directory is refused without starting the tokenizer thread.
  statRegularFile(tokenizerFile);
  return HfTokenizer.load(tokenizerFile, hasConfig ? configFile : undefined);
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function decodeInline(file: string, name: string, t: { shape: number[]; data: string }): Tensor {
  const field = `weights.inline${key(name)}.data`;
  if (t.data.length % 4 !== 0 || !BASE64.test(t.data)) {
    throw new ModelFormatError(file, field, `base64 text (A–Z a–z 0–9 + /, '=' padding, length a multiple of 4); found ${t.data.length} characters`);
  }
  const bytes = Buffer.from(t.data, 'base64');
  const n = sizeOf(t.shape);
  if (bytes.length !== n * 4) {
    throw new ModelFormatError(file, field, `${n * 4} bytes (${n} float32 values for shape [${t.shape.join(', ')}]); the base64 decodes to ${bytes.length}`);
  }
  const data = new Float32Array(n);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) data[i] = view.getFloat32(i * 4, true);
  return { shape: [...t.shape], data };
}

// ---- JSON and schema errors -------------------------------------------------------------------

/** Reads and parses a JSON file; a syntax error names the line and column. */
export function readJsonFile(file: string): unknown {
  return parseJsonText(file, readRegularFile(file).toString('utf8'));
}

export function readJsonObject(file: string): Record<string, unknown> {
  const v = readJsonFile(file);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ModelFormatError(file, 'JSON', 'a JSON object at the top level');
  return v as Record<string, unknown>;
}

let compiled: ValidateFunction<ModelJson> | undefined;
function validator(): ValidateFunction<ModelJson> {
  // useDefaults writes the schema's `default`s into the document: one source for the defaults.
  compiled ??= new Ajv({ allErrors: true, useDefaults: true, verbose: true, strict: true, strictRequired: false }).compile<ModelJson>(schema);
  return compiled;
}

/** JSON path segment: `.name` for identifiers, `[3]` for indices, `["a.b"]` otherwise. */
function key(k: string | number): string {
  if (typeof k === 'number' || /^\d+$/.test(k)) return `[${k}]`;
  return /^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`;
}

function jsonPath(instancePath: string, extra?: string): string {
  const segs = instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra !== undefined) segs.push(extra);
  return segs.map(key).join('').replace(/^\./, '') || '(document)';
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object' && v !== null) return 'an object';
  return showValue(v);
}

function describeError(e: ErrorObject): { field: string; expected: string } {
  const p: Record<string, unknown> = e.params;
  const desc = typeof e.parentSchema?.description === 'string' ? e.parentSchema.description : undefined;
  const why = desc ? ` (${desc})` : '';
  switch (e.keyword) {
    case 'required':
      return { field: jsonPath(e.instancePath, String(p.missingProperty)), expected: `required field is missing${why}` };
    case 'additionalProperties': {
      const known = Object.keys((e.parentSchema?.properties as object | undefined) ?? {});
      const name = String(p.additionalProperty);
      const near = known.find((k) => editDistance(k, name) <= 2);
      return {
        field: jsonPath(e.instancePath, name),
        expected: near ? `no such field; did you mean "${near}"?` : `no such field${known.length ? `; known fields: ${known.join(', ')}` : ''}`,
      };
    }
    case 'enum':
      return { field: jsonPath(e.instancePath), expected: `one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}; found ${show(e.data)}` };
    case 'const':
      return { field: jsonPath(e.instancePath), expected: `exactly ${JSON.stringify(p.allowedValue)}${why}; found ${show(e.data)}` };
    case 'type':
      return { field: jsonPath(e.instancePath), expected: `${p.type === 'integer' || p.type === 'array' || p.type === 'object' ? 'an' : 'a'} ${String(p.type)}; found ${show(e.data)}` };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { field: jsonPath(e.instancePath), expected: `a number ${String(p.comparison).replace('>=', '≥').replace('<=', '≤')} ${String(p.limit)}; found ${show(e.data)}` };
    case 'minItems':
      return { field: jsonPath(e.instancePath), expected: `at least ${String(p.limit)} item${p.limit === 1 ? '' : 's'}; found ${Array.isArray(e.data) ? e.data.length : show(e.data)}` };
    case 'not':
      return { field: jsonPath(e.instancePath), expected: `absent${why}` };
    default:
      return { field: jsonPath(e.instancePath), expected: `${desc ?? e.message ?? e.keyword}` };
  }
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

function schemaError(file: string, errors: ErrorObject[]): ModelFormatError {
  // "must match then/else" only repeats the errors found inside the branch.
  const all = errors.filter((e) => e.keyword !== 'if').map(describeError);
  const [first, ...rest] = all.length ? all : [{ field: '(document)', expected: 'a valid model file' }];
  const more = rest.length ? ` (also: ${rest.map((r) => `${r.field}: ${r.expected}`).join('; ')})` : '';
  return new ModelFormatError(file, first.field, first.expected + more);
}
