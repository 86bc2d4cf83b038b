// What the worker hands over (not copies) when a result crosses to the host. Engine-side: it must
// know which buffers are model weights (safetensors' zero-copy views), which the protocol does not.
import type { RunResult } from './types';
import { isWeightBuffer } from './format/safetensors';

/** The buffers of a result, handed over (not copied) when it crosses the thread boundary. */
export function transferables(result: RunResult): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  // A view onto model weights (safetensors' zero-copy tensors) is copied, not handed over: moving
  // its buffer would empty every weight of the model the worker keeps.
  const add = (a?: ArrayBufferView) => a && !isWeightBuffer(a.buffer) && out.add(a.buffer as ArrayBuffer);
  for (const a of result.attentions) [a.probs, a.scores, a.mask, a.rowEntropy].forEach(add);
  for (const s of result.addNorm) [s.residualNorm, s.sublayerNorm, s.outputNorm].forEach(add);
  for (const q of result.qkv ?? []) [q.q, q.k, q.v].forEach(add);
  add(result.positional?.data);
  collectTypedArrays(result.app?.data, add);
  return [...out];
}

/**
 * Every typed array inside plain objects/arrays (application view data), to transfer them. Builders
 * must give app data its own buffers: a view onto model weights would detach the cached model.
 */
function collectTypedArrays(x: unknown, add: (a: ArrayBufferView) => void, depth = 0): void {
  if (depth > 8 || typeof x !== 'object' || x === null) return;
  if (ArrayBuffer.isView(x)) return add(x);
  for (const v of Array.isArray(x) ? x : Object.values(x)) collectTypedArrays(v, add, depth + 1);
}
