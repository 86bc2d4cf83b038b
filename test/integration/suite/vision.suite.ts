// ViT / DeiT in the real extension host: opening the folder asks for an image (never for text),
// from the workspace's PNG/JPEG files or Browse…; the run shows [CLS] ([DIST]) and the patches and
// carries the vit-image view.
import * as assert from 'assert';
import * as path from 'path';
import * as vscode from 'vscode';
import type { AttentionInspectorApi } from '../../../src/extension';
import type { Prompter } from '../../../src/prompts';
import { EXTENSION_ID, api, resetState } from './helpers';

suite('Vision transformers (ViT, DeiT)', () => {
  let a: AttentionInspectorApi;
  const fixtures = () => path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'test', 'fixtures', 'hf-vision');
  setup(() => resetState(a));
  suiteSetup(async () => (a = await api()));
  teardown(() => a.setPrompter(undefined));

  /** Answers the image question with Browse… → the fixture PNG; any text question fails the test. */
  function imagePrompter(asked: string[]): Prompter {
    return {
      pick: async (items, options) => {
        asked.push(options.placeHolder ?? '');
        return items.find((i) => i.label.includes('Browse'));
      },
      pickOrType: async (_items, options) => {
        throw new Error(`a vision model was asked for text: "${options.title}"`);
      },
      openDialog: async (options) => {
        assert.deepStrictEqual(options.filters, { Images: ['png', 'jpg', 'jpeg'] });
        return [vscode.Uri.file(path.join(fixtures(), 'image.png'))];
      },
    };
  }

  for (const [name, specials] of [
    ['deit', ['[CLS]', '[DIST]']],
    ['vit', ['[CLS]']],
  ] as const) {
    test(`opening the ${name} folder asks for an image and shows ${specials.join(' and ')} over the patches`, async () => {
      const asked: string[] = [];
      a.setPrompter(imagePrompter(asked));
      await vscode.commands.executeCommand('attentionInspector.openModel', vscode.Uri.file(path.join(fixtures(), name, 'config.json')));
      const r = a.runner.lastResult;
      assert.ok(r, `a run (error: ${a.runner.lastError ?? 'none'})`);
      assert.ok(a.inspector(), 'the inspector panel is open');
      assert.match(asked[0], /reads an image, not text: choose a PNG or JPEG/);
      assert.deepStrictEqual(r.tokens.source.slice(0, specials.length + 1), [...specials, 'patch (0,0)']);
      assert.strictEqual(r.app?.kind, 'vit-image');
      assert.strictEqual(r.attentions.length, 2);
      assert.strictEqual(r.model.image?.height, name === 'vit' ? 32 : 24);
    });
  }
});
