// The small checks every message guard is built from, in one place. What crosses a boundary (worker
// → host, webview → host, host → webview) is `unknown` until one of these says what it is.
// Imports nothing at run time: the engine, the host and the webview bundles all use this file.
import type { Part } from '../src/engine/types';

export type Rec = Record<string, unknown>;

/** Upper bound on any index a message may carry (layers, heads, request ids from a webview). */
export const MAX_INDEX = 1_000_000;

/** A plain object (not null, not an array). */
export const isRecord = (x: unknown): x is Rec => typeof x === 'object' && x !== null && !Array.isArray(x);

/** A non-negative integer with no upper bound below 2⁵³ (the engine worker's request ids). */
export const isId = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;

/** A non-negative integer up to MAX_INDEX. */
export const isIndex = (x: unknown): x is number => isId(x) && x <= MAX_INDEX;

/** A positive integer up to MAX_INDEX (a size: rows, heads, layers). */
export const isCount = (x: unknown): x is number => isIndex(x) && x > 0;

/** A finite number. */
export const isNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

export const isFiniteOrNull = (x: unknown): x is number | null => x === null || isNumber(x);

/** A string of at most `max` characters. */
export const isString = (x: unknown, max = Infinity): x is string => typeof x === 'string' && x.length <= max;

export const isOptString = (x: unknown): x is string | undefined => x === undefined || typeof x === 'string';

/** A flag that is set (`true`) or absent. */
export const isOptTrue = (x: unknown): x is true | undefined => x === undefined || x === true;

/** Steps done of a total (a run's layers): whole numbers, done ≤ total, total ≥ 1. */
export const isDoneOfTotal = (x: Rec): boolean => isIndex(x.done) && isCount(x.total) && x.done <= x.total;

/** An array of strings, of exactly `length` items when given. */
export const isStrings = (x: unknown, length?: number): x is string[] =>
  Array.isArray(x) && (length === undefined || x.length === length) && x.every((s) => typeof s === 'string');

/** An array of finite numbers, of exactly `length` items when given. */
export const isNumbers = (x: unknown, length?: number): x is number[] =>
  Array.isArray(x) && (length === undefined || x.length === length) && x.every(isNumber);

/** Which attention of a run: encoder or decoder self-attention, or cross-attention. */
export const isPart = (x: unknown): x is Part => x === 'encoder' || x === 'decoder' || x === 'cross';
