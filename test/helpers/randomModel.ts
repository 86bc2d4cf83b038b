// Writes a transformer model file in the project format with seeded random weights, for tests
// that need a model of a chosen size (cancel, crash, large-input and UI tests).
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface RandomTransformerOptions {
  kind?: 'encoder' | 'decoder' | 'encoder-decoder';
  dModel?: number;
  heads?: number;
  dFf?: number;
  layers?: number;
  vocab?: number;
  maxPositions?: number;
  seed?: number;
}

/** mulberry32: small, seeded, good enough for test weights. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomTransformerJson(o: RandomTransformerOptions = {}): object {
  const kind = o.kind ?? 'encoder';
  const d = o.dModel ?? 16;
  const heads = o.heads ?? 2;
  const dFf = o.dFf ?? 2 * d;
  const layers = o.layers ?? 2;
  const vocab = o.vocab ?? 12;
  const rand = rng(o.seed ?? 1);
  const tensors: Record<string, { shape: number[]; data: string }> = {};
  const add = (name: string, shape: number[], fill?: number) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const arr = new Float32Array(n);
    const scale = 1 / Math.sqrt(shape[shape.length - 1]);
    for (let i = 0; i < n; i++) arr[i] = fill ?? (rand() * 2 - 1) * scale;
    tensors[name] = { shape, data: Buffer.from(arr.buffer).toString('base64') };
  };
  add('embed.tokens', [vocab, d]);
  const stacks: ['encoder' | 'decoder', boolean][] = [];
  if (kind !== 'decoder') stacks.push(['encoder', false]);
  if (kind !== 'encoder') stacks.push(['decoder', kind === 'encoder-decoder']);
  for (const [s, cross] of stacks) {
    for (let l = 0; l < layers; l++) {
      const p = `${s}.layers.${l}`;
      for (const att of cross ? ['self_attn', 'cross_attn'] : ['self_attn']) {
        for (const x of ['q', 'k', 'v', 'o']) {
          add(`${p}.${att}.${x}.weight`, [d, d]);
          add(`${p}.${att}.${x}.bias`, [d]);
        }
        add(`${p}.${att}_norm.weight`, [d], 1);
        add(`${p}.${att}_norm.bias`, [d], 0);
      }
      add(`${p}.ffn.fc1.weight`, [dFf, d]);
      add(`${p}.ffn.fc1.bias`, [dFf]);
      add(`${p}.ffn.fc2.weight`, [d, dFf]);
      add(`${p}.ffn.fc2.bias`, [d]);
      add(`${p}.ffn_norm.weight`, [d], 1);
      add(`${p}.ffn_norm.bias`, [d], 0);
    }
  }
  return {
    format: 'attention-inspector/model',
    version: 1,
    name: `random-${kind}-${d}x${layers}`,
    architecture: 'transformer',
    config: {
      kind,
      vocab_size: vocab,
      d_model: d,
      heads,
      d_ff: dFf,
      ...(kind !== 'decoder' ? { encoder_layers: layers } : {}),
      ...(kind !== 'encoder' ? { decoder_layers: layers } : {}),
      activation: 'relu',
      norm: 'post',
      layer_norm_eps: 1e-5,
      positions: 'sinusoidal',
      max_positions: o.maxPositions ?? 64,
      scale_embedding: true,
      embedding_norm: false,
      final_norm: false,
      token_types: 0,
      bos_id: 1,
      eos_id: 2,
      decoder_start_id: 1,
      max_target_length: 16,
    },
    vocab: {
      tokens: Array.from({ length: vocab }, (_, i) => (i === 0 ? '<pad>' : i === 1 ? '<s>' : i === 2 ? '</s>' : `w${i}`)),
      split: 'whitespace',
    },
    examples: [{ text: 'w3 w4 w5' }],
    weights: { inline: tensors },
  };
}

export function writeRandomTransformer(dir: string, o: RandomTransformerOptions = {}): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `random-${o.kind ?? 'encoder'}-${o.dModel ?? 16}-${o.layers ?? 2}.model.json`);
  fs.writeFileSync(file, JSON.stringify(randomTransformerJson(o)));
  return file;
}
