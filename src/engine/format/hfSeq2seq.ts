// Hugging Face encoder–decoder families beyond Marian: bart, mbart and t5 (v1.0 and v1.1 / flan).
// Config and parameter names map onto TransformerConfig and the canonical tensors of docs/model-format.md; the semantics
// follow transformers' modeling_bart.py / modeling_mbart.py / modeling_t5.py, each quirk naming its function.
// hf.ts dispatches here; its helpers are used only inside functions (see hfEncoders.ts).
import { ModelFormatError, showValue } from './errors';
import type { Activation, TransformerConfig } from './loaded';
import { dropTiedHead, HfConfig, marianLayerRules, P, rename, sameForBothStacks, type HfWeights, type Rule } from './hf';
import { sameShape } from '../tensor';
import { sameWeights, type WeightTensor as Tensor } from '../weights';

export const HF_SEQ2SEQ_TYPES = ['bart', 'mbart', 't5'] as const;
type Seq2seqType = (typeof HF_SEQ2SEQ_TYPES)[number];

export function isHfSeq2seqType(t: unknown): t is Seq2seqType {
  return (HF_SEQ2SEQ_TYPES as readonly unknown[]).includes(t);
}

type Mapped = { config: TransformerConfig; weights: Map<string, Tensor> };

export function readHfSeq2seq(type: Seq2seqType, c: HfConfig, w: HfWeights): Mapped {
  return type === 't5' ? t5(c, w) : bart(type, c, w);
}

/**
 * BART is post-LN (BartEncoderLayer.forward: LN(x + f(x))); MBART pre-LN with a LayerNorm after
 * each stack (MBartEncoder.layer_norm). Both: nn.LayerNorm's default eps 1e-5, learned positions
 * read at position + 2 (BartLearnedPositionalEmbedding.forward), one table and one
 * layernorm_embedding per stack, tokens × √d_model when scale_embedding
 * (BartScaledWordEmbedding), and final_logits_bias added to the tied LM head.
 */
function bart(type: Seq2seqType, c: HfConfig, w: HfWeights): Mapped {
  c.heads('d_model', 'encoder_attention_heads');
  sameForBothStacks(c, [
    ['decoder_attention_heads', 'encoder_attention_heads'],
    ['decoder_ffn_dim', 'encoder_ffn_dim'],
  ]);
  const pre = type === 'mbart';
  const config: TransformerConfig = {
    kind: 'encoder-decoder',
    vocab_size: c.int('vocab_size'),
    d_model: c.int('d_model'),
    heads: c.int('encoder_attention_heads'),
    d_ff: c.int('encoder_ffn_dim'),
    encoder_layers: c.int('encoder_layers'),
    decoder_layers: c.int('decoder_layers'),
    activation: c.activation('activation_function', 'gelu'),
    norm: pre ? 'pre' : 'post',
    layer_norm_eps: 1e-5,
    positions: 'learned',
    max_positions: c.int('max_position_embeddings'),
    position_offset: 2,
    per_stack_embeddings: true,
    scale_embedding: c.raw.scale_embedding === true,
    embedding_norm: true,
    final_norm: pre,
    token_types: 0,
    bos_id: c.optionalId('bos_token_id'),
    eos_id: c.optionalId('eos_token_id'),
    decoder_start_id: c.optionalId('decoder_start_token_id'),
  };
  const S = '(encoder|decoder)';
  const rules: Rule[] = [
    // The shared table may also be saved as each stack's embed_tokens; all copies must agree.
    [/^(shared|encoder\.embed_tokens|decoder\.embed_tokens)\.weight$/, 'embed.tokens.$1'],
    [new RegExp(`^${S}\\.embed_positions\\.weight$`), '$1.embed.positions'],
    [new RegExp(`^${S}\\.layernorm_embedding\\.${P}$`), '$1.embed.norm.$2'],
    ...(pre ? [[new RegExp(`^${S}\\.layer_norm\\.${P}$`), '$1.final_norm.$2'] as Rule] : []),
    ...marianLayerRules(),
  ];
  const ignore = [/^classification_head\./, /^qa_outputs\./];
  const renamed = rename(w, type, /^model\./, rules, ignore);
  const out = renamed.tensors;
  oneTokenTable(out, renamed.source);
  dropTiedHead(out);
  const bias = out.get('lm_head.bias'); // final_logits_bias is [1, vocab]
  if (bias && bias.shape.length === 2 && bias.shape[0] === 1) {
    out.set('lm_head.bias', { shape: [bias.shape[1]], data: bias.data });
  }
  return { config, weights: out };
}

/** embed.tokens.{shared,encoder.embed_tokens,decoder.embed_tokens} → one embed.tokens, all copies equal. */
function oneTokenTable(out: Map<string, Tensor>, source: Map<string, { file: string; hfName: string }>): void {
  let first: { hfName: string; t: Tensor } | undefined;
  for (const src of ['shared', 'encoder.embed_tokens', 'decoder.embed_tokens']) {
    const key = `embed.tokens.${src}`;
    const t = out.get(key);
    out.delete(key);
    if (!t) continue;
    const { file, hfName } = source.get(key) ?? { file: '', hfName: key };
    if (!first) first = { hfName, t };
    else if (!sameShape(t.shape, first.t.shape) || !sameWeights(t.data, first.t.data)) {
      const want = `the same values as ${first.hfName} (encoder and decoder share one embedding)`;
      throw new ModelFormatError(file, hfName, want);
    }
  }
  if (first) out.set('embed.tokens', first.t);
}

/**
 * T5 (T5ForConditionalGeneration): pre-norm RMSNorm (T5LayerNorm), no biases, no positions but a
 * relative position bias from each stack's block 0 shared by all its blocks (T5Stack.forward),
 * scores not divided by √d_kv (T5Attention.scaling = 1), heads of d_kv (num_heads · d_kv need not be d_model), relu or gated-gelu feed-forward
 * (T5Config.__post_init__: "gated-gelu" runs gelu_new), and the decoder output × d_model^-0.5
 * before the LM head unless the config says not (T5Config: scale_decoder_outputs, or older
 * configs' tie_word_embeddings = false, as v1.1 / flan-t5 checkpoints have).
 */
function t5(c: HfConfig, w: HfWeights): Mapped {
  const d = c.int('d_model');
  const heads = c.int('num_heads');
  // T5Attention.__init__: inner_dim = n_heads · key_value_proj_dim, which need not be d_model.
  const dKv = c.int('d_kv');
  const ff = typeof c.raw.feed_forward_proj === 'string' ? c.raw.feed_forward_proj : 'relu';
  const [gate, actName] = ff.startsWith('gated-') ? [true, ff.slice(6)] : [false, ff];
  const acts: Record<string, Activation> = {
    relu: 'relu',
    gelu: gate ? 'gelu_new' : 'gelu',
    gelu_new: 'gelu_new',
    silu: 'swish',
    swish: 'swish',
  };
  if (!Object.hasOwn(acts, actName)) {
    const want = '"relu", "gelu", "gelu_new", "silu" or "gated-" + one of them';
    throw new ModelFormatError(c.file, 'feed_forward_proj', `${want}; found ${showValue(c.raw.feed_forward_proj)}`);
  }
  const raw = c.raw;
  const scaleOut = typeof raw.scale_decoder_outputs === 'boolean' ? raw.scale_decoder_outputs : raw.tie_word_embeddings !== false;
  const layers = c.int('num_layers');
  const config: TransformerConfig = {
    kind: 'encoder-decoder',
    vocab_size: c.int('vocab_size'),
    d_model: d,
    heads,
    d_ff: c.int('d_ff'),
    encoder_layers: layers,
    decoder_layers: c.int('num_decoder_layers', layers),
    activation: acts[actName],
    norm: 'pre',
    layer_norm_eps: c.num('layer_norm_epsilon', 1e-6),
    positions: 'none',
    max_positions: c.int('n_positions', 512), // no table: only caps greedy decoding
    scale_embedding: false,
    embedding_norm: false,
    final_norm: true,
    token_types: 0,
    eos_id: c.optionalId('eos_token_id') ?? 1,
    decoder_start_id: c.optionalId('decoder_start_token_id') ?? c.optionalId('pad_token_id') ?? 0,
    rms_norm: true,
    linear_bias: false,
    gated_ffn: gate,
    unscaled_attention: true,
    ...(dKv * heads !== d ? { head_dim: dKv } : {}),
    relative_attention: {
      buckets: c.int('relative_attention_num_buckets', 32),
      max_distance: c.int('relative_attention_max_distance', 128),
    },
    ...(scaleOut ? { lm_head_input_scale: d ** -0.5 } : {}),
  };
  const B = '(encoder|decoder)\\.block\\.(\\d+)\\.layer';
  const ffIndex = (stack: string) => (stack === 'encoder' ? 1 : 2);
  const ffRules = (['encoder', 'decoder'] as const).flatMap((s): Rule[] => {
    const L = `^${s}\\.block\\.(\\d+)\\.layer\\.${ffIndex(s)}`;
    const to = `${s}.layers.$1`;
    return [
      [new RegExp(`${L}\\.DenseReluDense\\.${gate ? 'wi_1' : 'wi'}\\.weight$`), `${to}.ffn.fc1.weight`],
      ...(gate ? [[new RegExp(`${L}\\.DenseReluDense\\.wi_0\\.weight$`), `${to}.ffn.gate.weight`] as Rule] : []),
      [new RegExp(`${L}\\.DenseReluDense\\.wo\\.weight$`), `${to}.ffn.fc2.weight`],
      [new RegExp(`${L}\\.layer_norm\\.weight$`), `${to}.ffn_norm.weight`],
    ];
  });
  const rules: Rule[] = [
    [/^(shared|encoder\.embed_tokens|decoder\.embed_tokens)\.weight$/, 'embed.tokens.$1'],
    [/^(encoder|decoder)\.block\.0\.layer\.0\.SelfAttention\.relative_attention_bias\.weight$/, '$1.relative_bias'],
    [new RegExp(`^${B}\\.0\\.SelfAttention\\.([qkvo])\\.weight$`), '$1.layers.$2.self_attn.$3.weight'],
    [new RegExp(`^${B}\\.0\\.layer_norm\\.weight$`), '$1.layers.$2.self_attn_norm.weight'],
    [/^decoder\.block\.(\d+)\.layer\.1\.EncDecAttention\.([qkvo])\.weight$/, 'decoder.layers.$1.cross_attn.$2.weight'],
    [/^decoder\.block\.(\d+)\.layer\.1\.layer_norm\.weight$/, 'decoder.layers.$1.cross_attn_norm.weight'],
    ...ffRules,
    [/^(encoder|decoder)\.final_layer_norm\.weight$/, '$1.final_norm.weight'],
    [/^lm_head\.weight$/, 'lm_head.weight'],
  ];
  // T5ForConditionalGeneration._keys_to_ignore_on_load_unexpected: cross-attention never has a bias table.
  const ignore = [/^decoder\.block\.0\.layer\.1\.EncDecAttention\.relative_attention_bias\.weight$/];
  const renamed = rename(w, 't5', /^$/, rules, ignore);
  const out = renamed.tensors;
  oneTokenTable(out, renamed.source);
  dropTiedHead(out);
  return { config, weights: out };
}
