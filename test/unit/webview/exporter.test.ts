// SVG export's text escaping (webview/inspector/exporter.ts) in plain Node: whatever a token holds,
// the escaped text is XML 1.0 character data. The webview case "export: SVG stays well-formed"
// checks the whole file with Chromium's strict XML parser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeXml } from '../../../webview/inspector/exporter';

/** XML 1.0's Char production (https://www.w3.org/TR/xml/#charsets), code point by code point. */
function xmlChars(s: string): boolean {
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    const ok =
      c === 0x9 || c === 0xa || c === 0xd || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);
    if (!ok) return false;
  }
  return true;
}

test('control characters and lone surrogates are dropped; markup is escaped; the rest is kept', () => {
  const token = 'a\u0001b\uD800c\uDFFFd\u0000\u001F\uFFFE\uFFFF<&>';
  const out = escapeXml(token);
  assert.ok(xmlChars(out), JSON.stringify(out));
  assert.equal(out, 'abcd&lt;&amp;&gt;');
});

test('tab, newline, astral characters (a surrogate pair) and private-use code points stay', () => {
  const token = 'x\ty\nz 😀 \uE000 é';
  assert.equal(escapeXml(token), token);
});
