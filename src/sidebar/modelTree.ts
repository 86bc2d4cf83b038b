// Side panel tree: the models found in the workspace → their attention parts → layers → heads.
// Structure comes from the engine's summary (read in the worker), so the tree never loads weights
// on the UI thread. Refreshes when model files change.
import * as vscode from 'vscode';
import * as path from 'node:path';
import type { EngineHost } from '../engineHost';
import type { ModelSummary, Part } from '../engine/types';
import { cachedModels, type CachedModel } from './hfCache';
import { kvHeadOf } from '../../common/headData';

export const MODEL_GLOBS = ['**/*.model.json', '**/config.json'];

export type ModelNode =
  | { kind: 'model'; uri: vscode.Uri; summary?: ModelSummary; error?: string; cached?: CachedModel }
  | { kind: 'part'; uri: vscode.Uri; part: Part; layers: number; heads: number; kvHeads?: number }
  | { kind: 'layer'; uri: vscode.Uri; part: Part; layer: number; heads: number; kvHeads?: number }
  | {
      kind: 'head';
      uri: vscode.Uri;
      part: Part;
      layer: number;
      head: number;
      kv?: number;
      norms?: { q?: number; k?: number; v?: number; o?: number };
    };

/** A Hugging Face folder's config.json counts only with its weights (one file or sharded) beside it. */
export async function findModels(): Promise<vscode.Uri[]> {
  const found: vscode.Uri[] = [];
  for (const glob of MODEL_GLOBS) {
    for (const uri of await vscode.workspace.findFiles(glob, '**/node_modules/**', 200)) {
      if (uri.path.endsWith('/config.json')) {
        const stat = (f: string) => Promise.resolve(vscode.workspace.fs.stat(vscode.Uri.joinPath(uri, '..', f))).catch(() => undefined);
        if (!(await stat('model.safetensors')) && !(await stat('model.safetensors.index.json'))) continue;
      }
      found.push(uri);
    }
  }
  return found.sort((a, b) => a.fsPath.localeCompare(b.fsPath));
}

/** Parts, layer counts and head counts as the engine describes them (from the config: engine/models/parts.ts). */
export function partsOf(s: ModelSummary): { part: Part; layers: number; heads: number; kvHeads?: number }[] {
  return s.parts.map((p) => ({ ...p }));
}

/** The local Hugging Face cache's snapshots, unless attentionInspector.listHuggingFaceCache is off. */
export async function findCachedModels(): Promise<CachedModel[]> {
  return cachedModels(vscode.workspace.getConfiguration('attentionInspector').get('listHuggingFaceCache'));
}

export function modelPathOf(uri: vscode.Uri): string {
  // The engine opens an HF folder by its directory.
  return uri.fsPath.endsWith(`${path.sep}config.json`) ? path.dirname(uri.fsPath) : uri.fsPath;
}

export class ModelTreeProvider implements vscode.TreeDataProvider<ModelNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ModelNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly watchers: vscode.Disposable[];
  private summaries = new Map<string, Promise<ModelNode>>();

  constructor(private readonly engine: EngineHost) {
    const files = [...MODEL_GLOBS, '**/*.safetensors', '**/model.safetensors.index.json'].map((g) =>
      vscode.workspace.createFileSystemWatcher(g),
    );
    this.watchers = files;
    for (const w of files) {
      w.onDidCreate(() => this.refresh());
      w.onDidChange(() => this.refresh());
      w.onDidDelete(() => this.refresh());
    }
    const setting = 'attentionInspector.listHuggingFaceCache';
    this.watchers.push(vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration(setting) && this.refresh()));
  }

  refresh(): void {
    this.summaries.clear();
    this.changed.fire(undefined);
  }

  dispose(): void {
    this.watchers.forEach((w) => w.dispose());
    this.changed.dispose();
  }

  private modelNode(uri: vscode.Uri, cached?: CachedModel): Promise<ModelNode> {
    let p = this.summaries.get(uri.toString());
    if (!p) {
      p = this.engine.info(modelPathOf(uri)).then(
        (summary): ModelNode => ({ kind: 'model', uri, summary, cached }),
        (e: Error): ModelNode => ({ kind: 'model', uri, error: e.message, cached }),
      );
      this.summaries.set(uri.toString(), p);
    }
    return p;
  }

  async getChildren(node?: ModelNode): Promise<ModelNode[]> {
    if (!node) {
      const [found, cached] = await Promise.all([findModels(), findCachedModels()]);
      const inCache = cached.map((c) => this.modelNode(vscode.Uri.file(path.join(c.dir, 'config.json')), c));
      return Promise.all([...found.map((u) => this.modelNode(u)), ...inCache]);
    }
    switch (node.kind) {
      case 'model':
        return node.summary ? partsOf(node.summary).map((p) => ({ kind: 'part', uri: node.uri, ...p })) : [];
      case 'part':
        return Array.from({ length: node.layers }, (_, layer) => ({
          kind: 'layer',
          uri: node.uri,
          part: node.part,
          layer,
          heads: node.heads,
          kvHeads: node.kvHeads,
        }));
      case 'layer': {
        // Head ↔ weights: each head's slice of W_Q, W_K, W_V, W_O, computed by the engine on the loaded model.
        const w = await this.engine.norms(modelPathOf(node.uri), node.part, node.layer, node.heads).catch(() => null);
        const at = (a: number[] | undefined, h: number) => (a ? a[h] : undefined);
        return Array.from({ length: node.heads }, (_, head) => ({
          kind: 'head',
          uri: node.uri,
          part: node.part,
          layer: node.layer,
          head,
          ...(node.kvHeads ? { kv: kvHeadOf(head, node.heads, node.kvHeads) } : {}),
          ...(w ? { norms: { q: at(w.q, head), k: at(w.k, head), v: at(w.v, head), o: at(w.o, head) } } : {}),
        }));
      }
      case 'head':
        return [];
    }
  }

  getTreeItem(node: ModelNode): vscode.TreeItem {
    const C = vscode.TreeItemCollapsibleState;
    switch (node.kind) {
      case 'model': {
        const c = node.cached; // a snapshot folder is named by its revision hash: show the repository instead
        const label = c
          ? `${c.repo}${c.revisions > 1 ? ` @ ${c.revision.slice(0, 8)}` : ''}`
          : (node.summary?.name ?? path.basename(modelPathOf(node.uri)));
        const item = new vscode.TreeItem(label, node.error ? C.None : C.Collapsed);
        item.description = `${c ? 'HF cache · ' : ''}${node.error ? 'cannot open' : `${node.summary!.architecture} · ${node.summary!.kind}`}`;
        item.tooltip = node.error ?? `${node.uri.fsPath}\n${node.summary!.parameters.toLocaleString('en-US')} parameters`;
        item.iconPath = new vscode.ThemeIcon(node.error ? 'error' : 'symbol-class');
        item.contextValue = 'model';
        item.command = { command: 'attentionInspector.openModel', title: 'Open Model', arguments: [node.uri] };
        return item;
      }
      case 'part': {
        const names = {
          encoder: 'Encoder self-attention',
          decoder: 'Decoder self-attention (causal)',
          cross: 'Cross-attention (Q: decoder, K/V: encoder)',
        };
        const item = new vscode.TreeItem(names[node.part], C.Collapsed);
        item.description = `${node.layers} layer${node.layers === 1 ? '' : 's'} × ${node.heads} head${node.heads === 1 ? '' : 's'}`;
        if (node.kvHeads) item.description += ` sharing ${node.kvHeads} K/V head${node.kvHeads === 1 ? '' : 's'}`;
        return item;
      }
      case 'layer':
        return new vscode.TreeItem(`Layer ${node.layer}`, C.Collapsed); // 0-based, as in the inspector and the tensor names
      case 'head': {
        const item = new vscode.TreeItem(`Head ${node.head}`, C.None);
        item.iconPath = new vscode.ThemeIcon('eye');
        const n = node.norms;
        if (n) {
          const parts = (['q', 'k', 'v', 'o'] as const)
            .filter((k) => n[k] !== undefined)
            .map((k) => `‖W${k.toUpperCase()}‖ ${n[k]!.toFixed(2)}`);
          item.description = parts.join(' ');
          item.tooltip = `Frobenius norm of this head's slice of each projection (rows of W_Q, W_K, W_V; columns of W_O):\n${parts.join('\n')}`;
        }
        // GQA/MQA: the K/V head it reads, ahead of the norms.
        if (node.kv !== undefined) item.description = `K/V head ${node.kv}${item.description ? ` · ${item.description}` : ''}`;
        item.command = { command: 'attentionInspector.openHead', title: 'Open Head', arguments: [node] };
        item.contextValue = 'head';
        return item;
      }
    }
  }
}
