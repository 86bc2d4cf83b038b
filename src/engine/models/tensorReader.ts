// How a builder reads its tensors. The file is checked once, up front, against the architecture's
// tensor list (Architecture.tensors → checkTensors: missing, wrong shape, unexpected); after that
// a read is a lookup. The reader also keeps the builder and the list honest: reading a tensor the
// list does not give, or leaving a listed one unread, is a bug in the architecture (plain Error),
// which every test that builds a model would show.
import type { LoadedModel } from '../format/loaded';
import { checkTensors, expectTensor, fitsSpec, type TensorSpec } from '../format/tensors';
import { shapeString } from '../tensor';
import { toFloat32, type WeightData } from '../weights';

export type { TensorSpec } from '../format/tensors';

export class TensorReader {
  private readonly listed: Map<string, TensorSpec>;
  private readonly read = new Set<string>();

  constructor(
    readonly model: LoadedModel,
    tensors: Iterable<TensorSpec>,
  ) {
    this.listed = checkTensors(model, tensors);
  }

  /** As float32: a converted copy when the file stores F16/BF16 (norms, biases, small tables). */
  get(name: string, shape: number[]): Float32Array {
    return toFloat32(this.weight(name, shape));
  }

  /** In the file's dtype, no copy: Linear weights and embedding tables (the kernels convert as they read). */
  weight(name: string, shape: number[]): WeightData {
    const spec = this.listed.get(name);
    if (!spec || !fitsSpec(shape, spec.shape)) {
      const listed = spec ? `lists it as [${spec.shape.map((d) => d ?? 'any').join(', ')}]` : 'does not list it';
      throw new Error(`${this.model.architecture}: the builder reads ${name} ${shapeString(shape)}; the tensor list ${listed}`);
    }
    this.read.add(name);
    // Fails only where the list cannot say it: an optional tensor that another one present needs,
    // or a size the list leaves open (null) that must agree with another tensor.
    return expectTensor(this.model, name, shape).data;
  }

  has(name: string): boolean {
    return this.model.weights.has(name);
  }

  /** Every listed tensor the file has was read (else the list accepts a tensor the model ignores). */
  finish(): void {
    const unread = [...this.listed.keys()].filter((n) => this.model.weights.has(n) && !this.read.has(n));
    if (unread.length)
      throw new Error(`${this.model.architecture}: the tensor list gives ${unread.join(', ')}; the builder never reads it`);
  }

  parameterCount(): number {
    let n = 0;
    for (const t of this.model.weights.values()) n += t.data.length;
    return n;
  }
}

/** A linear layer's tensors: `name.weight` [out, in] and, with a bias, `name.bias` [out]. */
export function linearTensors(name: string, out: number, inp: number, bias = true): TensorSpec[] {
  const w = { name: `${name}.weight`, shape: [out, inp] };
  return bias ? [w, { name: `${name}.bias`, shape: [out] }] : [w];
}

/** A norm's tensors: LayerNorm has weight and bias [d]; RMSNorm (`rms`) the weight only. */
export function normTensors(name: string, d: number, rms = false): TensorSpec[] {
  const w = { name: `${name}.weight`, shape: [d] };
  return rms ? [w] : [w, { name: `${name}.bias`, shape: [d] }];
}

/** An RNN cell's tensors (PyTorch's names): `gates` = 3H (GRU) or 4H (LSTM) rows. */
export function cellTensors(prefix: string, gates: number, input: number, hidden: number): TensorSpec[] {
  return [
    { name: `${prefix}.weight_ih`, shape: [gates, input] },
    { name: `${prefix}.weight_hh`, shape: [gates, hidden] },
    { name: `${prefix}.bias_ih`, shape: [gates] },
    { name: `${prefix}.bias_hh`, shape: [gates] },
  ];
}
