// One entry point for every model path (project JSON or Hugging Face folder).
import * as fs from 'fs';
import * as path from 'path';
import { ModelFormatError } from './errors';
import type { LoadedModel } from './loaded';
import { readHfFolder } from './hf';
import type { LoadLimits } from './weightsMemory';
import { FORMAT_ID, readJsonFile, readModelJson } from './modelJson';

export { expectTensor, rejectUnusedTensors } from './tensors';

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
    if (!fs.existsSync(path.join(p, 'config.json')))
      throw new ModelFormatError(p, 'config.json', `${WHAT}; this folder has no config.json`);
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
