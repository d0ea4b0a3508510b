/** Per-column statistics of the warehouse data with charts: histograms for numbers and dates, top values for codes. */
import { createMemo, createResource, createSignal, For, Show } from 'solid-js';
import { COLUMNS, FILE_TYPES, isUsed, LOAN_TYPES, type FileType, type LoanType } from '../../../domain/columns.ts';
import { api, type ColumnProfile } from '../lib/api.ts';
import { colLabel, ftLabel, lang, ltLabel, t } from '../lib/i18n.ts';
import { fmtCompact, fmtDate, fmtDateTime, fmtInt, fmtNum, fmtPct, roundDecimal } from '../lib/format.ts';
import { queryParam, setQuery } from '../lib/router.ts';
import { A, Async, EmptyState, PageHeader, Segmented, Stat } from '../components/ui.tsx';
import { ChartView, COLORS } from '../components/Chart.tsx';

export default function Profiling() {
  const loanType = () => {
    const q = queryParam('loan_type').toUpperCase();
    return ((LOAN_TYPES as readonly string[]).includes(q) ? q : 'RETAIL') as LoanType;
  };
  const fileType = () => ((FILE_TYPES as readonly string[]).includes(queryParam('file_type')) ? queryParam('file_type') : 'credit') as FileType;
  const [profile, { refetch }] = createResource(
    () => ({ lt: loanType(), ft: fileType() }),
    (q) => api.profile(q.lt, q.ft),
  );
  const [search, setSearch] = createSignal('');

  const used = createMemo(() => new Set(COLUMNS[fileType()].filter((c) => isUsed(c, loanType())).map((c) => c.name)));

  return (
    <>
      <PageHeader title={t('nav.profiling')} subtitle={t('profiling.subtitle')} />
      <div class="toolbar">
        <Segmented
          name="prof-loan-type"
          label={t('common.loanType')}
          value={loanType()}
          options={LOAN_TYPES.map((lt) => ({ value: lt, label: ltLabel(lt) }))}
          onChange={(v) => setQuery({ loan_type: v })}
        />
        <Segmented
          name="prof-file-type"
          label={t('common.fileType')}
          value={fileType()}
          options={FILE_TYPES.map((ft) => ({ value: ft, label: ftLabel(ft) }))}
          onChange={(v) => setQuery({ file_type: v })}
        />
        <span class="toolbar-spacer" />
        <div class="field">
          <label for="prof-search" class="field-label">
            {t('profiling.find')}
          </label>
          <input id="prof-search" type="search" class="input input-sm" placeholder={t('profiling.findPlaceholder')} value={search()} onInput={(e) => setSearch(e.currentTarget.value)} />
        </div>
      </div>

      <Async resource={profile} refetch={refetch} loadingRows={8}>
        {(p) => (
          <Show
            when={p().row_count > 0}
            fallback={
              <EmptyState title={t('data.empty', { lt: ltLabel(loanType()), ft: ftLabel(fileType()) })} icon="profiling" action={<A href={`/upload?loan_type=${loanType()}`} class="btn btn-primary btn-sm">{t('dash.uploadFiles')}</A>} />
            }
          >
            <dl class="stats stats-3 card">
              <Stat label={t('common.rows')} value={fmtInt(p().row_count)} />
              <Stat label={t('profiling.columns')} value={fmtInt(p().columns.filter((c) => used().has(c.name)).length)} />
              <Stat label={t('profiling.profiledAt')} value={<span class="stat-value-sm">{fmtDateTime(p().profiled_at)}</span>} hint={t('profiling.cacheNote')} />
            </dl>
            <div class="grid grid-profile">
              <For
                each={p().columns.filter((c) => used().has(c.name) && (!search() || `${c.name} ${colLabel(c.name)}`.toLocaleLowerCase().includes(search().toLocaleLowerCase())))}
                fallback={<EmptyState title={t('profiling.noColumn')} icon="filter" />}
              >
                {(c) => <ColumnCard col={c} rows={p().row_count} />}
              </For>
            </div>
          </Show>
        )}
      </Async>
    </>
  );
}

function ColumnCard(props: { col: ColumnProfile; rows: number }) {
  const c = () => props.col;
  const isDate = () => c().type === 'date';
  /** Axis/bin labels: dates, rates as percentages (stored as fractions), large numbers compact. */
  const fmtBin = (x: number, short: boolean) =>
    isDate() ? fmtDate(x) : c().type === 'percent' ? fmtPct(x, 2) : short && Math.abs(x) >= 10_000 ? fmtCompact(x) : fmtNum(x);
  const binLabel = (from: number, to: number) => `${fmtBin(from, false)} – ${fmtBin(to, false)}`;
  const chart = createMemo(() => {
    lang();
    if (c().histogram && c().histogram!.length) {
      const h = c().histogram!;
      return {
        kind: 'hist' as const,
        labels: h.map((b) => binLabel(b.from, b.to)),
        short: h.map((b) => fmtBin(b.from, true)),
        values: h.map((b) => b.count),
      };
    }
    if (c().top && c().top!.length) {
      const top = c().top!;
      return { kind: 'top' as const, labels: top.map((x) => x.value), short: top.map((x) => x.value), values: top.map((x) => x.count) };
    }
    return null;
  });
  const id = () => `col-${c().name}`;
  return (
    <article class="card col-card" aria-labelledby={id()}>
      <div class="card-head">
        <div>
          <h2 id={id()} class="card-title">
            {colLabel(c().name)}
          </h2>
          <p class="muted small mono">{c().name}</p>
        </div>
        <span class={`pill pill-type-${c().type}`}>{t(`type.${c().type}` as never)}</span>
      </div>
      <dl class="mini-stats">
        <div>
          <dt>{t('profiling.nulls')}</dt>
          <dd>
            {fmtInt(c().nulls)} <span class="muted">({fmtPct(props.rows ? c().nulls / props.rows : 0)})</span>
          </dd>
        </div>
        <div>
          <dt>{t('profiling.distinct')}</dt>
          <dd>{fmtInt(c().distinct)}</dd>
        </div>
        <div>
          <dt>{t('profiling.min')}</dt>
          <dd class="mono-num truncate" title={String(c().min ?? '')}>
            {c().min ?? '—'}
          </dd>
        </div>
        <div>
          <dt>{t('profiling.max')}</dt>
          <dd class="mono-num truncate" title={String(c().max ?? '')}>
            {c().max ?? '—'}
          </dd>
        </div>
        <Show when={c().mean !== undefined}>
          <div>
            <dt>{t('profiling.mean')}</dt>
            <dd class="mono-num truncate" title={c().mean ?? ''}>
              {c().mean ? roundDecimal(c().mean!, c().type === 'money' ? 2 : c().type === 'percent' ? 6 : 2) : '—'}
            </dd>
          </div>
        </Show>
        <Show when={c().sum !== undefined}>
          <div>
            <dt>{t('profiling.sum')}</dt>
            <dd class="mono-num truncate" title={c().sum ?? ''}>
              {c().sum ?? '—'}
            </dd>
          </div>
        </Show>
      </dl>
      <Show when={chart()} fallback={<p class="muted small no-chart">{t('profiling.noChart')}</p>}>
        {(ch) => (
          <>
            <p class="chart-caption">{ch().kind === 'hist' ? t('profiling.histogram') : t('profiling.topValues')}</p>
            <ChartView
              type="bar"
              height={ch().kind === 'top' ? Math.max(120, ch().labels.length * 22 + 30) : 170}
              label={
                ch().kind === 'hist'
                  ? t('profiling.histAria', { col: colLabel(c().name), n: ch().labels.length })
                  : t('profiling.topAria', { col: colLabel(c().name), list: ch().labels.map((l, i) => `${l} ${ch().values[i]}`).join(', ') })
              }
              data={{
                labels: ch().short,
                datasets: [{ label: t('profiling.count'), data: ch().values, backgroundColor: ch().kind === 'hist' ? COLORS.primarySoft : COLORS.teal, borderRadius: 3, barPercentage: ch().kind === 'hist' ? 0.95 : 0.8, categoryPercentage: ch().kind === 'hist' ? 1 : 0.85 }],
              }}
              options={{
                indexAxis: ch().kind === 'top' ? 'y' : 'x',
                plugins: {
                  legend: { display: false },
                  tooltip: { callbacks: { title: (items) => ch().labels[items[0]?.dataIndex ?? 0] } },
                },
                scales:
                  ch().kind === 'top'
                    ? { x: { beginAtZero: true, ticks: { precision: 0, maxTicksLimit: 5 } }, y: { grid: { display: false } } }
                    : { x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 4, font: { size: 10 } } }, y: { beginAtZero: true, ticks: { precision: 0, maxTicksLimit: 4 } } },
              }}
              table={{ headers: [ch().kind === 'hist' ? t('profiling.range') : t('profiling.value'), t('profiling.count')], rows: ch().labels.map((l, i) => [l, fmtInt(ch().values[i])]) }}
            />
          </>
        )}
      </Show>
    </article>
  );
}
