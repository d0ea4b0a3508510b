/** Entry: styles, language, session probe, render. */
import { render } from 'solid-js/web';
import './styles.css';
import { applyDocumentLang } from './lib/i18n.ts';
import { checkSession } from './lib/session.ts';
import App from './App.tsx';

applyDocumentLang();
void checkSession();
render(() => <App />, document.getElementById('root')!);
