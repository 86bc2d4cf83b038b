// The q and k vectors behind one head's scores, for the Q·K view (softmax(QKᵀ/√d_k) written out
// per dimension). A run does not keep them (all layers' Q, K, V are large), so they are computed
// again on request: the same ids through the same model, recording that one layer only and
// stopping at the next layer boundary once it is recorded (the layers after it cannot change it).
import type { LoadedModel } from './format/loaded';
import { InputError } from './format/errors';
import { CancelledError, noControl, type RunControl } from './control';
import { prepare } from './run';
import type { HeadQK, QKV, QkRequest } from './types';
import type { ModelOutput } from './models/runnable';

export function headQK(model: LoadedModel, req: QkRequest, ctl: RunControl = noControl): HeadQK {
  const r = prepare(model);
  // The request names the run by its ids, or for a ViT/DeiT run by the pixels it read.
  if (r.image && !req.pixels) throw new InputError('image', 'a vision model’s q and k need the run’s image (the request has no pixels)');
  const { part, layer, head } = req;
  let found: QKV | undefined;
  const stop: RunControl = { ...ctl, isCancelled: () => found !== undefined || ctl.isCancelled(), finished: undefined };
  let out: ModelOutput | undefined;
  try {
    const withQKV = { part, layer, found: (x: QKV) => (found = x) };
    const input = r.image ? { pixels: req.pixels } : { targetIds: req.targetIds, score: req.score };
    out = r.run(r.image ? [] : req.ids, { ...input, withQKV }, stop);
  } catch (e) {
    if (!(e instanceof CancelledError) || !found || ctl.isCancelled()) throw e;
  }
  const rec = found ?? out?.qkv?.find((x) => x.part === part && x.layer === layer);
  if (!rec) {
    if (!out?.attentions.some((a) => a.part === part && a.layer === layer)) {
      throw new InputError('part', `this run has no ${part} layer ${layer}`);
    }
    // Not an input problem: the architecture does not record them (see the README's Q·K bullet).
    const which = 'transformers and RNN dot/general scores do';
    throw new Error(`${model.architecture} models do not give their q and k vectors (${which})`);
  }
  if (head >= rec.heads) {
    throw new InputError('head', `${part} layer ${layer} has ${rec.heads} heads; there is no head ${head}`);
  }
  const d = rec.headDim;
  const form = rec.form ?? 'scaled-dot';
  const slice = (x: Float32Array, n: number) => x.slice(head * n * d, (head + 1) * n * d); // [n, d] of [heads, n, d]
  return {
    part,
    layer,
    head,
    queries: rec.queries,
    keys: rec.keys,
    dims: d,
    q: slice(rec.q, rec.queries),
    k: slice(rec.k, rec.keys),
    form,
    scale: form === 'scaled-dot' && d > 0 ? 1 / Math.sqrt(d) : 1,
  };
}
