/** English / Türkçe switch; the choice (only the language) is kept in localStorage. */
import { For } from 'solid-js';
import { LANGS, lang, setLang, t } from '../lib/i18n.ts';

export function LanguageSwitch() {
  return (
    <div class="lang-switch" role="group" aria-label={t('lang.label')}>
      <For each={LANGS}>
        {(l) => (
          <button type="button" lang={l.code} aria-pressed={lang() === l.code} title={l.name} onClick={() => setLang(l.code)}>
            <span aria-hidden="true">{l.short}</span>
            <span class="sr-only">{l.name}</span>
          </button>
        )}
      </For>
    </div>
  );
}
