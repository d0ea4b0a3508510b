/**
 * Validation errors of a sync: by code and by column as charts, a filterable, paged table, and the failed-records
 * CSV download. The sync comes from ?sync= (defaults to the latest sync with errors).
 */
import { createEffect, createMemo, createResource, For, Show } from 'solid-js';
import { ERROR_CODES, FILE_TYPES, type FileType } from '../../../domain/columns.ts';
import { api, type SyncLog } from '../lib/api.ts';
import { colLabel, ftLabel, lang, ltLabel, t } from '../lib/i18n.ts';
import { fmtDateTime, fmtInt, fmtShortDateTime } from '../lib/format.ts';
import { navigate, queryParam, setQuery } from '../lib/router.ts';
import { A, Async, EmptyState, PageHeader, Pager, StatusBadge } from '../components/ui.tsx';
import { ChartView, COLORS, SERIES } from '../components/Chart.tsx';
import { Icon } from '../components/Icon.tsx';

const PAGE = 50;
const totalErrors = (l: SyncLog) => Object.values(l.errors_by_code).reduce((a, b) => a + b, 0);
const fieldLabelLines = (key: string): [string, string] => {
  const [ft, col] = key.split('.', 2) as [FileType, string];
  return [ftLabel(ft), colLabel(col ?? ft)];
};
const fieldLabel = (key: string) => fieldLabelLines(key).join(' · ');

export default function Errors() {
  const [recent, { refetch: refetchRecent }] = createResource(() => api.syncLogs({ limit: 50 }));
  const syncId = () => queryParam('sync');

  // No sync chosen: open the latest one with errors (or simply the latest).
  createEffect(() => {
    if (syncId() || recent.state !== 'ready') return;
    const items = recent()!.items;
    const pick = items.find((l) => l.finished_at && totalErrors(l) > 0) ?? items[0];
    if (pick) navigate(`/errors?sync=${pick.sync_id}`, { replace: true });
  });

  const [log, { refetch: refetchLog }] = createResource(() => syncId() || false, (id) => api.syncLog(id));

  const filters = () => {
    const ft = queryParam('file_type');
    const code = queryParam('code').toUpperCase();
    const field = queryParam('field');
    const [fieldFt, fieldCol] = field.includes('.') ? field.split('.', 2) : ['', field];
    return {
      file_type: ((FILE_TYPES as readonly string[]).includes(fieldFt) ? fieldFt : (FILE_TYPES as readonly string[]).includes(ft) ? ft : '') as FileType | '',
      code: (ERROR_CODES as readonly string[]).includes(code) ? code : '',
      field: fieldCol,
      fieldKey: field,
      offset: Math.max(0, Number(queryParam('offset', '0')) || 0),
    };
  };
  const [errors, { refetch: refetchErrors }] = createResource(
    () => (syncId() ? { id: syncId(), ...filters() } : false),
    (q) => api.syncErrors(q.id, { file_type: q.file_type, code: q.code, field: q.field, limit: PAGE, offset: q.offset }),
  );

  const codeChart = createMemo(() => {
    lang();
    const l = log.state === 'ready' ? log()! : null;
    const entries = l ? Object.entries(l.errors_by_code).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]) : [];
    return {
      entries,
      data: {
        labels: entries.map(([c]) => t(`code.${c}` as never)),
        datasets: [{ label: t('errors.count'), data: entries.map(([, n]) => n), backgroundColor: entries.map((_, i) => SERIES[i % SERIES.length]), borderRadius: 4 }],
      },
    };
  });
  const fieldChart = createMemo(() => {
    lang();
    const l = log.state === 'ready' ? log()! : null;
    const entries = l ? Object.entries(l.errors_by_field).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]) : [];
    const top = entries.slice(0, 12);
    return {
      entries,
      top,
      data: {
        // File and column on two lines: on one, the longest labels were cut at the chart's left edge.
        labels: top.map(([k]) => fieldLabelLines(k)),
        datasets: [{ label: t('errors.count'), data: top.map(([, n]) => n), backgroundColor: COLORS.primarySoft, borderRadius: 4 }],
      },
    };
  });

  const fieldOptions = () => {
    const l = log.state === 'ready' ? log()! : null;
    return l ? Object.keys(l.errors_by_field).sort() : [];
  };
  const hasFilters = () => Boolean(filters().file_type || filters().code || filters().fieldKey);

  return (
    <>
      <PageHeader
        title={t('nav.errors')}
        subtitle={t('errors.subtitle')}
        actions={
          <Show when={syncId()}>
            <a class="btn btn-secondary" href={api.failedRecordsUrl(syncId(), filters().file_type)} download="">
              <Icon name="download" size={15} />
              {t('errors.downloadCsv')}
            </a>
          </Show>
        }
      />

      <Async resource={recent} refetch={refetchRecent} loadingRows={2}>
        {(r) => (
          <Show when={r().items.length > 0} fallback={<EmptyState title={t('syncs.none')} icon="errors" action={<A href="/upload" class="btn btn-primary btn-sm">{t('dash.uploadFiles')}</A>} />}>
            <div class="toolbar">
              <div class="field field-inline field-grow">
                <label for="e-sync" class="field-label">
                  {t('errors.sync')}
                </label>
                <select id="e-sync" class="select" value={syncId()} onChange={(e) => navigate(`/errors?sync=${e.currentTarget.value}`)}>
                  <Show when={syncId() && !r().items.some((l) => l.sync_id === syncId())}>
                    <option value={syncId()}>{syncId()}</option>
                  </Show>
                  <For each={r().items}>
                    {(l) => (
                      <option value={l.sync_id}>
                        {fmtShortDateTime(l.started_at)} · {ltLabel(l.loan_type)} · {t(`status.${l.status}`)} · {t('errors.nErrors', { n: fmtInt(totalErrors(l)) })}
                      </option>
                    )}
                  </For>
                </select>
              </div>
            </div>

            <Show when={syncId()}>
              <Async resource={log} refetch={refetchLog} loadingRows={4}>
                {(l) => (
                  <>
                    <p class="sync-context">
                      <StatusBadge status={l().status} /> {ltLabel(l().loan_type)} · {fmtDateTime(l().started_at)} ·{' '}
                      <A href={`/syncs/${l().sync_id}`}>{t('errors.openSync')}</A>
                    </p>
                    <Show
                      when={totalErrors(l()) > 0}
                      fallback={
                        <EmptyState title={t('errors.none')} icon="check">
                          {t('errors.noneText')}
                        </EmptyState>
                      }
                    >
                      <div class="grid grid-2">
                        <section class="card" aria-labelledby="by-code-title">
                          <h2 id="by-code-title" class="card-title">
                            {t('errors.byCode')}
                          </h2>
                          <ChartView
                            type="bar"
                            label={t('errors.byCodeAria', { list: codeChart().entries.map(([c, n]) => `${c} ${n}`).join(', ') })}
                            data={codeChart().data}
                            height={230}
                            options={{
                              plugins: { legend: { display: false } },
                              scales: { y: { beginAtZero: true, ticks: { precision: 0 } }, x: { grid: { display: false } } },
                              onClick: (_e, els) => {
                                const i = els[0]?.index;
                                if (i !== undefined) setQuery({ code: codeChart().entries[i][0], offset: null });
                              },
                            }}
                            table={{ headers: [t('errors.code'), t('errors.count')], rows: codeChart().entries.map(([c, n]) => [`${t(`code.${c}` as never)} (${c})`, fmtInt(n)]) }}
                          />
                        </section>
                        <section class="card" aria-labelledby="by-col-title">
                          <h2 id="by-col-title" class="card-title">
                            {t('errors.byColumn')}
                          </h2>
                          <ChartView
                            type="bar"
                            label={t('errors.byColumnAria', { list: fieldChart().top.map(([k, n]) => `${k} ${n}`).join(', ') })}
                            data={fieldChart().data}
                            height={Math.max(180, fieldChart().top.length * 34 + 40)}
                            options={{
                              indexAxis: 'y',
                              plugins: { legend: { display: false } },
                              scales: { x: { beginAtZero: true, ticks: { precision: 0 } }, y: { grid: { display: false } } },
                              onClick: (_e, els) => {
                                const i = els[0]?.index;
                                if (i !== undefined) setQuery({ field: fieldChart().top[i][0], offset: null });
                              },
                            }}
                            table={{ headers: [t('errors.column'), t('errors.count')], rows: fieldChart().entries.map(([k, n]) => [fieldLabel(k), fmtInt(n)]) }}
                          />
                        </section>
                      </div>

                      <section class="card card-flush" aria-labelledby="err-table-title">
                        <div class="card-head card-pad">
                          <h2 id="err-table-title" class="card-title">
                            {t('errors.tableTitle')}
                          </h2>
                        </div>
                        <form class="toolbar filters card-pad" role="search" aria-label={t('errors.filtersAria')} onSubmit={(e) => e.preventDefault()}>
                          <div class="field field-inline">
                            <label for="e-ft" class="field-label">
                              {t('common.fileType')}
                            </label>
                            <select
                              id="e-ft"
                              class="select"
                              value={filters().file_type}
                              onChange={(e) => setQuery({ file_type: e.currentTarget.value, field: null, offset: null })}
                            >
                              <option value="">{t('common.all')}</option>
                              <For each={FILE_TYPES.filter((ft) => l().files[ft])}>{(ft) => <option value={ft}>{ftLabel(ft)}</option>}</For>
                            </select>
                          </div>
                          <div class="field field-inline">
                            <label for="e-code" class="field-label">
                              {t('errors.code')}
                            </label>
                            <select id="e-code" class="select" value={filters().code} onChange={(e) => setQuery({ code: e.currentTarget.value, offset: null })}>
                              <option value="">{t('common.all')}</option>
                              <For each={ERROR_CODES.filter((c) => (l().errors_by_code[c] ?? 0) > 0)}>
                                {(c) => (
                                  <option value={c}>
                                    {t(`code.${c}`)} ({fmtInt(l().errors_by_code[c])})
                                  </option>
                                )}
                              </For>
                            </select>
                          </div>
                          <div class="field field-inline">
                            <label for="e-field" class="field-label">
                              {t('errors.column')}
                            </label>
                            <select id="e-field" class="select" value={filters().fieldKey} onChange={(e) => setQuery({ field: e.currentTarget.value, offset: null })}>
                              <option value="">{t('common.all')}</option>
                              <For each={fieldOptions().filter((k) => !filters().file_type || k.startsWith(`${filters().file_type}.`) || k === filters().fieldKey)}>
                                {(k) => (
                                  <option value={k}>
                                    {fieldLabel(k)} ({fmtInt(l().errors_by_field[k])})
                                  </option>
                                )}
                              </For>
                            </select>
                          </div>
                          <Show when={hasFilters()}>
                            <button type="button" class="btn btn-ghost btn-sm" onClick={() => setQuery({ file_type: null, code: null, field: null, offset: null })}>
                              <Icon name="close" size={14} />
                              {t('action.clearFilters')}
                            </button>
                          </Show>
                        </form>
                        <Async resource={errors} refetch={refetchErrors} loadingRows={6}>
                          {(page) => (
                            <Show when={page().items.length > 0} fallback={<EmptyState title={t('errors.noMatch')} icon="filter" />}>
                              <div class="table-scroll">
                                <table class="table">
                                  <caption class="sr-only">{t('errors.tableTitle')}</caption>
                                  <thead>
                                    <tr>
                                      <th scope="col">{t('common.fileType')}</th>
                                      <th scope="col" class="num">
                                        {t('errors.row')}
                                      </th>
                                      <th scope="col">{t('errors.column')}</th>
                                      <th scope="col">{t('errors.code')}</th>
                                      <th scope="col">{t('errors.message')}</th>
                                      <th scope="col">{t('errors.value')}</th>
                                    </tr>
                                  </thead>
                                  <tbody>
                                    <For each={page().items}>
                                      {(e) => (
                                        <tr>
                                          <td>{ftLabel(e.file_type)}</td>
                                          <td class="num">{fmtInt(e.row)}</td>
                                          <td>
                                            {colLabel(e.field)}
                                            <div class="muted small mono">{e.field}</div>
                                          </td>
                                          <td>
                                            <span class={`code-tag code-${e.code.toLowerCase()}`}>{t(`code.${e.code}` as never)}</span>
                                          </td>
                                          <td class="wrap">{e.message}</td>
                                          <td class="mono small truncate" title={e.value ?? ''}>
                                            {e.value === null ? <span class="muted">{t('common.empty')}</span> : e.value === '' ? <span class="muted">""</span> : e.value}
                                          </td>
                                        </tr>
                                      )}
                                    </For>
                                  </tbody>
                                </table>
                              </div>
                              <Pager label={t('errors.pagerAria')} total={page().total} limit={page().limit} offset={page().offset} onChange={(o) => setQuery({ offset: o || null })} />
                            </Show>
                          )}
                        </Async>
                      </section>
                    </Show>
                  </>
                )}
              </Async>
            </Show>
          </Show>
        )}
      </Async>
    </>
  );
}
