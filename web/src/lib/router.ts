/**
 * A tiny history-API router: a location signal, navigate(), and route matching with :params.
 * The server serves index.html for unknown non-/api GETs, so deep links and reloads work.
 */
import { createSignal } from 'solid-js';

export interface Loc {
  path: string;
  query: URLSearchParams;
  /** bumps on every navigation, even to the same URL */
  key: number;
}

let counter = 0;
const read = (): Loc => ({ path: window.location.pathname, query: new URLSearchParams(window.location.search), key: ++counter });

const [location, setLocation] = createSignal<Loc>(read());
export { location };

window.addEventListener('popstate', () => setLocation(read()));

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  const url = new URL(to, window.location.href);
  if (url.origin !== window.location.origin) {
    window.location.assign(to);
    return;
  }
  const target = url.pathname + url.search + url.hash;
  const current = window.location.pathname + window.location.search + window.location.hash;
  if (opts.replace || target === current) window.history.replaceState(null, '', target);
  else window.history.pushState(null, '', target);
  setLocation(read());
}

/** Query-string state helper: merge changes into the current query (empty values are removed). */
export function setQuery(changes: Record<string, string | number | null | undefined>, opts: { replace?: boolean } = {}): void {
  const q = new URLSearchParams(window.location.search);
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === undefined || v === '') q.delete(k);
    else q.set(k, String(v));
  }
  const s = q.toString();
  navigate(window.location.pathname + (s ? `?${s}` : ''), opts);
}

export function queryParam(name: string, fallback = ''): string {
  return location().query.get(name) ?? fallback;
}

/** Matches "/syncs/:id" against a path; returns the params or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split('/').filter(Boolean);
  const s = path.replace(/\/+$/, '').split('/').filter(Boolean);
  if (p.length !== s.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(':')) params[p[i].slice(1)] = decodeURIComponent(s[i]);
    else if (p[i] !== s[i]) return null;
  }
  return params;
}

/** Click handler for in-app links: plain left clicks navigate without a page load. */
export function linkClick(e: MouseEvent, href: string): void {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = e.currentTarget as HTMLAnchorElement | null;
  if (a && (a.target === '_blank' || a.hasAttribute('download'))) return;
  e.preventDefault();
  navigate(href);
}
