// Writes any loaded model (usually a Hugging Face folder) in the project format: a model JSON with
// every config field spelt out, and a sidecar safetensors with the canonical tensor names.
import * as fs from 'fs';
import * as path from 'path';
import { ModelFormatError } from './errors';
import type { LoadedModel, Tokenizer } from './loaded';
import { FORMAT_ID } from './modelJson';
import { writeSafetensors } from './safetensors';
import { HfTokenizer, VocabTokenizer } from './tokenizer';

/** `out/x.model.json` → `x.safetensors`; `out/model.json` → `model.safetensors`. */
export function sidecarName(outJsonPath: string): string {
  return path.basename(outJsonPath).replace(/(\.model)?\.json$/i, '') + '.safetensors';
}

export function convertToProjectFormat(model: LoadedModel, outJsonPath: string): void {
  if (model.architecture === 'hf-decoder' || model.architecture === 'hf-vit') {
    // The project format has no rotary decoder or vision architecture: such folders are opened as they are.
    throw new ModelFormatError(
      model.file,
      'model_type',
      `bert, gpt2 or marian to convert; a ${model.config.model_type} folder opens directly, without conversion`,
    );
  }
  const outDir = path.dirname(path.resolve(outJsonPath));
  fs.mkdirSync(outDir, { recursive: true });
  const weightsName = sidecarName(outJsonPath);
  const doc = {
    format: FORMAT_ID,
    version: 1,
    name: model.name,
    ...(model.description !== undefined ? { description: model.description } : {}),
    architecture: model.architecture,
    config: defined({ ...model.config }),
    ...vocab(model, outDir),
    examples: model.examples
      .map((e) => defined({ text: e.text, target_text: e.targetText, ids: e.ids, target_ids: e.targetIds }))
      .filter((e) => Object.keys(e).length > 0), // the schema wants each example to say something
    weights: { safetensors: weightsName },
  };
  fs.writeFileSync(path.join(outDir, weightsName), writeSafetensors(model.weights, { converted_from: path.basename(model.file) }));
  fs.writeFileSync(path.resolve(outJsonPath), JSON.stringify(doc, null, 2) + '\n');
}

function vocab(model: LoadedModel, outDir: string): { vocab?: object } {
  const src = model.sourceTokenizer;
  const tgt = model.targetTokenizer;
  if (!src) return {};
  if (src instanceof HfTokenizer) {
    // The HF tokenizer travels as its own file; tokenizer_config.json comes along if it was read.
    copyBeside(src.file, outDir, 'tokenizer.json');
    if (src.configFile) copyBeside(src.configFile, outDir, 'tokenizer_config.json');
    return { vocab: { tokenizer_file: 'tokenizer.json' } };
  }
  if (src instanceof VocabTokenizer) {
    const s = src.spec;
    const target = tgt instanceof VocabTokenizer && !sameTokens(tgt.spec.tokens, s.tokens) ? { target_tokens: tgt.spec.tokens } : {};
    return {
      vocab: {
        tokens: s.tokens,
        ...target,
        split: s.split,
        ...(s.unk_token !== undefined ? { unk_token: s.unk_token } : {}),
        lowercase: s.lowercase,
      },
    };
  }
  throw new Error(`cannot write a ${kindOf(src)} tokenizer in the project format`);
}

/** Drops undefined members (optional config ids), which the schema would not accept as null. */
function defined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

function copyBeside(from: string, outDir: string, name: string): void {
  const to = path.join(outDir, name);
  if (path.resolve(from) !== path.resolve(to)) fs.copyFileSync(from, to);
}

function sameTokens(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}

function kindOf(t: Tokenizer): string {
  return t.constructor?.name ?? 'custom';
}
