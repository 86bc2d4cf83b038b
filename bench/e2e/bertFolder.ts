// A random-weight BERT-base-size Hugging Face folder (config.json + model.safetensors, no
// tokenizer) for the end-to-end benchmark: with the defaults, 12 layers, d 768, 12 heads, d_ff
// 3072, vocab 1000 and 1024 positions, i.e. 86.6 M parameters (~346 MB). Written tensor by tensor
// from a seeded generator, so the writing process never holds the whole model.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { rng } from '../../test/helpers/randomModel';

export interface BertSize {
  layers: number;
  d: number;
  heads: number;
  dFf: number;
  vocab: number;
  positions: number;
}

export const BERT_BASE_SIZE: BertSize = { layers: 12, d: 768, heads: 12, dFf: 3072, vocab: 1000, positions: 1024 };

type Init = 'normal' | 'ones' | 'zeros';

/** The folder's tensors in HF BERT naming, with shape and initialisation. */
function tensorList(s: BertSize): [string, number[], Init][] {
  const out: [string, number[], Init][] = [
    ['embeddings.word_embeddings.weight', [s.vocab, s.d], 'normal'],
    ['embeddings.position_embeddings.weight', [s.positions, s.d], 'normal'],
    ['embeddings.token_type_embeddings.weight', [2, s.d], 'normal'],
    ['embeddings.LayerNorm.weight', [s.d], 'ones'],
    ['embeddings.LayerNorm.bias', [s.d], 'zeros'],
  ];
  for (let i = 0; i < s.layers; i++) {
    const p = `encoder.layer.${i}`;
    const lin = (name: string, o: number, n: number) =>
      out.push([`${p}.${name}.weight`, [o, n], 'normal'], [`${p}.${name}.bias`, [o], 'zeros']);
    const norm = (name: string) => out.push([`${p}.${name}.weight`, [s.d], 'ones'], [`${p}.${name}.bias`, [s.d], 'zeros']);
    for (const k of ['query', 'key', 'value']) lin(`attention.self.${k}`, s.d, s.d);
    lin('attention.output.dense', s.d, s.d);
    norm('attention.output.LayerNorm');
    lin('intermediate.dense', s.dFf, s.d);
    lin('output.dense', s.d, s.dFf);
    norm('output.LayerNorm');
  }
  return out;
}

export function parameterCount(s: BertSize): number {
  return tensorList(s).reduce((n, [, shape]) => n + shape.reduce((a, b) => a * b, 1), 0);
}

/**
 * Writes the folder unless a complete one of the same size and seed is there already (a stamp
 * file is written last). Returns the path of its config.json.
 */
export function writeBertFolder(dir: string, size: BertSize = BERT_BASE_SIZE, seed = 20): string {
  const config = path.join(dir, 'config.json');
  const stamp = path.join(dir, '.complete');
  const key = JSON.stringify({ size, seed, v: 1 });
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === key) return config;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const tensors = tensorList(size);
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, shape] of tensors) {
    const bytes = 4 * shape.reduce((a, b) => a * b, 1);
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  const rand = rng(seed);
  const fd = fs.openSync(path.join(dir, 'model.safetensors'), 'w');
  try {
    fs.writeSync(fd, len);
    fs.writeSync(fd, json);
    for (const [, shape, init] of tensors) {
      const a = new Float32Array(shape.reduce((x, y) => x * y, 1));
      // BERT's initialiser: N(0, 0.02), here uniform with the same spread (±0.02·√3).
      if (init === 'normal') for (let i = 0; i < a.length; i++) a[i] = (rand() * 2 - 1) * 0.0346;
      else if (init === 'ones') a.fill(1);
      fs.writeSync(fd, new Uint8Array(a.buffer));
    }
  } finally {
    fs.closeSync(fd);
  }
  fs.writeFileSync(
    config,
    JSON.stringify(
      {
        architectures: ['BertModel'],
        model_type: 'bert',
        hidden_act: 'gelu',
        hidden_size: size.d,
        intermediate_size: size.dFf,
        num_attention_heads: size.heads,
        num_hidden_layers: size.layers,
        max_position_embeddings: size.positions,
        type_vocab_size: 2,
        vocab_size: size.vocab,
        layer_norm_eps: 1e-12,
        position_embedding_type: 'absolute',
        pad_token_id: 0,
      },
      null,
      2,
    ),
  );
  fs.writeFileSync(stamp, key);
  return config;
}
