// Hugging Face encoder families beyond BERT: roberta / xlm-roberta, distilbert, electra, albert.
// Each maps its config.json onto TransformerConfig (with the named options its quirks need) and
// its parameter names onto the canonical tensors of docs/model-format.md. The semantics follow
// transformers' modeling_<family>.py; each quirk names the function it comes from.
// hf.ts dispatches here; the helpers it exports are used only inside functions (hf.ts imports
// this module, so nothing here may touch them while the modules load).
import { ModelFormatError } from './errors';
import type { TransformerConfig } from './loaded';
import { HfConfig, P, rename, type HfWeights, type Rule } from './hf';
import type { WeightTensor as Tensor } from '../weights';

export const HF_ENCODER_TYPES = ['roberta', 'xlm-roberta', 'distilbert', 'electra', 'albert'] as const;
type EncoderType = (typeof HF_ENCODER_TYPES)[number];

export function isHfEncoderType(t: unknown): t is EncoderType {
  return (HF_ENCODER_TYPES as readonly unknown[]).includes(t);
}

type Mapped = { config: TransformerConfig; weights: Map<string, Tensor> };

export function readHfEncoder(type: EncoderType, c: HfConfig, w: HfWeights): Mapped {
  switch (type) {
    case 'roberta':
    case 'xlm-roberta':
      return roberta(type, c, w);
    case 'distilbert':
      return distilbert(c, w);
    case 'electra':
      return electra(c, w);
    case 'albert':
      return albert(c, w);
  }
}

/** An encoder-only BERT-like config: post-LN, learned positions, embedding LayerNorm. */
type Act = 'gelu' | 'gelu_new';
type SizeKeys = { d: string; heads: string; ff: string; layers: string };

function encoderConfig(c: HfConfig, keys: SizeKeys, act: string, actDefault: Act): TransformerConfig {
  c.heads(keys.d, keys.heads);
  return {
    kind: 'encoder',
    vocab_size: c.int('vocab_size'),
    d_model: c.int(keys.d),
    heads: c.int(keys.heads),
    d_ff: c.int(keys.ff),
    encoder_layers: c.int(keys.layers),
    decoder_layers: 0,
    activation: c.activation(act, actDefault),
    norm: 'post',
    layer_norm_eps: 1e-12,
    positions: 'learned',
    max_positions: c.int('max_position_embeddings'),
    scale_embedding: false,
    embedding_norm: true,
    final_norm: false,
    token_types: 0,
  };
}

const BERT_KEYS: SizeKeys = {
  d: 'hidden_size',
  heads: 'num_attention_heads',
  ff: 'intermediate_size',
  layers: 'num_hidden_layers',
};

/** Options every BERT-derived config here shares and this engine implements one value of. */
function bertLike(c: HfConfig, actDefault: Act): TransformerConfig {
  c.require('position_embedding_type', 'absolute', 'only absolute learned positions are implemented');
  c.require('is_decoder', false, 'the encoder is read as an encoder; a causal BERT-style decoder is not implemented');
  c.require('add_cross_attention', false, 'an encoder without cross-attention');
  return {
    ...encoderConfig(c, BERT_KEYS, 'hidden_act', actDefault),
    layer_norm_eps: c.num('layer_norm_eps', 1e-12),
    token_types: c.int('type_vocab_size', 2),
  };
}

/** BertLayer's parameter names (RobertaLayer and ElectraLayer keep them) → canonical names. */
function bertLayerRules(): Rule[] {
  const L = 'encoder\\.layer\\.(\\d+)';
  const E = 'encoder.layers.$1';
  return [
    [/^embeddings\.word_embeddings\.weight$/, 'embed.tokens'],
    [/^embeddings\.position_embeddings\.weight$/, 'embed.positions'],
    [/^embeddings\.token_type_embeddings\.weight$/, 'embed.token_types'],
    [new RegExp(`^embeddings\\.LayerNorm\\.${P}$`), 'embed.norm.$1'],
    [new RegExp(`^${L}\\.attention\\.self\\.query\\.${P}$`), `${E}.self_attn.q.$2`],
    [new RegExp(`^${L}\\.attention\\.self\\.key\\.${P}$`), `${E}.self_attn.k.$2`],
    [new RegExp(`^${L}\\.attention\\.self\\.value\\.${P}$`), `${E}.self_attn.v.$2`],
    [new RegExp(`^${L}\\.attention\\.output\\.dense\\.${P}$`), `${E}.self_attn.o.$2`],
    [new RegExp(`^${L}\\.attention\\.output\\.LayerNorm\\.${P}$`), `${E}.self_attn_norm.$2`],
    [new RegExp(`^${L}\\.intermediate\\.dense\\.${P}$`), `${E}.ffn.fc1.$2`],
    [new RegExp(`^${L}\\.output\\.dense\\.${P}$`), `${E}.ffn.fc2.$2`],
    [new RegExp(`^${L}\\.output\\.LayerNorm\\.${P}$`), `${E}.ffn_norm.$2`],
  ];
}

/** Buffers some checkpoints saved; never parameters. */
const BUFFERS = /^embeddings\.(position_ids|token_type_ids)$/;

function roberta(type: EncoderType, c: HfConfig, w: HfWeights): Mapped {
  const config = bertLike(c, 'gelu');
  // RobertaEmbeddings.create_position_ids_from_input_ids: positions start at padding_idx + 1
  // (rows 0…padding_idx are never read by a real token); a padding token reads row padding_idx.
  const pad = c.raw.pad_token_id == null ? 1 : (c.optionalId('pad_token_id') as number);
  const rows = config.max_positions;
  if (rows <= pad + 1) {
    const why = `more than pad_token_id + 1 = ${pad + 1} (RoBERTa's positions start after the padding row)`;
    throw new ModelFormatError(c.file, 'max_position_embeddings', `${why}; found ${rows}`);
  }
  Object.assign(config, { max_positions: rows - pad - 1, position_offset: pad + 1, position_pad_id: pad });
  // Task heads (lm_head.* is a dense + LayerNorm transform, not one linear) are not shown.
  const ignore = [/^(pooler|lm_head|classifier|qa_outputs)\./, BUFFERS];
  return { config, weights: rename(w, type, /^roberta\./, bertLayerRules(), ignore).tensors };
}

function electra(c: HfConfig, w: HfWeights): Mapped {
  const config = bertLike(c, 'gelu');
  // ElectraModel.__init__: embeddings_project exists only when embedding_size ≠ hidden_size.
  const e = c.int('embedding_size', 128);
  if (e !== config.d_model) config.embedding_size = e;
  const rules: Rule[] = [...bertLayerRules(), [new RegExp(`^embeddings_project\\.${P}$`), 'embed.project.$1']];
  const heads = /^(discriminator_predictions|generator_predictions|generator_lm_head|classifier|qa_outputs|sequence_summary)\./;
  const ignore = [heads, BUFFERS];
  return { config, weights: rename(w, 'electra', /^electra\./, rules, ignore).tensors };
}

function distilbert(c: HfConfig, w: HfWeights): Mapped {
  // Embeddings and TransformerBlock: nn.LayerNorm(eps=1e-12), fixed; no token types. With
  // sinusoidal_pos_embds the table is written into position_embeddings.weight and saved, so it
  // is read like a learned one.
  const keys = { d: 'dim', heads: 'n_heads', ff: 'hidden_dim', layers: 'n_layers' };
  const config = encoderConfig(c, keys, 'activation', 'gelu');
  const L = 'transformer\\.layer\\.(\\d+)';
  const E = 'encoder.layers.$1';
  const rules: Rule[] = [
    [/^embeddings\.word_embeddings\.weight$/, 'embed.tokens'],
    [/^embeddings\.position_embeddings\.weight$/, 'embed.positions'],
    [new RegExp(`^embeddings\\.LayerNorm\\.${P}$`), 'embed.norm.$1'],
    ...(['q', 'k', 'v'] as const).map((p): Rule => [new RegExp(`^${L}\\.attention\\.${p}_lin\\.${P}$`), `${E}.self_attn.${p}.$2`]),
    [new RegExp(`^${L}\\.attention\\.out_lin\\.${P}$`), `${E}.self_attn.o.$2`],
    [new RegExp(`^${L}\\.sa_layer_norm\\.${P}$`), `${E}.self_attn_norm.$2`],
    [new RegExp(`^${L}\\.ffn\\.lin1\\.${P}$`), `${E}.ffn.fc1.$2`],
    [new RegExp(`^${L}\\.ffn\\.lin2\\.${P}$`), `${E}.ffn.fc2.$2`],
    [new RegExp(`^${L}\\.output_layer_norm\\.${P}$`), `${E}.ffn_norm.$2`],
  ];
  const heads = /^(vocab_transform|vocab_layer_norm|vocab_projector|pre_classifier|classifier|qa_outputs)\./;
  const ignore = [heads, BUFFERS];
  return { config, weights: rename(w, 'distilbert', /^distilbert\./, rules, ignore).tensors };
}

function albert(c: HfConfig, w: HfWeights): Mapped {
  const config = bertLike(c, 'gelu_new');
  const steps = config.encoder_layers;
  const groups = c.int('num_hidden_groups', 1);
  if (groups > steps) {
    throw new ModelFormatError(c.file, 'num_hidden_groups', `at most num_hidden_layers ${steps}; found ${groups}`);
  }
  // AlbertLayerGroup.forward runs its inner_group_num albert_layers in order at every step, and each
  // one's attention is an output: encoder_layers counts every layer run.
  const inner = c.int('inner_group_num', 1);
  // AlbertEmbeddings are embedding_size wide; AlbertTransformer.forward maps them to hidden_size
  // with embedding_hidden_mapping_in (always present, even when the sizes are equal).
  Object.assign(config, {
    embedding_size: c.int('embedding_size', 128),
    shared_layer_groups: groups,
    encoder_layers: steps * inner,
    ...(inner > 1 ? { shared_layer_inner: inner } : {}),
  });
  // Group g's layer j is stored layer g·inner + j: renamed through encoder.groups.g.j below.
  const G = 'encoder\\.albert_layer_groups\\.(\\d+)\\.albert_layers\\.(\\d+)';
  const E = 'encoder.groups.$1.$2';
  const rules: Rule[] = [
    ...bertLayerRules().slice(0, 4),
    [new RegExp(`^encoder\\.embedding_hidden_mapping_in\\.${P}$`), 'embed.project.$1'],
    ...(['query', 'key', 'value'] as const).map((p): Rule => [new RegExp(`^${G}\\.attention\\.${p}\\.${P}$`), `${E}.self_attn.${p[0]}.$3`]),
    [new RegExp(`^${G}\\.attention\\.dense\\.${P}$`), `${E}.self_attn.o.$3`],
    [new RegExp(`^${G}\\.attention\\.LayerNorm\\.${P}$`), `${E}.self_attn_norm.$3`],
    [new RegExp(`^${G}\\.ffn\\.${P}$`), `${E}.ffn.fc1.$3`],
    [new RegExp(`^${G}\\.ffn_output\\.${P}$`), `${E}.ffn.fc2.$3`],
    [new RegExp(`^${G}\\.full_layer_layer_norm\\.${P}$`), `${E}.ffn_norm.$3`],
  ];
  const ignore = [/^(pooler|predictions|sop_classifier|classifier|qa_outputs)\./, BUFFERS];
  const renamed = rename(w, 'albert', /^albert\./, rules, ignore);
  const out = new Map<string, Tensor>();
  for (const [name, t] of renamed.tensors) {
    const m = /^encoder\.groups\.(\d+)\.(\d+)\.(.*)$/.exec(name);
    if (!m) {
      out.set(name, t);
      continue;
    }
    const [g, j] = [Number(m[1]), Number(m[2])];
    if (j >= inner) {
      const { file, hfName } = renamed.source.get(name)!;
      throw new ModelFormatError(file, hfName, `a layer of a group of inner_group_num = ${inner} (index below ${inner}); found ${j}`);
    }
    out.set(`encoder.layers.${g * inner + j}.${m[3]}`, t);
  }
  return { config, weights: out };
}
