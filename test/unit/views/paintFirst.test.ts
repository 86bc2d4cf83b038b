// A status line is painted before the messages after it are applied: they wait for a frame, or
// for FALLBACK_MS when no frame comes (a hidden webview).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FALLBACK_MS, PaintFirst } from '../../../webview/inspector/paintFirst';

test('messages after a status line wait for the frame after it; with no frame, FALLBACK_MS', async () => {
  const frames: (() => void)[] = [];
  const g = globalThis as unknown as { requestAnimationFrame?: (f: () => void) => number };
  const before = g.requestAnimationFrame;
  g.requestAnimationFrame = (f) => frames.push(f);
  try {
    const applied: string[] = [];
    const q = new PaintFirst<string>(
      (m) => applied.push(m),
      (m) => m.startsWith('status'),
    );
    q.push('status: cancelled');
    q.push('run');
    q.push('thumbnails');
    assert.deepEqual(applied, ['status: cancelled'], 'the rest waits for the frame');
    await new Promise((r) => setTimeout(r, 60));
    assert.deepEqual(applied, ['status: cancelled'], 'a slow frame (over 50 ms) is still waited for');
    frames.shift()!();
    await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(applied, ['status: cancelled', 'run', 'thumbnails'], 'after the frame, in order');

    q.push('status: running');
    q.push('runUpdate');
    const t0 = performance.now();
    while (applied.length < 5) await new Promise((r) => setTimeout(r, 10));
    const waited = performance.now() - t0;
    assert.ok(waited >= FALLBACK_MS - 5 && waited < FALLBACK_MS + 200, `released after ${waited.toFixed(0)} ms without a frame`);
  } finally {
    g.requestAnimationFrame = before;
  }
});
