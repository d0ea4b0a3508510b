/**
 * Session state. The API key is sent once to POST /api/session and forgotten; the server answers with an HttpOnly
 * cookie and a CSRF token, which stays in memory (a reload fetches a fresh one from GET /api/session).
 */
import { createSignal } from 'solid-js';
import { api, ApiError, setCsrfToken, setUnauthorizedHandler, type SessionInfo } from './api.ts';

export type SessionState = 'checking' | 'signed-out' | 'signed-in';

const [state, setState] = createSignal<SessionState>('checking');
const [info, setInfo] = createSignal<SessionInfo | null>(null);
/** Why the user is looking at the sign-in page: 'expired' after a 401, 'signed-out' after sign-out. */
const [reason, setReason] = createSignal<'expired' | 'signed-out' | null>(null);

export { state as sessionState, info as session, reason as signOutReason };

function apply(s: SessionInfo | null): void {
  if (!s && info()) window.dispatchEvent(new Event(SIGNED_OUT_EVENT));
  setCsrfToken(s?.csrf_token ?? null);
  setInfo(s);
  setState(s ? 'signed-in' : 'signed-out');
}

setUnauthorizedHandler(() => {
  if (state() === 'signed-in') setReason('expired');
  apply(null);
});

export async function checkSession(): Promise<void> {
  try {
    apply(await api.session());
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 401) console.warn('session check failed', e);
    apply(null);
  }
}

export async function signIn(apiKey: string): Promise<void> {
  const s = await api.signIn(apiKey);
  setReason(null);
  apply(s);
}

/** After key rotation the server re-issued the cookie with a new CSRF token: fetch it. */
export async function refreshSession(): Promise<void> {
  apply(await api.session());
}

/** Fired when the session ends, so modules drop whatever tenant data they keep in memory. */
export const SIGNED_OUT_EVENT = 'findata:signed-out';

export async function signOut(): Promise<void> {
  try {
    await api.signOut();
  } finally {
    setReason('signed-out');
    apply(null);
  }
}
