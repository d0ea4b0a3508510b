/** A modal confirmation on the native <dialog> (focus trap, Escape and inert background come for free). */
import { createEffect, type JSX, Show } from 'solid-js';
import { t } from '../lib/i18n.ts';

export function ConfirmDialog(props: {
  open: boolean;
  title: string;
  children: JSX.Element;
  confirmLabel: string;
  danger?: boolean;
  busy?: boolean;
  onConfirm: () => void;
  onClose: () => void;
}) {
  let dialog!: HTMLDialogElement;
  let cancelBtn!: HTMLButtonElement;
  createEffect(() => {
    if (props.open && !dialog.open) {
      dialog.showModal();
      cancelBtn.focus();
    } else if (!props.open && dialog.open) dialog.close();
  });
  return (
    <dialog ref={dialog} class="dialog" aria-labelledby="dialog-title" aria-describedby="dialog-body" onClose={() => props.onClose()}>
      <h2 id="dialog-title" class="dialog-title">
        {props.title}
      </h2>
      <div id="dialog-body" class="dialog-body">
        {props.children}
      </div>
      <div class="dialog-actions">
        <button ref={cancelBtn} type="button" class="btn btn-secondary" onClick={() => props.onClose()}>
          {t('action.cancel')}
        </button>
        <button type="button" class={`btn ${props.danger ? 'btn-danger' : 'btn-primary'}`} disabled={props.busy} onClick={() => props.onConfirm()}>
          <Show when={props.busy}>
            <span class="spinner spinner-light" aria-hidden="true" />
          </Show>
          {props.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
