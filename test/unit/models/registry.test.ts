// The architecture registry: one descriptor per family, and every view kind a descriptor names
// has a renderer in the inspector's list of views.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { architectureNames, findArchitecture, registerArchitecture } from '../../../src/engine/models/registry';
import { APP_RENDERERS } from '../../../webview/inspector/archViews/index';

test('the built-in families are registered once each, by the names model files use', () => {
  const names = architectureNames();
  const builtIn = ['transformer', 'universal', 'tdmca', 'rnn-seq2seq', 'narm', 'attention-rnn'];
  for (const n of [...builtIn, 'show-attend-tell', 'image-transformer', 'sentence-encoder']) {
    assert.equal(findArchitecture(n)?.name, n, n);
  }
  assert.equal(new Set(names).size, names.length);
  assert.throws(() => registerArchitecture(findArchitecture('narm')!), /registered already/);
});

test('every view kind a descriptor names is drawn by the inspector (webview/inspector/archViews/)', () => {
  for (const n of architectureNames()) {
    for (const kind of findArchitecture(n)!.viewKinds ?? []) assert.ok(APP_RENDERERS[kind], `${n}: no renderer for app kind "${kind}"`);
  }
});
