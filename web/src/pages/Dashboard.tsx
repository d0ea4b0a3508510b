/** Dashboard: latest sync per loan type, warehouse row counts, syncs over time, and what is pending. */
import { createMemo, createResource, For, onCleanup, Show } from 'solid-js';
import { FILE_TYPES, LOAN_TYPES, type LoanType } from '../../../domain/columns.ts';
import { api, isActiveStatus, type SyncLog } from '../lib/api.ts';
import { ftLabel, lang, ltLabel, syncSummary, t } from '../lib/i18n.ts';
import { displayFileName, fmtBytes, fmtDateTime, fmtInt, fmtPct, fmtRelative, fmtShortDateTime, intervalText } from '../lib/format.ts';
import { A, Async, EmptyState, lastValue, PageHeader, StatusBadge } from '../components/ui.tsx';
import { ChartView, COLORS } from '../components/Chart.tsx';
import { Icon } from '../components/Icon.tsx';

const sumRows = (l: SyncLog) => Object.values(l.files).reduce((n, f) => n + (f?.rows_total ?? 0), 0);
const sumWritten = (l: SyncLog) => Object.values(l.rows_written).reduce((n, x) => n + (x ?? 0), 0);

export default function Dashboard() {
  const [latest, { refetch: refetchLatest }] = createResource(async () => {
    const out = {} as Record<LoanType, SyncLog | null>;
    await Promise.all(LOAN_TYPES.map(async (lt) => (out[lt] = (await api.syncLogs({ loan_type: lt, limit: 1 })).items[0] ?? null)));
    return out;
  });
  const [history, { refetch: refetchHistory }] = createResource(() => api.syncLogs({ limit: 40 }));
  const [counts, { refetch: refetchCounts }] = createResource(async () => {
    const out: { lt: LoanType; ft: (typeof FILE_TYPES)[number]; n: number }[] = [];
    await Promise.all(LOAN_TYPES.flatMap((lt) => FILE_TYPES.map(async (ft) => out.push({ lt, ft, n: await api.rowCount(lt, ft) }))));
    return out.sort((a, b) => LOAN_TYPES.indexOf(a.lt) - LOAN_TYPES.indexOf(b.lt) || FILE_TYPES.indexOf(a.ft) - FILE_TYPES.indexOf(b.ft));
  });
  const [pending, { refetch: refetchPending }] = createResource(async () => {
    const [uploads, configs] = await Promise.all([api.pendingUploads(), api.syncConfigs()]);
    return { uploads, configs };
  });

  // Keep the dashboard current: every 4 s while a sync runs, every 20 s otherwise.
  let timer: number | undefined;
  const tick = () => {
    // From the last value: tick() runs right after refetchLatest(), while the resource is refreshing.
    const running = Object.values(lastValue(latest) ?? {}).some((l) => isActiveStatus(l?.status));
    timer = window.setTimeout(
      () => {
        if (document.visibilityState === 'visible') {
          refetchLatest();
          refetchHistory();
          refetchPending();
          if (!running) refetchCounts();
        }
        tick();
      },
      running ? 4000 : 20000,
    );
  };
  tick();
  onCleanup(() => clearTimeout(timer));

  const chart = createMemo(() => {
    lang(); // relabel on language change
    const items = [...(lastValue(history)?.items ?? [])].reverse();
    return {
      items,
      data: {
        labels: items.map((l) => fmtShortDateTime(l.started_at)),
        datasets: [
          {
            type: 'bar' as const,
            label: t('dash.chartRows'),
            data: items.map(sumRows),
            backgroundColor: items.map((l) => (l.status === 'FAILED' ? COLORS.danger : l.status === 'ABORTED' ? COLORS.warning : COLORS.primarySoft)),
            borderRadius: 4,
            maxBarThickness: 36,
            yAxisID: 'y',
            order: 2,
          },
          {
            type: 'line' as const,
            label: t('dash.chartErrorRate'),
            data: items.map((l) => Math.round(l.error_rate * 10000) / 100),
            borderColor: COLORS.danger,
            backgroundColor: COLORS.danger,
            pointRadius: 3,
            tension: 0.25,
            yAxisID: 'y1',
            order: 1,
          },
        ],
      },
    };
  });

  return (
    <>
      <PageHeader
        title={t('nav.dashboard')}
        subtitle={t('dash.subtitle')}
        actions={
          <A href="/upload" class="btn btn-primary">
            <Icon name="upload" size={16} />
            {t('dash.uploadFiles')}
          </A>
        }
      />

      <section aria-labelledby="latest-title" class="section">
        <h2 id="latest-title" class="section-title">
          {t('dash.latestSyncs')}
        </h2>
        <Async resource={latest} refetch={refetchLatest} loadingRows={3}>
          {(byType) => (
            <div class="grid grid-2">
              <For each={LOAN_TYPES}>
                {(lt) => {
                  const log = () => byType()[lt];
                  return (
                    <article class="card loan-card" aria-labelledby={`lt-${lt}`}>
                      <div class="card-head">
                        <h3 id={`lt-${lt}`} class="card-title">
                          {ltLabel(lt)}
                        </h3>
                        <Show when={log()}>
                          <StatusBadge status={log()!.status} />
                        </Show>
                      </div>
                      <Show
                        when={log()}
                        fallback={
                          <EmptyState title={t('dash.noSyncYet')} icon="syncs">
                            <A href={`/upload?loan_type=${lt}`}>{t('dash.uploadToStart')}</A>
                          </EmptyState>
                        }
                      >
                        <dl class="stats stats-3">
                          <div class="stat">
                            <dt class="stat-label">{t('dash.when')}</dt>
                            <dd class="stat-value stat-value-sm">
                              <time datetime={log()!.started_at} title={fmtDateTime(log()!.started_at)}>
                                {fmtRelative(log()!.started_at)}
                              </time>
                            </dd>
                            <dd class="stat-hint">{fmtDateTime(log()!.started_at)}</dd>
                          </div>
                          <div class="stat">
                            <dt class="stat-label">{t('dash.rowsWritten')}</dt>
                            <dd class="stat-value">{fmtInt(sumWritten(log()!))}</dd>
                            <dd class="stat-hint">
                              {t('dash.ofRows', { n: fmtInt(sumRows(log()!)) })}
                            </dd>
                          </div>
                          <div class="stat">
                            <dt class="stat-label">{t('dash.errorRate')}</dt>
                            <dd class={`stat-value ${log()!.error_rate > 0.5 ? 'text-danger' : log()!.error_rate > 0 ? 'text-warning' : ''}`}>{fmtPct(log()!.error_rate)}</dd>
                            <dd class="stat-hint">{t(`trigger.${log()!.trigger}`)}</dd>
                          </div>
                        </dl>
                        <Show when={syncSummary(log()!)}>
                          <p class="card-message">{syncSummary(log()!)}</p>
                        </Show>
                        <div class="card-foot">
                          <A href={`/syncs/${log()!.sync_id}`} class="link-strong">
                            {isActiveStatus(log()!.status) ? t('dash.watchProgress') : t('dash.viewSync')}
                            <Icon name="right" size={15} />
                          </A>
                        </div>
                      </Show>
                    </article>
                  );
                }}
              </For>
            </div>
          )}
        </Async>
      </section>

      <div class="grid grid-dash">
        <section aria-labelledby="chart-title" class="card">
          <div class="card-head">
            <h2 id="chart-title" class="card-title">
              {t('dash.chartTitle')}
            </h2>
            <A href="/syncs" class="link-muted small">
              {t('dash.allSyncs')}
            </A>
          </div>
          <Async resource={history} refetch={refetchHistory}>
            {(h) => (
              <Show
                when={h().items.length > 0}
                fallback={
                  <EmptyState title={t('dash.noHistory')} icon="profiling">
                    {t('dash.noHistoryText')}
                  </EmptyState>
                }
              >
                <ChartView
                  type="bar"
                  label={t('dash.chartAria', { n: chart().items.length })}
                  height={260}
                  data={chart().data as never}
                  options={{
                    interaction: { mode: 'index', intersect: false },
                    plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } },
                    scales: {
                      x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 8 } },
                      y: { beginAtZero: true, title: { display: true, text: t('dash.chartRows') }, ticks: { precision: 0 } },
                      y1: { beginAtZero: true, position: 'right', suggestedMax: 10, title: { display: true, text: t('dash.chartErrorRate') }, grid: { drawOnChartArea: false } },
                    },
                  }}
                  table={{
                    headers: [t('syncs.started'), t('syncs.status'), t('dash.chartRows'), t('dash.chartErrorRate')],
                    rows: chart().items.map((l) => [fmtDateTime(l.started_at), `${ltLabel(l.loan_type)} · ${t(`status.${l.status}`)}`, fmtInt(sumRows(l)), fmtPct(l.error_rate, 2)]),
                  }}
                />
              </Show>
            )}
          </Async>
        </section>

        <div class="stack">
          <section aria-labelledby="wh-title" class="card">
            <div class="card-head">
              <h2 id="wh-title" class="card-title">
                {t('dash.warehouse')}
              </h2>
              <A href="/data" class="link-muted small">
                {t('dash.browseData')}
              </A>
            </div>
            <Async resource={counts} refetch={refetchCounts} loadingRows={2}>
              {(c) => (
                <dl class="stats stats-2">
                  <For each={c()}>
                    {(x) => (
                      <div class="stat">
                        <dt class="stat-label">
                          {ltLabel(x.lt)} · {ftLabel(x.ft)}
                        </dt>
                        <dd class="stat-value">
                          <A href={`/data?loan_type=${x.lt}&file_type=${x.ft}`} class="plain-link">
                            {fmtInt(x.n)}
                          </A>
                        </dd>
                        <dd class="stat-hint">{t('dash.rows')}</dd>
                      </div>
                    )}
                  </For>
                </dl>
              )}
            </Async>
          </section>

          <section aria-labelledby="pending-title" class="card">
            <div class="card-head">
              <h2 id="pending-title" class="card-title">
                {t('dash.pending')}
              </h2>
              <A href="/upload" class="link-muted small">
                {t('nav.upload')}
              </A>
            </div>
            <Async resource={pending} refetch={refetchPending} loadingRows={2}>
              {(p) => (
                <>
                  <Show
                    when={p().uploads.length > 0}
                    fallback={
                      <p class="muted small pending-empty">
                        <Icon name="check" size={15} /> {t('dash.nothingPending')}
                      </p>
                    }
                  >
                    <ul class="pending-list">
                      <For each={p().uploads}>
                        {(u) => (
                          <li>
                            <Icon name="file" size={16} />
                            <div>
                              <strong>
                                {ltLabel(u.loan_type)} · {ftLabel(u.file_type)}
                              </strong>
                              <span class="muted small">
                                {displayFileName(u.original_name)} — {t('dash.rowsN', { n: fmtInt(u.rows) })}, {fmtBytes(u.bytes)}, {fmtRelative(u.uploaded_at)}
                              </span>
                            </div>
                          </li>
                        )}
                      </For>
                    </ul>
                    <A href="/upload" class="btn btn-secondary btn-sm">
                      <Icon name="play" size={14} />
                      {t('upload.syncNow')}
                    </A>
                  </Show>
                  <h3 class="subhead">{t('dash.schedules')}</h3>
                  <ul class="schedule-list">
                    <For each={p().configs}>
                      {(c) => (
                        <li>
                          <span>{ltLabel(c.loan_type)}</span>
                          <span class={c.enabled ? 'pill pill-on' : 'pill pill-off'}>
                            {c.enabled ? t('dash.everyN', { d: intervalText(c.interval_seconds) }) : t('settings.disabled')}
                          </span>
                        </li>
                      )}
                    </For>
                  </ul>
                </>
              )}
            </Async>
          </section>
        </div>
      </div>
    </>
  );
}
