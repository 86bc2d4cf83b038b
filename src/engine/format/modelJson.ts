// Reader for the project's own model file (docs/model-format.md): JSON → schema check (ajv) →
// config with defaults → tokenizers → weights (inline base64 or a sidecar safetensors). Checks
// that need arithmetic across fields (heads | d_model, ids < vocab size) are done in code after
// the schema. The document's schema is model.schema.json; `config` is checked by the schema and
// readConfig of the architecture's descriptor (models/registry.ts). Tensor names and shapes are
// the model builders' business (TensorReader).
import * as fs from 'fs';
import * as path from 'path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import schema from './model.schema.json';
import { ModelFormatError, showValue } from './errors';
import type { LoadedModel, Tokenizer } from './loaded';
import type { Architecture } from '../models/architecture';
import { architectureNames, findArchitecture, registryVersion } from '../models/registry';
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
  if (!shape)
    throw new ModelFormatError(file, 'open_first.part', `one of ${shapes.map((s) => `"${s.part}"`).join(', ')}; found "${ref.part}"`);
  if (ref.layer >= shape.layers)
    throw new ModelFormatError(file, 'open_first.layer', `a ${ref.part} layer 0…${shape.layers - 1}; found ${ref.layer}`);
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
  architecture: string;
  config: Record<string, unknown>;
  vocab?: VocabJson;
  examples?: ExampleJson[];
  weights: { safetensors?: string; inline?: Record<string, { shape: number[]; data: string }> };
}

export { checkComputedTable, MAX_COMPUTED_TABLE_BYTES } from './configChecks';

export function readModelJson(file: string, limits?: LoadLimits): LoadedModel {
  const doc = readJsonFile(file);
  const validate = validator();
  const docValid = validate(doc);
  // The config is checked by its architecture's schema (when the document names a known one);
  // its errors come first, then the document's, as one message (the order of the single schema
  // before, where ajv checked the per-architecture allOf before required and properties).
  const arch = isRecord(doc) && typeof doc.architecture === 'string' ? findArchitecture(doc.architecture) : undefined;
  const configErrors = arch && isRecord(doc) && isRecord(doc.config) ? validateConfig(arch, doc.config) : [];
  if (!docValid || configErrors.length) throw schemaError(file, [...configErrors, ...(validate.errors ?? [])]);
  const bad = (field: string, expected: string) => new ModelFormatError(file, field, expected);

  const base = {
    file,
    name: doc.name ?? path.basename(file).replace(/(\.model)?\.json$/i, ''),
    description: doc.description,
    examples: (doc.examples ?? []).map((e) => ({ text: e.text, targetText: e.target_text, ids: e.ids, targetIds: e.target_ids })),
  };
  const a = arch!; // the schema's enum holds the registered names only
  const json = { ...doc.config } as never; // shape and defaults guaranteed by the architecture's schema
  const config = a.readConfig ? a.readConfig(file, json) : json;
  const sizes = a.vocabSizes(config);
  const model = { ...base, architecture: a.name, config, weights: new Map() } as LoadedModel;
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

function tokenizers(
  file: string,
  v: VocabJson,
  sizes: { source: number; target: number },
): { sourceTokenizer: Tokenizer; targetTokenizer: Tokenizer } {
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
      throw new ModelFormatError(
        file,
        'vocab.target_tokens',
        `a target vocabulary of ${sizes.target} tokens (the source and target sizes differ); it is missing`,
      );
    }
    return { sourceTokenizer: source, targetTokenizer: vocabTokenizer(file, 'vocab.tokens', spec(tokens), 'target_text') };
  }
  if (v.target_tokens.length !== sizes.target) {
    throw new ModelFormatError(
      file,
      'vocab.target_tokens',
      `one token per id of the target vocabulary (${sizes.target}); found ${v.target_tokens.length}`,
    );
  }
  if (v.unk_token !== undefined && !v.target_tokens.includes(v.unk_token)) {
    throw new ModelFormatError(file, 'vocab.unk_token', `one of the tokens in vocab.target_tokens too; "${v.unk_token}" is not`);
  }
  return {
    sourceTokenizer: source,
    targetTokenizer: vocabTokenizer(file, 'vocab.target_tokens', { ...spec(v.target_tokens), unk_token: v.unk_token }, 'target_text'),
  };
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
    throw new ModelFormatError(
      file,
      field,
      `base64 text (A–Z a–z 0–9 + /, '=' padding, length a multiple of 4); found ${t.data.length} characters`,
    );
  }
  const bytes = Buffer.from(t.data, 'base64');
  const n = sizeOf(t.shape);
  if (bytes.length !== n * 4) {
    throw new ModelFormatError(
      file,
      field,
      `${n * 4} bytes (${n} float32 values for shape [${t.shape.join(', ')}]); the base64 decodes to ${bytes.length}`,
    );
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

let ajv: Ajv | undefined;
let compiled: { version: number; validate: ValidateFunction<ModelJson> } | undefined;
const configValidators = new WeakMap<Architecture, ValidateFunction>();

function compiler(): Ajv {
  // useDefaults writes the schema's `default`s into the document: one source for the defaults.
  ajv ??= new Ajv({ allErrors: true, useDefaults: true, verbose: true, strict: true, strictRequired: false });
  return ajv;
}

function validator(): ValidateFunction<ModelJson> {
  // "architecture" is one of the registered names: the list is filled in from the registry.
  if (compiled?.version !== registryVersion()) {
    const { $id: _id, ...rest } = schema; // compiled again when an architecture is registered: no fixed id
    const withNames = { ...rest, properties: { ...rest.properties, architecture: { enum: architectureNames() } } };
    compiled = { version: registryVersion(), validate: compiler().compile<ModelJson>(withNames) };
  }
  return compiled.validate;
}

/** The architecture's config schema's errors, with paths under /config. */
function validateConfig(arch: Architecture, config: Record<string, unknown>): ErrorObject[] {
  let v = configValidators.get(arch);
  if (!v) configValidators.set(arch, (v = compiler().compile(arch.configSchema)));
  if (v(config)) return [];
  return (v.errors ?? []).map((e) => ({ ...e, instancePath: `/config${e.instancePath}` }));
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

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
        expected: near
          ? `no such field; did you mean "${near}"?`
          : `no such field${known.length ? `; known fields: ${known.join(', ')}` : ''}`,
      };
    }
    case 'enum':
      return {
        field: jsonPath(e.instancePath),
        expected: `one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}; found ${show(e.data)}`,
      };
    case 'const':
      return { field: jsonPath(e.instancePath), expected: `exactly ${JSON.stringify(p.allowedValue)}${why}; found ${show(e.data)}` };
    case 'type':
      return {
        field: jsonPath(e.instancePath),
        expected: `${p.type === 'integer' || p.type === 'array' || p.type === 'object' ? 'an' : 'a'} ${String(p.type)}; found ${show(e.data)}`,
      };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return {
        field: jsonPath(e.instancePath),
        expected: `a number ${String(p.comparison).replace('>=', '≥').replace('<=', '≤')} ${String(p.limit)}; found ${show(e.data)}`,
      };
    case 'minItems':
      return {
        field: jsonPath(e.instancePath),
        expected: `at least ${String(p.limit)} item${p.limit === 1 ? '' : 's'}; found ${Array.isArray(e.data) ? e.data.length : show(e.data)}`,
      };
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
