// The engine's one entry point: a loaded model plus an input → everything the inspector shows.
// Used by the worker, the CLI and the tests alike.
import type { LoadedModel, Tokenizer } from './format/loaded';
import { InputError } from './format/errors';
import { checkTextLength } from './format/tokenizer';
import type { Kernels } from './kernels/reference';
import { noControl, type RunControl } from './control';
import { checkRunMemory } from './runMemory';
import { architectureOf, buildModel } from './models/registry';
import { partShapes } from './models/parts';
import { headWeightNorms } from './headNorms';
import type { RunnableModel } from './models/runnable';
import { MAX_GENERATE } from './models/generation';
import type { ModelSummary, PartialRun, RunInput, RunResult } from './types';
import { runImageModel } from './runImage';

export { loadModel } from './format/load';

const built = new WeakMap<LoadedModel, RunnableModel>();

/** Builds (once per loaded model) the runnable form; throws ModelFormatError on bad tensors. */
export function prepare(model: LoadedModel, kernels?: Kernels): RunnableModel {
  let r = built.get(model);
  if (!r) {
    r = buildModel(model, kernels);
    built.set(model, r);
  }
  return r;
}

export function summarize(model: LoadedModel): ModelSummary {
  const r = prepare(model);
  return {
    name: model.name,
    file: model.file,
    architecture: model.architecture,
    kind: r.kind,
    parameters: r.parameters,
    details: r.details,
    scores: r.scores,
    parts: partShapes(model),
    examples: model.examples,
    ...(model.sourceTokenizer?.unkToken !== undefined ? { unkToken: model.sourceTokenizer.unkToken } : {}),
    ...(model.sourceTokenizer?.chatTemplate ? { chatTemplate: true } : {}),
    ...sourceVocab(model),
    ...(model.openFirst ? { openFirst: model.openFirst } : {}),
    ...(r.image ? { image: { channels: r.image.channels, height: r.image.height, width: r.image.width } } : {}),
  };
}

/** The prompts say up front whether a model reads text or only ids, and their range. */
function sourceVocab(model: LoadedModel): Pick<ModelSummary, 'vocab'> {
  const c = model.config as unknown as Record<string, unknown>;
  const size = model.sourceTokenizer?.size ?? c.src_vocab_size ?? c.vocab_size;
  return typeof size === 'number' && size > 0 ? { vocab: { tokenizer: !!model.sourceTokenizer, size } } : {};
}

/** Text or ids → ids and display tokens for one side of the model. */
function resolve(
  side: 'source' | 'target',
  text: string | undefined,
  ids: number[] | undefined,
  tok: Tokenizer | undefined,
): { ids: number[]; tokens: string[] } | undefined {
  const field = side === 'source' ? 'ids' : 'target_ids';
  if (ids && text !== undefined) throw new InputError(field, `give either ${side} text or ${side} ids, not both`);
  if (ids) return { ids, tokens: ids.map((id) => (tok ? tok.token(id) : String(id))) };
  if (text === undefined) return undefined;
  const textField = side === 'source' ? 'text' : 'target_text';
  if (!tok) throw new InputError(textField, 'this model has no vocabulary or tokenizer; give ids instead');
  checkTextLength(textField, text);
  return tok.encode(text);
}

/** The chat template's prompt for input.chat: its special tokens (BOS…) are the template's own. */
function resolveChat(input: RunInput, tok: Tokenizer | undefined): { ids: number[]; tokens: string[] } {
  if (input.text !== undefined || input.ids) throw new InputError('chat', 'give either a chat prompt or text or ids, not both');
  if (!tok?.encodeChat || !tok.chatTemplate) {
    throw new InputError('chat', 'a model whose tokenizer_config.json has a chat_template; this one has none (give text instead)');
  }
  return tok.encodeChat(input.chat!);
}

/**
 * Runs `input`. With `onPartial`, the layers finished so far are also handed out at each of the
 * model's checkpoints (encoder/decoder layers, recurrence steps) while the run goes on.
 */
export function runModel(model: LoadedModel, input: RunInput, ctl: RunControl = noControl, onPartial?: (p: PartialRun) => void): RunResult {
  const r = prepare(model);
  if (r.image) return runImageModel(model, r, summarize(model), input, ctl, onPartial); // ViT, DeiT (runImage.ts)
  if (input.image !== undefined || input.pixelValues)
    throw new InputError('image', `only vision models (vit, deit) read an image; this is an ${r.kind}`);
  const src = input.chat ? resolveChat(input, model.sourceTokenizer) : resolve('source', input.text, input.ids, model.sourceTokenizer);
  if (!src) throw new InputError('ids', 'give input text or ids');
  const tgtTok = model.targetTokenizer ?? model.sourceTokenizer;
  let tgt = resolve('target', input.targetText, input.targetIds, tgtTok);
  if (tgt && input.targetText !== undefined && r.decoderStartId !== undefined && tgt.ids[0] !== r.decoderStartId) {
    // Text is what the decoder should produce; its inputs start with the start token.
    tgt = { ids: [r.decoderStartId, ...tgt.ids], tokens: [tgtTok?.token(r.decoderStartId) ?? String(r.decoderStartId), ...tgt.tokens] };
  }
  const generate = input.generate ?? 0;
  if (generate !== 0) checkGenerate(r, generate, tgt !== undefined);
  // The generated tokens count against the limits up front: they are refused before any compute.
  for (const [side, length] of [
    ['ids', src.ids.length + generate],
    ['target_ids', tgt?.ids.length ?? 0],
  ] as const) {
    if (input.maxTokens !== undefined && length > input.maxTokens) {
      const what = side === 'ids' && generate ? ` (${generate} of them to generate)` : '';
      throw new InputError(
        side,
        `${length} tokens${what} is over the limit of ${input.maxTokens} (setting attentionInspector.maxSequenceLength)`,
      );
    }
  }
  if (input.maxRunMemoryMB !== undefined)
    checkRunMemory(model, { source: src.ids.length + generate, target: tgt?.ids.length, withQKV: input.withQKV }, input.maxRunMemoryMB);
  const base = {
    model: summarize(model),
    tokens: { source: src.tokens, target: tgt?.tokens ?? [] },
    ids: { source: src.ids, target: tgt?.ids ?? [] },
  };
  // A generating run's layers grow past the prompt tokens `base` names: it shows when it ends.
  const control: RunControl =
    onPartial && !generate ? { ...ctl, finished: (attentions, progress) => onPartial({ ...base, attentions, progress }) } : ctl;
  const opts = { targetIds: tgt?.ids, score: input.score, withQKV: input.withQKV, ...(generate ? { generate } : {}) };
  const out = r.run(src.ids, opts, control);
  const gen = out.generated ?? [];
  const sourceTok = model.sourceTokenizer;
  const source = {
    ids: [...src.ids, ...gen],
    tokens: [...src.tokens, ...gen.map((id) => (sourceTok ? sourceTok.token(id) : String(id)))],
  };
  const targetTokens = tgt && tgt.ids === out.targetIds ? tgt.tokens : out.targetIds.map((id) => (tgtTok ? tgtTok.token(id) : String(id)));
  const predictedTok = r.hasTarget ? tgtTok : model.sourceTokenizer;
  return {
    model: base.model,
    tokens: { source: source.tokens, target: targetTokens },
    ids: { source: source.ids, target: out.targetIds },
    ...(out.generated ? { generated: gen.length } : {}),
    attentions: out.attentions,
    positional: out.positional,
    ...(out.rope && { rope: out.rope }),
    addNorm: out.addNorm,
    qkv: out.qkv,
    predicted: out.predicted && {
      ids: out.predicted,
      tokens: out.predicted.map((id) => (predictedTok ? predictedTok.token(id) : String(id))),
    },
    ...(out.app ? { app: out.app } : {}),
    ...(out.axisLabels ? { axisLabels: out.axisLabels } : {}),
    ...withNorms(headWeightNorms(model, out.attentions, architectureOf(model).sharedLayer)),
  };
}

/** `generate` is a count of tokens, for decoder-only models only (their one sequence grows). */
function checkGenerate(r: RunnableModel, generate: number, hasTarget: boolean): void {
  if (!Number.isInteger(generate) || generate < 0 || generate > MAX_GENERATE) {
    throw new InputError('generate', `${generate} is not a token count from 0 to ${MAX_GENERATE}`);
  }
  if (r.kind !== 'decoder' || r.hasTarget || hasTarget) {
    throw new InputError(
      'generate',
      `only decoder-only models generate tokens; this model is ${r.kind === 'decoder' ? 'given a target' : `an ${r.kind}`}`,
    );
  }
}

function withNorms(norms: RunResult['headNorms']): Pick<RunResult, 'headNorms'> {
  return norms && norms.length > 0 ? { headNorms: norms } : {};
}
