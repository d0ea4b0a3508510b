/** App shell: session gate, navigation, routes (lazy pages, one ErrorBoundary each), focus management. */
import { createEffect, createMemo, createSignal, ErrorBoundary, For, lazy, on, onCleanup, onMount, Show, type Component } from 'solid-js';
import { Dynamic } from 'solid-js/web';
import { lang, t, type MessageKey } from './lib/i18n.ts';
import { location, match } from './lib/router.ts';
import { session, sessionState, signOut } from './lib/session.ts';
import { A, ErrorState, Loading } from './components/ui.tsx';
import { Icon, type IconName } from './components/Icon.tsx';
import { LanguageSwitch } from './components/LanguageSwitch.tsx';
import { announce, Toasts } from './components/Toasts.tsx';
import SignIn from './pages/SignIn.tsx';

const Dashboard = lazy(() => import('./pages/Dashboard.tsx'));
const Upload = lazy(() => import('./pages/Upload.tsx'));
const Syncs = lazy(() => import('./pages/Syncs.tsx'));
const SyncDetail = lazy(() => import('./pages/SyncDetail.tsx'));
const Errors = lazy(() => import('./pages/Errors.tsx'));
const Data = lazy(() => import('./pages/Data.tsx'));
const Profiling = lazy(() => import('./pages/Profiling.tsx'));
const Settings = lazy(() => import('./pages/Settings.tsx'));

const PAGES = [Dashboard, Upload, Syncs, SyncDetail, Errors, Data, Profiling, Settings];

interface Route {
  pattern: string;
  page: Component<{ params: Record<string, string> }>;
  title: MessageKey;
}
const ROUTES: Route[] = [
  { pattern: '/', page: Dashboard as unknown as Route["page"], title: 'nav.dashboard' },
  { pattern: '/upload', page: Upload as unknown as Route["page"], title: 'nav.upload' },
  { pattern: '/syncs', page: Syncs as unknown as Route["page"], title: 'nav.syncs' },
  { pattern: '/syncs/:id', page: SyncDetail as unknown as Route["page"], title: 'detail.docTitle' },
  { pattern: '/errors', page: Errors as unknown as Route["page"], title: 'nav.errors' },
  { pattern: '/data', page: Data as unknown as Route["page"], title: 'nav.data' },
  { pattern: '/profiling', page: Profiling as unknown as Route["page"], title: 'nav.profiling' },
  { pattern: '/settings', page: Settings as unknown as Route["page"], title: 'nav.settings' },
];

const NAV: { href: string; label: MessageKey; icon: IconName }[] = [
  { href: '/', label: 'nav.dashboard', icon: 'dashboard' },
  { href: '/upload', label: 'nav.upload', icon: 'upload' },
  { href: '/syncs', label: 'nav.syncs', icon: 'syncs' },
  { href: '/data', label: 'nav.data', icon: 'data' },
  { href: '/profiling', label: 'nav.profiling', icon: 'profiling' },
  { href: '/errors', label: 'nav.errors', icon: 'errors' },
  { href: '/settings', label: 'nav.settings', icon: 'settings' },
];

function NotFound() {
  return (
    <div class="empty">
      <h1 id="page-title" tabindex="-1">
        {t('notFound.title')}
      </h1>
      <p class="muted">{t('notFound.text')}</p>
      <A href="/" class="btn btn-primary">
        {t('nav.dashboard')}
      </A>
    </div>
  );
}

export default function App() {
  return (
    <>
      <Show when={sessionState() !== 'checking'} fallback={<Loading label={t('state.checkingSession')} />}>
        <Show when={sessionState() === 'signed-in'} fallback={<SignIn />}>
          <Shell />
        </Show>
      </Show>
      <Toasts />
    </>
  );
}

function Shell() {
  const [menuOpen, setMenuOpen] = createSignal(false);
  const [signingOut, setSigningOut] = createSignal(false);
  const routed = createMemo(() => {
    const path = location().path;
    for (const r of ROUTES) {
      const params = match(r.pattern, path);
      if (params) return { route: r, params, key: `${r.pattern}|${JSON.stringify(params)}` };
    }
    return null;
  });
  const routeKey = createMemo(() => routed()?.key ?? `404|${location().path}`);

  // Title, focus and announcement on every page change (not on query-string changes, not on first load).
  let first = true;
  createEffect(
    on([routeKey, lang], () => {
      const title = routed() ? t(routed()!.route.title) : t('notFound.title');
      document.title = `${title} · findata`;
    }),
  );
  createEffect(
    on(routeKey, () => {
      setMenuOpen(false);
      if (first) {
        first = false;
        return;
      }
      window.scrollTo(0, 0);
      let tries = 0;
      const focus = () => {
        const h = document.getElementById('page-title');
        if (h) {
          h.focus({ preventScroll: true });
          announce(h.textContent ?? '');
        } else if (tries++ < 40) setTimeout(focus, 50);
      };
      requestAnimationFrame(focus);
    }),
  );

  // The tablet menu closes with Escape, returning focus to its button.
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape' && menuOpen()) {
      setMenuOpen(false);
      document.querySelector<HTMLButtonElement>('.menu-btn')?.focus();
    }
  };
  document.addEventListener('keydown', onKey);
  onCleanup(() => document.removeEventListener('keydown', onKey));

  // No Suspense boundary (resources refetch in place); instead fetch every page's chunk once the shell is up.
  onMount(() => setTimeout(() => PAGES.forEach((p) => void p.preload()), 300));

  const doSignOut = async () => {
    setSigningOut(true);
    try {
      await signOut();
    } finally {
      setSigningOut(false);
    }
  };

  return (
    <div class="shell">
      <a class="skip-link" href="#main">
        {t('a11y.skip')}
      </a>
      <header class="topbar">
        <A href="/" class="brand">
          <span class="brand-mark" aria-hidden="true">
            <Icon name="profiling" size={18} />
          </span>
          <span class="brand-name">findata</span>
        </A>
        <button type="button" class="btn btn-ghost btn-icon menu-btn" aria-expanded={menuOpen()} aria-controls="sidebar" onClick={() => setMenuOpen(!menuOpen())}>
          <Icon name={menuOpen() ? 'close' : 'menu'} size={20} />
          <span class="sr-only">{t('a11y.menu')}</span>
        </button>
      </header>
      <aside id="sidebar" class={`sidebar ${menuOpen() ? 'open' : ''}`}>
        <A href="/" class="brand sidebar-brand">
          <span class="brand-mark" aria-hidden="true">
            <Icon name="profiling" size={18} />
          </span>
          <span class="brand-name">findata</span>
        </A>
        <div class="tenant-chip" title={session()?.tenant_id}>
          <span class="tenant-avatar" aria-hidden="true">
            {(session()?.tenant_name ?? '?').slice(0, 1).toLocaleUpperCase(lang() === 'tr' ? 'tr-TR' : 'en')}
          </span>
          <span class="tenant-text">
            <span class="tenant-name">{session()?.tenant_name}</span>
            <span class="tenant-id mono">{session()?.tenant_id}</span>
          </span>
        </div>
        <nav aria-label={t('a11y.mainNav')} class="nav">
          <ul>
            <For each={NAV}>
              {(n) => (
                <li>
                  <A href={n.href} class="nav-link" activeClass="active">
                    <Icon name={n.icon} size={18} />
                    <span>{t(n.label)}</span>
                  </A>
                </li>
              )}
            </For>
          </ul>
        </nav>
        <div class="sidebar-foot">
          <LanguageSwitch />
          <button type="button" class="btn btn-ghost nav-link signout" onClick={doSignOut} disabled={signingOut()}>
            <Icon name="signout" size={18} />
            <span>{t('nav.signOut')}</span>
          </button>
        </div>
      </aside>
      <main id="main" class="main" tabindex="-1">
        <div class="content">
          <Show when={routeKey()} keyed>
            {(_key) => (
              <ErrorBoundary fallback={(err, reset) => <ErrorState error={err} retry={reset} title={t('state.pageCrashed')} />}>
                <Show when={routed()} fallback={<NotFound />}>
                  <Dynamic component={routed()!.route.page} params={routed()!.params} />
                </Show>
              </ErrorBoundary>
            )}
          </Show>
        </div>
      </main>
    </div>
  );
}
