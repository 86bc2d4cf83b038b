// App view of a NARM session recommender (RunResult.app.kind = 'narm'): the clicked items with
// the local encoder's attention α over them, and the top recommended next items.

import { isNumber, isRecord } from '../guards';

export interface NarmData {
  /** The session in click order; alpha = α_tj with t the last click (sums to 1 over the session). */
  clicked: { id: number; token: string; alpha: number }[];
  /** The top-k items by P(next item), highest first. */
  recommended: { id: number; token: string; probability: number }[];
}

export function isNarmData(x: unknown): x is NarmData {
  if (!isRecord(x) || !Array.isArray(x.clicked) || !Array.isArray(x.recommended) || x.clicked.length === 0) return false;
  const item = (e: unknown, key: 'alpha' | 'probability'): boolean =>
    isRecord(e) &&
    Number.isInteger(e.id) &&
    typeof e.token === 'string' &&
    isNumber(e[key]) &&
    (e[key] as number) >= 0 &&
    (e[key] as number) <= 1;
  return x.clicked.every((e) => item(e, 'alpha')) && x.recommended.every((e) => item(e, 'probability'));
}
