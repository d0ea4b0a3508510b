/** Entry: styles, language, session probe, render. */
import { render } from 'solid-js/web';
import './styles.css';
import { applyDocumentLang } from './lib/i18n.ts';
import { checkSession } from './lib/session.ts';
import App from './App.tsx';

applyDocumentLang();

// Disclosure popovers (<details class="popover">): close on Escape (focus back on the summary) and on outside clicks.
document.addEventListener('keydown', (e) => {
  if (e.key !== 'Escape') return;
  const open = (e.target as Element | null)?.closest?.('details.popover[open]') ?? document.querySelector('details.popover[open]');
  if (open) {
    open.removeAttribute('open');
    open.querySelector('summary')?.focus();
  }
});
document.addEventListener('click', (e) => {
  for (const d of document.querySelectorAll('details.popover[open]')) if (!d.contains(e.target as Node)) d.removeAttribute('open');
});
void checkSession();
render(() => <App />, document.getElementById('root')!);
