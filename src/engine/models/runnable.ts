// What every architecture offers the engine: a summary and one run over resolved ids.
import type { AppData, AttentionLayer, AddNormStep, Pixels, QKV, RnnScore, RopeInfo, RunResult } from '../types';
import type { QkvOnly } from './transformerLayer';
import type { RunControl } from '../control';
import type { ImagePreprocess } from '../format/image';

export interface ModelOutput {
  /** The decoder inputs actually used (given, or produced by greedy decoding). */
  targetIds: number[];
  attentions: AttentionLayer[];
  addNorm: AddNormStep[];
  qkv?: QKV[];
  /** Greedy prediction after each decoder input. */
  predicted?: number[];
  /** Decoder-only runs with RunOptions.generate: the ids generated after the prompt (every array covers prompt + these). */
  generated?: number[];
  positional?: { positions: number; dims: number; scheme: string; data: Float32Array };
  rope?: RopeInfo[];
  /** The architecture's own view (see RunResult.app). */
  app?: AppData;
  /** See RunResult.axisLabels. */
  axisLabels?: RunResult['axisLabels'];
}

export type { Pixels } from '../types';

export interface RunOptions {
  targetIds?: number[];
  score?: RnnScore;
  /** Record Q, K, V per head: of every layer (true) or of one layer only (the Q·K view's request). */
  withQKV?: boolean | QkvOnly;
  /** Decoder-only models: continue the prompt greedily for up to this many tokens (KV cache, stops at EOS). */
  generate?: number;
  /** Vision models: the preprocessed image (RunInput.image or pixelValues). */
  pixels?: Pixels;
}

export interface RunnableModel {
  readonly kind: string;
  readonly parameters: number;
  readonly details: Record<string, string | number | boolean>;
  /** Which side(s) of the model take text: seq2seq models have a target side. */
  readonly hasTarget: boolean;
  readonly scores?: RnnScore[];
  /** Prepended to target *text* (ids are used as given): the decoder's first input. */
  readonly decoderStartId?: number;
  /** Vision models: they read an image of this size (RunOptions.pixels), not ids; `tokens` label its positions, `preprocess` makes an image file its pixels. */
  readonly image?: { channels: number; height: number; width: number; tokens: string[]; preprocess?: ImagePreprocess };
  run(ids: number[], opts: RunOptions, ctl: RunControl): ModelOutput;
}
