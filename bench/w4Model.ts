// W4's model: a Qwen2.5-0.5B-shaped Hugging Face folder (config.json + one BF16 model.safetensors,
// ~1 GB) with seeded random weights, written tensor by tensor so the writer never holds the file.
// Also the small safetensors writer the half-weight tests use.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Qwen2.5-0.5B: d 896, 24 layers, 14 query / 2 K/V heads of 64, d_ff 4864, vocab 151936, tied head. */
export const W4_SHAPE = { d: 896, layers: 24, heads: 14, kvHeads: 2, headDim: 64, dFf: 4864, vocab: 151936, n: 512, steps: 32 };

/** W4's prompt (the Python side makes the same): n ids spread over the vocabulary. */
export function w4Ids(n = W4_SHAPE.n, vocab = W4_SHAPE.vocab): number[] {
  return Array.from({ length: n }, (_, i) => (i * 7919 + 13) % vocab);
}

export interface FileTensor {
  name: string;
  shape: number[];
  dtype: 'F32' | 'BF16';
  /** The little-endian bytes, made when the tensor is written. */
  bytes: () => Uint8Array;
}

/** A safetensors file, header padded so the data section is 8-byte aligned; one tensor in memory at a time. */
export function writeSafetensorsFile(file: string, tensors: FileTensor[]): void {
  const header: Record<string, unknown> = {};
  let at = 0;
  for (const t of tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1) * (t.dtype === 'F32' ? 4 : 2);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [at, at + size] };
    at += size;
  }
  let json = Buffer.from(JSON.stringify(header));
  json = Buffer.concat([json, Buffer.alloc((8 - (json.length % 8)) % 8, 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, len);
    fs.writeSync(fd, json);
    for (const t of tensors) fs.writeSync(fd, t.bytes());
  } finally {
    fs.closeSync(fd);
  }
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** float32 → bfloat16 bits, rounded to nearest even (as torch's .to(torch.bfloat16)). */
export function bf16Bits(x: number): number {
  f32[0] = x;
  const u = u32[0];
  if ((u & 0x7fffffff) > 0x7f800000) return 0x7fc0; // NaN
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Seeded uniform(−scale, scale) BF16 values as bytes (mulberry32, as test/helpers/randomModel.ts). */
function randomBf16(count: number, scale: number, seed: number): Uint8Array {
  let a = seed >>> 0;
  const bits = new Uint16Array(count);
  for (let i = 0; i < count; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const r = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    bits[i] = bf16Bits((2 * r - 1) * scale);
  }
  return new Uint8Array(bits.buffer);
}

function constBf16(count: number, value: number): Uint8Array {
  return new Uint8Array(new Uint16Array(count).fill(bf16Bits(value)).buffer);
}

/**
 * The W4 folder in `dir` (made if missing; reused when its config matches). Scales keep attention far
 * from uniform and activations bounded: projections uniform(±√(3/fan_in)) (variance 1/fan_in).
 */
export function writeW4Folder(dir: string, seed = 4, s: Omit<typeof W4_SHAPE, 'n' | 'steps'> = W4_SHAPE): string {
  const config = {
    architectures: ['Qwen2ForCausalLM'],
    model_type: 'qwen2',
    hidden_size: s.d,
    num_hidden_layers: s.layers,
    num_attention_heads: s.heads,
    num_key_value_heads: s.kvHeads,
    intermediate_size: s.dFf,
    vocab_size: s.vocab,
    hidden_act: 'silu',
    max_position_embeddings: 32768,
    rms_norm_eps: 1e-6,
    rope_theta: 1000000.0,
    tie_word_embeddings: true,
    use_sliding_window: false,
    sliding_window: null,
    bos_token_id: null,
    eos_token_id: null,
    torch_dtype: 'bfloat16',
    w4_seed: seed,
  };
  const cfgFile = path.join(dir, 'config.json');
  const st = path.join(dir, 'model.safetensors');
  const text = JSON.stringify(config, null, 2);
  if (fs.existsSync(st) && fs.existsSync(cfgFile) && fs.readFileSync(cfgFile, 'utf8') === text) return dir;
  fs.mkdirSync(dir, { recursive: true });
  const tensors: FileTensor[] = [];
  let k = seed * 1000;
  const lin = (name: string, out: number, inp: number, bias: boolean) => {
    const sd = k++;
    tensors.push({ name: `${name}.weight`, shape: [out, inp], dtype: 'BF16', bytes: () => randomBf16(out * inp, Math.sqrt(3 / inp), sd) });
    if (bias) {
      const sb = k++;
      tensors.push({ name: `${name}.bias`, shape: [out], dtype: 'BF16', bytes: () => randomBf16(out, 0.02, sb) });
    }
  };
  const norm = (name: string) => tensors.push({ name, shape: [s.d], dtype: 'BF16', bytes: () => constBf16(s.d, 1) });
  const se = k++;
  tensors.push({ name: 'model.embed_tokens.weight', shape: [s.vocab, s.d], dtype: 'BF16', bytes: () => randomBf16(s.vocab * s.d, 1, se) });
  for (let i = 0; i < s.layers; i++) {
    const p = `model.layers.${i}`;
    lin(`${p}.self_attn.q_proj`, s.heads * s.headDim, s.d, true);
    lin(`${p}.self_attn.k_proj`, s.kvHeads * s.headDim, s.d, true);
    lin(`${p}.self_attn.v_proj`, s.kvHeads * s.headDim, s.d, true);
    lin(`${p}.self_attn.o_proj`, s.d, s.heads * s.headDim, false);
    lin(`${p}.mlp.gate_proj`, s.dFf, s.d, false);
    lin(`${p}.mlp.up_proj`, s.dFf, s.d, false);
    lin(`${p}.mlp.down_proj`, s.d, s.dFf, false);
    norm(`${p}.input_layernorm.weight`);
    norm(`${p}.post_attention_layernorm.weight`);
  }
  norm('model.norm.weight');
  writeSafetensorsFile(st, tensors);
  fs.writeFileSync(cfgFile, text); // last: a folder with this config is complete
  return dir;
}
