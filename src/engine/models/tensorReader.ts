// Reads a model's tensors by canonical name with shape checks, remembering which were read, so
// that any tensor left over (a misspelt name, a part the config does not use) is an error
// instead of being silently ignored.
import type { LoadedModel } from '../format/loaded';
import { expectTensor, rejectUnusedTensors } from '../format/tensors';
import { toFloat32, type WeightData } from '../weights';

export class TensorReader {
  private readonly used = new Set<string>();
  constructor(readonly model: LoadedModel) {}

  /** As float32: a converted copy when the file stores F16/BF16 (norms, biases, small tables). */
  get(name: string, shape: number[]): Float32Array {
    return toFloat32(this.weight(name, shape));
  }

  /** In the file's dtype, no copy: Linear weights and embedding tables (the kernels convert as they read). */
  weight(name: string, shape: number[]): WeightData {
    this.used.add(name);
    return expectTensor(this.model, name, shape).data;
  }

  has(name: string): boolean {
    return this.model.weights.has(name);
  }

  /** Marks tensors as knowingly unused (e.g. attention weights of a score not selected). */
  allow(name: string): void {
    if (this.has(name)) this.used.add(name);
  }

  /** Throws ModelFormatError naming the first tensor no reader asked for. */
  finish(): void {
    rejectUnusedTensors(this.model, this.used);
  }

  parameterCount(): number {
    let n = 0;
    for (const t of this.model.weights.values()) n += t.data.length;
    return n;
  }
}
