// Head ↔ weights: CodeLenses that go from the tensors of a layer to its heads in the inspector.
// In a project model JSON (opened as text): "Inspect <part> layer L heads" above the first
// attention tensor of each layer (inline weights), above encoder_layers / decoder_layers, and
// "Show Safetensors Header" on the sidecar line. In the safetensors header view: one lens per layer.
import * as vscode from 'vscode';
import * as path from 'node:path';
import type { Part } from '../engine/types';
import { HEADER_SCHEME } from '../sidebar/safetensorsDocument';

const TENSOR = /"?((encoder|decoder)\.layers\.(\d+))\.(self_attn|cross_attn)\.q\.weight"?/;
const LAYERS = /"(encoder|decoder)_layers"\s*:\s*(\d+)/;
const SIDECAR = /"safetensors"\s*:\s*"([^"]+)"/;
const RNN_ATTN = /"attention\.(W|W1|v)"\s*:/;
const HEADER_GROUP = /^── ((encoder|decoder)\.layers\.(\d+)) ──$/;

function partOf(stack: string, attn: string): Part {
  return attn === 'cross_attn' ? 'cross' : stack === 'decoder' ? 'decoder' : 'encoder';
}

const NAMES: Record<Part, string> = { encoder: 'encoder', decoder: 'decoder self-attention', cross: 'cross-attention' };

function headLens(range: vscode.Range, model: vscode.Uri, part: Part, layer: number): vscode.CodeLens {
  return new vscode.CodeLens(range, {
    title: `$(eye) Inspect ${NAMES[part]} layer ${layer} heads`,
    command: 'attentionInspector.openHead',
    arguments: [{ uri: model, part, layer, head: 0 }],
  });
}

export class ModelCodeLensProvider implements vscode.CodeLensProvider {
  static selector: vscode.DocumentSelector = [{ pattern: '**/*.model.json' }, { scheme: HEADER_SCHEME }];

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    return doc.uri.scheme === HEADER_SCHEME ? this.headerLenses(doc) : this.jsonLenses(doc);
  }

  private jsonLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const out: vscode.CodeLens[] = [];
    const seen = new Set<string>();
    let rnnDone = false;
    for (let i = 0; i < doc.lineCount; i++) {
      const line = doc.lineAt(i);
      const text = line.text;
      let m: RegExpExecArray | null;
      if ((m = LAYERS.exec(text))) {
        const part: Part = m[1] === 'decoder' ? 'decoder' : 'encoder';
        out.push(headLens(line.range, doc.uri, part, 0));
      } else if ((m = SIDECAR.exec(text))) {
        const file = vscode.Uri.file(path.resolve(path.dirname(doc.uri.fsPath), m[1]));
        out.push(
          new vscode.CodeLens(line.range, {
            title: '$(list-tree) Show Safetensors Header',
            command: 'attentionInspector.showSafetensorsHeader',
            arguments: [file],
          }),
        );
      } else if ((m = TENSOR.exec(text))) {
        const part = partOf(m[2], m[4]);
        const key = `${part}.${m[3]}`;
        if (!seen.has(key)) {
          seen.add(key);
          out.push(headLens(line.range, doc.uri, part, Number(m[3])));
        }
      } else if (!rnnDone && RNN_ATTN.test(text)) {
        rnnDone = true;
        out.push(headLens(line.range, doc.uri, 'cross', 0));
      }
    }
    return out;
  }

  private headerLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const model = new URLSearchParams(doc.uri.query).get('model');
    if (!model) return [];
    const uri = vscode.Uri.file(model);
    const out: vscode.CodeLens[] = [];
    for (let i = 0; i < doc.lineCount; i++) {
      const m = HEADER_GROUP.exec(doc.lineAt(i).text);
      if (!m) continue;
      const layer = Number(m[3]);
      const range = doc.lineAt(i).range;
      if (m[2] === 'encoder') out.push(headLens(range, uri, 'encoder', layer));
      else {
        out.push(headLens(range, uri, 'decoder', layer));
        // Cross-attention exists only in an encoder-decoder; the header says so by its tensors.
        if (doc.getText().includes(`${m[1]}.cross_attn.`)) out.push(headLens(range, uri, 'cross', layer));
      }
    }
    return out;
  }
}
