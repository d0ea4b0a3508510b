/**
 * One sync: a live progress bar and the current step while it runs (polls the workflow query every second),
 * then the outcome, counts per file and the step timeline; links to errors, failed records and Temporal UI.
 */
import { createMemo, createResource, createSignal, For, onCleanup, onMount, Show } from 'solid-js';
import { FILE_TYPES, type FileType } from '../../../domain/columns.ts';
import { api, isActiveStatus, type SyncLog, type SyncProgress } from '../lib/api.ts';
import { errorMessage, ftLabel, ltLabel, phaseLabel, stepLabel, syncSummary, t } from '../lib/i18n.ts';
import { durationBetween, fmtDateTime, fmtDuration, fmtInt, fmtPct, fmtTime, shortId } from '../lib/format.ts';
import { A, Async, PageHeader, ProgressBar, Stat, StatusBadge } from '../components/ui.tsx';
import { Icon } from '../components/Icon.tsx';
import { announce } from '../components/Toasts.tsx';

const PHASE_BASE: Record<string, number> = { starting: 0, claiming: 0.03, validating: 0.06, deciding: 0.8, committing: 0.84, cleaning_up: 0.93, recording: 0.97, done: 1 };

/** Overall completion estimate: row progress drives the validation share, phases the rest. */
export function overallProgress(p: SyncProgress): number {
  if (!isActiveStatus(p.status) && p.phase === 'done') return 1;
  const base = PHASE_BASE[p.phase] ?? 0;
  if (p.phase !== 'validating') return base;
  const files = Object.values(p.files);
  const total = files.reduce((n, f) => n + (f?.rowsTotal ?? 0), 0);
  const done = files.reduce((n, f) => n + Math.min(f?.rowsProcessed ?? 0, f?.rowsTotal ?? 0), 0);
  return base + (PHASE_BASE.deciding - base) * (total ? done / total : 0);
}

export default function SyncDetail(props: { params: { id: string } }) {
  const id = () => props.params.id;
  const [log, { refetch, mutate }] = createResource(id, (x) => api.syncLog(x));
  const [progress, setProgress] = createSignal<SyncProgress | null>(null);
  const [pollError, setPollError] = createSignal<unknown>(null);
  const [now, setNow] = createSignal(Date.now());

  let timer: number | undefined;
  let alive = true;
  let lastPhase = '';
  const poll = async () => {
    if (!alive) return;
    try {
      const p = await api.syncProgress(id());
      if (!alive) return;
      setProgress(p);
      setPollError(null);
      if (p.phase !== lastPhase) {
        if (lastPhase) announce(t('detail.phaseNow', { phase: phaseLabel(p.phase) }));
        lastPhase = p.phase;
      }
      if (isActiveStatus(p.status) || (p.live && p.phase !== 'done')) {
        timer = window.setTimeout(poll, 1000);
        return;
      }
      // The workflow is finished: the log is final once the "record" step has written it.
      const l = await api.syncLog(id());
      if (!alive) return;
      mutate(l);
      if (isActiveStatus(l.status)) timer = window.setTimeout(poll, 1000);
      else announce(t('detail.finishedAnnounce', { status: t(`status.${l.status}`) }));
    } catch (e) {
      if (!alive) return;
      setPollError(e);
      timer = window.setTimeout(poll, 3000);
    }
  };
  onMount(() => void poll());
  const clock = window.setInterval(() => setNow(Date.now()), 1000);
  onCleanup(() => {
    alive = false;
    clearTimeout(timer);
    clearInterval(clock);
  });

  const running = () => (log.state === 'ready' && isActiveStatus(log()!.status)) || (progress() !== null && isActiveStatus(progress()!.status));

  return (
    <Async resource={log} refetch={refetch} loadingRows={6}>
      {(l) => (
        <>
          <PageHeader
            back={{ href: '/syncs', label: t('nav.syncs') }}
            title={t('detail.title', { lt: ltLabel(l().loan_type) })}
            subtitle={
              <>
                <StatusBadge status={running() && progress() ? progress()!.status : l().status} /> {t(`trigger.${l().trigger}`)} · {fmtDateTime(l().started_at)} · <span class="mono">{shortId(l().sync_id)}</span>
              </>
            }
            actions={
              <>
                <Show when={l().temporal_url}>
                  <a class="btn btn-secondary" href={l().temporal_url} target="_blank" rel="noopener noreferrer">
                    <Icon name="external" size={15} />
                    {t('detail.openTemporal')}
                    <span class="sr-only"> ({t('common.newTab')})</span>
                  </a>
                </Show>
                <Show when={!running()}>
                  <A class="btn btn-secondary" href={`/errors?sync=${l().sync_id}`}>
                    <Icon name="errors" size={15} />
                    {t('detail.viewErrors')}
                  </A>
                </Show>
              </>
            }
          />

          <Show when={pollError() && running()}>
            <p class="notice notice-warn" role="status">
              {t('detail.pollError')}: {errorMessage(pollError())}
            </p>
          </Show>

          <Show when={running()} fallback={<Outcome log={l()} progress={progress()} />}>
            <LivePanel log={l()} progress={progress()} now={now()} />
          </Show>
        </>
      )}
    </Async>
  );
}

function LivePanel(props: { log: SyncLog; progress: SyncProgress | null; now: number }) {
  const p = () => props.progress;
  const pct = () => (p() ? overallProgress(p()!) : null);
  const current = () => {
    const steps = p()?.steps ?? [];
    const open = [...steps].reverse().find((s) => !s.finishedAt);
    return open ? stepLabel(open.name) : p() ? phaseLabel(p()!.phase) : t('detail.waiting');
  };
  return (
    <section class="card live-card" aria-labelledby="live-title">
      <div class="card-head">
        <h2 id="live-title" class="card-title">
          {t('detail.inProgress')}
        </h2>
        <span class="live-dot">{t('detail.live')}</span>
      </div>
      <p class="current-step">
        <span class="muted">{t('detail.currentStep')}:</span> <strong data-testid="current-step">{current()}</strong>
      </p>
      <ProgressBar
        label={t('detail.progressAria')}
        value={pct()}
        text={pct() === null ? t('detail.waiting') : `${Math.floor((pct() ?? 0) * 100)}% · ${t('detail.elapsed', { d: fmtDuration(props.now - new Date(props.log.started_at).getTime()) })}`}
      />
      <Show when={p()}>
        <div class="grid grid-2 file-progress">
          <For each={FILE_TYPES.filter((ft) => p()!.files[ft])}>
            {(ft) => {
              const f = () => p()!.files[ft]!;
              return (
                <div class="file-progress-item">
                  <p class="file-progress-title">{ftLabel(ft)}</p>
                  <ProgressBar
                    size="sm"
                    label={t('detail.fileProgressAria', { file: ftLabel(ft) })}
                    value={f().rowsTotal ? f().rowsProcessed / f().rowsTotal : 0}
                    text={t('detail.rowsProcessed', { done: fmtInt(f().rowsProcessed), total: fmtInt(f().rowsTotal), invalid: fmtInt(f().rowsInvalid) })}
                  />
                </div>
              );
            }}
          </For>
        </div>
        <dl class="stats stats-3">
          <Stat label={t('detail.phase')} value={phaseLabel(p()!.phase)} />
          <Stat label={t('detail.errorsSoFar')} value={fmtInt(p()!.errors_so_far)} tone={p()!.errors_so_far ? 'warn' : undefined} />
          <Stat label={t('detail.stepsDone')} value={fmtInt(p()!.steps.filter((s) => s.finishedAt).length)} />
        </dl>
        <Show when={p()!.steps.length > 0}>
          <Timeline steps={p()!.steps} now={props.now} />
        </Show>
      </Show>
    </section>
  );
}

function Outcome(props: { log: SyncLog; progress: SyncProgress | null }) {
  const l = () => props.log;
  const total = () => Object.values(l().files).reduce((n, f) => n + (f?.rows_total ?? 0), 0);
  const invalid = () => Object.values(l().files).reduce((n, f) => n + (f?.rows_invalid ?? 0), 0);
  const written = () => Object.values(l().rows_written).reduce((n, x) => n + (x ?? 0), 0);
  const tone = () => (l().status === 'SUCCESS' ? 'success' : l().status === 'ABORTED' ? 'warn' : 'danger');
  const codes = createMemo(() => Object.entries(l().errors_by_code).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]));
  return (
    <>
      <section class={`card outcome outcome-${tone()}`} aria-labelledby="outcome-title">
        <div class="card-head">
          <h2 id="outcome-title" class="card-title">
            {t('detail.outcome')}
          </h2>
          <StatusBadge status={l().status} />
        </div>
        <ProgressBar label={t('detail.progressAria')} value={1} tone={tone() === 'warn' ? 'warning' : tone() === 'success' ? 'success' : 'danger'} text={t('detail.completed', { status: t(`status.${l().status}`) })} size="sm" />
        <Show when={syncSummary(l())}>
          <p class="outcome-message">{syncSummary(l())}</p>
        </Show>
        <dl class="stats stats-5">
          <Stat label={t('common.rows')} value={fmtInt(total())} />
          <Stat label={t('dash.rowsWritten')} value={fmtInt(written())} />
          <Stat label={t('detail.invalidRows')} value={fmtInt(invalid())} tone={invalid() ? 'warn' : undefined} />
          <Stat label={t('dash.errorRate')} value={fmtPct(l().error_rate, 2)} tone={l().error_rate > 0.5 ? 'danger' : undefined} />
          <Stat label={t('syncs.duration')} value={fmtDuration(durationBetween(l().started_at, l().finished_at))} hint={l().finished_at ? fmtDateTime(l().finished_at) : undefined} />
        </dl>
        <Show when={codes().length > 0}>
          <div class="chips" aria-label={t('errors.byCode')}>
            <For each={codes()}>
              {([code, n]) => (
                <A class="chip" href={`/errors?sync=${l().sync_id}&code=${code}`}>
                  {t(`code.${code}` as never)} <strong>{fmtInt(n)}</strong>
                </A>
              )}
            </For>
          </div>
        </Show>
        <div class="card-foot">
          <Show when={invalid() > 0}>
            <A class="btn btn-secondary btn-sm" href={`/errors?sync=${l().sync_id}`}>
              <Icon name="errors" size={14} />
              {t('detail.viewErrorsN', { n: fmtInt(Object.values(l().errors_by_code).reduce((a, b) => a + b, 0)) })}
            </A>
            <a class="btn btn-ghost btn-sm" href={api.failedRecordsUrl(l().sync_id)} download="">
              <Icon name="download" size={14} />
              {t('errors.downloadCsv')}
            </a>
          </Show>
        </div>
      </section>

      <section class="card card-flush" aria-labelledby="files-title">
        <div class="card-head card-pad">
          <h2 id="files-title" class="card-title">
            {t('detail.perFile')}
          </h2>
        </div>
        <div class="table-scroll">
          <table class="table">
            <caption class="sr-only">{t('detail.perFile')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('common.fileType')}</th>
                <th scope="col" class="num">
                  {t('common.rows')}
                </th>
                <th scope="col" class="num">
                  {t('detail.validRows')}
                </th>
                <th scope="col" class="num">
                  {t('detail.invalidRows')}
                </th>
                <th scope="col" class="num">
                  {t('dash.rowsWritten')}
                </th>
                <th scope="col" class="num">
                  {t('detail.rowsRemoved')}
                </th>
                <th scope="col">SHA-256</th>
              </tr>
            </thead>
            <tbody>
              <For each={FILE_TYPES as readonly FileType[]}>
                {(ft) => {
                  const f = () => l().files[ft];
                  return (
                    <tr>
                      <th scope="row">{ftLabel(ft)}</th>
                      <Show
                        when={f()}
                        fallback={
                          <td colSpan={6} class="muted">
                            {t('detail.notInSync')}
                            <Show when={ft === 'payment_plan' && l().rows_removed.payment_plan > 0}> · {t('detail.removedN', { n: fmtInt(l().rows_removed.payment_plan) })}</Show>
                          </td>
                        }
                      >
                        <td class="num">{fmtInt(f()!.rows_total)}</td>
                        <td class="num">{fmtInt(f()!.rows_valid)}</td>
                        <td class={`num ${f()!.rows_invalid ? 'text-warning' : ''}`}>{fmtInt(f()!.rows_invalid)}</td>
                        <td class="num">{fmtInt(l().rows_written[ft] ?? 0)}</td>
                        <td class="num">{ft === 'payment_plan' ? fmtInt(l().rows_removed.payment_plan) : '—'}</td>
                        <td class="mono small" title={f()!.sha256}>
                          {f()!.sha256.slice(0, 12)}…
                        </td>
                      </Show>
                    </tr>
                  );
                }}
              </For>
            </tbody>
          </table>
        </div>
      </section>

      <section class="card" aria-labelledby="timeline-title">
        <div class="card-head">
          <h2 id="timeline-title" class="card-title">
            {t('detail.timeline')}
          </h2>
        </div>
        <Show
          when={props.progress && props.progress.steps.length > 0}
          fallback={<p class="muted">{props.progress ? t('detail.noTimeline') : t('state.loading')}</p>}
        >
          <Timeline steps={props.progress!.steps} now={Date.now()} />
        </Show>
      </section>
    </>
  );
}

function Timeline(props: { steps: SyncProgress['steps']; now: number }) {
  const span = createMemo(() => {
    const start = Math.min(...props.steps.map((s) => new Date(s.startedAt).getTime()));
    const end = Math.max(...props.steps.map((s) => (s.finishedAt ? new Date(s.finishedAt).getTime() : props.now)));
    return { start, total: Math.max(1, end - start) };
  });
  return (
    <ol class="timeline" aria-label={t('detail.timeline')}>
      <For each={props.steps}>
        {(s) => {
          const from = () => new Date(s.startedAt).getTime();
          const to = () => (s.finishedAt ? new Date(s.finishedAt).getTime() : props.now);
          return (
            <li class={`timeline-step ${s.finishedAt ? 'done' : 'active'}`}>
              <span class="timeline-marker" aria-hidden="true">
                <Show when={s.finishedAt} fallback={<span class="spinner spinner-xs" />}>
                  <Icon name="check" size={12} />
                </Show>
              </span>
              <div class="timeline-body">
                <div class="timeline-line">
                  <span class="timeline-name">{stepLabel(s.name)}</span>
                  <span class="muted small">
                    {fmtTime(s.startedAt)} · {s.finishedAt ? fmtDuration(to() - from()) : t('detail.running')}
                  </span>
                </div>
                <div class="timeline-bar" aria-hidden="true">
                  <span style={{ 'margin-left': `${((from() - span().start) / span().total) * 100}%`, width: `${Math.max(0.8, ((to() - from()) / span().total) * 100)}%` }} />
                </div>
              </div>
            </li>
          );
        }}
      </For>
    </ol>
  );
}
