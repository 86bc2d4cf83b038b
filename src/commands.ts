// The palette commands (category "Attention"). Each works with no prior state: what it needs (a
// model, an input) is asked through the runner's Prompter; with a run already shown, it reuses it.
import * as vscode from 'vscode';
import * as path from 'node:path';
import type { EngineHost } from './engineHost';
import type { RunInput, RunResult } from './engine/types';
import type { Inspector } from './panels/inspector';
import type { InspectorView } from '../common/views';
import type { HeadFocus } from '../common/webview';
import { describeInput, inputAsText } from './inputText';
import { pickInput, pickModel } from './prompts';
import type { Runner } from './runner';
import { modelPathOf, type ModelNode } from './sidebar/modelTree';
import { SelectionFollower } from './sidebar/selectionFollower';
import { showSafetensorsHeader } from './sidebar/safetensorsDocument';
import { revealWeights, type HeadTarget } from './sidebar/revealWeights';
import { notify } from './notify';
import { uiText } from './uiText';
import { wireSafe } from './commandResult';

// A run returned to the workbench (palette) crosses as JSON: see wireSafe.
const cmd = (id: string, fn: (...args: never[]) => unknown) =>
  vscode.commands.registerCommand(`attentionInspector.${id}`, async (...args: never[]) => wireSafe(await fn(...args)));

export function registerCommands(inspector: Inspector, engine: EngineHost, runner: Runner): vscode.Disposable[] {
  const pick = () => pickModel(runner.prompter);
  const modelFrom = async (arg: unknown) => (arg instanceof vscode.Uri ? modelPathOf(arg) : pick());
  const follower = new SelectionFollower(runner, pick);

  /** Runs (asking for a model when nothing ran yet), then switches the panel to `view` if the model has it. */
  async function openView(view: InspectorView, fits: (r: RunResult) => boolean, missing: (r: RunResult) => string): Promise<boolean> {
    const result = await runner.ensureResult(pick);
    if (!result) return false;
    if (!fits(result) || !inspector.showView(view)) {
      void notify.info(`Attention: ${missing(result)}`);
      return false;
    }
    return true;
  }

  return [
    follower,
    cmd('openModel', async (arg?: vscode.Uri) => {
      const model = await modelFrom(arg);
      return model ? runner.runExample(model) : undefined;
    }),
    cmd('runWithInput', async (arg?: vscode.Uri) => {
      const model = arg instanceof vscode.Uri ? modelPathOf(arg) : (runner.current ?? (await pick()));
      return model ? runner.askAndRun(model) : undefined;
    }),
    cmd('runOnSelection', async () => {
      const editor = vscode.window.activeTextEditor;
      const text = editor?.document.getText(editor.selection).trim();
      if (!text) {
        void notify.warning('Attention: select some text in an editor first; it becomes the model input.');
        return undefined;
      }
      const model = runner.current ?? (await pick());
      return model ? runner.run(model, { text }) : undefined;
    }),
    cmd('toggleFollowSelection', () => follower.toggle()),
    cmd('stepDecoder', () =>
      openView(
        'stepper',
        (r) => r.attentions.some((a) => a.part !== 'encoder'),
        (r) => `${r.model.name} has no decoder to step through (it is ${r.model.kind === 'encoder' ? 'an encoder' : `a ${r.model.kind}`}).`,
      ),
    ),
    cmd('showPositionalEncoding', () =>
      openView(
        'positional',
        (r) => r.positional !== undefined,
        (r) => `${r.model.name} adds no fixed positional encoding (positions: ${String(r.model.details.positions ?? 'none')}).`,
      ),
    ),
    cmd('compareInputs', () => compare(inspector, runner)),
    cmd('exportView', async () => {
      if (!(await runner.ensureResult(pick))) return undefined;
      const file = await inspector.exportView();
      if (file) void notify.info(`Attention: exported ${path.basename(file)}`);
      return file;
    }),
    cmd('cancelRun', () => {
      const cancelled = runner.cancelCurrent();
      if (!cancelled) void notify.info('Attention: no run is going on.');
      return cancelled;
    }),
    cmd('restartEngine', async () => {
      await engine.restart();
      void notify.info('Attention engine restarted.');
    }),
    cmd('openHead', async (node: Pick<ModelNode & { kind: 'head' }, 'uri' | 'part' | 'layer' | 'head'>) => {
      const focus: HeadFocus = { part: node.part, layer: node.layer, head: node.head };
      const model = modelPathOf(node.uri);
      // A head of the last run opens at once (live runs may not have opened the panel yet);
      // another model's head needs a run first.
      if (runner.resultModel === model && runner.lastResult) {
        if (!inspector.focusHead(focus)) runner.showLast(focus);
        return runner.lastResult;
      }
      return runner.runExample(model, { focus });
    }),
    cmd('showSafetensorsHeader', async (arg?: vscode.Uri) => showSafetensorsHeader(arg, runner, engine)),
    cmd('revealWeights', async (t?: HeadTarget) => {
      if (t?.uri instanceof vscode.Uri) return revealWeights(t, runner, engine);
      void notify.info('Attention: Reveal Weights starts from a head — right-click one in the Models tree.');
      return undefined;
    }),
  ];
}

/** Compare Inputs…: two inputs on one model, or two models on one input → the attention diff. */
async function compare(inspector: Inspector, runner: Runner): Promise<boolean> {
  const modes = [
    { label: 'Two inputs on one model', description: 'how the attention changes with the input', two: 'inputs' as const },
    { label: 'Two models on one input', description: 'e.g. before / after fine-tuning', two: 'models' as const },
  ];
  const mode = await runner.prompter.pick(modes, { title: 'Attention: Compare', placeHolder: 'What to compare' });
  if (!mode) return false;
  const modelA = await pickModel(runner.prompter, mode.two === 'models' ? 'Attention: first model (A)' : 'Attention: model');
  if (!modelA) return false;
  const summaryA = await runner.summary(modelA);
  if (!summaryA) return false;
  let modelB = modelA;
  if (mode.two === 'models') {
    const b = await pickModel(runner.prompter, 'Attention: second model (B)');
    if (!b || !(await runner.summary(b))) return false;
    modelB = b;
  }
  const inputA = await pickInput(
    runner.prompter,
    summaryA,
    mode.two === 'inputs' ? 'Attention: first input (A)' : 'Attention: input for both models',
  );
  if (!inputA) return false;
  const inputB: RunInput | undefined =
    mode.two === 'inputs' ? await pickInput(runner.prompter, summaryA, 'Attention: second input (B)') : inputA;
  if (!inputB) return false;
  let results: [RunResult, RunResult];
  try {
    results = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Attention: running both sides', cancellable: true },
      async (progress, token) => {
        const a = runner.start(modelA, inputA, (message) => progress.report({ message: uiText(`A: ${message}`) }));
        const b = runner.start(modelB, inputB, (message) => progress.report({ message: uiText(`B: ${message}`) }));
        token.onCancellationRequested(() => (a.cancel(), b.cancel()));
        return Promise.all([a, b]);
      },
    );
  } catch (e) {
    const err = e as Error;
    if (err.name !== 'CancelledError') {
      inspector.showError(err.message);
      void notify.error(`Attention: compare: ${err.message}`);
    }
    return false;
  }
  const label = (r: RunResult, input: RunInput) => (mode.two === 'models' ? r.model.name : inputAsText(input) || describeInput(r));
  const [ra, rb] = results;
  inspector.showCompare(
    { result: ra, label: `A: ${label(ra, inputA)}` },
    { result: rb, label: `B: ${label(rb, inputB)}` },
    mode.two === 'models' ? `${ra.model.name} vs ${rb.model.name}` : `${ra.model.name}: A vs B`,
  );
  return true;
}
