/**
 * Upload: drop or pick the credit and payment_plan files of a loan type; each file streams to the server with a
 * progress bar and its file-level verdict shows as soon as the server answers. Then "sync now".
 */
import { createResource, createSignal, For, Show } from 'solid-js';
import { createStore } from 'solid-js/store';
import { FILE_TYPES, LOAN_TYPES, type FileType, type LoanType } from '../../../domain/columns.ts';
import { api, ApiError, uploadFile, type UploadHandle, type UploadResult } from '../lib/api.ts';
import { errorMessage, ftLabel, ltLabel, t, uploadRejection } from '../lib/i18n.ts';
import { displayFileName, fmtBytes, fmtDateTime, fmtInt, fmtRelative } from '../lib/format.ts';
import { navigate, queryParam, setQuery } from '../lib/router.ts';
import { SIGNED_OUT_EVENT } from '../lib/session.ts';
import { Async, EmptyState, lastValue, PageHeader, ProgressBar, Segmented } from '../components/ui.tsx';
import { Icon } from '../components/Icon.tsx';
import { toast } from '../components/Toasts.tsx';
import { ConfirmDialog } from '../components/ConfirmDialog.tsx';

interface UploadState {
  status: 'uploading' | 'processing' | 'accepted' | 'rejected' | 'cancelled';
  fileName: string;
  size: number;
  sent: number;
  result?: UploadResult;
  error?: ApiError | Error;
  handle?: UploadHandle;
}

// Module-level: the last verdicts survive navigating away and back (in memory only).
const [uploads, setUploads] = createStore<Record<string, UploadState | undefined>>({});
const slot = (lt: LoanType, ft: FileType) => `${lt}/${ft}`;
window.addEventListener(SIGNED_OUT_EVENT, () => {
  for (const k of Object.keys(uploads)) {
    uploads[k]?.handle?.abort();
    setUploads(k, undefined);
  }
});

export default function Upload() {
  const loanType = () => {
    const q = queryParam('loan_type').toUpperCase();
    return ((LOAN_TYPES as readonly string[]).includes(q) ? q : 'RETAIL') as LoanType;
  };
  const [pending, { refetch }] = createResource(() => api.pendingUploads());
  const [syncing, setSyncing] = createSignal(false);
  const [syncError, setSyncError] = createSignal<string | null>(null);

  const start = (ft: FileType, file: File) => {
    const lt = loanType();
    const key = slot(lt, ft);
    uploads[key]?.handle?.abort();
    const handle = uploadFile(lt, ft, file, (sent, total) => {
      setUploads(key, (s) => (s ? { ...s, sent, size: total || s.size, status: sent >= (total || s.size) ? 'processing' : 'uploading' } : s));
    });
    setUploads(key, { status: 'uploading', fileName: file.name, size: file.size, sent: 0, handle });
    handle.promise.then(
      (result) => {
        setUploads(key, { status: 'accepted', fileName: file.name, size: file.size, sent: file.size, result, handle: undefined });
        toast(t('upload.acceptedToast', { file: ftLabel(ft), n: fmtInt(result.rows) }), 'success');
        refetch();
      },
      (error: ApiError) => {
        const cancelled = error.code === 'ABORTED_BY_USER';
        setUploads(key, { status: cancelled ? 'cancelled' : 'rejected', fileName: file.name, size: file.size, sent: 0, error, handle: undefined });
        if (!cancelled) toast(t('upload.rejectedToast', { file: ftLabel(ft) }), 'danger');
      },
    );
  };

  const [removing, setRemoving] = createSignal<{ lt: LoanType; ft: FileType } | null>(null);
  const drop = async () => {
    const target = removing();
    if (!target) return;
    const { lt, ft } = target;
    setRemoving(null);
    try {
      await api.dropUpload(lt, ft);
      setUploads(slot(lt, ft), undefined);
      toast(t('upload.removed'), 'info');
    } catch (e) {
      toast(errorMessage(e), 'danger');
    }
    refetch();
  };

  const syncNow = async () => {
    setSyncing(true);
    setSyncError(null);
    try {
      const s = await api.startSync(loanType());
      toast(t('upload.syncStarted', { lt: ltLabel(loanType()) }), 'success');
      for (const ft of FILE_TYPES) setUploads(slot(loanType(), ft), undefined);
      navigate(`/syncs/${s.sync_id}`);
    } catch (e) {
      setSyncError(errorMessage(e));
      // 409 / 422: a scheduled sync may have claimed the files meanwhile; show what is pending now.
      refetch();
    } finally {
      setSyncing(false);
    }
  };

  // While the list is errored its card shows the error, and this reads as empty.
  const pendingFor = (lt: LoanType) => (lastValue(pending) ?? []).filter((p) => p.loan_type === lt);

  return (
    <>
      <PageHeader title={t('nav.upload')} subtitle={t('upload.subtitle')} />

      <div class="toolbar">
        <Segmented
          name="upload-loan-type"
          label={t('common.loanType')}
          value={loanType()}
          options={LOAN_TYPES.map((lt) => ({ value: lt, label: ltLabel(lt) }))}
          onChange={(v) => setQuery({ loan_type: v }, { replace: true })}
        />
      </div>

      <div class="grid grid-2">
        <For each={FILE_TYPES}>{(ft) => <FileDrop loanType={loanType()} fileType={ft} state={uploads[slot(loanType(), ft)]} onFile={(f) => start(ft, f)} />}</For>
      </div>

      <section class="card sync-now" aria-labelledby="syncnow-title">
        <div class="sync-now-text">
          <h2 id="syncnow-title" class="card-title">
            {t('upload.readyTitle', { lt: ltLabel(loanType()) })}
          </h2>
          <p class="muted">
            <Show when={pendingFor(loanType()).length > 0} fallback={t('upload.nothingToSync')}>
              {t('upload.readyText', { files: pendingFor(loanType()).map((p) => ftLabel(p.file_type)).join(' + ') })}
            </Show>
          </p>
          <Show when={syncError()}>
            <p class="notice notice-danger" role="alert">
              <Icon name="errors" size={16} />
              {syncError()}
            </p>
          </Show>
        </div>
        <button type="button" class="btn btn-primary" disabled={syncing() || pendingFor(loanType()).length === 0} onClick={syncNow}>
          <Show when={syncing()} fallback={<Icon name="play" size={15} />}>
            <span class="spinner spinner-light" aria-hidden="true" />
          </Show>
          {t('upload.syncNowLt', { lt: ltLabel(loanType()) })}
        </button>
      </section>

      <section class="card" aria-labelledby="pending-uploads-title">
        <div class="card-head">
          <h2 id="pending-uploads-title" class="card-title">
            {t('upload.pendingTitle')}
          </h2>
          <button type="button" class="btn btn-ghost btn-sm" onClick={() => refetch()}>
            <Icon name="refresh" size={14} />
            {t('action.refresh')}
          </button>
        </div>
        <Async resource={pending} refetch={refetch} loadingRows={2}>
          {(list) => (
            <Show when={list().length > 0} fallback={<EmptyState title={t('upload.noPending')} icon="file">{t('upload.noPendingText')}</EmptyState>}>
              <div class="table-scroll">
                <table class="table">
                  <caption class="sr-only">{t('upload.pendingTitle')}</caption>
                  <thead>
                    <tr>
                      <th scope="col">{t('common.loanType')}</th>
                      <th scope="col">{t('common.fileType')}</th>
                      <th scope="col">{t('upload.fileName')}</th>
                      <th scope="col" class="num">
                        {t('common.rows')}
                      </th>
                      <th scope="col" class="num">
                        {t('upload.size')}
                      </th>
                      <th scope="col">{t('upload.uploadedAt')}</th>
                      <th scope="col">{t('upload.warnings')}</th>
                      <th scope="col">
                        <span class="sr-only">{t('common.actions')}</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    <For each={list()}>
                      {(u) => (
                        <tr>
                          <td>{ltLabel(u.loan_type)}</td>
                          <td>{ftLabel(u.file_type)}</td>
                          <td class="mono small truncate" title={displayFileName(u.original_name)}>
                            {displayFileName(u.original_name)}
                          </td>
                          <td class="num">{fmtInt(u.rows)}</td>
                          <td class="num">{fmtBytes(u.bytes)}</td>
                          <td>
                            <time datetime={u.uploaded_at} title={fmtDateTime(u.uploaded_at)}>
                              {fmtRelative(u.uploaded_at)}
                            </time>
                          </td>
                          <td>
                            <Show when={u.warnings.length > 0} fallback={<span class="muted">—</span>}>
                              <span class="pill pill-warn" title={u.warnings.join('\n')}>
                                {fmtInt(u.warnings.length)}
                              </span>
                            </Show>
                          </td>
                          <td class="actions">
                            <button
                              type="button"
                              class="btn btn-ghost btn-sm btn-danger-text"
                              aria-label={t('upload.removeAria', { file: `${ltLabel(u.loan_type)} ${ftLabel(u.file_type)}` })}
                              onClick={() => setRemoving({ lt: u.loan_type, ft: u.file_type })}
                            >
                              <Icon name="trash" size={14} />
                              {t('action.remove')}
                            </button>
                          </td>
                        </tr>
                      )}
                    </For>
                  </tbody>
                </table>
              </div>
            </Show>
          )}
        </Async>
      </section>
      <ConfirmDialog
        open={removing() !== null}
        title={t('upload.removeTitle')}
        confirmLabel={t('action.remove')}
        danger
        onConfirm={drop}
        onClose={() => setRemoving(null)}
      >
        <p>{removing() ? t('upload.removeConfirm', { file: `${ltLabel(removing()!.lt)} · ${ftLabel(removing()!.ft)}` }) : ''}</p>
      </ConfirmDialog>
    </>
  );
}

function FileDrop(props: { loanType: LoanType; fileType: FileType; state: UploadState | undefined; onFile: (f: File) => void }) {
  const [over, setOver] = createSignal(false);
  const id = () => `file-${props.fileType}`;
  let input!: HTMLInputElement;
  const busy = () => props.state?.status === 'uploading' || props.state?.status === 'processing';

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    const f = e.dataTransfer?.files?.[0];
    if (f && !busy()) props.onFile(f);
  };

  return (
    <section class="card drop-card" aria-labelledby={`${id()}-title`}>
      <div class="card-head">
        <div>
          <h2 id={`${id()}-title`} class="card-title">
            {ftLabel(props.fileType)}
          </h2>
          <p class="muted small">{t(props.fileType === 'credit' ? 'upload.creditHelp' : 'upload.paymentHelp')}</p>
        </div>
        <span class="pill">{ltLabel(props.loanType)}</span>
      </div>

      <div
        class={`dropzone ${over() ? 'over' : ''} ${busy() ? 'busy' : ''}`}
        onDragEnter={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragOver={(e) => {
          e.preventDefault();
          if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
        }}
        onDragLeave={(e) => {
          if (!(e.currentTarget as HTMLElement).contains(e.relatedTarget as Node)) setOver(false);
        }}
        onDrop={onDrop}
      >
        <Icon name="upload" size={26} />
        <p>
          {t('upload.dropHere')}{' '}
          <label for={id()} class="file-label">
            {t('upload.chooseFile')}
            <span class="sr-only">
              {' '}
              ({ltLabel(props.loanType)} {ftLabel(props.fileType)})
            </span>
          </label>
        </p>
        <p class="muted small">{t('upload.csvOnly')}</p>
        <input
          ref={input}
          id={id()}
          type="file"
          class="file-input"
          accept=".csv,.txt,text/csv,text/plain"
          aria-label={t('upload.fileInputAria', { file: ftLabel(props.fileType), lt: ltLabel(props.loanType) })}
          disabled={busy()}
          onChange={() => {
            const f = input.files?.[0];
            if (f) props.onFile(f);
            input.value = '';
          }}
        />
      </div>

      <Show when={props.state}>
        {(s) => (
          <div class="upload-status" aria-live="polite">
            <div class="upload-file">
              <Icon name="file" size={16} />
              <span class="mono small truncate">{s().fileName}</span>
              <span class="muted small">{fmtBytes(s().size)}</span>
            </div>
            <Show when={s().status === 'uploading' || s().status === 'processing'}>
              <ProgressBar
                label={t('upload.progressAria', { file: ftLabel(props.fileType) })}
                value={s().size ? s().sent / s().size : null}
                text={
                  s().status === 'processing'
                    ? t('upload.checking')
                    : t('upload.sent', { sent: fmtBytes(s().sent), total: fmtBytes(s().size), pct: String(Math.floor((s().sent / Math.max(1, s().size)) * 100)) })
                }
              />
              <button type="button" class="btn btn-ghost btn-sm" onClick={() => s().handle?.abort()}>
                {t('action.cancel')}
              </button>
            </Show>
            <Show when={s().status === 'accepted' && s().result}>
              <div class="verdict verdict-ok" role="status">
                <Icon name="check" size={18} />
                <div>
                  <p class="verdict-title">{t('upload.accepted')}</p>
                  <p>
                    {t('upload.acceptedText', { n: fmtInt(s().result!.rows), size: fmtBytes(s().result!.bytes) })}
                  </p>
                  <p class="muted small mono" title={s().result!.sha256}>
                    SHA-256 {s().result!.sha256.slice(0, 16)}…
                  </p>
                  <Show when={s().result!.warnings.length > 0}>
                    <p class="verdict-warn-title">{t('upload.warningsN', { n: fmtInt(s().result!.warnings.length) })}</p>
                    <ul class="verdict-warnings">
                      <For each={s().result!.warnings}>{(w) => <li>{w}</li>}</For>
                    </ul>
                  </Show>
                </div>
              </div>
            </Show>
            <Show when={s().status === 'rejected' && s().error}>
              <div class="verdict verdict-bad" role="alert">
                <Icon name="errors" size={18} />
                <div>
                  <p class="verdict-title">{t('upload.rejected')}</p>
                  <p>{uploadRejection(s().error!)}</p>
                  <Show when={s().error instanceof ApiError && (s().error as ApiError).message && (s().error as ApiError).message !== uploadRejection(s().error!)}>
                    <p class="muted small">
                      {t('upload.serverSaid')}: {(s().error as ApiError).message}
                    </p>
                  </Show>
                </div>
              </div>
            </Show>
            <Show when={s().status === 'cancelled'}>
              <p class="muted small">{t('upload.cancelled')}</p>
            </Show>
          </div>
        )}
      </Show>
    </section>
  );
}
