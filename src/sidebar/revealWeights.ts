// Head ↔ weights, "Reveal Weights": from a head (tree item, lens, or a caller with part/layer/head)
// to the tensors that produce it. Project JSON with a sidecar → the safetensors header view at
// that layer's projection; inline weights → the JSON text at the tensor's key.
import * as vscode from 'vscode';
import * as path from 'node:path';
import type { Part } from '../engine/types';
import type { Runner } from '../runner';
import { showSafetensorsHeader } from './safetensorsDocument';
import type { EngineHost } from '../engineHost';
import { notify } from '../notify';

export interface HeadTarget {
  uri: vscode.Uri;
  part: Part;
  layer: number;
  head?: number;
}

/** The name of the query projection of a head's layer, in the project format. */
export function queryTensorName(part: Part, layer: number): string {
  return `${part === 'encoder' ? 'encoder' : 'decoder'}.layers.${layer}.${part === 'cross' ? 'cross_attn' : 'self_attn'}.q.weight`;
}

async function revealLine(editor: vscode.TextEditor, needle: string): Promise<boolean> {
  const text = editor.document.getText();
  const at = text.indexOf(needle);
  if (at < 0) return false;
  const pos = editor.document.positionAt(at);
  editor.selection = new vscode.Selection(pos, editor.document.positionAt(at + needle.length));
  editor.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.AtTop);
  return true;
}

export async function revealWeights(t: HeadTarget, runner: Runner, engine: EngineHost): Promise<vscode.TextEditor | undefined> {
  const file = t.uri.fsPath;
  const name = queryTensorName(t.part, t.layer);
  if (!file.endsWith('.json') || path.basename(file) === 'config.json') {
    void notify.info('Attention: Reveal Weights works for project model JSON files (convert a Hugging Face folder with the CLI first).');
    return undefined;
  }
  let sidecar: string | undefined;
  try {
    sidecar = (await engine.modelFile(file)).safetensors; // read by the worker: capped, regular files only
  } catch (e) {
    void notify.error(`Attention: cannot read ${path.basename(file)}: ${(e as Error).message}`);
    return undefined;
  }
  if (sidecar) {
    const doc = await showSafetensorsHeader(vscode.Uri.file(sidecar), runner, engine);
    const editor = vscode.window.activeTextEditor;
    if (doc && editor?.document === doc && (await revealLine(editor, name))) return editor;
    return editor;
  }
  // Inline weights: the JSON text itself, not the model page.
  const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(t.uri), { preview: true });
  await revealLine(editor, `"${name}"`);
  return editor;
}
