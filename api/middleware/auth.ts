/**
 * API-key and session authentication.
 *
 * Keys are stored as PBKDF2 hashes (slow on purpose). A verified key is cached in Redis under
 * findata:{tenant}:tenant_auth:{prefix} (5 min) as an HMAC of the key under a server secret: a cache hit
 * recomputes one HMAC and compares in constant time, so a request costs microseconds and a wrong key with a
 * valid prefix is still refused. Rotation and deactivation delete the entry, so the old key fails at once.
 */
import crypto from 'node:crypto';
import { createMiddleware } from 'hono/factory';
import { getCookie } from 'hono/cookie';
import type { Context } from 'hono';
import type { AppEnv, ApiServices, AuthContext } from '../services.ts';
import { AppError } from '../../lib/errors.ts';
import { API_KEY_PATTERN, keyPrefix, verifyApiKey } from '../../lib/apikeys.ts';
import { CACHE_TTL, keys } from '../../lib/keys.ts';
import { readSession, SESSION_COOKIE } from '../session.ts';
import { requestHeader } from '../headers.ts';
import { authBlockedFor, authRateLimited, checkRateLimit, noteAuthFailure } from './rate-limit.ts';

interface CachedAuth {
  t: string;
  mac: string;
}

// The HMAC of a key that verified, remembered per process (it was a tenth of a cached request's CPU). Whether
// the key is valid is still decided by the cache entry on every request; this only saves recomputing the MAC.
// Keys that failed are never remembered.
const macMemo = new WeakMap<Buffer, Map<string, Buffer>>();
const MAC_MEMO_MAX = 10_000;
function macOf(secret: Buffer, key: string): Buffer {
  return macMemo.get(secret)?.get(key) ?? crypto.createHmac('sha256', secret).update(key).digest();
}
function rememberMac(secret: Buffer, key: string, mac: Buffer): void {
  let memo = macMemo.get(secret);
  if (!memo) macMemo.set(secret, (memo = new Map()));
  if (memo.has(key)) return;
  if (memo.size >= MAC_MEMO_MAX) memo.clear();
  memo.set(key, mac);
}

/** prefix → tenant id; a prefix never moves to another tenant, so this only saves a lookup. */
const prefixOwner = new Map<string, string>();

async function lookupPrefix(s: ApiServices, prefix: string): Promise<{ id: string; api_key_hash: string; active: boolean } | null> {
  const { rows } = await s.db.query<{ id: string; api_key_hash: string; active: boolean }>(
    'SELECT id, api_key_hash, active FROM public.tenants WHERE api_key_prefix = $1',
    [prefix],
  );
  return rows[0] ?? null;
}

/** What a cached auth entry says about a key: its tenant, null (the prefix's key is another one), undefined (no entry). */
function fromEntry(s: ApiServices, key: string, owner: string, hit: CachedAuth | null | undefined): string | null | undefined {
  if (!hit || hit.t !== owner) return undefined;
  const mac = macOf(s.authSecret, key);
  if (!sameMac(hit, mac)) return null;
  rememberMac(s.authSecret, key, mac);
  return owner;
}

/** The hot path, synchronous: a key whose auth entry this process holds in memory (undefined: not known here). */
function verifyKeyInMemory(s: ApiServices, key: string): string | null | undefined {
  if (!API_KEY_PATTERN.test(key)) return null;
  const prefix = keyPrefix(key);
  const owner = prefixOwner.get(prefix);
  return owner ? fromEntry(s, key, owner, s.cache.peek<CachedAuth>(keys.cache.tenantAuth(owner, prefix))) : undefined;
}

// The cached MAC decoded once per in-process copy (the copy is shared and read-only).
const decoded = new WeakMap<CachedAuth, Buffer>();
function sameMac(hit: CachedAuth, mac: Buffer): boolean {
  let cached = decoded.get(hit);
  if (!cached) decoded.set(hit, (cached = Buffer.from(hit.mac, 'base64')));
  return cached.length === mac.length && crypto.timingSafeEqual(cached, mac);
}

/** Verifies an API key; returns the tenant id or null. Cheap on a warm cache, PBKDF2 on a miss. */
export async function verifyKey(s: ApiServices, key: string, opts: { slowPath?: boolean } = {}): Promise<string | null> {
  if (!API_KEY_PATTERN.test(key)) return null;
  const prefix = keyPrefix(key);
  const owner = prefixOwner.get(prefix);
  if (owner) {
    const known = fromEntry(s, key, owner, await s.cache.get<CachedAuth>(keys.cache.tenantAuth(owner, prefix)));
    if (known !== undefined) return known;
  }
  // A blocked address gets no PBKDF2 work: only keys already verified (cached) still pass.
  if (opts.slowPath === false) return null;
  // One verification per key at a time: a cold process under load (a restart, a new API process) would otherwise
  // run PBKDF2 for every request in flight, seconds of CPU for one client's first burst.
  let pending = verifying.get(key);
  if (!pending) {
    pending = verifySlow(s, key, prefix, owner).finally(() => verifying.delete(key));
    verifying.set(key, pending);
  }
  return pending;
}

const verifying = new Map<string, Promise<string | null>>();

async function verifySlow(s: ApiServices, key: string, prefix: string, checkedOwner: string | undefined): Promise<string | null> {
  const row = await lookupPrefix(s, prefix);
  if (!row || !row.active) {
    prefixOwner.delete(prefix);
    return null;
  }
  // Another process (or this one, before a restart) verified the key: its cache entry spares the PBKDF2.
  if (row.id !== checkedOwner) {
    const known = fromEntry(s, key, row.id, await s.cache.get<CachedAuth>(keys.cache.tenantAuth(row.id, prefix)));
    if (known !== undefined) {
      prefixOwner.set(prefix, row.id);
      return known;
    }
  }
  s.metrics.apiKeyHashChecks.inc();
  if (!(await verifyApiKey(key, row.api_key_hash))) return null;
  prefixOwner.set(prefix, row.id);
  const mac = macOf(s.authSecret, key).toString('base64');
  await s.cache.set(keys.cache.tenantAuth(row.id, prefix), { t: row.id, mac } satisfies CachedAuth, CACHE_TTL.tenantAuth);
  return row.id;
}

/** Is this prefix still the tenant's current, active key? (sessions are bound to the key they were made with) */
async function prefixStillValid(s: ApiServices, tenantId: string, prefix: string): Promise<boolean> {
  const hit = await s.cache.get<CachedAuth>(keys.cache.tenantAuth(tenantId, prefix));
  if (hit) return true;
  const row = await lookupPrefix(s, prefix);
  return Boolean(row && row.active && row.id === tenantId);
}

export async function invalidateAuth(s: Pick<ApiServices, 'cache'>, tenantId: string, prefix: string): Promise<void> {
  prefixOwner.delete(prefix);
  await s.cache.del(keys.cache.tenantAuth(tenantId, prefix));
}

/** The client's address: the socket's peer, or with TRUST_PROXY = n what the n-th proxy before us saw. */
export function clientIp(c: Context<AppEnv>): string {
  const peer = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress ?? 'unknown';
  const hops = c.get('services').config.trustProxyHops;
  return hops === 0 ? peer : forwardedClient(peer, requestHeader(c, 'x-forwarded-for'), hops);
}

/**
 * Each proxy appends the address it was called from to X-Forwarded-For, so with `hops` trusted proxies in front
 * the client is `hops` entries from the right of [peer, …X-Forwarded-For reversed]; entries further left came
 * from the client and may be forged. Fewer entries than hops: the leftmost one there is.
 */
export function forwardedClient(peer: string, xff: string | undefined, hops: number): string {
  if (hops === 0 || !xff) return peer;
  const chain = [peer, ...xff.split(',').map((a) => a.trim()).filter(Boolean).reverse()];
  return chain[Math.min(hops, chain.length - 1)];
}

/**
 * Whether the client's request came over TLS: the URL's scheme, or behind trusted proxies what the outermost of
 * them saw (each proxy appends its scheme to X-Forwarded-Proto, like its peer to X-Forwarded-For).
 */
export function requestIsHttps(c: Context<AppEnv>): boolean {
  if (new URL(c.req.url).protocol === 'https:') return true;
  const hops = c.get('services').config.trustProxyHops;
  return hops > 0 && forwardedHttps(requestHeader(c, 'x-forwarded-proto'), hops);
}

/** X-Forwarded-Proto as the outermost of `hops` trusted proxies wrote it says https. */
export function forwardedHttps(header: string | undefined, hops: number): boolean {
  const protos = (header ?? '').split(',').map((p) => p.trim().toLowerCase()).filter(Boolean);
  return protos[Math.max(0, protos.length - hops)] === 'https';
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Requires a valid API key (Authorization: Api-Key …) or a session cookie; sets c.var.auth. */
export const requireAuth = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const s = c.get('services');
    const header = requestHeader(c, 'authorization');
    let auth: AuthContext | null = null;
    if (header !== undefined) {
      const m = /^Api-Key\s+(\S+)\s*$/i.exec(header);
      const key = m?.[1] ?? '';
      const ip = clientIp(c);
      // A key verified before passes without looking at the address's failures (the hot path: no Redis at all
      // with the in-process cache); only a miss asks whether this address may do PBKDF2 work.
      let tenantId = m ? (verifyKeyInMemory(s, key) ?? (await verifyKey(s, key, { slowPath: false }))) : null;
      const blockedFor = tenantId ? 0 : await authBlockedFor(c, ip);
      if (!tenantId && m && blockedFor === 0) tenantId = await verifyKey(s, key);
      if (!tenantId) {
        if (blockedFor > 0) throw authRateLimited(blockedFor);
        await noteAuthFailure(s, ip);
        throw new AppError('UNAUTHORIZED', m ? 'The API key is not valid (unknown, revoked or rotated).' : 'Use the header "Authorization: Api-Key sk_live_…".');
      }
      auth = { tenantId, prefix: keyPrefix(key), via: 'api-key' };
    } else {
      const token = getCookie(c, SESSION_COOKIE);
      const session = token ? readSession(s.sessionSecret, token) : null;
      if (!session || !(await prefixStillValid(s, session.tenantId, session.prefix))) {
        throw new AppError('UNAUTHORIZED', 'Authentication required: send an API key or sign in.');
      }
      // Cookie-authenticated writes must prove they come from our page (double-submit token; SameSite=Strict too).
      if (STATE_CHANGING.has(c.req.method) && c.req.header('x-csrf-token') !== session.csrf) {
        throw new AppError('CSRF_FAILED', 'Missing or wrong X-CSRF-Token header for a cookie-authenticated request.');
      }
      auth = { tenantId: session.tenantId, prefix: session.prefix, via: 'session' };
    }
    c.set('auth', auth);
    // Synchronous while this process holds a lease (most requests): no promise to wait for.
    const limited = checkRateLimit(c, `key:${auth.prefix}`, s.config.rateLimitPerMinute);
    if (limited) await limited;
    // On every endpoint, a tenant_id query parameter that is not the key's own is 403, never silently ignored.
    tenantFor(c, c.req.query('tenant_id'));
    await next();
  });

/**
 * tenantFor of a JSON body's tenant_id, before the body's schema runs: another tenant's id is 403 however it is
 * spelled (too long for the schema too), as the same value in the query is. A tenant_id that is not a string is
 * left to the schema (400).
 */
export function tenantForBody(c: Context<AppEnv>, body: unknown): string {
  const requested = (body as { tenant_id?: unknown }).tenant_id;
  return tenantFor(c, typeof requested === 'string' ? requested : undefined);
}

/** The key decides the tenant: a tenant_id that is not the key's own is 403 (api.md). */
export function tenantFor(c: Context<AppEnv>, requested: string | undefined | null): string {
  const own = c.get('auth').tenantId;
  if (requested !== undefined && requested !== null && requested !== '' && requested !== own) {
    throw new AppError('FORBIDDEN', 'This API key cannot access another tenant.');
  }
  return own;
}
