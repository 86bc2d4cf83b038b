// Every architecture the engine knows, by the name model files give it. Adding one is one file
// (its Architecture descriptor, src/engine/architectures/) and one line in BUILT_IN below; see
// docs/adding-an-architecture.md. Nothing else switches on an architecture's name.
import type { ArchitectureName, LoadedModel } from '../format/loaded';
import type { Kernels } from '../kernels/reference';
import type { Architecture } from './architecture';
import type { RunnableModel } from './runnable';
import { transformer } from '../architectures/transformer';
import { universal } from '../architectures/universal';
import { tdmca } from '../architectures/tdmca';
import { rnnSeq2seq } from '../architectures/rnnSeq2seq';
import { narm } from '../architectures/narm';
import { attentionRnn } from '../architectures/attentionRnn';
import { showAttendTell } from '../architectures/showAttendTell';
import { imageTransformer } from '../architectures/imageTransformer';
import { sentenceEncoder } from '../architectures/sentenceEncoder';
import { hfDecoder } from '../architectures/hfDecoder';
import { hfVit } from '../architectures/hfVit';

const BUILT_IN: Architecture<ArchitectureName>[] = [
  transformer,
  universal,
  tdmca,
  rnnSeq2seq,
  narm,
  attentionRnn,
  showAttendTell,
  imageTransformer,
  sentenceEncoder,
  hfDecoder,
  hfVit,
];

const registry = new Map<string, Architecture>(BUILT_IN.map((a) => [a.name, a]));
let version = 0;

/**
 * Adds an architecture at run time (tests, and anything that embeds the engine); a built-in one
 * is one line in BUILT_IN instead.
 */
export function registerArchitecture<K extends ArchitectureName>(a: Architecture<K>): void {
  if (registry.has(a.name)) throw new Error(`architecture "${a.name}" is registered already`);
  registry.set(a.name, a as unknown as Architecture);
  version++;
}

/** The names model files may give, in registration order. */
export function architectureNames(): string[] {
  return [...registry.keys()];
}

/** Changes whenever an architecture is registered (readers cache what they derive from the list). */
export function registryVersion(): number {
  return version;
}

export function findArchitecture(name: string): Architecture | undefined {
  return registry.get(name);
}

/** The descriptor of a loaded model (readers only produce registered names). */
export function architectureOf(model: LoadedModel): Architecture {
  const a = registry.get(model.architecture);
  if (!a) throw new Error(`no architecture "${model.architecture}" is registered`);
  return a;
}

export function buildModel(model: LoadedModel, kernels?: Kernels): RunnableModel {
  return architectureOf(model).build(model, kernels);
}
