// uiText against VS Code's own parsers: the link parser of notifications (linkedText.ts) and the
// icon parser of labels (iconLabels.ts), copied from VS Code 1.139. A hostile name must come out
// with no link and no icon; ordinary text (JSON paths with brackets, tensor names) unchanged.
// Also: no source file shows a notification except through notify.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MAX_UI_TEXT, uiText } from '../../../src/uiText';

const ROOT = path.join(__dirname, '..', '..', '..', '..');

// vs/base/common/linkedText.ts: what notifications and progress messages turn into links.
const LINK = /\[([^\]]+)\]\(((?:https?:\/\/|command:|file:)[^)\s]+)(?: (["'])(.+?)(\3))?\)/gi;
// vs/base/browser/ui/iconLabel/iconLabels.ts: `$(name)` is an icon unless escaped as `\$(name)`.
const ICON = /(\\)?\$\(([A-Za-z0-9-]+(?:~[A-Za-z]+)?)\)/g;

function links(s: string): string[] {
  return [...s.matchAll(LINK)].map((m) => m[2]);
}
function icons(s: string): string[] {
  return [...s.matchAll(ICON)].filter((m) => !m[1]).map((m) => m[2]);
}

const HOSTILE = [
  '[Click to repair](command:workbench.action.terminal.sendSequence?%7B%22text%22%3A%22rm%22%7D)',
  'cannot open x.model.json: weights.inline["[fix](command:workbench.action.reloadWindow)"]: no such field',
  '[a](https://evil.example) and [b](file:///etc/passwd) and [c](COMMAND:x "title")',
  'a [[x](command:y)',
  'icon $(loading~spin) and $(error) in a name',
];

test('hostile text: VS Code finds neither a link nor an icon in it after uiText (and does before)', () => {
  for (const s of HOSTILE) {
    assert.ok(links(s).length + icons(s).length > 0, `the reference parsers see something in ${s}`);
    const t = uiText(s);
    assert.deepEqual(links(t), [], t);
    assert.deepEqual(icons(t), [], t);
  }
});

test('ordinary text is unchanged: JSON paths with brackets, tensor names, parentheses', () => {
  for (const s of [
    'Attention: tiny.model.json: weights.inline["a.b"].data: base64 text (A–Z a–z 0–9 + /, length a multiple of 4)',
    'encoder.layers[0].self_attn.q.weight: shape [8, 8]; found [4, 8]',
    'config.heads: a divisor of config.d_model 8 (head size = d_model / heads); found 3',
  ]) {
    assert.equal(uiText(s), s);
  }
});

test('control and bidi-override characters become spaces; long text is cut with an ellipsis', () => {
  assert.equal(uiText('a\nb\u0000c\u202ed\u2067e'), 'a b c d e');
  const long = uiText('x'.repeat(5000));
  assert.equal(long.length, MAX_UI_TEXT);
  assert.ok(long.endsWith('…'));
  // A link cut by the cap is still broken.
  assert.deepEqual(links(uiText(`${'y'.repeat(MAX_UI_TEXT - 10)}[go](command:x)`)), []);
});

test('no file of src/ shows a notification except through notify.ts (which applies uiText)', () => {
  const offenders: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts') && !p.endsWith(`${path.sep}notify.ts`)) {
        if (/show(Error|Warning|Information)Message\s*\(/.test(fs.readFileSync(p, 'utf8'))) offenders.push(path.relative(ROOT, p));
      }
    }
  };
  walk(path.join(ROOT, 'src'));
  assert.deepEqual(offenders, []);
});
