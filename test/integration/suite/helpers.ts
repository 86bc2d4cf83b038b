// Shared by the entry-point suites: the extension's API, a scripted Prompter (answers the quick
// picks a person would answer), and polling. Only *types* come from src/: the test bundle has its
// own copies of src modules, so every live object is reached through the extension's exports.
import * as assert from 'assert';
import * as path from 'path';
import * as vscode from 'vscode';
import type { AttentionInspectorApi } from '../../../src/extension';
import type { Prompter } from '../../../src/prompts';

export const EXTENSION_ID = 'attention-inspector.attention-inspector';

export async function api(): Promise<AttentionInspectorApi> {
  const ext = vscode.extensions.getExtension<AttentionInspectorApi>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} not loaded`);
  return ext.activate();
}

export async function waitFor<T>(
  what: string,
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** One answer per question, in order: a label (or a predicate) to pick, typed text, or undefined (Escape). */
export type Answer = { pick: string | RegExp } | { type: string } | { first: true } | { escape: true };

export interface ScriptedPrompter extends Prompter {
  /** Titles of the questions asked, in order. */
  asked: string[];
  /** Answers not used (a test asserts this is empty). */
  left(): number;
}

export function scripted(...answers: Answer[]): ScriptedPrompter {
  const queue = [...answers];
  const asked: string[] = [];
  const choose = <T extends vscode.QuickPickItem>(items: T[], title: string): T | string | undefined => {
    asked.push(title);
    const a = queue.shift();
    if (!a) throw new Error(`unexpected question "${title}" (no answer scripted); items: ${items.map((i) => i.label).join(' | ')}`);
    if ('escape' in a) return undefined;
    if ('type' in a) return a.type;
    if ('first' in a) return items[0];
    const found = items.find((i) =>
      typeof a.pick === 'string' ? i.label.includes(a.pick) || (i.description ?? '').includes(a.pick) : a.pick.test(i.label),
    );
    if (!found) throw new Error(`"${title}": no item matches ${String(a.pick)}; items: ${items.map((i) => i.label).join(' | ')}`);
    return found;
  };
  return {
    asked,
    left: () => queue.length,
    pick: async (items, options) => {
      const r = choose(items, options.title ?? options.placeHolder ?? '?');
      if (typeof r === 'string') throw new Error(`"${options.title}" is a plain pick; cannot type "${r}"`);
      return r;
    },
    pickOrType: async (items, options) => choose(items, options.title),
    openDialog: async () => {
      asked.push('open dialog');
      return undefined;
    },
  };
}

/** The example model the suites use: rnn-reverse-additive when present, else the first model file. */
export async function exampleModel(): Promise<vscode.Uri> {
  const found = await vscode.workspace.findFiles('**/*.model.json', '**/node_modules/**');
  assert.ok(found.length, 'no *.model.json in the test workspace (examples/)');
  return (
    found.find((u) => path.basename(u.fsPath) === 'rnn-reverse-additive.model.json') ??
    found.sort((a, b) => a.fsPath.localeCompare(b.fsPath))[0]
  );
}

/** Forget every run and close the inspector, so a command starts with no prior state. */
export async function resetState(a: AttentionInspectorApi): Promise<void> {
  a.runner.current = undefined;
  a.runner.lastInput = undefined;
  a.runner.lastResult = undefined;
  a.runner.resultModel = undefined;
  a.runner.lastError = undefined;
  a.inspector()?.dispose();
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}
