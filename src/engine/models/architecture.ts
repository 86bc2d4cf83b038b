// What an architecture is to the rest of the extension: one descriptor, registered in
// models/registry.ts. Everything that depends on the family — how its config is checked, which
// attention parts it has, how much memory a run needs, how it is built, which view it shows —
// is here, so that no other file switches on the architecture's name.
// See docs/adding-an-architecture.md for a worked toy example.
import type { ArchitectureConfigs, ArchitectureName, ModelOf } from '../format/loaded';
import type { Kernels } from '../kernels/reference';
import type { TensorSpec } from '../format/tensors';
import type { Part } from '../types';
import type { RunnableModel } from './runnable';

/** Which attention parts a model has and their layers × heads (the side bar lists them unrun). */
export interface PartShape {
  part: Part;
  /** Upper bound for recurrent models (Universal Transformer: one layer per step, up to max_steps). */
  layers: number;
  heads: number;
  /** GQA/MQA: the K/V heads the query heads share, when fewer than heads. */
  kvHeads?: number;
}

/** Bytes a run needs, by what they hold. */
export interface RunMemory {
  /** Attention probabilities and scores (and causal masks) returned for every layer and head. */
  attention: number;
  /** Everything else returned: Add & Norm traces, Q/K/V when asked for, the positional table. */
  traces: number;
  /** Working memory at the peak: the largest layer's activations, KV caches, output logits. */
  working: number;
  total: number;
}

export interface RunShape {
  /** Source tokens. */
  source: number;
  /** Target tokens given (teacher forcing); absent: greedy decoding up to the model's limit. */
  target?: number;
  withQKV?: boolean;
}

/** Bytes per float32. */
export const F32 = 4;

/** Adds up the three kinds of memory. */
export const runMemory = (m: Omit<RunMemory, 'total'>): RunMemory => ({
  ...m,
  total: m.attention + m.traces + m.working,
});

/** JSON Schema building blocks for config schemas. */
export const count = { type: 'integer', minimum: 1 } as const;
export const id = { type: 'integer', minimum: 0 } as const;

/**
 * One model family. `K` is its name in model files ("architecture") and the key of its config in
 * ArchitectureConfigs. Members are methods so a descriptor of one family fits the registry's
 * list of all of them.
 */
export interface Architecture<K extends ArchitectureName = ArchitectureName> {
  readonly name: K;
  /**
   * JSON Schema (draft-07, checked by ajv with defaults filled in) of `config` in a project model
   * file. Error messages name the field under `config.`; a `description` is shown with them.
   */
  readonly configSchema: object;
  /**
   * Checks the schema cannot express (heads | d_model, ids < vocabulary size, computed table sizes),
   * after the schema: throws ModelFormatError naming the field; returns the config the builder reads.
   */
  readConfig?(file: string, config: ArchitectureConfigs[K]): ArchitectureConfigs[K];
  /** Vocabulary sizes the file's `vocab` must match (source and target side). */
  vocabSizes(config: ArchitectureConfigs[K]): { source: number; target: number };
  /** Attention parts from the config alone; must agree with what `build` records (parts.test.ts). */
  partShapes(config: ArchitectureConfigs[K]): PartShape[];
  /** Memory of one run, from the config and token counts, before any compute (limits.ts). */
  estimateMemory(model: ModelOf<K>, shape: RunShape): RunMemory;
  /**
   * The tensors the builder reads for this config, with their shapes and whether each is optional,
   * in the order it reads them (names of docs/model-format.md). The builder's TensorReader checks the
   * file against this list before anything is built: a missing tensor, a wrong shape and a tensor
   * the list does not name are each a ModelFormatError naming the file, the tensor and the shape.
   * A generator (function*), walked only as far as the file fits it: a config may claim any count.
   */
  tensors(config: ArchitectureConfigs[K]): Iterable<TensorSpec>;
  /** The runnable model; reads its tensors with `new TensorReader(model, <this architecture>.tensors(config))`. */
  build(model: ModelOf<K>, kernels?: Kernels): RunnableModel;
  /**
   * RunResult.app kinds its runs may carry; each is drawn by webview/inspector/archViews/<kind>.ts
   * (with its data type and guard in common/archViews/<kind>.ts). None: the heads only.
   */
  readonly viewKinds?: readonly string[];
  /** Every recorded layer reuses layer 0's weights (Universal Transformer): head norms read layer 0. */
  readonly sharedLayer?: boolean;
}
