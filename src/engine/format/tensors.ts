// The tensor checks every model builder relies on: the file against the architecture's tensor list
// (checkTensors, before anything is built), a named tensor of an exact shape, and no tensor left unused.
import { ModelFormatError } from './errors';
import type { LoadedModel } from './loaded';
import { sameShape, shapeString } from '../tensor';
import type { WeightTensor } from '../weights';

/** The tensor `name` with exactly `shape`, or a ModelFormatError naming both. */
export function expectTensor(model: LoadedModel, name: string, shape: number[]): WeightTensor {
  const t = model.weights.get(name);
  if (!t) throw new ModelFormatError(model.file, name, `a tensor of shape ${shapeString(shape)}; it is missing`);
  if (!sameShape(t.shape, shape))
    throw new ModelFormatError(model.file, name, `shape ${shapeString(shape)}; found ${shapeString(t.shape)}`);
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

/**
 * One tensor an architecture reads, as its descriptor lists it for a config (Architecture.tensors).
 * A `null` dimension is any size (one the builder takes from the file and checks against the others).
 */
export interface TensorSpec {
  name: string;
  shape: readonly (number | null)[];
  /** Read when the file has it (a tied head, one score's weights, a family's extra norm). */
  optional?: boolean;
}

/** Whether `shape` is what `spec` asks for (null dimensions match any size). */
export function fitsSpec(shape: readonly number[], spec: readonly (number | null)[]): boolean {
  return shape.length === spec.length && spec.every((d, i) => d === null || d === shape[i]);
}

const specString = (shape: readonly (number | null)[]): string => `[${shape.map((d) => d ?? 'any').join(', ')}]`;

/**
 * The one check of a checkpoint against what its builder will read, before anything is built:
 * every required tensor is there with its shape, every optional one present has its shape, and
 * no tensor is left that the list does not name. Throws ModelFormatError naming the file, the
 * tensor and the expected shape. The list is walked lazily and the walk stops at the first
 * problem, so a config claiming 10⁹ layers costs one missing tensor, not 10⁹ list entries.
 * Returns the walked list by name.
 */
export function checkTensors(model: LoadedModel, specs: Iterable<TensorSpec>): Map<string, TensorSpec> {
  const listed = new Map<string, TensorSpec>();
  for (const s of specs) {
    listed.set(s.name, s);
    const t = model.weights.get(s.name);
    if (!t && s.optional) continue;
    if (!t) throw new ModelFormatError(model.file, s.name, `a tensor of shape ${specString(s.shape)}; it is missing`);
    if (!fitsSpec(t.shape, s.shape))
      throw new ModelFormatError(model.file, s.name, `shape ${specString(s.shape)}; found ${shapeString(t.shape)}`);
  }
  rejectUnusedTensors(model, new Set(listed.keys()));
  return listed;
}
