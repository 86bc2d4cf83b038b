// Entry of the side panel's "Run" view (dist/webview/sidebar.js): the input box (each keystroke is
// sent; the host waits for a pause and cancels the previous run), the current run's tokens, and a
// small grid of heads. Tokens are always inserted as text, never as HTML.
import {
  isHostToSidebar,
  MAX_SIDEBAR_GENERATE,
  type SidebarPart,
  type SidebarProgress,
  type SidebarState,
  type SidebarToHost,
} from '../../common/sidebar';
import { buildAtlas, showTile, type Atlas } from '../shared/atlas';
import { clear, displayToken, el } from '../shared/dom';
import { makeRamp, onThemeChange, readTheme } from '../shared/theme';
import { vscodeApi } from '../shared/vscodeApi';
import { receiver } from '../../common/rpc';
import { kvHeadOf } from '../../common/headData';

const api = vscodeApi<SidebarToHost, { input?: string }>();
const PART_NAMES = { encoder: 'Encoder self-attention', decoder: 'Decoder self-attention', cross: 'Cross-attention' } as const;
const CELL = 18;

const root = document.getElementById('app')!;
const modelName = el('span', { className: 'model-name', text: 'No model' });
const choose = el('button', { className: 'choose', text: 'Choose model…', attrs: { type: 'button' } });
const PLACEHOLDER = 'Type an input: it runs as you type (Enter runs now, Shift+Enter for a new line)';
const input = el('textarea', {
  className: 'input',
  attrs: { rows: '3', 'aria-label': 'Model input', placeholder: PLACEHOLDER, spellcheck: 'false' },
});
const chatBox = el('input', { attrs: { type: 'checkbox', 'aria-label': 'Apply chat template' } });
const chatRow = el(
  'label',
  { className: 'chat', attrs: { title: "The text is the user message of tokenizer_config.json's chat_template" } },
  [chatBox, el('span', { text: ' Apply chat template' })],
);
chatRow.hidden = true;
/** Whether the typed text goes through the chat template (only offered when the model has one). */
const chat = () => !chatRow.hidden && chatBox.checked;
// Decoder-only models: continue the input greedily for N tokens (0: none); shown when the model can.
const generate = el('input', {
  className: 'generate',
  attrs: { type: 'number', min: '0', max: String(MAX_SIDEBAR_GENERATE), step: '1', value: '0', 'aria-label': 'Generate N tokens' },
});
const generateRow = el('label', { className: 'generate-row', attrs: { hidden: '' } }, [
  el('span', { text: 'Generate N tokens' }),
  generate,
]);
const status = el('div', { className: 'status', attrs: { role: 'status', 'aria-live': 'polite' } });
// The run's layers done of total. Never indeterminate, and not VS Code's view progress bar either:
// both animate every frame, which without GPU compositing took a third of a core from the run.
const bar = el('progress', { className: 'run-progress', attrs: { max: '1', value: '0', 'aria-label': 'run progress', hidden: '' } });
// Says "Cancelling…" at once: the host's state, which says the run stopped, crosses the workbench.
const cancel = el('button', { className: 'cancel', text: 'Cancel', attrs: { type: 'button', title: 'Stop this run', hidden: '' } });
/** Cancel was clicked and the host has not said yet that the run stopped. */
let cancelling = false;
const CANCELLING = 'Cancelling the run…';
const tokens = el('section', { className: 'tokens', attrs: { 'aria-label': 'Tokens' } });
const grid = el('section', { className: 'grid', attrs: { 'aria-label': 'Heads' } });
root.append(
  el('div', { className: 'model' }, [modelName, choose]),
  input,
  chatRow,
  generateRow,
  el('div', { className: 'run-line' }, [bar, cancel]),
  status,
  tokens,
  grid,
);

let last: SidebarState | undefined;
/** While the person types, the host's echo of an older input must not overwrite the box. */
let typing = false;

const saved = api.getState() as { input?: unknown } | undefined;
if (saved && typeof saved.input === 'string') input.value = saved.input;

choose.addEventListener('click', () => api.post({ type: 'chooseModel' }));
cancel.addEventListener('click', () => {
  if (cancelling) return;
  cancelling = true;
  cancel.disabled = true;
  status.textContent = CANCELLING;
  api.post({ type: 'cancel' });
});
/** Asks the host to run the box's text (`type`: after a pause, or now): a Cancel clicked before is over. */
function askRun(type: 'input' | 'runNow', count: { generate?: number } = generateCount()): void {
  cancelling = false;
  api.post({ type, text: input.value, chat: chat(), ...count });
}
input.addEventListener('input', () => {
  typing = true;
  api.setState({ input: input.value });
  askRun('input');
});
chatBox.addEventListener('change', () => input.value.trim() && askRun('runNow', {}));
input.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey) {
    e.preventDefault();
    askRun('runNow');
  }
});
generate.addEventListener('change', () => input.value.trim() && askRun('runNow'));

/** The field's count when it is shown and valid (the host's guard refuses anything else). */
function generateCount(): { generate?: number } {
  const n = Number(generate.value);
  return !generateRow.hidden && Number.isInteger(n) && n > 0 && n <= MAX_SIDEBAR_GENERATE ? { generate: n } : {};
}
input.addEventListener('blur', () => (typing = false));

const onHost = receiver(isHostToSidebar, (m) => {
  if (m.type === 'progress') return showProgress(m);
  last = m;
  render(m);
});

function showProgress(p: SidebarProgress): void {
  if (last?.status !== 'running') return; // a late step of a run that ended
  bar.max = p.total;
  bar.value = p.done;
  status.textContent = cancelling ? CANCELLING : `Running (${p.message})…`;
}
window.addEventListener('message', (e: MessageEvent<unknown>) => onHost(e.data));
onThemeChange(() => last && renderGrid(last.parts));
api.post({ type: 'ready' });

function render(s: SidebarState): void {
  modelName.textContent = s.model ? s.model.name : 'No model';
  modelName.title = s.model?.file ?? '';
  choose.textContent = s.model ? 'Change…' : 'Choose model…';
  if (!typing && document.activeElement !== input && s.input !== input.value) {
    input.value = s.input;
    api.setState({ input: s.input });
  }
  input.disabled = !s.model;
  chatRow.hidden = !s.chatTemplate;
  generateRow.hidden = !s.canGenerate;
  input.placeholder = s.placeholder ?? PLACEHOLDER;
  status.className = `status ${s.status}`;
  const running = s.status === 'running';
  if (running && bar.hidden) {
    bar.max = 1;
    bar.value = 0;
  }
  bar.hidden = !running;
  // A state that is not running ends a Cancel; a run typed after it starts afresh (below).
  if (!running) cancelling = false;
  cancel.hidden = !running;
  cancel.disabled = cancelling;
  if (cancelling) status.textContent = CANCELLING;
  else if (!running || !status.textContent?.startsWith('Running')) status.textContent = running ? 'Running…' : (s.message ?? '');
  root.classList.toggle('running', s.status === 'running');
  // A run's start and end re-send the tokens and heads shown; rebuilding 512 token spans and 144
  // tiles each time held the window's one main thread (the inspector's too) for 40–170 ms.
  const tokensKey = JSON.stringify(s.tokens);
  if (tokensKey !== shown.tokens) renderTokens(s.tokens);
  shown.tokens = tokensKey;
  const partsKey = partsFingerprint(s.parts);
  if (partsKey !== shown.parts) renderGrid(s.parts);
  shown.parts = partsKey;
}

/** What the view shows now, to skip redrawing what a new state leaves the same. */
const shown: { tokens?: string; parts?: string } = {};

/** The parts' shapes and every thumbnail's ramp steps (FNV-1a): equal when the grid would be. */
function partsFingerprint(parts: SidebarPart[]): string {
  let h = 0x811c9dc5;
  for (const p of parts) {
    for (const t of p.thumbnails) {
      for (let i = 0; i < t.levels.length; i++) h = Math.imul(h ^ t.levels[i], 16777619);
    }
  }
  const shapes = parts.map(
    (p) => `${p.part}:${p.layers}x${p.heads}/${p.kvHeads ?? ''}:${p.thumbnails.map((t) => `${t.rows}x${t.cols}`).join()}`,
  );
  return `${shapes.join(';')}#${h >>> 0}`;
}

function renderTokens(t: SidebarState['tokens']): void {
  clear(tokens);
  const row = (label: string, list: string[]) =>
    el('div', { className: 'token-row' }, [
      el('span', { className: 'token-label', text: `${label} (${list.length})` }),
      el(
        'div',
        { className: 'token-list' },
        list.map((tok, i) => {
          const unknown = t.unk !== undefined && tok === t.unk;
          const made = list === t.source && i >= list.length - (t.generated ?? 0);
          const title = `${unknown ? `#${i}: ${tok}, a word not in the vocabulary` : `#${i}: ${tok}`}${made ? ', generated' : ''}`;
          return el('span', {
            className: `token${unknown ? ' unk' : ''}${made ? ' generated' : ''}`,
            text: displayToken(tok),
            attrs: { title },
          });
        }),
      ),
    ]);
  if (t.source.length) tokens.append(row('Source', t.source));
  if (t.target.length) tokens.append(row('Target', t.target));
}

/** The atlas the grid's tiles show, and which render it belongs to (a newer one drops it). */
let atlas: Atlas | undefined;
let gridSeq = 0;

function renderGrid(parts: SidebarPart[]): void {
  clear(grid);
  const seq = ++gridSeq;
  const tiles: { el: HTMLElement; t: SidebarPart['thumbnails'][number] }[] = [];
  for (const p of parts) {
    const table = el('div', { className: 'head-grid', attrs: { role: 'grid', 'aria-label': PART_NAMES[p.part], style: '' } });
    table.style.gridTemplateColumns = `auto repeat(${p.heads}, ${CELL}px)`;
    if (p.kvHeads) table.append(...kvGroupLabels(p.heads, p.kvHeads));
    table.append(el('span'), ...Array.from({ length: p.heads }, (_, h) => el('span', { className: 'head-label', text: `${h}` })));
    for (let l = 0; l < p.layers; l++) {
      table.append(el('span', { className: 'layer-label', text: `L${l}` })); // 0-based, as in the inspector
      for (let h = 0; h < p.heads; h++) {
        const t = p.thumbnails[l * p.heads + h];
        const kv = p.kvHeads ? `, K/V head ${kvHeadOf(h, p.heads, p.kvHeads)}` : '';
        const label = `${PART_NAMES[p.part]}, layer ${l}, head ${h}${kv}`;
        const b = el('button', {
          className: 'head',
          attrs: {
            type: 'button',
            title: label,
            'aria-label': label,
            'data-part': p.part,
            'data-layer': String(l),
            'data-head': String(h),
          },
        });
        // One image for all tiles (see atlas.ts): a canvas each made every frame of the view slow.
        const thumb = el('span', { className: 'thumb', attrs: { 'aria-hidden': 'true' } });
        b.append(thumb);
        if (t.rows > 0 && t.cols > 0) tiles.push({ el: thumb, t });
        b.addEventListener('click', () => api.post({ type: 'openHead', part: p.part, layer: t.layer, head: t.head }));
        table.append(b);
      }
    }
    grid.append(el('h3', { text: `${PART_NAMES[p.part]} · ${p.layers}×${p.heads}` }), table);
  }
  if (!tiles.length) {
    atlas?.dispose();
    atlas = undefined;
  } else {
    buildAtlas(
      tiles.map((x) => x.t),
      makeRamp(readTheme()),
    ).then(
      (a) => {
        if (seq !== gridSeq) return a.dispose();
        tiles.forEach(({ el, t }, k) => showTile(el, a, k, t, CELL - 2, 'fill'));
        atlas?.dispose();
        atlas = a;
      },
      (e: unknown) => {
        if (seq === gridSeq)
          grid.append(
            el('p', { className: 'hint', text: `The head thumbnails could not be drawn: ${e instanceof Error ? e.message : String(e)}` }),
          );
      },
    );
  }
  if (parts.length) grid.append(el('p', { className: 'hint', text: 'Click a head to open it in the inspector.' }));
}

/** GQA/MQA: a row above the head numbers, "K/V g" spanning the query heads that share K/V head g. */
function kvGroupLabels(heads: number, kv: number): HTMLElement[] {
  const size = heads / kv;
  const labels = Array.from({ length: kv }, (_, g) => {
    const s = el('span', {
      className: 'kv-group-label',
      text: `K/V ${g}`,
      attrs: { title: `Heads ${g * size}–${(g + 1) * size - 1} share K/V head ${g}` },
    });
    s.style.gridColumn = `span ${size}`;
    return s;
  });
  return [el('span'), ...labels];
}
