// App view of the attention RNN for melodies (RunResult.app.kind = 'music'): the primer and the
// generated continuation as notes on a piano roll, and for each step the attention over the
// previous `window` steps (the row of the step that predicted the next note).

import { isRecord } from '../guards';

export interface MusicStep {
  id: number;
  token: string;
  /** MIDI pitch, or null for a rest or any token that is not a note. */
  pitch: number | null;
}

export interface MusicData {
  steps: MusicStep[];
  /** Steps 0 … primerLength−1 were given; the rest were generated greedily. */
  primerLength: number;
  /** n: step t attends over steps t−n … t−1. */
  window: number;
  /** [T, T], row t = attention of step t over previous steps (used to predict step t+1). */
  attention: Float32Array;
  /** [T] P(step t's note | steps before), from step t−1's softmax; 0 at t = 0. */
  probability: Float32Array;
}

const NAMES: Record<string, number> = { C: 0, D: 2, E: 4, F: 5, G: 7, A: 9, B: 11 };

/** "C4" → 60, "F#3" → 54, "Bb2" → 46, "60" → 60; anything else (rests, "<s>") → null. */
export function pitchOf(token: string): number | null {
  const num = /^\d{1,3}$/.exec(token);
  if (num) return Number(token) <= 127 ? Number(token) : null;
  const m = /^([A-Ga-g])([#b♯♭]?)(-?\d)$/.exec(token);
  if (!m) return null;
  const acc = m[2] === '#' || m[2] === '♯' ? 1 : m[2] === 'b' || m[2] === '♭' ? -1 : 0;
  const p = (Number(m[3]) + 1) * 12 + NAMES[m[1].toUpperCase()] + acc;
  return p >= 0 && p <= 127 ? p : null;
}

const NOTE = ['C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B'];
/** 60 → "C4" (the name a piano-roll row is labelled with). */
export function pitchName(p: number): string {
  return `${NOTE[((p % 12) + 12) % 12]}${Math.floor(p / 12) - 1}`;
}

export function isMusicData(x: unknown): x is MusicData {
  if (!isRecord(x)) return false;
  const d = x;
  if (!Array.isArray(d.steps) || d.steps.length === 0) return false;
  const T = d.steps.length;
  const stepOk = (s: unknown): boolean => {
    if (!isRecord(s)) return false;
    const r = s;
    return (
      Number.isInteger(r.id) &&
      typeof r.token === 'string' &&
      (r.pitch === null || (Number.isInteger(r.pitch) && (r.pitch as number) >= 0 && (r.pitch as number) <= 127))
    );
  };
  return (
    d.steps.every(stepOk) &&
    Number.isInteger(d.primerLength) &&
    (d.primerLength as number) >= 1 &&
    (d.primerLength as number) <= T &&
    Number.isInteger(d.window) &&
    (d.window as number) >= 1 &&
    d.attention instanceof Float32Array &&
    d.attention.length === T * T &&
    d.probability instanceof Float32Array &&
    d.probability.length === T
  );
}
