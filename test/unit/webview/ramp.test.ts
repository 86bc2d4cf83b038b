// The attention ramp in the three captured VS Code themes (test/webview/themes/*.css): it starts at
// the editor background, moves away from it in lightness all the way, takes equal-looking steps
// (OKLab distance), and its top is both the colour most different from the background and a vivid
// one, not the pale grey-blue the dark theme's top used to be.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeRamp, type RGB, type ThemeColors } from '../../../webview/shared/theme';
import { chroma, deltaE, rgbToOklab } from '../../../webview/shared/oklab';

const THEMES = path.resolve(__dirname, '../../../../test/webview/themes'); // from out/test/unit/webview

function cssColour(theme: string, name: string): RGB {
  const css = fs.readFileSync(path.join(THEMES, `${theme}.css`), 'utf8');
  const m = new RegExp(`--vscode-${name}:\\s*#([0-9a-f]{6})`, 'i').exec(css);
  assert.ok(m, `${theme}.css has --vscode-${name}`);
  const h = m[1];
  return [parseInt(h.slice(0, 2), 16), parseInt(h.slice(2, 4), 16), parseInt(h.slice(4, 6), 16)];
}

function themeOf(name: string): ThemeColors {
  const background = cssColour(name, 'editor-background');
  const foreground = cssColour(name, 'editor-foreground');
  const accent = cssColour(name, 'charts-blue');
  const css = { background: '', foreground: '', accent: '', muted: '', border: '', focus: '' };
  return { background, foreground, accent, muted: foreground, border: foreground, focus: accent, css };
}

for (const name of ['dark', 'light', 'high-contrast']) {
  test(`attention ramp, ${name} theme`, () => {
    const theme = themeOf(name);
    const ramp = makeRamp(theme);
    const bg = rgbToOklab(theme.background);
    const labs = Array.from({ length: 33 }, (_, i) => rgbToOklab(ramp(i / 32)));

    assert.ok(deltaE(labs[0], bg) < 0.01, `t = 0 is the background (ΔE ${deltaE(labs[0], bg).toFixed(4)})`);
    const away = labs.map((c) => Math.abs(c[0] - bg[0]));
    for (let i = 1; i < away.length; i++)
      assert.ok(away[i] >= away[i - 1] - 1e-3, `lightness moves away from the background at t = ${i / 32}`);

    const steps = labs.slice(1).map((c, i) => deltaE(labs[i], c));
    const mean = steps.reduce((a, b) => a + b, 0) / steps.length;
    const worst = Math.max(...steps.map((s) => Math.abs(s - mean) / mean));
    assert.ok(worst < 0.15, `equal-looking steps: the largest step differs from the mean by ${(worst * 100).toFixed(0)} %`);

    const fromBg = labs.map((c) => deltaE(c, bg));
    assert.equal(fromBg.indexOf(Math.max(...fromBg)), labs.length - 1, 'the top is the colour most different from the background');
    const top = labs[labs.length - 1];
    assert.ok(chroma(top) > 0.1, `the top is vivid (OKLCH chroma ${chroma(top).toFixed(3)})`);
    assert.ok(
      Math.abs(top[0] - bg[0]) > 0.55,
      `the top's lightness is far from the background's (${top[0].toFixed(2)} vs ${bg[0].toFixed(2)})`,
    );
  });
}
