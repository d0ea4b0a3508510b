/** Sync history with loan type / status filters and paging (state in the URL: back/forward and links work). */
import { createResource, For, onCleanup, Show } from 'solid-js';
import { LOAN_TYPES, type LoanType } from '../../../domain/columns.ts';
import { api, isActiveStatus, SYNC_STATUSES, type SyncLog, type SyncStatus } from '../lib/api.ts';
import { ltLabel, t } from '../lib/i18n.ts';
import { durationBetween, fmtDateTime, fmtDuration, fmtInt, fmtPct, fmtRelative, shortId } from '../lib/format.ts';
import { navigate, queryParam, setQuery } from '../lib/router.ts';
import { A, Async, EmptyState, PageHeader, Pager, StatusBadge } from '../components/ui.tsx';
import { Icon } from '../components/Icon.tsx';

const PAGE = 20;
const rowsOf = (l: SyncLog) => Object.values(l.files).reduce((n, f) => n + (f?.rows_total ?? 0), 0);
const writtenOf = (l: SyncLog) => Object.values(l.rows_written).reduce((n, x) => n + (x ?? 0), 0);

export default function Syncs() {
  const filters = () => {
    const lt = queryParam('loan_type').toUpperCase();
    const st = queryParam('status').toUpperCase();
    const offset = Math.max(0, Number(queryParam('offset', '0')) || 0);
    return {
      loan_type: ((LOAN_TYPES as readonly string[]).includes(lt) ? lt : '') as LoanType | '',
      status: ((SYNC_STATUSES as readonly string[]).includes(st) ? st : '') as SyncStatus | '',
      offset,
      limit: PAGE,
    };
  };
  const [logs, { refetch }] = createResource(filters, (f) => api.syncLogs(f));

  // Refresh while something on this page is running.
  const timer = window.setInterval(() => {
    if (document.visibilityState === 'visible' && logs.state === 'ready' && logs()!.items.some((l) => isActiveStatus(l.status))) refetch();
  }, 3000);
  onCleanup(() => clearInterval(timer));

  const hasFilters = () => Boolean(filters().loan_type || filters().status);

  return (
    <>
      <PageHeader title={t('nav.syncs')} subtitle={t('syncs.subtitle')} />
      <form class="toolbar filters" role="search" aria-label={t('syncs.filtersAria')} onSubmit={(e) => e.preventDefault()}>
        <div class="field field-inline">
          <label for="f-lt" class="field-label">
            {t('common.loanType')}
          </label>
          <select id="f-lt" class="select" value={filters().loan_type} onChange={(e) => setQuery({ loan_type: e.currentTarget.value, offset: null })}>
            <option value="">{t('common.all')}</option>
            <For each={LOAN_TYPES}>{(lt) => <option value={lt}>{ltLabel(lt)}</option>}</For>
          </select>
        </div>
        <div class="field field-inline">
          <label for="f-status" class="field-label">
            {t('syncs.status')}
          </label>
          <select id="f-status" class="select" value={filters().status} onChange={(e) => setQuery({ status: e.currentTarget.value, offset: null })}>
            <option value="">{t('common.all')}</option>
            <For each={SYNC_STATUSES}>{(s) => <option value={s}>{t(`status.${s}`)}</option>}</For>
          </select>
        </div>
        <Show when={hasFilters()}>
          <button type="button" class="btn btn-ghost btn-sm" onClick={() => setQuery({ loan_type: null, status: null, offset: null })}>
            <Icon name="close" size={14} />
            {t('action.clearFilters')}
          </button>
        </Show>
        <span class="toolbar-spacer" />
        <button type="button" class="btn btn-ghost btn-sm" onClick={() => refetch()}>
          <Icon name="refresh" size={14} />
          {t('action.refresh')}
        </button>
      </form>

      <section class="card card-flush" aria-labelledby="page-title">
        <Async resource={logs} refetch={refetch} loadingRows={6}>
          {(page) => (
            <Show
              when={page().items.length > 0}
              fallback={
                <EmptyState
                  title={hasFilters() ? t('syncs.noMatch') : t('syncs.none')}
                  icon="syncs"
                  action={
                    hasFilters() ? (
                      <button type="button" class="btn btn-secondary btn-sm" onClick={() => setQuery({ loan_type: null, status: null, offset: null })}>
                        {t('action.clearFilters')}
                      </button>
                    ) : (
                      <A href="/upload" class="btn btn-primary btn-sm">
                        {t('dash.uploadFiles')}
                      </A>
                    )
                  }
                />
              }
            >
              <div class="table-scroll">
                <table class="table table-hover">
                  <caption class="sr-only">{t('syncs.caption')}</caption>
                  <thead>
                    <tr>
                      <th scope="col">{t('syncs.started')}</th>
                      <th scope="col">{t('common.loanType')}</th>
                      <th scope="col">{t('syncs.status')}</th>
                      <th scope="col">{t('syncs.trigger')}</th>
                      <th scope="col" class="num">
                        {t('syncs.duration')}
                      </th>
                      <th scope="col" class="num">
                        {t('common.rows')}
                      </th>
                      <th scope="col" class="num">
                        {t('dash.rowsWritten')}
                      </th>
                      <th scope="col" class="num">
                        {t('dash.errorRate')}
                      </th>
                      <th scope="col">{t('syncs.id')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    <For each={page().items}>
                      {(l) => (
                        <tr class="clickable" onClick={(e) => (e.target as HTMLElement).closest('a') || navigate(`/syncs/${l.sync_id}`)}>
                          <td>
                            <A href={`/syncs/${l.sync_id}`} class="link-strong" aria-label={t('syncs.openAria', { when: fmtDateTime(l.started_at), lt: ltLabel(l.loan_type) })}>
                              {fmtDateTime(l.started_at)}
                            </A>
                            <div class="muted small">{fmtRelative(l.started_at)}</div>
                          </td>
                          <td>{ltLabel(l.loan_type)}</td>
                          <td>
                            <StatusBadge status={l.status} />
                          </td>
                          <td>{t(`trigger.${l.trigger}`)}</td>
                          <td class="num">{l.finished_at ? fmtDuration(durationBetween(l.started_at, l.finished_at)) : '—'}</td>
                          <td class="num">{fmtInt(rowsOf(l))}</td>
                          <td class="num">{fmtInt(writtenOf(l))}</td>
                          <td class={`num ${l.error_rate > 0.5 ? 'text-danger' : ''}`}>{fmtPct(l.error_rate)}</td>
                          <td class="mono small">{shortId(l.sync_id)}</td>
                        </tr>
                      )}
                    </For>
                  </tbody>
                </table>
              </div>
              <Pager label={t('syncs.pagerAria')} total={page().total} limit={page().limit} offset={page().offset} onChange={(o) => setQuery({ offset: o || null })} />
            </Show>
          )}
        </Async>
      </section>
    </>
  );
}
