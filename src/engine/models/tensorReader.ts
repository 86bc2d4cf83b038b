// Reads a model's tensors by canonical name with shape checks, remembering which were read, so
// that any tensor left over (a misspelt name, a part the config does not use) is an error
// instead of being silently ignored.
import type { LoadedModel } from '../format/loaded';
import { expectTensor, rejectUnusedTensors } from '../format/tensors';

export class TensorReader {
  private readonly used = new Set<string>();
  constructor(readonly model: LoadedModel) {}

  get(name: string, shape: number[]): Float32Array {
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
