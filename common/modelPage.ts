// Messages between the host and the model page: the read-only custom editor shown for a model
// JSON file or a Hugging Face folder's config.json. It shows what the model is (or exactly why it
// cannot be read: file, field, what was expected) next to the inspector that runs it.
// No vscode or Node imports (the webview bundles this file).
import { isOptString, isRecord, isString, isStrings } from './guards';

export interface ModelPageModel {
  type: 'model';
  file: string;
  name: string;
  architecture: string;
  kind: string;
  parameters: number;
  description?: string;
  details: Record<string, string | number | boolean>;
  /** One label per example input; clicking one runs it. */
  examples: string[];
  /** The safetensors file beside it, if any (the page offers its header view). */
  safetensors?: string;
}

export interface ModelPageError {
  type: 'loadError';
  file: string;
  /** JSON path or tensor name, when the reader named one. */
  field?: string;
  expected: string;
}

export type HostToModelPage = ModelPageModel | ModelPageError;

export type ModelPageToHost =
  { type: 'ready' } | { type: 'runExample'; index: number } | { type: 'runWithInput' } | { type: 'reopenAsText' } | { type: 'showHeader' };

export function isModelPageToHost(x: unknown): x is ModelPageToHost {
  if (!isRecord(x)) return false;
  switch (x.type) {
    case 'ready':
    case 'runWithInput':
    case 'reopenAsText':
    case 'showHeader':
      return true;
    case 'runExample':
      return typeof x.index === 'number' && Number.isInteger(x.index) && x.index >= 0 && x.index < 10_000;
    default:
      return false;
  }
}

export function isHostToModelPage(x: unknown): x is HostToModelPage {
  if (!isRecord(x)) return false;
  if (x.type === 'loadError') return isString(x.file) && isOptString(x.field) && isString(x.expected);
  if (x.type !== 'model') return false;
  return (
    isString(x.file) &&
    isString(x.name) &&
    isString(x.architecture) &&
    isString(x.kind) &&
    typeof x.parameters === 'number' &&
    isOptString(x.description) &&
    isOptString(x.safetensors) &&
    isRecord(x.details) &&
    Object.values(x.details).every((v) => ['string', 'number', 'boolean'].includes(typeof v)) &&
    isStrings(x.examples)
  );
}

/** The reader's message is "file: field: expected"; the page shows the three apart. */
export function splitEngineError(e: { message: string; file?: string; field?: string }, fallbackFile: string): ModelPageError {
  const file = e.file ?? fallbackFile;
  let expected = e.message;
  const prefix = e.field !== undefined ? `${file}: ${e.field}: ` : `${file}: `;
  if (expected.startsWith(prefix)) expected = expected.slice(prefix.length);
  return { type: 'loadError', file, ...(e.field !== undefined ? { field: e.field } : {}), expected };
}
