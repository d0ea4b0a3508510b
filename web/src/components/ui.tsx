/** Shared building blocks: links, page header, status badges, loading/empty/error states, pager, progress. */
import { type Accessor, createMemo, createSignal, For, type JSX, Match, type Resource, Show, splitProps, Switch } from 'solid-js';
import { ApiError, type SyncStatus } from '../lib/api.ts';
import { errorMessage, t, type MessageKey } from '../lib/i18n.ts';
import { fmtInt } from '../lib/format.ts';
import { linkClick, location } from '../lib/router.ts';
import { Icon, type IconName } from './Icon.tsx';

/** In-app link: a real <a href> (open in new tab works), navigation without reload on plain clicks. */
export function A(props: JSX.AnchorHTMLAttributes<HTMLAnchorElement> & { href: string; activeClass?: string; exact?: boolean }) {
  const [local, rest] = splitProps(props, ['href', 'activeClass', 'exact', 'class', 'children']);
  const active = createMemo(() => {
    const path = location().path;
    const target = local.href.split('?')[0];
    return local.exact ? path === target : target === '/' ? path === '/' : path === target || path.startsWith(`${target}/`);
  });
  return (
    <a
      href={local.href}
      class={[local.class, local.activeClass && active() ? local.activeClass : ''].filter(Boolean).join(' ') || undefined}
      aria-current={local.activeClass && active() ? 'page' : undefined}
      onClick={(e) => linkClick(e, local.href)}
      {...rest}
    >
      {local.children}
    </a>
  );
}

/** The page title: focused after each navigation so screen readers announce the new page. */
export function PageHeader(props: { title: string; subtitle?: JSX.Element; actions?: JSX.Element; back?: { href: string; label: string } }) {
  return (
    <header class="page-header">
      <div class="page-header-text">
        <Show when={props.back}>
          <A class="back-link" href={props.back!.href}>
            <Icon name="left" size={16} />
            {props.back!.label}
          </A>
        </Show>
        <h1 id="page-title" tabindex="-1">
          {props.title}
        </h1>
        <Show when={props.subtitle}>
          <p class="page-subtitle">{props.subtitle}</p>
        </Show>
      </div>
      <Show when={props.actions}>
        <div class="page-actions">{props.actions}</div>
      </Show>
    </header>
  );
}

const STATUS_ICON: Record<string, IconName> = { SUCCESS: 'check', FAILED: 'close', ABORTED: 'errors', RUNNING: 'syncs', PENDING: 'clock' };

export function StatusBadge(props: { status: SyncStatus | string }) {
  return (
    <span class={`badge badge-${props.status.toLowerCase()}`}>
      <Icon name={STATUS_ICON[props.status] ?? 'info'} size={13} class={props.status === 'RUNNING' ? 'spin' : ''} />
      {t(`status.${props.status}` as MessageKey)}
    </span>
  );
}

export function Spinner(props: { label?: string }) {
  return (
    <span class="spinner-wrap">
      <span class="spinner" aria-hidden="true" />
      <Show when={props.label}>
        <span>{props.label}</span>
      </Show>
    </span>
  );
}

/** Skeleton placeholder while a page's data loads (announced once through role=status). */
export function Loading(props: { rows?: number; label?: string }) {
  return (
    <div class="loading" role="status" aria-live="polite">
      <span class="sr-only">{props.label ?? t('state.loading')}</span>
      <For each={Array.from({ length: props.rows ?? 4 })}>{(_, i) => <div class="skeleton" style={{ width: `${92 - ((i() * 17) % 40)}%` }} />}</For>
    </div>
  );
}

export function EmptyState(props: { title: string; children?: JSX.Element; icon?: IconName; action?: JSX.Element }) {
  return (
    <div class="empty">
      <div class="empty-icon">
        <Icon name={props.icon ?? 'info'} size={28} />
      </div>
      <p class="empty-title">{props.title}</p>
      <Show when={props.children}>
        <div class="empty-text">{props.children}</div>
      </Show>
      <Show when={props.action}>
        <div class="empty-action">{props.action}</div>
      </Show>
    </div>
  );
}

export function ErrorState(props: { error: unknown; retry?: () => void; title?: string }) {
  const e = () => props.error;
  return (
    <div class="error-state" role="alert">
      <div class="error-state-icon">
        <Icon name="errors" size={24} />
      </div>
      <div>
        <p class="error-state-title">{props.title ?? t('state.errorTitle')}</p>
        <p>{errorMessage(e())}</p>
        <Show when={e() instanceof ApiError && (e() as ApiError).requestId}>
          <p class="muted small">
            {t('state.requestId')}: <code>{(e() as ApiError).requestId}</code>
          </p>
        </Show>
        <Show when={props.retry}>
          <button type="button" class="btn btn-secondary btn-sm" onClick={() => props.retry!()}>
            <Icon name="refresh" size={15} />
            {t('action.retry')}
          </button>
        </Show>
      </div>
    </div>
  );
}

/** A resource's last loaded value, undefined while it is errored (reading an errored resource throws, .latest too). */
export function lastValue<T>(r: Resource<T>): T | undefined {
  return r.state === 'errored' ? undefined : r.latest;
}

/**
 * Renders a createResource: skeleton on first load, error state with retry, and the latest data otherwise
 * (refetches keep showing the previous data instead of flashing the skeleton).
 */
export function Async<T>(props: {
  resource: Resource<T>;
  refetch?: () => void;
  loadingRows?: number;
  children: (data: Accessor<T>) => JSX.Element;
}) {
  const latest = createMemo<T | undefined>((prev) => (props.resource.state === 'ready' ? props.resource() : props.resource.state === 'errored' ? undefined : prev));
  return (
    <Switch>
      <Match when={props.resource.state === 'errored'}>
        <ErrorState error={props.resource.error} retry={props.refetch} />
      </Match>
      <Match when={latest() === undefined}>
        <Loading rows={props.loadingRows} />
      </Match>
      <Match when={latest()}>{(d) => props.children(d as Accessor<T>)}</Match>
    </Switch>
  );
}

export function Pager(props: { total: number; limit: number; offset: number; onChange: (offset: number) => void; label: string }) {
  const from = () => (props.total === 0 ? 0 : props.offset + 1);
  const to = () => Math.min(props.total, props.offset + props.limit);
  const page = () => Math.floor(props.offset / props.limit) + 1;
  const pages = () => Math.max(1, Math.ceil(props.total / props.limit));
  return (
    <nav class="pager" aria-label={props.label}>
      <p class="pager-info" aria-live="polite">
        {t('pager.showing', { from: fmtInt(from()), to: fmtInt(to()), total: fmtInt(props.total) })}
      </p>
      <div class="pager-buttons">
        <button type="button" class="btn btn-secondary btn-sm" disabled={props.offset <= 0} onClick={() => props.onChange(Math.max(0, props.offset - props.limit))}>
          <Icon name="left" size={15} />
          {t('pager.previous')}
        </button>
        <span class="pager-page">{t('pager.page', { page: fmtInt(page()), pages: fmtInt(pages()) })}</span>
        <button type="button" class="btn btn-secondary btn-sm" disabled={props.offset + props.limit >= props.total} onClick={() => props.onChange(props.offset + props.limit)}>
          {t('pager.next')}
          <Icon name="right" size={15} />
        </button>
      </div>
    </nav>
  );
}

/** A labelled progress bar (role=progressbar) with optional text under it. */
export function ProgressBar(props: { value: number | null; label: string; text?: string; tone?: 'primary' | 'success' | 'danger' | 'warning'; size?: 'sm' | 'md' }) {
  const pct = () => (props.value === null ? null : Math.max(0, Math.min(100, props.value * 100)));
  return (
    <div class={`progress progress-${props.size ?? 'md'}`}>
      <div
        class={`progress-track ${pct() === null ? 'indeterminate' : ''}`}
        role="progressbar"
        aria-label={props.label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct() === null ? undefined : Math.round(pct()!)}
        aria-valuetext={props.text}
      >
        <div class={`progress-fill tone-${props.tone ?? 'primary'}`} style={{ width: pct() === null ? '35%' : `${pct()}%` }} />
      </div>
      <Show when={props.text}>
        <p class="progress-text">{props.text}</p>
      </Show>
    </div>
  );
}

/** A radio group drawn as a segmented control (arrow keys move between options natively). */
export function Segmented<V extends string>(props: { label: string; value: V; options: readonly { value: V; label: string }[]; onChange: (v: V) => void; name: string }) {
  return (
    <fieldset class="segmented">
      <legend class="field-label">{props.label}</legend>
      <div class="segmented-options">
        <For each={props.options}>
          {(o) => (
            <label class={`segmented-option ${props.value === o.value ? 'checked' : ''}`}>
              <input type="radio" name={props.name} value={o.value} checked={props.value === o.value} onChange={() => props.onChange(o.value)} />
              <span>{o.label}</span>
            </label>
          )}
        </For>
      </div>
    </fieldset>
  );
}

export function Stat(props: { label: string; value: JSX.Element; hint?: JSX.Element; tone?: string }) {
  return (
    <div class={`stat ${props.tone ? `stat-${props.tone}` : ''}`}>
      <dt class="stat-label">{props.label}</dt>
      <dd class="stat-value">{props.value}</dd>
      <Show when={props.hint}>
        <dd class="stat-hint">{props.hint}</dd>
      </Show>
    </div>
  );
}

/** Copies text; falls back to selecting it when the Clipboard API is unavailable (plain http on a LAN). */
export function CopyButton(props: { text: string; label?: string; targetId?: string }) {
  const [done, setDone] = createSignal(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.text);
    } catch {
      const el = props.targetId ? (document.getElementById(props.targetId) as HTMLInputElement | HTMLTextAreaElement | null) : null;
      el?.select();
      document.execCommand?.('copy');
    }
    setDone(true);
    setTimeout(() => setDone(false), 2500);
  };
  return (
    <button type="button" class="btn btn-secondary" onClick={copy}>
      <Icon name={done() ? 'check' : 'copy'} size={16} />
      <span aria-live="polite">{done() ? t('action.copied') : (props.label ?? t('action.copy'))}</span>
    </button>
  );
}
