/**
 * Warehouse rows of a loan type and file type: paginated, sortable, filterable (code columns by value, date
 * columns by range), with a column chooser. All state lives in the URL; money and rates are shown exactly as sent.
 */
import { createMemo, createResource, For, Show } from 'solid-js';
import { COLUMNS, FILE_TYPES, isUsed, LOAN_TYPES, SYSTEM_COLUMNS, type ColumnDef, type FileType, type LoanType } from '../../../domain/columns.ts';
import { api } from '../lib/api.ts';
import { colLabel, ftLabel, ltLabel, t } from '../lib/i18n.ts';
import { fmtInt } from '../lib/format.ts';
import { location, queryParam, setQuery } from '../lib/router.ts';
import { A, Async, EmptyState, PageHeader, Pager, Segmented } from '../components/ui.tsx';
import { Icon } from '../components/Icon.tsx';

const NUMERIC = new Set(['int', 'money', 'percent']);
const PAGE_SIZES = [25, 50, 100];
const SYSTEM_NAMES = SYSTEM_COLUMNS.map((c) => c.name);

export default function Data() {
  const loanType = () => {
    const q = queryParam('loan_type').toUpperCase();
    return ((LOAN_TYPES as readonly string[]).includes(q) ? q : 'RETAIL') as LoanType;
  };
  const fileType = () => ((FILE_TYPES as readonly string[]).includes(queryParam('file_type')) ? queryParam('file_type') : 'credit') as FileType;
  const defs = createMemo(() => COLUMNS[fileType()].filter((c) => isUsed(c, loanType())));
  const defByName = createMemo(() => new Map(COLUMNS[fileType()].map((c) => [c.name, c])));
  const allNames = createMemo(() => [...defs().map((c) => c.name), ...SYSTEM_NAMES]);
  const visible = createMemo(() => {
    const q = queryParam('columns');
    const chosen = q ? q.split(',').filter((n) => allNames().includes(n)) : [];
    return chosen.length ? chosen : defs().map((c) => c.name);
  });
  const limit = () => (PAGE_SIZES.includes(Number(queryParam('limit'))) ? Number(queryParam('limit')) : 25);
  const offset = () => Math.max(0, Number(queryParam('offset', '0')) || 0);
  const sort = () => queryParam('sort');

  /** Filters as the API takes them: <code column>=V1,V2 and <date column>_from/_to. */
  const filterParams = createMemo(() => {
    location();
    const out: Record<string, string> = {};
    for (const c of defs()) {
      if (c.type === 'code' && queryParam(c.name)) out[c.name] = queryParam(c.name);
      if (c.type === 'date') {
        for (const suffix of ['_from', '_to']) if (/^\d{4}-\d{2}-\d{2}$/.test(queryParam(c.name + suffix))) out[c.name + suffix] = queryParam(c.name + suffix);
      }
    }
    return out;
  });

  const request = createMemo(() => {
    const cols = visible();
    // Keep the key column in every request: rows need a stable identity for the table.
    const columns = cols.includes('loan_account_number') ? cols : ['loan_account_number', ...cols];
    const s = sort().replace(/^-/, '');
    return {
      loan_type: loanType(),
      file_type: fileType(),
      limit: limit(),
      offset: offset(),
      sort: s && allNames().includes(s) ? sort() : undefined,
      columns: columns.join(','),
      ...filterParams(),
    };
  });
  const [rows, { refetch }] = createResource(request, (q) => api.data(q));

  const toggleSort = (name: string) => {
    const cur = sort();
    setQuery({ sort: cur === name ? `-${name}` : name, offset: null });
  };
  const sortState = (name: string): 'ascending' | 'descending' | undefined => (sort() === name ? 'ascending' : sort() === `-${name}` ? 'descending' : undefined);

  const codeFilters = () => defs().filter((c) => c.type === 'code');
  const dateFilters = () => defs().filter((c) => c.type === 'date');
  const activeFilterCount = () => Object.keys(filterParams()).length;

  const setCode = (col: ColumnDef, value: string, on: boolean) => {
    const cur = new Set(queryParam(col.name).split(',').filter(Boolean));
    if (on) cur.add(value);
    else cur.delete(value);
    setQuery({ [col.name]: [...cur].join(','), offset: null });
  };
  const clearFilters = () => {
    const changes: Record<string, null> = { offset: null };
    for (const c of defs()) {
      changes[c.name] = null;
      changes[`${c.name}_from`] = null;
      changes[`${c.name}_to`] = null;
    }
    setQuery(changes);
  };
  const setColumns = (names: string[]) => {
    const isDefault = names.length === defs().length && names.every((n, i) => n === defs()[i].name);
    setQuery({ columns: isDefault ? null : names.join(',') });
  };
  const toggleColumn = (name: string, on: boolean) => {
    const cur = visible();
    const next = on ? allNames().filter((n) => cur.includes(n) || n === name) : cur.filter((n) => n !== name);
    if (next.length) setColumns(next);
  };

  const typeOf = (name: string) => defByName().get(name)?.type ?? (name === 'source_row' ? 'int' : 'system');

  return (
    <>
      <PageHeader title={t('nav.data')} subtitle={t('data.subtitle')} />

      <div class="toolbar">
        <Segmented
          name="data-loan-type"
          label={t('common.loanType')}
          value={loanType()}
          options={LOAN_TYPES.map((lt) => ({ value: lt, label: ltLabel(lt) }))}
          onChange={(v) => setQuery({ loan_type: v, offset: null, columns: null, sort: null })}
        />
        <Segmented
          name="data-file-type"
          label={t('common.fileType')}
          value={fileType()}
          options={FILE_TYPES.map((ft) => ({ value: ft, label: ftLabel(ft) }))}
          onChange={(v) => {
            const changes: Record<string, null | string> = { file_type: v, offset: null, columns: null, sort: null };
            for (const c of defs()) {
              changes[c.name] = null;
              changes[`${c.name}_from`] = null;
              changes[`${c.name}_to`] = null;
            }
            setQuery(changes);
          }}
        />
        <span class="toolbar-spacer" />
        <details class="popover">
          <summary class="btn btn-secondary btn-sm">
            <Icon name="filter" size={14} />
            {t('data.filters')}
            <Show when={activeFilterCount() > 0}>
              <span class="count-badge" aria-label={t('data.activeFilters', { n: activeFilterCount() })}>
                {activeFilterCount()}
              </span>
            </Show>
          </summary>
          <div class="popover-panel popover-wide">
            <div class="filter-grid">
              <For each={codeFilters()}>
                {(c) => (
                  <fieldset class="filter-group">
                    <legend>{colLabel(c.name)}</legend>
                    <For each={Object.values(c.codes ?? {}).map(String)}>
                      {(v) => (
                        <label class="check">
                          <input type="checkbox" checked={queryParam(c.name).split(',').includes(v)} onChange={(e) => setCode(c, v, e.currentTarget.checked)} />
                          <span>{v}</span>
                        </label>
                      )}
                    </For>
                  </fieldset>
                )}
              </For>
              <For each={dateFilters()}>
                {(c) => (
                  <fieldset class="filter-group">
                    <legend>{colLabel(c.name)}</legend>
                    <label class="date-field">
                      <span>{t('data.from')}</span>
                      <input type="date" class="input input-sm" value={queryParam(`${c.name}_from`)} onChange={(e) => setQuery({ [`${c.name}_from`]: e.currentTarget.value, offset: null })} />
                    </label>
                    <label class="date-field">
                      <span>{t('data.to')}</span>
                      <input type="date" class="input input-sm" value={queryParam(`${c.name}_to`)} onChange={(e) => setQuery({ [`${c.name}_to`]: e.currentTarget.value, offset: null })} />
                    </label>
                  </fieldset>
                )}
              </For>
            </div>
            <div class="popover-foot">
              <button type="button" class="btn btn-ghost btn-sm" disabled={activeFilterCount() === 0} onClick={clearFilters}>
                {t('action.clearFilters')}
              </button>
            </div>
          </div>
        </details>
        <details class="popover">
          <summary class="btn btn-secondary btn-sm">
            <Icon name="columns" size={14} />
            {t('data.columns', { n: visible().length, total: allNames().length })}
          </summary>
          <div class="popover-panel">
            <fieldset class="filter-group columns-list">
              <legend class="sr-only">{t('data.columnsLegend')}</legend>
              <For each={allNames()}>
                {(n) => (
                  <label class="check">
                    <input type="checkbox" checked={visible().includes(n)} disabled={visible().length === 1 && visible().includes(n)} onChange={(e) => toggleColumn(n, e.currentTarget.checked)} />
                    <span>{colLabel(n)}</span>
                  </label>
                )}
              </For>
            </fieldset>
            <div class="popover-foot">
              <button type="button" class="btn btn-ghost btn-sm" onClick={() => setQuery({ columns: null })}>
                {t('data.resetColumns')}
              </button>
              <button type="button" class="btn btn-ghost btn-sm" onClick={() => setColumns(allNames())}>
                {t('data.allColumns')}
              </button>
            </div>
          </div>
        </details>
      </div>

      <Show when={activeFilterCount() > 0}>
        <div class="chips" aria-label={t('data.activeFiltersLabel')}>
          <For each={Object.entries(filterParams())}>
            {([k, v]) => (
              <button
                type="button"
                class="chip chip-removable"
                aria-label={t('data.removeFilter', { f: `${colLabel(k.replace(/_(from|to)$/, ''))} ${v}` })}
                onClick={() => setQuery({ [k]: null, offset: null })}
              >
                {colLabel(k.replace(/_(from|to)$/, ''))}
                {k.endsWith('_from') ? ' ≥ ' : k.endsWith('_to') ? ' ≤ ' : ': '}
                {v.replace(/,/g, ', ')}
                <Icon name="close" size={12} />
              </button>
            )}
          </For>
        </div>
      </Show>

      <section class="card card-flush" aria-labelledby="page-title">
        <Async resource={rows} refetch={refetch} loadingRows={10}>
          {(page) => (
            <Show
              when={page().items.length > 0}
              fallback={
                <EmptyState
                  title={activeFilterCount() ? t('data.noMatch') : t('data.empty', { lt: ltLabel(loanType()), ft: ftLabel(fileType()) })}
                  icon="database"
                  action={
                    activeFilterCount() ? (
                      <button type="button" class="btn btn-secondary btn-sm" onClick={clearFilters}>
                        {t('action.clearFilters')}
                      </button>
                    ) : (
                      <A href={`/upload?loan_type=${loanType()}`} class="btn btn-primary btn-sm">
                        {t('dash.uploadFiles')}
                      </A>
                    )
                  }
                />
              }
            >
              <div class="table-scroll table-data-wrap" role="region" aria-busy={rows.loading} tabindex="0" aria-label={t('data.tableAria', { lt: ltLabel(loanType()), ft: ftLabel(fileType()) })}>
                <table class={`table table-data ${rows.loading ? 'is-loading' : ''}`}>
                  <caption class="sr-only">
                    {t('data.tableAria', { lt: ltLabel(loanType()), ft: ftLabel(fileType()) })}. {t('data.sortHint')}
                  </caption>
                  <thead>
                    <tr>
                      <For each={visible()}>
                        {(n) => (
                          <th scope="col" aria-sort={sortState(n)} class={NUMERIC.has(typeOf(n)) ? 'num' : undefined}>
                            <button type="button" class="sort-btn" onClick={() => toggleSort(n)} title={n}>
                              <span>{colLabel(n)}</span>
                              <Icon name={sortState(n) === 'ascending' ? 'up' : sortState(n) === 'descending' ? 'down' : 'sort'} size={13} class={sortState(n) ? '' : 'faint'} />
                            </button>
                          </th>
                        )}
                      </For>
                    </tr>
                  </thead>
                  <tbody>
                    <For each={page().items}>
                      {(r) => (
                        <tr>
                          <For each={visible()}>
                            {(n) => {
                              const v = r[n];
                              const ty = typeOf(n);
                              return (
                                <td class={NUMERIC.has(ty) ? 'num mono-num' : ty === 'code' ? 'code-cell' : n === 'sync_id' ? 'mono small' : undefined}>
                                  {v === null || v === undefined ? (
                                    <span class="null" aria-label={t('common.empty')}>
                                      —
                                    </span>
                                  ) : n === 'sync_id' ? (
                                    <A href={`/syncs/${String(v)}`}>{String(v).slice(0, 8)}</A>
                                  ) : (
                                    String(v)
                                  )}
                                </td>
                              );
                            }}
                          </For>
                        </tr>
                      )}
                    </For>
                  </tbody>
                </table>
              </div>
              <div class="table-foot">
                <div class="field field-inline">
                  <label for="page-size" class="field-label">
                    {t('data.pageSize')}
                  </label>
                  <select id="page-size" class="select select-sm" value={String(limit())} onChange={(e) => setQuery({ limit: e.currentTarget.value, offset: null })}>
                    <For each={PAGE_SIZES}>{(n) => <option value={String(n)}>{n}</option>}</For>
                  </select>
                </div>
                <Pager label={t('data.pagerAria')} total={page().total} limit={page().limit} offset={page().offset} onChange={(o) => setQuery({ offset: o || null })} />
              </div>
              <p class="sr-only" aria-live="polite">
                {t('data.totalRows', { n: fmtInt(page().total) })}
              </p>
            </Show>
          )}
        </Async>
      </section>
    </>
  );
}
