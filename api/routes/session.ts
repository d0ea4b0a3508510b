/** Web app sign-in (API key → HttpOnly session cookie), tenant details and key rotation. */
import { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Context } from 'hono';
import type { AppEnv } from '../services.ts';
import { clientIp, requestIsHttps, requireAuth, verifyKey } from '../middleware/auth.ts';
import { guardAuthFailures, noteAuthFailure } from '../middleware/rate-limit.ts';
import { doc, parse } from '../openapi.ts';
import { RotatedKey, SessionBody, SessionInfo, TenantInfo } from '../schemas.ts';
import { readJsonBody } from '../body.ts';
import { AppError } from '../../lib/errors.ts';
import { keyPrefix } from '../../lib/apikeys.ts';
import { SESSION_COOKIE, SESSION_TTL_S, createSession, readSession } from '../session.ts';

export const session = new Hono<AppEnv>({ strict: false });
export const tenant = new Hono<AppEnv>({ strict: false });
tenant.use('*', requireAuth());

function issueCookie(c: Context<AppEnv>, tenantId: string, prefix: string): string {
  const s = c.get('services');
  const { token, session: sess } = createSession(s.sessionSecret, tenantId, prefix);
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'Strict',
    secure: requestIsHttps(c),
    path: '/',
    maxAge: SESSION_TTL_S,
  });
  return sess.csrf;
}

async function sessionInfo(c: Context<AppEnv>, tenantId: string, csrf: string) {
  const s = c.get('services');
  const t = await s.tenants.get(tenantId);
  return { tenant_id: tenantId, tenant_name: t?.name ?? tenantId, csrf_token: csrf, temporal_ui_url: s.config.temporal.uiUrl };
}

doc({
  method: 'post',
  path: '/api/session',
  tag: 'session',
  summary: 'Sign in to the web app: exchanges an API key for an HttpOnly, SameSite=Strict session cookie',
  body: { contentType: 'application/json', schema: SessionBody },
  responses: { 200: { description: 'Signed in', schema: SessionInfo }, 401: { description: 'Wrong key' }, 429: { description: 'Too many failed attempts' } },
});
session.post('/', async (c) => {
  const s = c.get('services');
  const ip = clientIp(c);
  await guardAuthFailures(c, ip);
  const body = parse(SessionBody, await readJsonBody(c));
  const tenantId = await verifyKey(s, body.api_key.trim());
  if (!tenantId) {
    await noteAuthFailure(s, ip);
    throw new AppError('UNAUTHORIZED', 'This API key is not valid. Check that you copied the whole key (sk_live_…).');
  }
  const csrf = issueCookie(c, tenantId, keyPrefix(body.api_key.trim()));
  return c.json(await sessionInfo(c, tenantId, csrf));
});

doc({
  method: 'get',
  path: '/api/session',
  tag: 'session',
  summary: 'The current web session (tenant and CSRF token for state-changing requests)',
  auth: true,
  responses: { 200: { description: 'Session', schema: SessionInfo } },
});
session.get('/', requireAuth(), async (c) => {
  const s = c.get('services');
  const token = getCookie(c, SESSION_COOKIE);
  const sess = token ? readSession(s.sessionSecret, token) : null;
  return c.json(await sessionInfo(c, c.get('auth').tenantId, sess?.csrf ?? ''));
});

doc({ method: 'delete', path: '/api/session', tag: 'session', summary: 'Sign out', responses: { 204: { description: 'Signed out' } } });
session.delete('/', (c) => {
  deleteCookie(c, SESSION_COOKIE, { path: '/' });
  return c.body(null, 204);
});

doc({ method: 'get', path: '/api/tenant', tag: 'tenant', summary: 'The key’s tenant', auth: true, responses: { 200: { description: 'Tenant', schema: TenantInfo } } });
tenant.get('/', async (c) => {
  const t = await c.get('services').tenants.get(c.get('auth').tenantId);
  if (!t) throw new AppError('NOT_FOUND', 'Tenant not found.');
  return c.json({ id: t.id, name: t.name, pg_schema: t.pg_schema, ch_database: t.ch_database, api_key_prefix: t.api_key_prefix, active: t.active, created_at: new Date(t.created_at).toISOString() });
});

doc({
  method: 'post',
  path: '/api/tenant/rotate-key',
  tag: 'tenant',
  summary: 'Issue a new API key (shown once); the old key stops working at once',
  auth: true,
  responses: { 200: { description: 'New key', schema: RotatedKey } },
});
tenant.post('/rotate-key', async (c) => {
  const s = c.get('services');
  const auth = c.get('auth');
  const { tenant: t, apiKey } = await s.tenants.rotateKey(auth.tenantId);
  // A signed-in user keeps their session, now bound to the new key.
  const csrf = auth.via === 'session' ? issueCookie(c, t.id, t.api_key_prefix) : undefined;
  // Only the hex part of the prefix: nothing shaped like a key (sk_live_…) ever reaches the logs.
  c.get('log').info('api key rotated', { tenantId: t.id, keyId: t.api_key_prefix.replace(/^sk_live_/, '') });
  return c.json({ tenant_id: t.id, api_key: apiKey, api_key_prefix: t.api_key_prefix, ...(csrf ? { csrf_token: csrf } : {}) });
});
