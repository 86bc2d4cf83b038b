// Entry of the model page (dist/webview/modelpage.js), the read-only custom editor of a model file:
// what the model is, its examples (click to run), and actions; or, for a file that cannot be read,
// the file, the field and what was expected. All text goes in through textContent.
import { isHostToModelPage, type HostToModelPage, type ModelPageToHost } from '../../common/modelPage';
import { clear, el, fmtCount } from '../shared/dom';
import { vscodeApi } from '../shared/vscodeApi';
import { receiver } from '../../common/rpc';

const api = vscodeApi<ModelPageToHost, unknown>();
const root = document.getElementById('app')!;
root.classList.add('model-page');
root.append(el('p', { className: 'status', text: 'Reading the model…' }));

const button = (text: string, msg: ModelPageToHost, primary = false) => {
  const b = el('button', { className: primary ? 'choose primary' : 'choose', text, attrs: { type: 'button' } });
  b.addEventListener('click', () => api.post(msg));
  return b;
};

const onHost = receiver(isHostToModelPage, render);
window.addEventListener('message', (e: MessageEvent<unknown>) => onHost(e.data));
api.post({ type: 'ready' });

function render(m: HostToModelPage): void {
  clear(root);
  const actions = el('div', { className: 'actions' }, [button('Reopen as Text', { type: 'reopenAsText' })]);
  if (m.type === 'loadError') {
    root.append(
      el('h2', { text: 'This model cannot be opened' }),
      el('div', { className: 'load-error', attrs: { role: 'alert' } }, [
        el('div', {}, [el('span', { className: 'k', text: 'File ' }), el('code', { text: m.file })]),
        m.field !== undefined ? el('div', {}, [el('span', { className: 'k', text: 'Field ' }), el('code', { text: m.field })]) : null,
        el('div', {}, [el('span', { className: 'k', text: 'Expected ' }), el('span', { text: m.expected })]),
      ]),
      actions,
    );
    return;
  }
  actions.prepend(button('Run with Input…', { type: 'runWithInput' }, true));
  if (m.safetensors) actions.append(button('Show Safetensors Header', { type: 'showHeader' }));
  const details = el('dl', { className: 'details' });
  for (const [k, v] of Object.entries(m.details)) details.append(el('dt', { text: k }), el('dd', { text: String(v) }));
  const examples = el('ul', { className: 'examples' });
  m.examples.forEach((label, index) => {
    const b = el('button', { className: 'example', text: label, attrs: { type: 'button', title: 'Run this example in the inspector' } });
    b.addEventListener('click', () => api.post({ type: 'runExample', index }));
    examples.append(el('li', {}, [b]));
  });
  const parts: (Node | null)[] = [
    el('h2', { text: m.name }),
    el('p', { className: 'status', text: `${m.architecture} · ${m.kind} · ${fmtCount(m.parameters)} parameters — ${m.file}` }),
    m.description ? el('p', { className: 'description', text: m.description }) : null,
    actions,
    el('h3', { text: 'Examples' }),
    m.examples.length ? examples : el('p', { className: 'status', text: 'No examples in the file: use Run with Input….' }),
    el('h3', { text: 'Configuration' }),
    details,
  ];
  root.append(...parts.filter((n): n is Node => n !== null));
}
