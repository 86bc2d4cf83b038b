// Runs of vision models (ViT, DeiT): an image file or preprocessed pixel_values instead of text.
import type { LoadedModel } from './format/loaded';
import * as path from 'path';
import { InputError } from './format/errors';
import { decodeImage, preprocessImage } from './format/image';
import type { RunControl } from './control';
import { estimateRunMemory } from './runMemory';
import type { Pixels, RunnableModel } from './models/runnable';
import type { ModelSummary, PartialRun, RunInput, RunResult } from './types';

/** RunInput.image (decoded and preprocessed as preprocessor_config.json says) or RunInput.pixelValues → Pixels. */
export function pixelsOf(model: LoadedModel, r: RunnableModel, input: RunInput): Pixels {
  if (input.text !== undefined || input.ids || input.chat || input.targetText !== undefined || input.targetIds) {
    throw new InputError('image', 'a vision model reads an image (a PNG or JPEG file), not text or ids');
  }
  if (input.image !== undefined && input.pixelValues) throw new InputError('image', 'give either an image file or pixel_values, not both');
  if (input.pixelValues) return fromNested(input.pixelValues);
  if (input.image === undefined) throw new InputError('image', 'a vision model reads an image: give an image file or pixel_values');
  const prep = r.image?.preprocess;
  if (!prep) {
    throw new InputError(
      'image',
      `an image file needs the folder's preprocessor_config.json (not found beside ${model.file}); give pixel_values instead`,
    );
  }
  const p = preprocessImage(decodeImage(input.image!), prep);
  return { data: p.data, channels: 3, height: p.height, width: p.width };
}

/** [channels][height][width] JSON → one Float32Array, every row the same length. */
function fromNested(v: number[][][]): Pixels {
  const channels = v.length;
  const height = v[0]?.length ?? 0;
  const width = v[0]?.[0]?.length ?? 0;
  if (!channels || !height || !width) throw new InputError('pixel_values', 'a non-empty [channels][height][width] array');
  const data = new Float32Array(channels * height * width);
  v.forEach((plane, c) => {
    if (plane.length !== height) throw new InputError(`pixel_values[${c}]`, `${height} rows like channel 0; found ${plane.length}`);
    plane.forEach((row, y) => {
      if (row.length !== width) throw new InputError(`pixel_values[${c}][${y}]`, `${width} values like row 0; found ${row.length}`);
      row.forEach((x, i) => {
        if (!Number.isFinite(x)) throw new InputError(`pixel_values[${c}][${y}][${i}]`, `a finite number; found ${x}`);
        data[(c * height + y) * width + i] = x;
      });
    });
  });
  return { data, channels, height, width };
}

const MB = 1024 * 1024;

/** The sequence is fixed by the model (patches + specials): refused runs say so instead of suggesting fewer tokens. */
function checkImageMemory(model: LoadedModel, tokens: number, input: RunInput): void {
  const need = estimateRunMemory(model, { source: tokens, withQKV: input.withQKV });
  const limit = input.maxRunMemoryMB!;
  if (!need || need.total <= limit * MB) return;
  const mb = (bytes: number) => `${Math.ceil(bytes / MB).toLocaleString('en-US')} MB`;
  throw new InputError(
    'image',
    `this run over ${tokens} image tokens needs ~${mb(need.total)} (attention probabilities and scores ${mb(need.attention)}); ` +
      `the limit is ${limit.toLocaleString('en-US')} MB (setting attentionInspector.maxRunMemoryMB)`,
  );
}

/** runModel for models with RunnableModel.image: the tokens are the model's own ([CLS], patches). */
export function runImageModel(
  model: LoadedModel,
  r: RunnableModel,
  summary: ModelSummary,
  input: RunInput,
  ctl: RunControl,
  onPartial?: (p: PartialRun) => void,
): RunResult {
  const pixels = pixelsOf(model, r, input);
  const tokens = r.image?.tokens ?? [];
  if (input.maxRunMemoryMB !== undefined) checkImageMemory(model, tokens.length, input);
  // ids: the positions (a vision model has no token ids); the inspector labels rows by `tokens`.
  const base = {
    model: summary,
    tokens: { source: tokens, target: [] },
    ids: { source: tokens.map((_, i) => i), target: [] },
    ...(input.image !== undefined ? { imageName: path.basename(input.image) } : {}),
  };
  const control: RunControl = onPartial
    ? { ...ctl, finished: (attentions, progress) => onPartial({ ...base, attentions, progress }) }
    : ctl;
  const out = r.run([], { pixels, withQKV: input.withQKV }, control);
  return {
    ...base,
    attentions: out.attentions,
    addNorm: out.addNorm,
    qkv: out.qkv,
    pixels,
    ...(out.app ? { app: out.app } : {}),
  };
}
