/**
 * Fixed-window rate limits in the cache Redis (INCR per window). When Redis is unavailable the limiter lets
 * requests through: availability of reads matters more than the limit during an outage.
 */
import type { Context } from 'hono';
import type { ApiServices } from '../services.ts';
import { AppError } from '../../lib/errors.ts';
import { keys } from '../../lib/keys.ts';

const WINDOW_S = 60;
/** Failed authentications per client address per minute before 429 (brute-force guard). */
export const AUTH_FAILURES_PER_MINUTE = 20;

async function hit(s: ApiServices, bucket: string): Promise<{ count: number; retryAfter: number } | null> {
  const now = Math.floor(Date.now() / 1000);
  const window = Math.floor(now / WINDOW_S);
  const key = keys.cache.rateLimit(bucket, window);
  // Under the cache's timeout and circuit breaker: a hung Redis lets requests through instead of hanging them.
  const res = await s.cache.run((r) => r.multi().incr(key).expire(key, WINDOW_S + 1).exec(), null);
  if (!res) return null;
  return { count: Number(res[0]?.[1] ?? 0), retryAfter: (window + 1) * WINDOW_S - now };
}

/** Tokens this process took from a bucket's window and has not used yet. */
interface Lease {
  window: number;
  left: number;
  /** The window's count in Redis after this process's last lease. */
  seen: number;
  /** The lease being fetched: concurrent requests wait for the same one instead of each taking a lease. */
  fetching?: Promise<Outcome>;
}
type Outcome = 'granted' | 'limited' | 'unavailable';
const leases = new Map<string, Lease>();

/**
 * Tokens taken per Redis round trip: 1 % of the limit, at least 1 and at most 1,000. Limits under 200 per minute
 * stay exact (one INCR per request, as before); large limits cost one round trip per hundredth of the limit, and a
 * process can leave at most one lease unused at the end of a window (the limit is then up to 1 % stricter).
 */
export const leaseSize = (perMinute: number) => Math.max(1, Math.min(1000, Math.floor(perMinute / 100)));

function leaseFor(bucket: string, window: number): Lease {
  let l = leases.get(bucket);
  if (!l || l.window !== window) {
    if (leases.size > 10_000) for (const [b, old] of leases) if (old.window !== window) leases.delete(b);
    l = { window, left: 0, seen: 0 };
    leases.set(bucket, l);
  }
  return l;
}

/** Counts a request against the bucket: synchronous (undefined) while the lease lasts, else a promise. */
export function checkRateLimit(c: Context, bucket: string, perMinute: number): Promise<void> | undefined {
  const now = Math.floor(Date.now() / 1000);
  const window = Math.floor(now / WINDOW_S);
  const l = leaseFor(bucket, window);
  if (l.left === 0) return refill(c, l, bucket, perMinute, now);
  useToken(c, l, perMinute);
  return undefined;
}

function useToken(c: Context, l: Lease, perMinute: number): void {
  l.left--;
  c.header('X-RateLimit-Limit', String(perMinute));
  c.header('X-RateLimit-Remaining', String(Math.max(0, perMinute - (l.seen - l.left))));
}

async function refill(c: Context, l: Lease, bucket: string, perMinute: number, now: number): Promise<void> {
  for (;;) {
    l.fetching ??= takeLease(c.get('services') as ApiServices, l, bucket, perMinute).finally(() => (l.fetching = undefined));
    const outcome = await l.fetching;
    // Redis unavailable: requests go through (availability of reads over the limit during an outage).
    if (outcome === 'unavailable') return;
    if (l.left > 0) return useToken(c, l, perMinute);
    if (outcome === 'limited') {
      const retryAfter = (l.window + 1) * WINDOW_S - now;
      c.header('X-RateLimit-Limit', String(perMinute));
      c.header('X-RateLimit-Remaining', '0');
      c.header('Retry-After', String(retryAfter));
      throw new AppError('RATE_LIMITED', `Rate limit of ${perMinute} requests per minute exceeded; retry after ${retryAfter} s.`, { retry_after: retryAfter });
    }
    // Granted, but the requests that waited with us used it up: take the next lease.
  }
}

/** One INCRBY for the lease's window; the granted tokens go to that lease (never to a newer window's). */
async function takeLease(s: ApiServices, l: Lease, bucket: string, perMinute: number): Promise<Outcome> {
  const n = leaseSize(perMinute);
  const key = keys.cache.rateLimit(bucket, l.window);
  // Under the cache's timeout and circuit breaker: a hung Redis lets requests through instead of hanging them.
  const res = await s.cache.run((r) => r.multi().incrby(key, n).expire(key, WINDOW_S + 1).exec(), null);
  if (!res) return 'unavailable';
  const total = Number(res[0]?.[1] ?? 0);
  const granted = Math.min(n, perMinute - (total - n));
  l.seen = Math.max(l.seen, total);
  if (granted <= 0) return 'limited';
  l.left += granted;
  return 'granted';
}

export async function noteAuthFailure(s: ApiServices, ip: string): Promise<void> {
  const h = await hit(s, `authfail:${ip}`);
  if (h && h.count > AUTH_FAILURES_PER_MINUTE) {
    throw new AppError('RATE_LIMITED', `Too many failed authentications; retry after ${h.retryAfter} s.`, { retry_after: h.retryAfter });
  }
}

/** Before authenticating: an address that already failed too often is refused without checking its key. */
/** Seconds until this address may try keys again (0 when it is not blocked). */
export async function authBlockedFor(c: Context, ip: string): Promise<number> {
  const s = c.get('services') as ApiServices;
  const window = Math.floor(Date.now() / 1000 / WINDOW_S);
  const n = Number((await s.cache.run((r) => r.get(keys.cache.rateLimit(`authfail:${ip}`, window)), null)) ?? 0);
  return n > AUTH_FAILURES_PER_MINUTE ? (window + 1) * WINDOW_S - Math.floor(Date.now() / 1000) : 0;
}

export function authRateLimited(retry: number): AppError {
  return new AppError('RATE_LIMITED', `Too many failed authentications; retry after ${retry} s.`, { retry_after: retry });
}

/** Before authenticating: an address that already failed too often is refused without checking its key. */
export async function guardAuthFailures(c: Context, ip: string): Promise<void> {
  const retry = await authBlockedFor(c, ip);
  if (retry > 0) throw authRateLimited(retry);
}
