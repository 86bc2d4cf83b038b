// The two tensor checks every model builder uses: a named tensor of an exact shape, and no
// tensor left unused.
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
