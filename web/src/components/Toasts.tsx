/** Transient notifications in a polite live region (also used to announce page changes to screen readers). */
import { createSignal, For } from 'solid-js';
import { t } from '../lib/i18n.ts';
import { Icon } from './Icon.tsx';

interface Toast {
  id: number;
  text: string;
  tone: 'info' | 'success' | 'danger';
}

const [toasts, setToasts] = createSignal<Toast[]>([]);
const [announcement, setAnnouncement] = createSignal('');
let seq = 0;
// Notifications belong to the session that raised them.
window.addEventListener('findata:signed-out', () => setToasts([]));

export function toast(text: string, tone: Toast['tone'] = 'info', ms = 4000): void {
  const id = ++seq;
  setToasts((list) => [...list.slice(-2), { id, text, tone }]);
  setTimeout(() => dismiss(id), ms);
}
function dismiss(id: number): void {
  setToasts((list) => list.filter((x) => x.id !== id));
}

/** Screen-reader-only announcement (route changes, background updates). */
export function announce(text: string): void {
  setAnnouncement('');
  queueMicrotask(() => setAnnouncement(text));
}

export function Toasts() {
  return (
    <>
      <div class="sr-only" aria-live="polite" aria-atomic="true">
        {announcement()}
      </div>
      <div class="toasts" role="status" aria-live="polite">
        <For each={toasts()}>
          {(x) => (
            <div class={`toast toast-${x.tone}`}>
              <Icon name={x.tone === 'success' ? 'check' : x.tone === 'danger' ? 'errors' : 'info'} size={16} />
              <span>{x.text}</span>
              <button type="button" class="toast-close" aria-label={t('action.dismiss')} onClick={() => dismiss(x.id)}>
                <Icon name="close" size={14} />
              </button>
            </div>
          )}
        </For>
      </div>
    </>
  );
}
