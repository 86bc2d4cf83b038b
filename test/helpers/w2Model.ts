// The W2 workload of bench/workloads.ts (BERT-base shape: 12 post-LN layers, d 768, 12 heads,
// d_ff 3072, seeded random weights from randomEncoderLayers) as a model file the engine worker
// can open: project JSON + a safetensors sidecar (~340 MB), written tensor by tensor so the test
// process never holds a second copy.
import { toFloat32, type WeightData } from '../../src/engine/weights';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BERT_BASE, randomArray, randomEncoderLayers } from '../../bench/workloads';
import { rng } from './randomModel';

export const W2_VOCAB = 1000;

export function writeW2Model(dir: string, seed = 7): string {
  const s = BERT_BASE;
  const tensors: [string, number[], Float32Array][] = [['embed.tokens', [W2_VOCAB, s.d], randomArray(rng(seed), W2_VOCAB * s.d, s.d)]];
  randomEncoderLayers(s, seed + 1).forEach((l, i) => {
    const p = `encoder.layers.${i}`;
    const lin = (name: string, x: { w: WeightData; b?: Float32Array; out: number; in: number }) => {
      tensors.push([`${name}.weight`, [x.out, x.in], toFloat32(x.w)], [`${name}.bias`, [x.out], x.b!]);
    };
    const norm = (name: string, x: { gamma: Float32Array; beta: Float32Array }) => {
      tensors.push([`${name}.weight`, [s.d], x.gamma], [`${name}.bias`, [s.d], x.beta]);
    };
    for (const k of ['q', 'k', 'v', 'o'] as const) lin(`${p}.self_attn.${k}`, l.selfAttn[k]);
    norm(`${p}.self_attn_norm`, l.selfNorm);
    lin(`${p}.ffn.fc1`, l.fc1);
    lin(`${p}.ffn.fc2`, l.fc2);
    norm(`${p}.ffn_norm`, l.ffnNorm);
  });
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, shape, data] of tensors) {
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  fs.mkdirSync(dir, { recursive: true });
  const weights = path.join(dir, 'w2.safetensors');
  const fd = fs.openSync(weights, 'w');
  try {
    fs.writeSync(fd, len);
    fs.writeSync(fd, json);
    for (const [, , data] of tensors) fs.writeSync(fd, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  } finally {
    fs.closeSync(fd);
  }
  const file = path.join(dir, 'w2.model.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      format: 'attention-inspector/model',
      version: 1,
      name: 'W2 (BERT-base shape, random weights)',
      architecture: 'transformer',
      config: {
        kind: 'encoder',
        vocab_size: W2_VOCAB,
        d_model: s.d,
        heads: s.heads,
        d_ff: s.dFf,
        encoder_layers: s.layers,
        activation: 'gelu',
        norm: 'post',
        layer_norm_eps: 1e-12,
        positions: 'sinusoidal',
        max_positions: 512,
      },
      weights: { safetensors: 'w2.safetensors' },
    }),
  );
  return file;
}
