// "Show Safetensors Header": a read-only text document listing a .safetensors file's tensors with
// dtype, shape and size, grouped by layer, with per-head weight norms of the attention projections
// when the head count is known. Served by a content provider, so nothing is written to disk. The
// engine's worker reads the files (a FIFO or a huge file must not stall the host's main thread).
import * as vscode from 'vscode';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatHeader } from './safetensorsHeader';
import type { EngineHost } from '../engineHost';
import type { Runner } from '../runner';
import { uiText } from '../uiText';

export const HEADER_SCHEME = 'attention-safetensors';

export class SafetensorsHeaderProvider implements vscode.TextDocumentContentProvider {
  constructor(private readonly engine: EngineHost) {}

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const heads = Number(new URLSearchParams(uri.query).get('heads')) || undefined;
    try {
      return formatHeader(await this.engine.header(uri.fsPath, heads));
    } catch (e) {
      return `Cannot read the header of ${uri.fsPath}:\n${(e as Error).message}`;
    }
  }
}

/**
 * The model these weights belong to and its heads per layer: the run on screen if its weights
 * live in `file`'s folder, else a *.model.json beside the file that names it as its sidecar.
 */
async function knownModel(file: string, runner: Runner, engine: EngineHost): Promise<{ model: string; heads?: number } | undefined> {
  const r = runner.lastResult;
  const model = runner.resultModel;
  if (r && model && path.dirname(file) === (model.endsWith('.json') ? path.dirname(model) : model)) {
    const heads = r.model.details.heads;
    return { model, ...(typeof heads === 'number' ? { heads } : {}) };
  }
  const dir = path.dirname(file);
  let names: string[];
  try {
    names = (await fs.promises.readdir(dir)).filter((n) => n.endsWith('.model.json'));
  } catch {
    return undefined;
  }
  for (const n of names) {
    try {
      const facts = await engine.modelFile(path.join(dir, n));
      if (facts.safetensors === undefined || !(await sameFile(facts.safetensors, file))) continue;
      return { model: path.join(dir, n), ...(facts.heads !== undefined ? { heads: facts.heads } : {}) };
    } catch {
      continue; // an unreadable neighbour is not this file's model
    }
  }
  return undefined;
}

/** Whether two paths name the same file (the engine gives a sidecar's real path, symlinks followed). */
async function sameFile(a: string, b: string): Promise<boolean> {
  const real = (p: string) => fs.promises.realpath(p).catch(() => path.resolve(p));
  return (await real(a)) === (await real(b));
}

export async function showSafetensorsHeader(
  arg: vscode.Uri | undefined,
  runner: Runner,
  engine: EngineHost,
): Promise<vscode.TextDocument | undefined> {
  let file = arg instanceof vscode.Uri ? arg.fsPath : undefined;
  if (!file) {
    const found = await vscode.workspace.findFiles('**/*.safetensors', '**/node_modules/**', 200);
    const items = found.map((u) => ({
      label: uiText(path.basename(u.fsPath)),
      description: uiText(vscode.workspace.asRelativePath(u)),
      uri: u,
    }));
    const browse = { label: '$(folder-opened) Browse…', description: '', uri: undefined as vscode.Uri | undefined };
    const pick = await runner.prompter.pick([...items, browse], {
      title: 'Attention: Show Safetensors Header',
      placeHolder: 'A .safetensors file',
    });
    if (!pick) return undefined;
    file =
      pick.uri?.fsPath ??
      (await runner.prompter.openDialog({ canSelectMany: false, filters: { Safetensors: ['safetensors'] } }))?.[0]?.fsPath;
    if (!file) return undefined;
  }
  const known = await knownModel(file, runner, engine);
  const query = new URLSearchParams();
  if (known?.heads) query.set('heads', String(known.heads));
  if (known) query.set('model', known.model);
  const uri = vscode.Uri.file(file).with({ scheme: HEADER_SCHEME, query: query.toString() });
  const doc = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(doc, { preview: true });
  return doc;
}
