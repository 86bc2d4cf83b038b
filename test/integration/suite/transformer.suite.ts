// The entry points on a Transformer encoder–decoder (examples/transformer-reverse): the stepper and
// the positional encoding exist, the tree shows each head's weight norms, and the header view of
// its sidecar offers one lens per layer and per-head norms. The example is committed: absent is a failure.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { AttentionInspectorApi } from '../../../src/extension';
import { api, resetState, scripted } from './helpers';

suite('Transformer example', () => {
  let a: AttentionInspectorApi;
  let model: vscode.Uri | undefined;

  suiteSetup(async () => {
    a = await api();
    model = (await vscode.workspace.findFiles('**/transformer-reverse.model.json'))[0];
    assert.ok(model, 'examples/transformer-reverse.model.json is not in the workspace (it is committed)');
  });
  setup(() => resetState(a));
  teardown(() => a.setPrompter(undefined));

  test('Step Decoder and Show Positional Encoding open their views', async () => {
    a.setPrompter(scripted({ pick: 'transformer-reverse.model.json' }));
    assert.strictEqual(await vscode.commands.executeCommand('attentionInspector.stepDecoder'), true);
    assert.ok(a.runner.lastResult?.positional, 'a sinusoidal model reports its positional encoding');
    assert.strictEqual(await vscode.commands.executeCommand('attentionInspector.showPositionalEncoding'), true);
  });

  test("the extension host's engine runs on the native kernels where the CPU has AVX-512 or AVX2, and says so", async () => {
    a.setPrompter(scripted({ pick: 'transformer-reverse.model.json' }));
    assert.strictEqual(await vscode.commands.executeCommand('attentionInspector.stepDecoder'), true);
    const e = a.runner.lastResult?.engine;
    assert.ok(e, 'the run carries how the engine ran it');
    const cpu = fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '';
    // The module needs the whole AVX-512 set it was built for, or AVX2 with FMA.
    const has = (f: string) => new RegExp(`\\b${f}\\b`).test(cpu);
    if (process.arch === 'x64' && ['avx512f', 'avx512dq', 'avx512bw', 'avx512vl'].every(has))
      assert.strictEqual(e.kernels, 'native AVX-512');
    else if (process.arch === 'x64' && has('avx2') && has('fma')) assert.strictEqual(e.kernels, 'native AVX2');
    else assert.match(e.kernels, /^WASM/);
    assert.ok(e.threads >= 1 && e.ms > 0);
  });

  test('tree heads carry the norms of their W_Q/W_K/W_V/W_O slices', async () => {
    const roots = await a.tree.getChildren();
    const node = roots.find((n) => n.kind === 'model' && n.uri.fsPath === model!.fsPath)!;
    const parts = await a.tree.getChildren(node);
    const layers = await a.tree.getChildren(parts[0]);
    const heads = await a.tree.getChildren(layers[0]);
    assert.strictEqual(heads.length, 4);
    const item = a.tree.getTreeItem(heads[1]);
    assert.match(String(item.description), /‖WQ‖ \d+\.\d\d ‖WK‖ \d+\.\d\d ‖WV‖ \d+\.\d\d ‖WO‖ \d+\.\d\d/);
  });

  test('the sidecar header lists per-head norms and a lens per layer that opens its heads', async () => {
    const side = vscode.Uri.file(path.join(path.dirname(model!.fsPath), 'transformer-reverse.safetensors'));
    assert.ok(fs.existsSync(side.fsPath));
    const doc = (await vscode.commands.executeCommand('attentionInspector.showSafetensorsHeader', side)) as vscode.TextDocument;
    assert.match(doc.getText(), /encoder\.layers\.0\.self_attn\.q\.weight\s+F32\s+\[32, 32\]/);
    assert.match(doc.getText(), /per-head ‖W‖: h1 \d+\.\d{3}\s+h2 \d+\.\d{3}\s+h3 \d+\.\d{3}\s+h4 \d+\.\d{3}/);
    const lenses = (await vscode.commands.executeCommand('vscode.executeCodeLensProvider', doc.uri, 10)) as vscode.CodeLens[];
    const titles = lenses.map((l) => l.command?.title ?? '');
    assert.deepStrictEqual(
      titles.filter((t) => t.includes('encoder layer')),
      ['$(eye) Inspect encoder layer 0 heads', '$(eye) Inspect encoder layer 1 heads'],
    );
    assert.strictEqual(titles.filter((t) => t.includes('cross-attention')).length, 2);
    const lens = lenses.find((l) => l.command?.title.includes('cross-attention layer 1'))!;
    await vscode.commands.executeCommand(lens.command!.command, ...(lens.command!.arguments ?? []));
    assert.strictEqual(a.runner.resultModel, model!.fsPath, 'the lens ran the model the weights belong to');
    assert.ok(a.inspector());
  });

  test("Reveal Weights from a head goes to its layer's q projection in the header view", async () => {
    const ed = (await vscode.commands.executeCommand('attentionInspector.revealWeights', {
      uri: model!,
      part: 'cross',
      layer: 1,
      head: 2,
    })) as vscode.TextEditor;
    assert.ok(ed, 'an editor is shown');
    assert.strictEqual(ed.document.uri.scheme, 'attention-safetensors');
    assert.strictEqual(ed.document.getText(ed.selection), 'decoder.layers.1.cross_attn.q.weight');
    const ext = vscode.extensions.getExtension('attention-inspector.attention-inspector')!;
    const ctx = ext.packageJSON.contributes.menus['view/item/context'] as { command: string; when: string }[];
    assert.ok(
      ctx.some((m) => m.command === 'attentionInspector.revealWeights' && m.when.includes('viewItem == head')),
      'offered on tree heads',
    );
  });
});
