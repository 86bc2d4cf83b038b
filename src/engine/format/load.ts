// One entry point for every model path (project JSON or Hugging Face folder), and the two tensor
// checks every model builder uses: a named tensor of an exact shape, and no tensor left unused.
import * as fs from 'fs';
import * as path from 'path';
import { ModelFormatError } from './errors';
import type { LoadedModel } from './loaded';
import { readHfFolder } from './hf';
import type { LoadLimits } from './weightsMemory';
import { FORMAT_ID, readJsonFile, readModelJson } from './modelJson';
import { sameShape, shapeString, type Tensor } from '../tensor';

const WHAT = `a model JSON file ("format": "${FORMAT_ID}") or a Hugging Face folder with config.json and model.safetensors`;

/**
 * A directory, or the config.json inside one, is read as a Hugging Face folder; any other .json
 * file as the project format (its schema check reports a wrong "format" string). With
 * `limits.maxRunMemoryMB`, weights estimated over twice it are refused before they are read.
 */
export function loadModel(p: string, limits?: LoadLimits): LoadedModel {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(p);
  } catch {
    throw new ModelFormatError(p, 'path', `${WHAT} (nothing exists at this path)`);
  }
  if (stat.isDirectory()) {
    if (!fs.existsSync(path.join(p, 'config.json'))) throw new ModelFormatError(p, 'config.json', `${WHAT}; this folder has no config.json`);
    return readHfFolder(p, limits);
  }
  if (path.basename(p) === 'config.json') {
    // A project model file may be called config.json too: the "format" key tells them apart.
    const doc = readJsonFile(p);
    const isProject = typeof doc === 'object' && doc !== null && 'format' in doc;
    return isProject ? readModelJson(p, limits) : readHfFolder(path.dirname(p), limits);
  }
  if (p.toLowerCase().endsWith('.json')) return readModelJson(p, limits);
  const found = path.extname(p) ? `a ${path.extname(p)} file` : 'a file without extension';
  throw new ModelFormatError(p, 'path', `${WHAT}; found ${found}`);
}

/** The tensor `name` with exactly `shape`, or a ModelFormatError naming both. */
export function expectTensor(model: LoadedModel, name: string, shape: number[]): Tensor {
  const t = model.weights.get(name);
  if (!t) throw new ModelFormatError(model.file, name, `a tensor of shape ${shapeString(shape)}; it is missing`);
  if (!sameShape(t.shape, shape)) throw new ModelFormatError(model.file, name, `shape ${shapeString(shape)}; found ${shapeString(t.shape)}`);
  return t;
}

/** Extra tensors are errors: a misspelt name must not be silently ignored. */
export function rejectUnusedTensors(model: LoadedModel, used: Set<string>): void {
  const unused = [...model.weights.keys()].filter((n) => !used.has(n));
  if (unused.length === 0) return;
  const also = unused.length > 1 ? `; also unused: ${unused.slice(1, 6).join(', ')}${unused.length > 6 ? ', …' : ''}` : '';
  throw new ModelFormatError(
    model.file,
    unused[0],
    `no such tensor in a ${model.architecture} model with this config (misspelt, or a part the config does not use)${also}`,
  );
}
