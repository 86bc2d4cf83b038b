// A minimal ONNX writer: builds a ModelProto (protobuf wire format, by hand) from a small graph
// builder, so the benchmark can hand onnxruntime exactly the weights our engine runs on without a
// Python export step. Field numbers are those of onnx/onnx.proto (IR version 8, opset 17).

type Chunk = Uint8Array;

function varint(v: number | bigint): number[] {
  let x = BigInt.asUintN(64, BigInt(v)); // negative int64 → 10-byte two's complement
  const out: number[] = [];
  do {
    let b = Number(x & 0x7fn);
    x >>= 7n;
    if (x) b |= 0x80;
    out.push(b);
  } while (x);
  return out;
}

/** One protobuf message under construction. */
class Msg {
  private parts: Chunk[] = [];
  private key(field: number, wire: number) {
    this.parts.push(Uint8Array.from(varint((field << 3) | wire)));
  }
  int(field: number, v: number | bigint): this {
    this.key(field, 0);
    this.parts.push(Uint8Array.from(varint(v)));
    return this;
  }
  float(field: number, v: number): this {
    this.key(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.parts.push(b);
    return this;
  }
  bytes(field: number, b: Chunk): this {
    this.key(field, 2);
    this.parts.push(Uint8Array.from(varint(b.length)), b);
    return this;
  }
  str(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }
  msg(field: number, m: Msg): this {
    return this.bytes(field, m.encode());
  }
  encode(): Uint8Array {
    const len = this.parts.reduce((n, p) => n + p.length, 0);
    const out = new Uint8Array(len);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

const FLOAT = 1;
const INT64 = 7;

export type Attr = { f: number } | { i: number } | { ints: number[] };

function attribute(name: string, a: Attr): Msg {
  const m = new Msg().str(1, name);
  if ('f' in a) return m.float(2, a.f).int(20, 1);
  if ('i' in a) return m.int(3, a.i).int(20, 2);
  for (const v of a.ints) m.int(8, v);
  return m.int(20, 7);
}

function valueInfo(name: string, elemType: number, dims?: (number | string)[]): Msg {
  const tensor = new Msg().int(1, elemType);
  if (dims) {
    const shape = new Msg();
    for (const d of dims) shape.msg(1, typeof d === 'number' ? new Msg().int(1, d) : new Msg().str(2, d));
    tensor.msg(2, shape);
  }
  return new Msg().str(1, name).msg(2, new Msg().msg(1, tensor));
}

/** Graph builder: initializers, nodes (op type, inputs, attributes) and graph inputs/outputs. */
export class OnnxGraph {
  private nodes: Msg[] = [];
  private inits: Msg[] = [];
  private inputs: Msg[] = [];
  private outputs: Msg[] = [];
  private n = 0;

  /** A float initializer (a weight) under `name`. */
  weight(name: string, data: Float32Array, dims: number[]): string {
    const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const t = new Msg();
    for (const d of dims) t.int(1, d);
    this.inits.push(t.int(2, FLOAT).str(8, name).bytes(9, raw));
    return name;
  }
  /** A float initializer whose bytes lie in `location` (session option externalData) at `offset`. */
  externalWeight(name: string, dims: number[], location: string, offset: number, length: number): string {
    const t = new Msg();
    for (const d of dims) t.int(1, d);
    const entry = (k: string, v: string) => new Msg().str(1, k).str(2, v);
    t.int(2, FLOAT).str(8, name);
    t.msg(13, entry('location', location))
      .msg(13, entry('offset', String(offset)))
      .msg(13, entry('length', String(length)));
    this.inits.push(t.int(14, 1)); // data_location EXTERNAL
    return name;
  }
  /** An int64 constant (Reshape shapes). */
  ints(values: number[]): string {
    const name = `c${this.n++}`;
    const raw = new Uint8Array(new BigInt64Array(values.map(BigInt)).buffer);
    this.inits.push(new Msg().int(1, values.length).int(2, INT64).str(8, name).bytes(9, raw));
    return name;
  }
  scalar(v: number): string {
    return this.weight(`s${this.n++}`, Float32Array.of(v), []);
  }
  /** `elemType`: ONNX TensorProto.DataType when neither float nor int64 (16: bfloat16). */
  input(name: string, dims: (number | string)[], int64 = false, elemType = int64 ? INT64 : FLOAT): string {
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }
  output(name: string, elemType = FLOAT): void {
    this.outputs.push(valueInfo(name, elemType));
  }
  /** Adds a node; returns its output name (`out` names it, e.g. to make it a graph output). */
  op(type: string, inputs: string[], attrs: Record<string, Attr> = {}, out = `t${this.n++}`): string {
    const m = new Msg();
    for (const i of inputs) m.str(1, i);
    m.str(2, out).str(3, `${type}_${this.n++}`).str(4, type);
    for (const [k, a] of Object.entries(attrs)) m.msg(5, attribute(k, a));
    this.nodes.push(m);
    return out;
  }
  /** The ModelProto bytes. */
  model(name: string, opset = 17): Uint8Array {
    const g = new Msg();
    this.nodes.forEach((m) => g.msg(1, m));
    g.str(2, name);
    this.inits.forEach((m) => g.msg(5, m));
    this.inputs.forEach((m) => g.msg(11, m));
    this.outputs.forEach((m) => g.msg(12, m));
    return new Msg().int(1, 8).str(2, 'attention-inspector bench').msg(7, g).msg(8, new Msg().str(1, '').int(2, opset)).encode();
  }
}
