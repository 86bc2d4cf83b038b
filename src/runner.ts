// Runs a model in the engine with a progress notification that has Cancel, and shows the result
// (or the error, keeping the previous result visible) in the inspector panel.
import * as vscode from 'vscode';
import * as path from 'node:path';
import type { EngineHost } from './engineHost';
import type { Part, RunInput, RunResult } from './engine/types';
import { InspectorPanel } from './panels/inspectorPanel';

export interface HeadRef {
  part: Part;
  layer: number;
  head: number;
}

export class Runner {
  /** The model of the last run (commands without a model argument reuse it). */
  current?: string;
  lastResult?: RunResult;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly engine: EngineHost,
  ) {}

  /** Runs the file's first example (or asks for input when it has none). */
  async runExample(modelPath: string, head?: HeadRef): Promise<RunResult | undefined> {
    let summary;
    try {
      summary = await this.engine.info(modelPath);
    } catch (e) {
      this.report(modelPath, e as Error);
      return undefined;
    }
    const ex = summary.examples[0];
    if (!ex) return this.runWithPrompt(modelPath);
    return this.run(modelPath, { text: ex.text, ids: ex.ids, targetText: ex.targetText, targetIds: ex.targetIds }, head);
  }

  async runWithPrompt(modelPath: string): Promise<RunResult | undefined> {
    const text = await vscode.window.showInputBox({
      title: `Attention: run ${path.basename(modelPath)}`,
      prompt: 'Input text (tokenized by the model), or ids as "ids: 1, 2, 3"',
      ignoreFocusOut: true,
    });
    if (text === undefined) return undefined;
    const m = /^ids:\s*(.*)$/i.exec(text.trim());
    const input: RunInput = m ? { ids: m[1].split(/[\s,]+/).filter(Boolean).map(Number) } : { text };
    return this.run(modelPath, input);
  }

  async run(modelPath: string, input: RunInput, head?: HeadRef): Promise<RunResult | undefined> {
    const maxTokens = vscode.workspace.getConfiguration('attentionInspector').get<number>('maxSequenceLength', 1024);
    input = { ...input, maxTokens };
    this.current = modelPath;
    try {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Attention: running ${path.basename(modelPath)}`, cancellable: true },
        (progress, token) => {
          const handle = this.engine.run(modelPath, input, (p) => progress.report({ message: p.message }));
          token.onCancellationRequested(() => handle.cancel());
          return handle;
        },
      );
      this.lastResult = result;
      InspectorPanel.show(this.context.extensionUri, result, `${result.model.name} — ${describeInput(result)}`);
      return result;
    } catch (e) {
      this.report(modelPath, e as Error);
      return undefined;
    }
  }

  private report(modelPath: string, e: Error): void {
    if (e.name === 'CancelledError') {
      void vscode.window.showInformationMessage('Attention: run cancelled.');
      return;
    }
    const msg = e.message;
    InspectorPanel.showError(this.context.extensionUri, msg);
    void vscode.window.showErrorMessage(`Attention: ${path.basename(modelPath)}: ${msg}`);
  }
}

/** Panel title: the first source tokens, so two runs of one model can be told apart. */
function describeInput(r: RunResult): string {
  const words = r.tokens.source.slice(0, 6).join(' ');
  return r.tokens.source.length > 6 ? `${words} …` : words;
}
