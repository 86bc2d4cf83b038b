// App view of a Universal Transformer (RunResult.app.kind = 'universal'): how many recurrence
// steps ACT gave each token, its ponder cost, and the per-step halting probabilities and weights.
// Token labels come from the run (source side); index i here is token i.

import { isNumber, isNumbers, isRecord } from '../guards';

export interface UniversalData {
  maxSteps: number;
  /** 1 − ε: a token halts once its summed halting probability would pass this. */
  threshold: number;
  /** Recurrence steps run (= layers of the 'encoder' part in the head grid). */
  steps: number;
  /** [n] N(t), 1 … maxSteps. */
  haltingStep: number[];
  /** [n] R(t), in (0, 1]. */
  remainder: number[];
  /** [n] N(t) + R(t). */
  ponder: number[];
  /** [steps][n] halting probability p; 0 after the token halted. */
  halting: number[][];
  /** [steps][n] weight of the step's state in the output; each token's column sums to 1. */
  weights: number[][];
}

export function isUniversalData(x: unknown): x is UniversalData {
  if (!isRecord(x) || !Number.isInteger(x.maxSteps) || !isNumber(x.threshold) || !Number.isInteger(x.steps)) return false;
  const steps = x.steps as number;
  if (steps < 1 || steps > (x.maxSteps as number) || !Array.isArray(x.haltingStep) || x.haltingStep.length === 0) return false;
  const n = x.haltingStep.length;
  const matrix = (m: unknown) => Array.isArray(m) && m.length === steps && m.every((row) => isNumbers(row, n));
  return (
    x.haltingStep.every((s) => Number.isInteger(s) && s >= 1 && s <= steps) &&
    isNumbers(x.remainder, n) &&
    isNumbers(x.ponder, n) &&
    matrix(x.halting) &&
    matrix(x.weights)
  );
}
