// The error banner at the top: shows host errors (failed run, bad model file) and request
// timeouts without clearing what is on screen.
import { el } from '../shared/dom';

export class ErrorBanner {
  private readonly text = el('div', { className: 'error-text' });
  private readonly dismiss = el('button', {
    className: 'error-dismiss',
    text: 'Dismiss',
    attrs: { type: 'button', title: 'Hide this message' },
  });
  readonly root = el('div', { className: 'error-banner', attrs: { role: 'alert' } }, [
    el('span', { className: 'error-icon', text: '⚠', attrs: { 'aria-hidden': 'true' } }),
    this.text,
    this.dismiss,
  ]);

  constructor() {
    this.root.hidden = true;
    this.dismiss.addEventListener('click', () => this.hide());
  }

  show(message: string): void {
    this.text.textContent = message;
    this.root.hidden = false;
  }

  hide(): void {
    this.root.hidden = true;
    this.text.textContent = '';
  }
}
