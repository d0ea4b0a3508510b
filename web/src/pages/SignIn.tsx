/** Sign-in: the API key is exchanged for an HttpOnly session cookie and then dropped from memory. */
import { createSignal, onMount, Show } from 'solid-js';
import { ApiError } from '../lib/api.ts';
import { errorMessage, t } from '../lib/i18n.ts';
import { signIn, signOutReason } from '../lib/session.ts';
import { Icon } from '../components/Icon.tsx';
import { LanguageSwitch } from '../components/LanguageSwitch.tsx';

export default function SignIn() {
  let input!: HTMLInputElement;
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<string | null>(null);
  const [show, setShow] = createSignal(false);

  onMount(() => {
    document.title = `${t('signin.title')} · findata`;
    input.focus();
  });

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    const key = input.value.trim();
    if (!key) {
      setError(t('signin.required'));
      input.focus();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await signIn(key);
      input.value = '';
    } catch (err) {
      setError(err instanceof ApiError && err.code === 'UNAUTHORIZED' ? t('signin.wrongKey') : errorMessage(err));
      input.select();
      input.focus();
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="signin-page">
      <div class="signin-lang">
        <LanguageSwitch />
      </div>
      <main class="signin-card" aria-labelledby="signin-title">
        <div class="brand brand-lg">
          <span class="brand-mark" aria-hidden="true">
            <Icon name="profiling" size={22} />
          </span>
          <span class="brand-name">findata</span>
        </div>
        <h1 id="signin-title">{t('signin.title')}</h1>
        <p class="muted">{t('signin.intro')}</p>
        <Show when={signOutReason()}>
          <p class="notice notice-info" role="status">
            {signOutReason() === 'expired' ? t('signin.expired') : t('signin.signedOut')}
          </p>
        </Show>
        <form onSubmit={submit} novalidate>
          <div class="field">
            <label for="api-key" class="field-label">
              {t('signin.apiKey')}
            </label>
            <div class="input-with-button">
              <input
                ref={input}
                id="api-key"
                name="api-key"
                type={show() ? 'text' : 'password'}
                autocomplete="off"
                autocapitalize="off"
                spellcheck={false}
                placeholder="sk_live_…"
                aria-describedby={error() ? 'signin-error signin-help' : 'signin-help'}
                aria-invalid={error() ? 'true' : undefined}
                class="input"
              />
              <button
                type="button"
                class="btn btn-ghost btn-icon"
                aria-pressed={show()}
                aria-label={show() ? t('signin.hideKey') : t('signin.showKey')}
                onClick={() => setShow(!show())}
              >
                <Icon name={show() ? 'eyeOff' : 'eye'} />
              </button>
            </div>
            <p id="signin-help" class="field-help">
              {t('signin.help')}
            </p>
          </div>
          <Show when={error()}>
            <p id="signin-error" class="notice notice-danger" role="alert">
              <Icon name="errors" size={16} />
              {error()}
            </p>
          </Show>
          <button type="submit" class="btn btn-primary btn-block" disabled={busy()}>
            <Show when={busy()} fallback={t('signin.submit')}>
              <span class="spinner spinner-light" aria-hidden="true" />
              {t('signin.submitting')}
            </Show>
          </button>
        </form>
        <p class="signin-foot muted small">{t('signin.privacy')}</p>
      </main>
    </div>
  );
}
