// Every question the commands ask (which model, which input, which file) goes through a Prompter,
// so a command works from the palette with no prior state, and the integration tests can answer
// the questions with a scripted Prompter instead of clicking through quick picks.
import * as vscode from 'vscode';
import * as path from 'node:path';
import type { ModelSummary, RunInput } from './engine/types';
import { findCachedModels, findModels, modelPathOf } from './sidebar/modelTree';
import { inputPlaceholder, parseTypedInput, TypedInputError } from './inputText';
import { uiText } from './uiText';
import { MAX_SIDEBAR_GENERATE } from '../common/sidebar';

export interface Prompter {
  pick<T extends vscode.QuickPickItem>(items: T[], options: vscode.QuickPickOptions): Promise<T | undefined>;
  /** A quick pick that also accepts typed text: returns the chosen item, or the text typed. */
  pickOrType<T extends vscode.QuickPickItem>(items: T[], options: { title: string; placeholder: string }): Promise<T | string | undefined>;
  openDialog(options: vscode.OpenDialogOptions): Promise<vscode.Uri[] | undefined>;
}

export const vscodePrompter: Prompter = {
  pick: (items, options) => Promise.resolve(vscode.window.showQuickPick(items, options)),
  openDialog: (options) => Promise.resolve(vscode.window.showOpenDialog(options)),
  pickOrType<T extends vscode.QuickPickItem>(items: T[], options: { title: string; placeholder: string }) {
    return new Promise<T | string | undefined>((resolve) => {
      const qp = vscode.window.createQuickPick<T | (vscode.QuickPickItem & { typed: string })>();
      qp.title = options.title;
      qp.placeholder = options.placeholder;
      qp.ignoreFocusOut = true;
      qp.matchOnDescription = true;
      const typedItem = (v: string) => ({ label: `$(play) ${uiText(v)}`, description: 'run this text', alwaysShow: true, typed: v });
      qp.items = items;
      qp.onDidChangeValue((v) => (qp.items = v.trim() ? [typedItem(v), ...items] : items));
      let done = false;
      qp.onDidAccept(() => {
        const sel = qp.selectedItems[0];
        done = true;
        if (sel && 'typed' in sel) resolve(sel.typed);
        else if (sel) resolve(sel as T);
        else resolve(qp.value.trim() ? qp.value : undefined);
        qp.hide();
      });
      qp.onDidHide(() => {
        if (!done) resolve(undefined);
        qp.dispose();
      });
      qp.show();
    });
  },
};

type ModelItem = vscode.QuickPickItem & { uri?: vscode.Uri };

/** A model of the workspace (*.model.json, or a Hugging Face folder's config.json), or Browse…. */
export async function pickModel(prompter: Prompter, title = 'Attention: choose a model'): Promise<string | undefined> {
  const found = await findModels();
  const items: ModelItem[] = found.map((uri) => ({
    label: uiText(path.basename(modelPathOf(uri))),
    description: uiText(vscode.workspace.asRelativePath(uri)),
    uri,
  }));
  for (const c of await findCachedModels()) {
    const label = `${c.repo}${c.revisions > 1 ? ` @ ${c.revision.slice(0, 8)}` : ''}`;
    items.push({ label: uiText(label), description: 'Hugging Face cache', uri: vscode.Uri.file(path.join(c.dir, 'config.json')) });
  }
  const browse: ModelItem = { label: '$(folder-opened) Browse…', description: 'a model JSON file or a Hugging Face folder' };
  const pick = await prompter.pick([...items, browse], {
    title,
    placeHolder: found.length
      ? 'A model of this workspace'
      : items.length
        ? 'No model files in this workspace: one of the Hugging Face cache, or browse'
        : 'No model files in this workspace: browse for one',
  });
  if (!pick) return undefined;
  if (pick.uri) return modelPathOf(pick.uri);
  const chosen = await prompter.openDialog({
    canSelectFiles: true,
    canSelectFolders: true,
    canSelectMany: false,
    filters: { 'Model JSON': ['json'] },
    title: 'Open a model JSON file or a Hugging Face folder',
  });
  return chosen?.[0] ? modelPathOf(chosen[0]) : undefined;
}

type InputItem = vscode.QuickPickItem & { input: RunInput; chat?: true; generate?: true };

/**
 * The model's example inputs offered first; typing gives a new input. Decoder-only models also offer
 * "Generate…": an input as above, then how many tokens to continue it greedily (RunInput.generate, as the
 * Run view's "Generate N tokens" and the CLI's --generate).
 */
export async function pickInput(prompter: Prompter, summary: ModelSummary, title?: string): Promise<RunInput | undefined> {
  if (summary.image) return pickImage(prompter, summary, title); // ViT, DeiT: an image, never text
  const items: InputItem[] = summary.examples.map((ex, i) => ({
    label: uiText(ex.text ?? `ids: ${(ex.ids ?? []).join(', ')}`),
    description: ex.targetText !== undefined ? uiText(`→ ${ex.targetText}`) : `example ${i + 1}`,
    input: { text: ex.text, ids: ex.ids, targetText: ex.targetText, targetIds: ex.targetIds },
  }));
  if (summary.chatTemplate) {
    const description = "system and user messages through tokenizer_config.json's chat_template";
    items.unshift({ label: '$(comment-discussion) Apply chat template…', description, alwaysShow: true, input: {}, chat: true });
  }
  const baseTitle = title ?? uiText(`Attention: input for ${summary.name}`);
  if (summary.kind !== 'decoder') return askInput(prompter, summary, items, baseTitle);
  const description = 'continue an input greedily for N tokens (the KV cache steps are shown)';
  const generate: InputItem = { label: '$(debug-continue) Generate…', description, alwaysShow: true, input: {}, generate: true };
  return askInput(prompter, summary, [generate, ...items], baseTitle, async () => {
    const input = await askInput(prompter, summary, items, `${baseTitle} — generate`);
    if (!input) return undefined;
    const count = await askCount(prompter, `${baseTitle} — generate`);
    return count === undefined ? undefined : { ...input, generate: count };
  });
}

/** One input: an item, or typed text (asked again, the reason in the title, when the model cannot take it). */
async function askInput(
  prompter: Prompter,
  summary: ModelSummary,
  items: InputItem[],
  baseTitle: string,
  onGenerate?: () => Promise<RunInput | undefined>,
): Promise<RunInput | undefined> {
  let problem: string | undefined;
  for (;;) {
    const answer = await prompter.pickOrType(items, {
      title: problem ? `${baseTitle} — ${problem}` : baseTitle,
      placeholder: inputPlaceholder(
        summary.vocab,
        items.some((i) => !i.generate),
      ),
    });
    if (answer === undefined) return undefined;
    if (typeof answer !== 'string') {
      if (answer.generate && onGenerate) return onGenerate();
      return answer.chat ? askChat(prompter, baseTitle) : answer.input;
    }
    try {
      return parseTypedInput(answer, summary.vocab);
    } catch (e) {
      if (!(e instanceof TypedInputError)) throw e;
      problem = e.message;
    }
  }
}

/** How many tokens to generate: a suggested count or a typed whole number 1…MAX_SIDEBAR_GENERATE. */
async function askCount(prompter: Prompter, title: string): Promise<number | undefined> {
  const items = [8, 16, 32, 64].map((n) => ({ label: `${n} tokens`, n }));
  let problem: string | undefined;
  for (;;) {
    const answer = await prompter.pickOrType(items, {
      title: problem ? `${title} — ${problem}` : title,
      placeholder: `How many tokens to generate (1…${MAX_SIDEBAR_GENERATE}); it stops early at the end-of-text token`,
    });
    if (answer === undefined) return undefined;
    if (typeof answer !== 'string') return answer.n;
    const n = Number(answer.trim());
    if (/^\d+$/.test(answer.trim()) && n >= 1 && n <= MAX_SIDEBAR_GENERATE) return n;
    problem = `“${uiText(answer.trim().slice(0, 20))}” is not a count: type a whole number from 1 to ${MAX_SIDEBAR_GENERATE}`;
  }
}

type ImageItem = vscode.QuickPickItem & { uri?: vscode.Uri };

/**
 * Vision models read an image file: the workspace's PNG and JPEG files, or Browse…. No text box:
 * typed text means nothing to them, and the quick pick says so.
 */
async function pickImage(prompter: Prompter, summary: ModelSummary, title?: string): Promise<RunInput | undefined> {
  const found = await vscode.workspace.findFiles('**/*.{png,jpg,jpeg,PNG,JPG,JPEG}', '**/node_modules/**', 500);
  const items: ImageItem[] = found.map((uri) => ({
    label: uiText(path.basename(uri.fsPath)),
    description: uiText(vscode.workspace.asRelativePath(uri)),
    uri,
  }));
  const browse: ImageItem = { label: '$(folder-opened) Browse…', description: 'a PNG or JPEG file' };
  const size = summary.image ? ` (made ${summary.image.width}×${summary.image.height} as its preprocessor_config.json says)` : '';
  const pick = await prompter.pick([...items, browse], {
    title: title ?? uiText(`Attention: image for ${summary.name}`),
    placeHolder: `${summary.name} reads an image, not text: choose a PNG or JPEG${size}`,
  });
  if (!pick) return undefined;
  const uri =
    pick.uri ??
    (
      await prompter.openDialog({
        canSelectFiles: true,
        canSelectFolders: false,
        canSelectMany: false,
        filters: { Images: ['png', 'jpg', 'jpeg'] },
        title: `An image for ${summary.name}`,
      })
    )?.[0];
  return uri ? { image: uri.fsPath } : undefined;
}

/** The chat template's messages: the user's, and a system message first if the person adds one. */
async function askChat(prompter: Prompter, title: string): Promise<RunInput | undefined> {
  const addSystem: vscode.QuickPickItem = { label: '$(gear) Add a system message first…', alwaysShow: true };
  let system: string | undefined;
  for (;;) {
    const placeholder = system === undefined ? 'Type the user message' : uiText(`System: ${system} — type the user message`);
    const user = await prompter.pickOrType(system === undefined ? [addSystem] : [], { title: `${title} — chat template`, placeholder });
    if (user === undefined) return undefined;
    if (typeof user === 'string') return { chat: { user, ...(system !== undefined ? { system } : {}) } };
    const s = await prompter.pickOrType([], { title: `${title} — system message`, placeholder: 'Type the system message' });
    if (s === undefined) return undefined;
    if (typeof s === 'string') system = s;
  }
}
