/**
 * API authentication against the real platform: API keys (format, unknown, rotated, deactivated, a valid prefix
 * with a wrong rest while the prefix is cached), the auth cache holding only an HMAC, per-key and failed-auth rate
 * limits, request ids, web sessions with CSRF protection, and keys never reaching the logs.
 *
 * The platform runs with RATE_LIMIT_PER_MINUTE=20 and a logger that captures every line. Requests that are meant to
 * fail authentication come from a random loopback source address (127.x.y.z) each, so the per-address failed-auth
 * counter is only ever driven over its limit by the test about it (and never for other test files on 127.0.0.1).
 */
import { after, before, describe, test } from 'node:test';
import { readResponse, type RawResponse, loopbackAddress } from '../helpers/http.ts';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import { testConfig, uniqueTenantId, workflowBundle } from '../helpers/platform.ts';
import { startPlatform, type Platform } from '../../server/platform.ts';
import { createLogger } from '../../lib/logger.ts';

let p: Platform;
const logLines: string[] = [];
/** Every key this file has seen: none of them may appear in a log line. */
const allKeys: string[] = [];

const CREDIT_HEADER =
  'loan_account_number,customer_id,customer_type,branch_code,product_code,currency,original_amount,outstanding_principal,interest_rate,disbursement_date,maturity_date,installment_count,paid_installment_count,installment_frequency,loan_status,days_past_due,insurance_included';
const CREDIT_CSV = `${CREDIT_HEADER}\nL1,C1,I,101,PRD,TRY,1000.50,500.25,18.5,20240115,20250115,12,3,M,A,0,E\n`;

const loopback = loopbackAddress;

type Res = RawResponse;

function call(method: string, path: string, o: { key?: string; headers?: Record<string, string>; body?: string | Buffer; from?: string; cookie?: string } = {}): Promise<Res> {
  const u = new URL(p.url! + path);
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  if (o.key !== undefined) headers.authorization = `Api-Key ${o.key}`;
  if (o.cookie) headers.cookie = o.cookie;
  if (o.body !== undefined) headers['content-length'] = String(Buffer.byteLength(o.body));
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers, localAddress: o.from ?? '127.0.0.1' }, (res) => {
      readResponse(res).then(resolve, reject);
    });
    req.on('error', reject);
    if (o.body !== undefined) req.write(o.body);
    req.end();
  });
}

const JSON_CT = { 'content-type': 'application/json' };

/** Asserts api.md's error envelope: status, code, a message, the request id of the response, no stack trace. */
function assertError(r: Res, status: number, code: string, what = ''): void {
  assert.equal(r.status, status, `${what} status (body ${r.text})`);
  assert.ok(r.json && typeof r.json.error === 'object', `${what} error envelope: ${r.text}`);
  assert.equal(r.json.error.code, code, `${what} code`);
  assert.equal(typeof r.json.error.message, 'string');
  assert.ok(r.json.error.message.length > 0);
  assert.ok(r.headers['x-request-id'], `${what} has an X-Request-Id header`);
  assert.equal(r.json.error.requestId, r.headers['x-request-id'], `${what} requestId in body equals X-Request-Id`);
  assert.doesNotMatch(r.text, /\bat .+\.(ts|js):\d+|\n\s+at /, `${what} no stack trace`);
}

async function newTenant(base: string): Promise<{ id: string; key: string }> {
  const id = uniqueTenantId(base);
  const { apiKey } = await p.tenants.create(id, `Auth ${base}`);
  allKeys.push(apiKey);
  return { id, key: apiKey };
}

const randomKey = () => `sk_live_${crypto.randomBytes(24).toString('hex')}`;
const authKeyOf = (tenantId: string, key: string) => `findata:${tenantId}:tenant_auth:${key.slice(0, 16)}`;

function cookieOf(r: Res): { pair: string; attrs: string } {
  const set = (r.headers['set-cookie'] ?? []).find((c) => c.startsWith('findata_session='));
  assert.ok(set, `a findata_session cookie is set (${JSON.stringify(r.headers['set-cookie'])})`);
  return { pair: set.split(';')[0], attrs: set };
}

before(async () => {
  const config = testConfig({ RATE_LIMIT_PER_MINUTE: '20' });
  p = await startPlatform(config, { log: createLogger('debug', {}, (line) => logLines.push(line)), workflowBundle: await workflowBundle() });
});
after(async () => {
  await p?.close();
});

describe('API keys', () => {
  test('health needs no key; every other endpoint without a key is 401 with the error envelope', async () => {
    const h = await call('GET', '/api/health');
    assert.equal(h.status, 200);
    assert.deepEqual(h.json, { status: 'ok' });
    for (const [m, path] of [
      ['GET', '/api/tenant'],
      ['GET', '/api/uploads/'],
      ['PUT', '/api/uploads/RETAIL/credit'],
      ['DELETE', '/api/uploads/RETAIL/credit'],
      ['POST', '/api/sync/'],
      ['GET', '/api/sync/configs/'],
      ['GET', '/api/sync/configs/1/'],
      ['GET', '/api/sync/logs/'],
      ['GET', `/api/sync/logs/${crypto.randomUUID()}/`],
      ['GET', `/api/sync/logs/${crypto.randomUUID()}/errors/`],
      ['GET', `/api/sync/logs/${crypto.randomUUID()}/failed-records.csv`],
      ['GET', '/api/data/?loan_type=RETAIL'],
      ['GET', '/api/profiling/?loan_type=RETAIL'],
      ['GET', '/api/session'],
    ]) {
      assertError(await call(m, path, { from: loopback() }), 401, 'UNAUTHORIZED', `${m} ${path}`);
    }
  });

  test('garbled Authorization headers are 401, never 400 or 500', async () => {
    const t = await newTenant('garble');
    const hex = t.key.slice(8);
    for (const value of [
      '',
      'Api-Key',
      'Api-Key ',
      `Bearer ${t.key}`,
      `Basic ${Buffer.from(`x:${t.key}`).toString('base64')}`,
      `Api-Key ${t.key.slice(0, -1)}`,
      `Api-Key ${t.key}0`,
      `Api-Key sk_test_${hex}`,
      `Api-Key sk_live_${hex.toUpperCase()}`,
      `Api-Key ${t.key} ${t.key}`,
      `Api-Key "${t.key}"`,
      `Api-Key sk_live_${'z'.repeat(48)}`,
    ]) {
      assertError(await call('GET', '/api/tenant', { headers: { authorization: value }, from: loopback() }), 401, 'UNAUTHORIZED', JSON.stringify(value));
    }
    const ok = await call('GET', '/api/tenant', { key: t.key });
    assert.equal(ok.status, 200, 'the same key, well-formed, works');
    assert.equal(ok.json.id, t.id);
    // The scheme is case-insensitive (RFC 9110 §11.1) and may be followed by more than one space.
    for (const value of [`api-key ${t.key}`, `API-KEY ${t.key}`, `Api-Key   ${t.key}`]) {
      assert.equal((await call('GET', '/api/tenant', { headers: { authorization: value } })).status, 200, value.slice(0, 10));
    }
  });

  test('an unknown key of the right format is 401', async () => {
    const k = randomKey();
    allKeys.push(k);
    assertError(await call('GET', '/api/tenant', { key: k, from: loopback() }), 401, 'UNAUTHORIZED');
  });

  test('a valid prefix with a wrong rest is refused although the prefix is cached, and the cache holds only an HMAC', async () => {
    const t = await newTenant('prefix');
    assert.equal((await call('GET', '/api/tenant', { key: t.key })).status, 200);
    const raw = await p.redis.cache.get(authKeyOf(t.id, t.key));
    assert.ok(raw, `the auth entry is cached under ${authKeyOf(t.id, t.key)}`);
    const entry = JSON.parse(raw);
    assert.deepEqual(Object.keys(entry).sort(), ['mac', 't']);
    assert.equal(entry.t, t.id);
    const expectedMac = crypto.createHmac('sha256', p.services!.authSecret).update(t.key).digest('base64');
    assert.equal(entry.mac, expectedMac, 'the entry is the HMAC of the key under the server secret');
    assert.ok(!raw.includes(t.key.slice(16)) && !raw.includes(t.key.slice(8)), 'no key material in the entry');
    // Nothing under the tenant's cache namespace holds the key.
    let cursor = '0';
    do {
      const [next, found] = await p.redis.cache.scan(cursor, 'MATCH', `findata:${t.id}:*`, 'COUNT', 500);
      cursor = next;
      for (const k of found) {
        const v = (await p.redis.cache.type(k)) === 'string' ? await p.redis.cache.get(k) : '';
        assert.ok(!String(v).includes(t.key.slice(16)), `${k} holds no key material`);
      }
    } while (cursor !== '0');

    const lastFlipped = t.key.slice(0, -1) + (t.key.endsWith('0') ? '1' : '0');
    const otherRest = t.key.slice(0, 16) + crypto.randomBytes(20).toString('hex');
    for (const forged of [lastFlipped, otherRest]) {
      allKeys.push(forged);
      assertError(await call('GET', '/api/tenant', { key: forged, from: loopback() }), 401, 'UNAUTHORIZED', 'forged key with a cached prefix');
      assert.ok(await p.redis.cache.get(authKeyOf(t.id, t.key)), 'the entry is still cached (the refusal came from the cache path)');
    }
    assert.equal((await call('GET', '/api/tenant', { key: t.key })).status, 200, 'the real key still works');
  });

  test('the first burst of a key this process has not verified runs one PBKDF2, not one per request in flight', async () => {
    const t = await newTenant('burst');
    const checks = async () => (await p.metrics.apiKeyHashChecks.get()).values[0]?.value ?? 0;
    const before = await checks();
    const rs = await Promise.all(Array.from({ length: 12 }, () => call('GET', '/api/tenant', { key: t.key })));
    assert.deepEqual(rs.map((r) => r.status), Array(12).fill(200));
    assert.equal((await checks()) - before, 1, 'one hash check for twelve concurrent requests');
    // A wrong key with the same prefix in a burst: refused by the cached entry, no hash work at all.
    const forged = t.key.slice(0, 16) + crypto.randomBytes(20).toString('hex');
    allKeys.push(forged);
    const from = loopback();
    const bad = await Promise.all(Array.from({ length: 4 }, () => call('GET', '/api/tenant', { key: forged, from })));
    assert.deepEqual(bad.map((r) => r.status), Array(4).fill(401));
    assert.equal((await checks()) - before, 1, 'the forged key cost no hash check');
  });

  test('rotation: the old key fails on the very next request, the new one works, through the API and the tenant service', async () => {
    const t = await newTenant('rotate');
    assert.equal((await call('GET', '/api/tenant', { key: t.key })).status, 200, 'warm the auth cache');
    const r = await call('POST', '/api/tenant/rotate-key', { key: t.key });
    assert.equal(r.status, 200, r.text);
    const k2 = r.json.api_key as string;
    allKeys.push(k2);
    assert.match(k2, /^sk_live_[0-9a-f]{48}$/);
    assert.notEqual(k2, t.key);
    assert.equal(r.json.tenant_id, t.id);
    assert.equal(r.json.api_key_prefix, k2.slice(0, 16));
    assertError(await call('GET', '/api/tenant', { key: t.key, from: loopback() }), 401, 'UNAUTHORIZED', 'old key right after rotation');
    assert.equal(await p.redis.cache.get(authKeyOf(t.id, t.key)), null, 'the old auth entry is gone');
    assert.equal((await call('GET', '/api/tenant', { key: k2 })).status, 200);

    // The tenant CLI rotates through the tenant service: same effect on a warm cache.
    const { apiKey: k3 } = await p.tenants.rotateKey(t.id);
    allKeys.push(k3);
    assertError(await call('GET', '/api/tenant', { key: k2, from: loopback() }), 401, 'UNAUTHORIZED', 'key rotated by the service');
    assert.equal((await call('GET', '/api/tenant', { key: k3 })).status, 200);
  });

  test('a deactivated tenant’s key is 401 at once (also for sign-in) and works again when reactivated', async () => {
    const t = await newTenant('deact');
    assert.equal((await call('GET', '/api/tenant', { key: t.key })).status, 200, 'warm the auth cache');
    await p.tenants.setActive(t.id, false);
    try {
      assertError(await call('GET', '/api/tenant', { key: t.key, from: loopback() }), 401, 'UNAUTHORIZED', 'deactivated key');
      assertError(
        await call('POST', '/api/session', { headers: JSON_CT, body: JSON.stringify({ api_key: t.key }), from: loopback() }),
        401,
        'UNAUTHORIZED',
        'sign-in with a deactivated key',
      );
    } finally {
      await p.tenants.setActive(t.id, true);
    }
    assert.equal((await call('GET', '/api/tenant', { key: t.key })).status, 200);
  });
});

describe('rate limits', () => {
  test('per key: past RATE_LIMIT_PER_MINUTE the key gets 429 RATE_LIMITED with Retry-After; another key is unaffected', async () => {
    const t = await newTenant('rl');
    const other = await newTenant('rl_other');
    let limited: Res | null = null;
    let ok = 0;
    // Fixed one-minute windows of 20: at most 41 requests reach a 429 even across a window boundary.
    for (let i = 0; i < 45 && !limited; i++) {
      const r = await call('GET', '/api/tenant', { key: t.key });
      if (r.status === 429) limited = r;
      else {
        assert.equal(r.status, 200, r.text);
        assert.equal(r.headers['x-ratelimit-limit'], '20');
        ok++;
      }
    }
    assert.ok(limited, 'the key was rate limited');
    assert.ok(ok >= 20, `at least the limit passed first (${ok})`);
    assertError(limited, 429, 'RATE_LIMITED');
    const retry = Number(limited.headers['retry-after']);
    assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 61, `Retry-After is whole seconds within the window: ${limited.headers['retry-after']}`);
    assert.equal(limited.json.error.retry_after, retry);
    assert.equal((await call('GET', '/api/tenant', { key: other.key })).status, 200, 'the limit is per key');
  });

  test('repeated failed authentication from one address gets 429 with Retry-After; other addresses still get 401', async () => {
    const from = loopback();
    let limited: Res | null = null;
    let unauthorized = 0;
    for (let i = 0; i < 45 && !limited; i++) {
      const r = await call('GET', '/api/tenant', { key: randomKey(), from });
      if (r.status === 429) limited = r;
      else {
        assertError(r, 401, 'UNAUTHORIZED');
        unauthorized++;
      }
    }
    assert.ok(limited, 'the address was rate limited');
    assert.ok(unauthorized >= 20, `the first failures were plain 401s (${unauthorized})`);
    assertError(limited, 429, 'RATE_LIMITED');
    const retry = Number(limited.headers['retry-after']);
    assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 61, `Retry-After: ${limited.headers['retry-after']}`);
    // Sign-in from the same address is refused before its key is even checked.
    const signIn = await call('POST', '/api/session', { headers: JSON_CT, body: JSON.stringify({ api_key: randomKey() }), from });
    assertError(signIn, 429, 'RATE_LIMITED', 'sign-in from a blocked address');
    assert.ok(Number(signIn.headers['retry-after']) >= 1);
    assertError(await call('GET', '/api/tenant', { key: randomKey(), from: loopback() }), 401, 'UNAUTHORIZED', 'another address');
  });
});

describe('behind a reverse proxy (TRUST_PROXY)', () => {
  const bad = (from: string, xff: string) => call('GET', '/api/tenant', { key: randomKey(), from, headers: { 'x-forwarded-for': xff } });

  test('with TRUST_PROXY=1 failed authentication is counted per forwarded client: one is limited, another behind the same proxy is not, a forged entry changes nothing', async () => {
    const proxy = loopback();
    p.config.trustProxyHops = 1;
    try {
      let limited: Res | null = null;
      for (let i = 0; i < 45 && !limited; i++) {
        const r = await bad(proxy, '203.0.113.7');
        if (r.status === 429) limited = r;
        else assertError(r, 401, 'UNAUTHORIZED');
      }
      assert.ok(limited, 'the forwarded client 203.0.113.7 was rate limited');
      assertError(await bad(proxy, '203.0.113.8'), 401, 'UNAUTHORIZED', 'another client behind the same proxy');
      // The client wrote the first entry itself; the proxy appended the address it really came from.
      assertError(await bad(proxy, '203.0.113.8, 203.0.113.7'), 429, 'RATE_LIMITED', 'a forged X-Forwarded-For entry');
    } finally {
      p.config.trustProxyHops = 0;
    }
  });

  test('without TRUST_PROXY the header is ignored: the socket peer is the client', async () => {
    const from = loopback();
    let limited = false;
    for (let i = 0; i < 45 && !limited; i++) limited = (await bad(from, `203.0.113.${i % 200}`)).status === 429;
    assert.ok(limited, 'one peer with a different X-Forwarded-For each time is still one client');
  });

  test('the session cookie is Secure behind a trusted TLS proxy (X-Forwarded-Proto: https), and not on plain HTTP or with an untrusted header', async () => {
    const t = await newTenant('proxy');
    const signIn = () => call('POST', '/api/session', { headers: { ...JSON_CT, 'x-forwarded-proto': 'https' }, body: JSON.stringify({ api_key: t.key }) });
    const untrusted = await signIn();
    assert.equal(untrusted.status, 200, untrusted.text);
    assert.doesNotMatch(cookieOf(untrusted).attrs, /;\s*Secure/i);
    p.config.trustProxyHops = 1;
    try {
      const trusted = await signIn();
      assert.equal(trusted.status, 200, trusted.text);
      assert.match(cookieOf(trusted).attrs, /;\s*Secure/i);
    } finally {
      p.config.trustProxyHops = 0;
    }
  });
});

describe('request ids', () => {
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

  test('every response carries X-Request-Id, errors too, and error bodies repeat it', async () => {
    const t = await newTenant('rid');
    const cases: [string, string, { key?: string; headers?: Record<string, string>; body?: string; from?: string }, number][] = [
      ['GET', '/api/health', {}, 200],
      ['GET', '/api/openapi.json', {}, 200],
      ['GET', '/api/tenant', { key: t.key }, 200],
      ['GET', '/api/tenant', { from: loopback() }, 401],
      ['GET', '/api/nope', { key: t.key }, 404],
      ['GET', `/api/sync/logs/${crypto.randomUUID()}/`, { key: t.key }, 404],
      ['GET', '/api/data/?loan_type=XX', { key: t.key }, 400],
      ['POST', '/api/sync/', { key: t.key, headers: JSON_CT, body: '{"loan_type":' }, 400],
      ['PUT', '/api/uploads/RETAIL/credit', { key: t.key, headers: { 'content-type': 'application/json' }, body: '{}' }, 415],
      ['GET', '/api/data/?loan_type=RETAIL&tenant_id=someone_else', { key: t.key }, 403],
    ];
    for (const [m, path, o, status] of cases) {
      const r = await call(m, path, o);
      assert.equal(r.status, status, `${m} ${path}: ${r.text.slice(0, 200)}`);
      assert.match(String(r.headers['x-request-id']), UUID, `${m} ${path} has a generated X-Request-Id`);
      if (status >= 400) assert.equal(r.json.error.requestId, r.headers['x-request-id']);
    }
    const ids = new Set<string>();
    for (let i = 0; i < 3; i++) ids.add(String((await call('GET', '/api/health')).headers['x-request-id']));
    assert.equal(ids.size, 3, 'a fresh id per request');
  });

  test('a valid incoming X-Request-Id is echoed (headers and error body); an invalid one is replaced', async () => {
    const given = `bank-req.${crypto.randomBytes(6).toString('hex')}`;
    const ok = await call('GET', '/api/health', { headers: { 'x-request-id': given } });
    assert.equal(ok.headers['x-request-id'], given);
    const err = await call('GET', '/api/tenant', { headers: { 'x-request-id': given }, from: loopback() });
    assert.equal(err.status, 401);
    assert.equal(err.headers['x-request-id'], given);
    assert.equal(err.json.error.requestId, given);
    for (const bad of ['short', 'has space in it', 'x'.repeat(65), 'semi;colon;id', '<script>alert(1)</script>']) {
      const r = await call('GET', '/api/health', { headers: { 'x-request-id': bad } });
      assert.match(String(r.headers['x-request-id']), UUID, `${JSON.stringify(bad)} is replaced by a generated id`);
    }
  });
});

describe('web sessions', () => {
  const signIn = (key: string, from?: string) => call('POST', '/api/session', { headers: JSON_CT, body: JSON.stringify({ api_key: key }), from });

  test('sign-in sets an HttpOnly, SameSite=Strict cookie without the key; cookie GETs work', async () => {
    const t = await newTenant('sess');
    const r = await signIn(t.key);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.tenant_id, t.id);
    assert.equal(typeof r.json.csrf_token, 'string');
    assert.ok(r.json.csrf_token.length >= 16);
    assert.ok(!r.text.includes(t.key), 'the key is not echoed');
    const { pair, attrs } = cookieOf(r);
    assert.match(attrs, /;\s*HttpOnly/i);
    assert.match(attrs, /;\s*SameSite=Strict/i);
    assert.match(attrs, /;\s*Path=\//i);
    assert.ok(!decodeURIComponent(pair).includes(t.key.slice(16)), 'the cookie holds no key material');
    const payload = Buffer.from(pair.split('=')[1].split('.')[0], 'base64url').toString();
    assert.ok(!payload.includes(t.key.slice(16)), 'nor does its decoded payload');

    const me = await call('GET', '/api/tenant', { cookie: pair });
    assert.equal(me.status, 200, me.text);
    assert.equal(me.json.id, t.id);
    const sess = await call('GET', '/api/session', { cookie: pair });
    assert.equal(sess.status, 200);
    assert.equal(sess.json.csrf_token, r.json.csrf_token);
    assert.equal((await call('GET', '/api/uploads/', { cookie: pair })).status, 200);
  });

  test('cookie-authenticated POST/PUT/PATCH/DELETE need X-CSRF-Token: 403 CSRF_FAILED without or with a wrong one, accepted with it', async () => {
    const t = await newTenant('csrf');
    const r = await signIn(t.key);
    const { pair } = cookieOf(r);
    const csrf = r.json.csrf_token as string;
    const configs = await call('GET', '/api/sync/configs/', { cookie: pair });
    assert.equal(configs.status, 200);
    const cfgId = configs.json[0].id;
    const writes: [string, string, Record<string, string>, string, number][] = [
      ['PUT', '/api/uploads/RETAIL/credit', { 'content-type': 'text/csv' }, CREDIT_CSV, 201],
      ['DELETE', '/api/uploads/RETAIL/credit', {}, '', 204],
      ['PATCH', `/api/sync/configs/${cfgId}/`, { 'content-type': 'application/json' }, JSON.stringify({ enabled: true }), 200],
      // Nothing is pending any more: 422 proves the request got past the CSRF check without starting a sync.
      ['POST', '/api/sync/', { 'content-type': 'application/json' }, JSON.stringify({ loan_type: 'RETAIL' }), 422],
    ];
    for (const [m, path, headers, body, expected] of writes) {
      const o = { cookie: pair, body: body || undefined };
      assertError(await call(m, path, { ...o, headers }), 403, 'CSRF_FAILED', `${m} without token`);
      assertError(await call(m, path, { ...o, headers: { ...headers, 'x-csrf-token': csrf.slice(1) + 'x' } }), 403, 'CSRF_FAILED', `${m} with a wrong token`);
      const ok = await call(m, path, { ...o, headers: { ...headers, 'x-csrf-token': csrf } });
      assert.equal(ok.status, expected, `${m} ${path} with the token: ${ok.text}`);
    }
    // The CSRF check is about cookies: the same write with an API key needs no token.
    assert.equal((await call('PUT', '/api/uploads/RETAIL/credit', { key: t.key, headers: { 'content-type': 'text/csv' }, body: CREDIT_CSV })).status, 201);
  });

  test('rotation through a session re-issues the cookie; a session of a rotated key stops working', async () => {
    const t = await newTenant('sessrot');
    const r = await signIn(t.key);
    const old = cookieOf(r).pair;
    assertError(await call('POST', '/api/tenant/rotate-key', { cookie: old }), 403, 'CSRF_FAILED', 'rotation without token');
    const rot = await call('POST', '/api/tenant/rotate-key', { cookie: old, headers: { 'x-csrf-token': r.json.csrf_token } });
    assert.equal(rot.status, 200, rot.text);
    allKeys.push(rot.json.api_key);
    const fresh = cookieOf(rot).pair;
    assert.equal((await call('GET', '/api/tenant', { cookie: fresh })).status, 200, 'the re-issued cookie works');
    assertError(await call('GET', '/api/tenant', { cookie: old, from: loopback() }), 401, 'UNAUTHORIZED', 'the cookie of the old key');
    assertError(await call('GET', '/api/tenant', { key: t.key, from: loopback() }), 401, 'UNAUTHORIZED', 'the old key');

    // A key rotated elsewhere (API key or CLI) ends the sessions made with it.
    const s2 = cookieOf(await signIn(rot.json.api_key)).pair;
    assert.equal((await call('GET', '/api/tenant', { cookie: s2 })).status, 200);
    allKeys.push((await p.tenants.rotateKey(t.id)).apiKey);
    assertError(await call('GET', '/api/tenant', { cookie: s2, from: loopback() }), 401, 'UNAUTHORIZED', 'session of a key rotated by the CLI');
  });

  test('sign-out clears the cookie; tampered cookies and bad sign-ins are refused', async () => {
    const t = await newTenant('signout');
    const r = await signIn(t.key);
    const { pair } = cookieOf(r);
    const out = await call('DELETE', '/api/session', { cookie: pair });
    assert.equal(out.status, 204);
    const cleared = cookieOf(out).attrs;
    assert.match(cleared, /^findata_session=;/, 'the cookie value is emptied');
    assert.match(cleared, /Max-Age=0|Expires=Thu, 01 Jan 1970/i, 'and expired');
    const [name, value] = pair.split('=');
    const [payload, sig] = value.split('.');
    const flipped = sig.slice(0, -1) + (sig.endsWith('A') ? 'B' : 'A');
    const otherTenant = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), tenantId: 'someone_else' })).toString('base64url');
    for (const bad of [`${name}=${payload}.${flipped}`, `${name}=${otherTenant}.${sig}`, `${name}=${payload}`, `${name}=garbage`]) {
      assertError(await call('GET', '/api/tenant', { cookie: bad, from: loopback() }), 401, 'UNAUTHORIZED', `cookie ${bad.slice(0, 30)}`);
    }
    assertError(await signIn(randomKey(), loopback()), 401, 'UNAUTHORIZED', 'sign-in with an unknown key');
    assertError(await call('POST', '/api/session', { headers: JSON_CT, body: '{"api_key": "sk_live_', from: loopback() }), 400, 'BAD_REQUEST', 'malformed JSON');
    assertError(await call('POST', '/api/session', { headers: JSON_CT, body: '{}', from: loopback() }), 400, 'VALIDATION_FAILED', 'no api_key');
    assertError(await call('POST', '/api/session', { headers: JSON_CT, body: '{"api_key": 42}', from: loopback() }), 400, 'VALIDATION_FAILED', 'api_key not a string');
  });
});

describe('logs', () => {
  test('no API key, not even its sk_live_ prefix, appears in any log line (debug level, failures included)', async () => {
    // Make sure the failure paths have been logged at least once more, with keys in every place a client may put them.
    const t = await newTenant('logs');
    await call('GET', `/api/tenant?api_key=${t.key}`, { key: t.key });
    await call('GET', `/api/nope/${t.key}`, { from: loopback() });
    await call('POST', '/api/session', { headers: JSON_CT, body: JSON.stringify({ api_key: t.key }) });
    await call('POST', '/api/session', { headers: JSON_CT, body: JSON.stringify({ api_key: t.key.slice(0, -2) }), from: loopback() });
    await call('POST', '/api/sync/', { key: t.key, headers: JSON_CT, body: `{"tenant_id": "${t.key}"` });
    await call('POST', '/api/tenant/rotate-key', { key: t.key });
    assert.ok(logLines.length > 20, `the capturing logger saw the requests (${logLines.length} lines)`);
    assert.ok(logLines.some((l) => l.includes('"status":401')), 'failures are logged');
    const leaks = logLines.filter((l) => l.includes('sk_live_') || allKeys.some((k) => l.includes(k.slice(16))));
    assert.deepEqual(leaks, []);
  });
});
