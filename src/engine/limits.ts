// Run limits: the memory a run will need, estimated from the model's config and the token counts
// *before* any compute, and refused with the number when it is over the limit (setting
// attentionInspector.maxRunMemoryMB). Typed arrays live outside the V8 heap, so the worker's
// heap limit cannot stop a run that asks for 10 GB of attention probabilities: this check does.
// The heap limit (workerResourceLimits) bounds the rest — parsed JSON, strings, runaway loops.
// The estimate and the check are in runMemory.ts (they need every architecture; this file is
// imported by the extension host too).

export const DEFAULT_MAX_RUN_MEMORY_MB = 2048;
/** Default of attentionInspector.maxSequenceLength (and the CLI's --max-tokens). */
export const DEFAULT_MAX_TOKENS = 1024;

/**
 * The worker's V8 heap limit for a given run-memory setting. Tensors are not on the heap (the
 * estimate bounds them); the heap holds parsed model files, token strings and result objects.
 * The same setting bounds both, so the worker can use at most about twice the setting.
 */
export function workerResourceLimits(maxRunMemoryMB: number): { maxOldGenerationSizeMb: number } {
  return { maxOldGenerationSizeMb: Math.max(256, Math.round(maxRunMemoryMB)) };
}
