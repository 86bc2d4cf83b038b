// Guards of the run metadata and thumbnails (headData.ts's types) that webview.ts's run, runUpdate
// and thumbnails messages carry: the webview checks them before it renders. No vscode or Node imports.
import { isCount, isFiniteOrNull, isIndex, isPart, isRecord, isString, isStrings } from './guards';
import type { HeadStats, PartMeta, RunMeta, Thumbnail } from './headData';
import { isRnnScore } from './views';

function isStats(x: unknown): x is HeadStats {
  return (
    isRecord(x) &&
    typeof x.entropy === 'number' &&
    typeof x.max === 'number' &&
    typeof x.toFirst === 'number' &&
    isFiniteOrNull(x.toSep) &&
    isFiniteOrNull(x.toSelf)
  );
}

function isPartMeta(x: unknown): x is PartMeta {
  if (!isRecord(x) || !isPart(x.part) || !isCount(x.queries) || !isCount(x.keys)) return false;
  if (!isStrings(x.queryTokens, x.queries) || !isStrings(x.keyTokens, x.keys)) return false;
  return (
    Array.isArray(x.layers) &&
    x.layers.every(
      (l: unknown) =>
        isRecord(l) &&
        isIndex(l.layer) &&
        isCount(l.heads) &&
        typeof l.masked === 'boolean' &&
        Array.isArray(l.stats) &&
        l.stats.length === l.heads &&
        l.stats.every(isStats) &&
        (l.norms === undefined || isNorms(l.norms, l.heads)) &&
        (l.kvHeads === undefined || (isCount(l.kvHeads) && l.kvHeads < l.heads && l.heads % l.kvHeads === 0)) &&
        (l.window === undefined || isCount(l.window)),
    )
  );
}

/** Optional per-head weight norms: each present list has one finite number per head. */
function isNorms(x: unknown, heads: number): boolean {
  if (!isRecord(x)) return false;
  return (['q', 'k', 'v', 'o'] as const).every(
    (key) =>
      x[key] === undefined ||
      (Array.isArray(x[key]) &&
        (x[key] as unknown[]).length === heads &&
        (x[key] as unknown[]).every((n) => typeof n === 'number' && Number.isFinite(n))),
  );
}

export function isRunMeta(x: unknown): x is RunMeta {
  if (!isRecord(x) || !isRecord(x.model) || !isRecord(x.details) || !isRecord(x.tokens)) return false;
  const m = x.model;
  return (
    isString(m.name) &&
    isString(m.file) &&
    isString(m.architecture) &&
    isString(m.kind) &&
    typeof m.parameters === 'number' &&
    isStrings(x.tokens.source) &&
    isStrings(x.tokens.target) &&
    (x.predicted === undefined || isStrings(x.predicted)) &&
    (x.generated === undefined || (isCount(x.generated) && x.generated <= x.tokens.source.length)) &&
    isString(x.scoreLabel) &&
    (x.scores === undefined || (Array.isArray(x.scores) && x.scores.every(isRnnScore))) &&
    (x.score === undefined || isRnnScore(x.score)) &&
    (x.positional === undefined ||
      (isRecord(x.positional) && isCount(x.positional.positions) && isCount(x.positional.dims) && isString(x.positional.scheme, 100))) &&
    (x.rope === undefined || (Array.isArray(x.rope) && x.rope.length <= 64 && x.rope.every(isRopeInfo))) &&
    Array.isArray(x.parts) &&
    x.parts.every(isPartMeta) &&
    (x.running === undefined || isRunning(x.running)) &&
    (x.engine === undefined ||
      (isRecord(x.engine) &&
        isString(x.engine.kernels, 100) &&
        isCount(x.engine.threads) &&
        typeof x.engine.ms === 'number' &&
        x.engine.ms >= 0)) &&
    (x.unkToken === undefined || isString(x.unkToken, 100))
  );
}

function isRopeInfo(x: unknown): boolean {
  if (!isRecord(x) || !isCount(x.headDim) || !isCount(x.rotaryDim) || x.rotaryDim > x.headDim) return false;
  const finite = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  return (
    Array.isArray(x.layers) &&
    x.layers.every(isIndex) &&
    isString(x.type, 40) &&
    finite(x.theta) &&
    (x.factor === undefined || finite(x.factor)) &&
    Array.isArray(x.invFreq) &&
    x.invFreq.length * 2 === x.rotaryDim &&
    x.invFreq.every((v) => finite(v) && (v as number) > 0)
  );
}

function isRunning(x: unknown): boolean {
  return (
    isRecord(x) &&
    isIndex(x.done) &&
    isCount(x.total) &&
    isString(x.message, 200) &&
    (x.stopped === undefined || x.stopped === 'cancelled' || x.stopped === 'failed')
  );
}

export function isThumbnail(x: unknown): x is Thumbnail {
  return (
    isRecord(x) &&
    isIndex(x.layer) &&
    isIndex(x.head) &&
    isCount(x.rows) &&
    isCount(x.cols) &&
    x.levels instanceof Uint8Array &&
    x.levels.length === x.rows * x.cols
  );
}
