/** Settings: tenant details, sync schedules per loan type, API key rotation (the new key is shown once). */
import { createResource, createSignal, For, onCleanup, Show } from 'solid-js';
import { api, type SyncConfig } from '../lib/api.ts';
import { errorMessage, ftLabel, ltLabel, t } from '../lib/i18n.ts';
import { fmtDateTime, fmtInt, intervalText } from '../lib/format.ts';
import { refreshSession, session } from '../lib/session.ts';
import { Async, CopyButton, PageHeader } from '../components/ui.tsx';
import { ConfirmDialog } from '../components/ConfirmDialog.tsx';
import { Icon } from '../components/Icon.tsx';
import { toast } from '../components/Toasts.tsx';

const UNITS = [
  { key: 's', factor: 1 },
  { key: 'min', factor: 60 },
  { key: 'h', factor: 3600 },
] as const;

export default function Settings() {
  const [tenant, { refetch: refetchTenant }] = createResource(() => api.tenant());
  const [configs, { refetch: refetchConfigs, mutate: mutateConfigs }] = createResource(() => api.syncConfigs());
  const [confirming, setConfirming] = createSignal(false);
  const [rotating, setRotating] = createSignal(false);
  const [newKey, setNewKey] = createSignal<string | null>(null);
  const [rotateError, setRotateError] = createSignal<string | null>(null);
  // The new key lives only in this page's memory and is gone when the user leaves or confirms.
  onCleanup(() => setNewKey(null));

  const rotate = async () => {
    setRotating(true);
    setRotateError(null);
    try {
      const r = await api.rotateKey();
      setNewKey(r.api_key);
      setConfirming(false);
      // The server re-issued the session cookie with a new CSRF token.
      await refreshSession();
      refetchTenant();
      toast(t('settings.rotated'), 'success');
      queueMicrotask(() => document.getElementById('new-key')?.focus());
    } catch (e) {
      setRotateError(errorMessage(e));
      setConfirming(false);
    } finally {
      setRotating(false);
    }
  };

  return (
    <>
      <PageHeader title={t('nav.settings')} subtitle={t('settings.subtitle')} />

      <div class="grid grid-settings">
        <section class="card" aria-labelledby="tenant-title">
          <h2 id="tenant-title" class="card-title">
            {t('settings.tenant')}
          </h2>
          <Async resource={tenant} refetch={refetchTenant} loadingRows={5}>
            {(tn) => (
              <dl class="kv">
                <div>
                  <dt>{t('settings.name')}</dt>
                  <dd>{tn().name}</dd>
                </div>
                <div>
                  <dt>{t('settings.tenantId')}</dt>
                  <dd class="mono">{tn().id}</dd>
                </div>
                <div>
                  <dt>{t('settings.statusLabel')}</dt>
                  <dd>
                    <span class={tn().active ? 'pill pill-on' : 'pill pill-off'}>{tn().active ? t('settings.active') : t('settings.inactive')}</span>
                  </dd>
                </div>
                <div>
                  <dt>{t('settings.created')}</dt>
                  <dd>{fmtDateTime(tn().created_at)}</dd>
                </div>
                <div>
                  <dt>{t('settings.pgSchema')}</dt>
                  <dd class="mono">{tn().pg_schema}</dd>
                </div>
                <div>
                  <dt>{t('settings.chDatabase')}</dt>
                  <dd class="mono">{tn().ch_database}</dd>
                </div>
                <div>
                  <dt>{t('settings.temporal')}</dt>
                  <dd>
                    <Show when={session()?.temporal_ui_url} fallback="—">
                      <a href={session()!.temporal_ui_url} target="_blank" rel="noopener noreferrer">
                        {session()!.temporal_ui_url}
                        <span class="sr-only"> ({t('common.newTab')})</span>
                      </a>
                    </Show>
                  </dd>
                </div>
              </dl>
            )}
          </Async>
        </section>

        <section class="card" aria-labelledby="key-title">
          <h2 id="key-title" class="card-title">
            {t('settings.apiKey')}
          </h2>
          <p class="muted">{t('settings.keyIntro')}</p>
          <Show when={tenant.state === 'ready'}>
            <p>
              {t('settings.currentKey')}: <code class="key-prefix">{tenant()!.api_key_prefix}…</code>
            </p>
          </Show>
          <Show when={newKey()}>
            <div class="new-key" role="region" aria-labelledby="new-key-label">
              <p id="new-key-label" class="new-key-title">
                <Icon name="key" size={16} />
                {t('settings.newKey')}
              </p>
              <div class="input-with-button">
                <textarea
                  id="new-key"
                  class="input mono key-box"
                  readonly
                  rows={2}
                  spellcheck={false}
                  aria-labelledby="new-key-label"
                  aria-describedby="new-key-warning"
                  value={newKey()!}
                  onFocus={(e) => e.currentTarget.select()}
                />
                <CopyButton text={newKey()!} targetId="new-key" />
              </div>
              <p id="new-key-warning" class="notice notice-warn">
                <Icon name="errors" size={16} />
                {t('settings.newKeyWarning')}
              </p>
              <button type="button" class="btn btn-secondary btn-sm" onClick={() => setNewKey(null)}>
                {t('settings.savedKey')}
              </button>
            </div>
          </Show>
          <Show when={rotateError()}>
            <p class="notice notice-danger" role="alert">
              {rotateError()}
            </p>
          </Show>
          <Show when={!newKey()}>
            <button type="button" class="btn btn-danger-outline" onClick={() => setConfirming(true)}>
              <Icon name="refresh" size={15} />
              {t('settings.rotate')}
            </button>
          </Show>
          <ConfirmDialog
            open={confirming()}
            title={t('settings.rotateTitle')}
            confirmLabel={t('settings.rotateConfirm')}
            danger
            busy={rotating()}
            onConfirm={rotate}
            onClose={() => setConfirming(false)}
          >
            <p>{t('settings.rotateText')}</p>
          </ConfirmDialog>
        </section>
      </div>

      <section class="card" aria-labelledby="sched-title">
        <h2 id="sched-title" class="card-title">
          {t('settings.schedules')}
        </h2>
        <p class="muted">{t('settings.schedulesIntro')}</p>
        <Async resource={configs} refetch={refetchConfigs} loadingRows={3}>
          {(list) => (
            <div class="config-list">
              <For each={list()}>
                {(c) => (
                  <ConfigRow
                    config={c}
                    onSaved={(saved) => {
                      mutateConfigs((prev) => prev?.map((x) => (x.id === saved.id ? saved : x)));
                    }}
                  />
                )}
              </For>
            </div>
          )}
        </Async>
      </section>
    </>
  );
}

function bestUnit(seconds: number): (typeof UNITS)[number] {
  return [...UNITS].reverse().find((u) => seconds % u.factor === 0 && seconds / u.factor >= 1) ?? UNITS[0];
}

function ConfigRow(props: { config: SyncConfig; onSaved: (c: SyncConfig) => void }) {
  const initialUnit = bestUnit(props.config.interval_seconds);
  const [enabled, setEnabled] = createSignal(props.config.enabled);
  const [unit, setUnit] = createSignal<(typeof UNITS)[number]>(initialUnit);
  const [amount, setAmount] = createSignal(String(props.config.interval_seconds / initialUnit.factor));
  const [saving, setSaving] = createSignal(false);
  const [error, setError] = createSignal<string | null>(null);
  const seconds = () => Math.round(Number(amount().replace(',', '.')) * unit().factor);
  const invalid = () => !Number.isFinite(seconds()) || seconds() < 5 || seconds() > 86400;
  const dirty = () => enabled() !== props.config.enabled || seconds() !== props.config.interval_seconds;
  const base = () => `cfg-${props.config.id}`;

  const save = async (e: SubmitEvent) => {
    e.preventDefault();
    if (invalid()) {
      setError(t('settings.intervalInvalid'));
      return;
    }
    setSaving(true);
    setError(null);
    try {
      const saved = await api.updateSyncConfig(props.config.id, { enabled: enabled(), interval_seconds: seconds() });
      props.onSaved(saved);
      toast(t('settings.saved', { lt: ltLabel(saved.loan_type) }), 'success');
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setSaving(false);
    }
  };

  return (
    <form class="config-row" onSubmit={save} aria-labelledby={`${base()}-title`}>
      <div class="config-main">
        <h3 id={`${base()}-title`} class="config-title">
          {ltLabel(props.config.loan_type)}
        </h3>
        <p class="muted small">
          {t('settings.pendingRows', { credit: fmtInt(props.config.pending.credit), pp: fmtInt(props.config.pending.payment_plan), c: ftLabel('credit'), p: ftLabel('payment_plan') })} ·{' '}
          {t('settings.updated', { when: fmtDateTime(props.config.updated_at) })}
        </p>
      </div>
      <label class="switch">
        <input type="checkbox" role="switch" checked={enabled()} aria-checked={enabled()} onChange={(e) => setEnabled(e.currentTarget.checked)} />
        <span class="switch-track" aria-hidden="true" />
        <span>{t('settings.scheduled', { lt: ltLabel(props.config.loan_type) })}</span>
      </label>
      <div class="field field-inline interval-field">
        <label for={`${base()}-interval`} class="field-label">
          {t('settings.interval')}
        </label>
        <input
          id={`${base()}-interval`}
          class="input input-sm input-num"
          type="number"
          inputmode="numeric"
          min="1"
          value={amount()}
          aria-invalid={invalid() ? 'true' : undefined}
          aria-describedby={`${base()}-help`}
          onInput={(e) => setAmount(e.currentTarget.value)}
        />
        <label for={`${base()}-unit`} class="sr-only">
          {t('settings.unit')}
        </label>
        <select
          id={`${base()}-unit`}
          class="select select-sm"
          value={unit().key}
          onChange={(e) => {
            const u = UNITS.find((x) => x.key === e.currentTarget.value)!;
            setUnit(u);
          }}
        >
          <For each={UNITS}>{(u) => <option value={u.key}>{t(`unit.${u.key}Long`)}</option>}</For>
        </select>
      </div>
      <button type="submit" class="btn btn-primary btn-sm" disabled={!dirty() || saving()}>
        {saving() ? t('settings.saving') : t('action.save')}
      </button>
      <p id={`${base()}-help`} class={`config-help small ${error() || invalid() ? 'text-danger' : 'muted'}`} role={error() ? 'alert' : undefined}>
        {error() ?? (invalid() ? t('settings.intervalInvalid') : enabled() ? t('settings.runsEvery', { d: intervalText(seconds()) }) : t('settings.manualOnly'))}
      </p>
    </form>
  );
}
