/**
 * Security against the real platform: injection payloads in every identifier that reaches SQL (PostgreSQL,
 * ClickHouse) or Redis keys — tenant ids, sync ids and config ids in paths, query parameters of /api/data and the
 * log endpoints — get a 400/404 or a correct (empty or filtered) answer, never a 500 and never another tenant's rows.
 * API keys are compared in constant time (code path and a runtime spy on crypto.timingSafeEqual), a key differing
 * only in its last character is refused on both the PBKDF2 and the cached path, brute force gets 429, and web
 * sessions use an HttpOnly SameSite=Strict cookie whose state-changing requests need the CSRF token.
 *
 * Requests that are meant to fail authentication come from their own random loopback address (127.x.y.z), so the
 * per-address failed-auth counter is only driven over its limit by the brute-force test.
 */
import { after, before, describe, test } from 'node:test';
import { readResponse, type RawResponse, loopbackAddress } from '../helpers/http.ts';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestPlatform, uniqueTenantId } from '../helpers/platform.ts';
import type { Platform } from '../../server/platform.ts';
import { AUTH_FAILURES_PER_MINUTE } from '../../api/middleware/rate-limit.ts';
import { AppError } from '../../lib/errors.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
let p: Platform;

interface Res {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: any;
  ms: number;
}

const loopback = loopbackAddress;
/**
 * This file's own source address. The failed-auth counter is per address and lives in the (shared) cache Redis:
 * 127.0.0.1 may already be over its limit because of other test files, which would turn a sign-in into a 429.
 */
const HOME = loopback();

function call(method: string, urlPath: string, o: { key?: string; headers?: Record<string, string>; body?: string; from?: string; cookie?: string } = {}): Promise<Res> {
  const u = new URL(p.url!);
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  if (o.key !== undefined) headers.authorization = `Api-Key ${o.key}`;
  if (o.cookie) headers.cookie = o.cookie;
  if (o.body !== undefined) headers['content-length'] = String(Buffer.byteLength(o.body));
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: urlPath, method, headers, localAddress: o.from ?? HOME, agent: false }, (res) => {
      readResponse(res).then((r) => resolve({ ...r, ms: Date.now() - t0 }), reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${urlPath}: no answer in 30 s`)));
    req.on('error', reject);
    if (o.body !== undefined) req.write(o.body);
    req.end();
  });
}

const H =
  'loan_account_number,customer_id,customer_type,branch_code,product_code,currency,original_amount,outstanding_principal,interest_rate,disbursement_date,maturity_date,installment_count,paid_installment_count,installment_frequency,loan_status,days_past_due,insurance_included';
const row = (lan: string, currency: string, date: string) => `${lan},C1,I,101,PRD,${currency},1000.50,500.25,18.5,${date},20300115,12,3,M,A,0,E`;

interface T {
  id: string;
  key: string;
  syncId: string;
  loans: string[];
}
let A: T;
let B: T;

async function tenantWithData(base: string, loans: [string, string, string][]): Promise<T> {
  const id = uniqueTenantId(base);
  const { apiKey } = await p.tenants.create(id, `Security ${base}`);
  await p.db.query(`UPDATE "${id}".sync_configs SET enabled = false`);
  const body = `${H}\n${loans.map(([l, c, d]) => row(l, c, d)).join('\n')}\n`;
  const up = await call('PUT', '/api/uploads/RETAIL/credit', { key: apiKey, headers: { 'content-type': 'text/csv' }, body });
  assert.equal(up.status, 201, up.text);
  const s = await call('POST', '/api/sync/', { key: apiKey, headers: { 'content-type': 'application/json' }, body: '{"loan_type":"RETAIL"}' });
  assert.equal(s.status, 202, s.text);
  const deadline = Date.now() + 120_000;
  for (;;) {
    const r = await call('GET', `/api/sync/logs/${s.json.sync_id}/`, { key: apiKey });
    if (r.json?.status === 'SUCCESS') break;
    assert.ok(!['FAILED', 'ABORTED'].includes(r.json?.status), r.text);
    assert.ok(Date.now() < deadline, 'sync did not finish');
    await new Promise((res) => setTimeout(res, 200));
  }
  return { id, key: apiKey, syncId: s.json.sync_id, loans: loans.map(([l]) => l) };
}

function assertNoServerError(r: Res, what: string): void {
  assert.ok(r.status < 500, `${what}: ${r.status} ${r.text.slice(0, 300)}`);
  assert.doesNotMatch(r.text, /\n\s+at |\.ts:\d+|syntax error|DB::Exception|Code: \d+/i, `${what}: no stack trace or database error text`);
}

function assertNoLeak(r: Res, what: string): void {
  for (const loan of B.loans) assert.ok(!r.text.includes(loan), `${what}: none of B's rows (${loan})`);
}

before(async () => {
  p = await startTestPlatform();
  A = await tenantWithData('seca', [
    ['SECA1', 'TRY', '20240115'],
    ['SECA2', 'USD', '20240301'],
    ['SECA3', 'TRY', '20231231'],
  ]);
  B = await tenantWithData('secb', [
    ['SECBSECRET1', 'TRY', '20240115'],
    ['SECBSECRET2', 'EUR', '20240115'],
  ]);
});
after(async () => {
  await p?.close();
});

// --------------------------------------------------------------------------------------------------- identifiers

describe('injection in identifiers that reach SQL or Redis keys', () => {
  const hostileIds = [
    "x'; DROP SCHEMA public CASCADE; --",
    'robert"); DROP TABLE public.tenants;--',
    'a"b',
    '../../etc/passwd',
    'abc def',
    'abc;select',
    'abc\u0000def',
    'tenant_\u0131', // dotless ı
    'ünicode_bank',
    'Upper_case',
    '1starts_with_digit',
    'ab',
    'a'.repeat(33),
    'public',
    'pg_catalog_x',
    'information_schema',
    '*',
    'abc:def',
    'abc{1}',
    '',
  ];

  test('hostile tenant ids are refused with VALIDATION_FAILED and create nothing (no row, no schema)', async () => {
    for (const id of hostileIds) {
      await assert.rejects(
        p.tenants.create(id, 'Evil'),
        (e: unknown) => e instanceof AppError && e.code === 'VALIDATION_FAILED' && e.details.field === 'tenant_id',
        JSON.stringify(id),
      );
      assert.equal(await p.tenants.get(id), null);
    }
    const { rows } = await p.db.query<{ n: string }>(`SELECT count(*) AS n FROM public.tenants WHERE id = ANY($1)`, [hostileIds.filter((x) => !x.includes('\u0000'))]);
    assert.equal(Number(rows[0].n), 0, 'no tenant row');
    const schemas = await p.db.query<{ nspname: string }>(`SELECT nspname FROM pg_namespace WHERE nspname LIKE '%DROP%' OR nspname LIKE '%..%' OR nspname LIKE '% %'`);
    assert.deepEqual(schemas.rows, [], 'no schema with a hostile name');
    const t = await p.db.query(`SELECT to_regclass('public.tenants') AS t`);
    assert.ok(t.rows[0].t, 'public.tenants is still there');
  });

  test('a hostile tenant name is stored verbatim (parameterized), not executed', async () => {
    const id = uniqueTenantId('named');
    const name = "Bank'); DROP TABLE public.tenants;-- \u0131\u015f";
    await p.tenants.create(id, name);
    assert.equal((await p.tenants.get(id))?.name, name);
  });

  const longId = 'a'.repeat(4000);
  const hostileSyncIds = [
    "'%20OR%201=1%20--",
    '%27%20OR%20%271%27%3D%271',
    '..',
    '..%2F..%2F..%2Fetc%2Fpasswd',
    '%2e%2e%2f%2e%2e%2f',
    'a;DROP%20TABLE%20sync_logs',
    longId,
    '%C4%B1%F0%9F%98%80', // ı😀
    '%00',
    '%ZZ', // malformed percent-encoding
    '00000000-0000-0000-0000-000000000000',
    '*',
  ];

  test('hostile sync ids in every /api/sync/logs/{id} path → 404 NOT_FOUND (or 400), never 500', async () => {
    for (const id of hostileSyncIds) {
      for (const suffix of ['/', '/errors/', '/failed-records.csv', '/progress/']) {
        const r = await call('GET', `/api/sync/logs/${id}${suffix}`, { key: A.key });
        assertNoServerError(r, `${id.slice(0, 40)}${suffix}`);
        assert.ok([400, 404].includes(r.status), `${id.slice(0, 40)}${suffix}: ${r.status} ${r.text.slice(0, 200)}`);
        assert.ok(r.json?.error?.code, 'error envelope');
      }
    }
  });

  test('another tenant’s real sync id is 404 with A’s key on every sync-log path, with no B data in the answer', async () => {
    for (const suffix of ['/', '/errors/', '/failed-records.csv', '/progress/']) {
      const r = await call('GET', `/api/sync/logs/${B.syncId}${suffix}`, { key: A.key });
      assert.equal(r.status, 404, `${suffix}: ${r.text.slice(0, 200)}`);
      assertNoLeak(r, suffix);
    }
  });

  test('hostile config ids → 404, never 500', async () => {
    for (const id of ['1%20OR%201=1', '-1', '0', '99999999999999999999', '1.5', '1e3', '%27', longId]) {
      const r = await call('GET', `/api/sync/configs/${id}/`, { key: A.key });
      assertNoServerError(r, `config ${id.slice(0, 30)}`);
      assert.equal(r.status, 404, `config ${id.slice(0, 30)}: ${r.text.slice(0, 200)}`);
    }
  });
});

// ------------------------------------------------------------------------------------------------ query parameters

describe('injection in query parameters', () => {
  const data = (qs: string) => call('GET', `/api/data/?loan_type=RETAIL&${qs}`, { key: A.key });

  test('sort / columns that are not column names → 400 VALIDATION_FAILED', async () => {
    for (const qs of [
      'sort=loan_account_number;DROP',
      'sort=loan_account_number%3BDROP%20TABLE%20fact_credit',
      'sort=loan_account_number%60%20DESC%2C%20(SELECT%201)%20--',
      'sort=-',
      'sort=1',
      'sort=rand()',
      'columns=*',
      'columns=loan_account_number,(SELECT%201)',
      'columns=loan_account_number%60,%60x',
      'columns=loan_account_number%20FROM%20system.tables%20--',
      'columns=' + 'x,'.repeat(990),
    ]) {
      const r = await data(qs);
      assertNoServerError(r, qs);
      assert.equal(r.status, 400, `${qs.slice(0, 60)}: ${r.text.slice(0, 200)}`);
      assert.equal(r.json.error.code, 'VALIDATION_FAILED');
    }
  });

  test('code filters with SQL text are bound parameters: an empty result, never another tenant’s rows', async () => {
    for (const qs of [
      "currency='%20OR%20'1'='1",
      'currency=TRY%27)%20OR%20(1=1',
      'currency=TRY%5C%27%20OR%201=1%20--',
      'currency=%7Bf0:String%7D',
      'customer_type=I%27%20UNION%20SELECT%20*%20FROM%20system.tables%20--',
      'loan_status=%00',
    ]) {
      const r = await data(qs);
      assertNoServerError(r, qs);
      assert.equal(r.status, 200, `${qs}: ${r.text.slice(0, 200)}`);
      assert.equal(r.json.total, 0, `${qs}: matches nothing`);
      assert.deepEqual(r.json.items, []);
      assertNoLeak(r, qs);
    }
  });

  test('legitimate filters return exactly the tenant’s matching rows', async () => {
    const r = await data('currency=TRY&sort=-loan_account_number&columns=loan_account_number,currency');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.items, [
      { loan_account_number: 'SECA3', currency: 'TRY' },
      { loan_account_number: 'SECA1', currency: 'TRY' },
    ]);
    const all = await data('');
    assert.equal(all.json.total, 3);
    assertNoLeak(all, 'unfiltered');
    const ranged = await data('disbursement_date_from=2024-01-01&disbursement_date_to=2024-12-31&columns=loan_account_number');
    assert.deepEqual(ranged.json.items.map((x: any) => x.loan_account_number), ['SECA1', 'SECA2']);
  });

  test('date filters with SQL text or impossible dates → 400, never 500; extreme real dates filter correctly', async () => {
    for (const v of ["2024-01-01'%20OR%201=1", '2024-01-01%20OR%201=1', '2024-1-1', '20240101', '9999-99-99', '2024-13-01', "'", '2024-02-30', '2023-02-29']) {
      const r = await data(`disbursement_date_from=${v}`);
      assertNoServerError(r, `date ${v}`);
      assert.equal(r.status, 400, `date ${v}: ${r.text.slice(0, 200)}`);
    }
    // Real calendar dates outside Date32's range are legitimate bounds: a correct (all / nothing) result.
    for (const [qs, total] of [
      ['disbursement_date_from=0000-01-01', 3],
      ['disbursement_date_to=0001-01-01', 0],
      ['disbursement_date_from=9999-12-31', 0],
    ] as const) {
      const r = await data(qs);
      assertNoServerError(r, qs);
      assert.equal(r.status, 200, `${qs}: ${r.text.slice(0, 200)}`);
      assert.equal(r.json.total, total, qs);
      assertNoLeak(r, qs);
    }
  });

  test('other parameters: loan_type, tenant_id, limit/offset and the error/log filters never yield a 500 or a leak', async () => {
    const cases: [string, number[]][] = [
      ["/api/data/?loan_type=RETAIL'%20OR%201=1", [400]],
      ['/api/data/?loan_type=RETA%C4%B0L', [400]],
      [`/api/data/?loan_type=RETAIL&tenant_id=${B.id}`, [403]],
      ["/api/data/?loan_type=RETAIL&tenant_id=x'%20OR%201=1", [403]],
      ['/api/data/?loan_type=RETAIL&limit=-1', [400]],
      ['/api/data/?loan_type=RETAIL&limit=1;DROP', [400]],
      ['/api/data/?loan_type=RETAIL&offset=99999999999', [400]],
      ['/api/data/?loan_type=RETAIL&file_type=..%2Fcredit', [400]],
      ['/api/profiling/?loan_type=RETAIL&file_type=credit%27', [400]],
      ["/api/sync/logs/?status='%20OR%201=1", [400]],
      ['/api/sync/logs/?loan_type=RETAIL;DROP', [400]],
      ['/api/sync/logs/?limit=1%20OR%201=1', [400]],
      [`/api/sync/logs/${A.syncId}/errors/?field='%20OR%201=1%20--`, [200]],
      [`/api/sync/logs/${A.syncId}/errors/?code=TYPE'%20OR%201=1`, [400]],
      [`/api/sync/logs/${A.syncId}/errors/?file_type=credit;DROP`, [400]],
      [`/api/sync/logs/${A.syncId}/failed-records.csv?file_type=..`, [400]],
    ];
    for (const [url, statuses] of cases) {
      const r = await call('GET', url, { key: A.key });
      assertNoServerError(r, url);
      assert.ok(statuses.includes(r.status), `${url}: ${r.status} ${r.text.slice(0, 200)}`);
      assertNoLeak(r, url);
      if (r.status === 200 && r.json?.total !== undefined) assert.equal(r.json.total, 0, `${url}: nothing matches`);
    }
  });

  test('B’s data is intact after all of the above', async () => {
    const r = await call('GET', '/api/data/?loan_type=RETAIL&columns=loan_account_number', { key: B.key });
    assert.deepEqual(r.json.items.map((x: any) => x.loan_account_number), B.loans);
  });
});

// -------------------------------------------------------------------------------------------------------- API keys

describe('API keys', () => {
  test('the code compares keys, MACs and session signatures with crypto.timingSafeEqual only', () => {
    const auth = fs.readFileSync(path.join(ROOT, 'api/middleware/auth.ts'), 'utf8');
    const apikeys = fs.readFileSync(path.join(ROOT, 'lib/apikeys.ts'), 'utf8');
    const session = fs.readFileSync(path.join(ROOT, 'api/session.ts'), 'utf8');
    assert.match(auth, /crypto\.timingSafeEqual\(cached, mac\)/, 'cached path: HMAC compared in constant time');
    assert.match(apikeys, /crypto\.timingSafeEqual\(actual, expected\)/, 'PBKDF2 path: hash compared in constant time');
    assert.match(session, /crypto\.timingSafeEqual\(given, expected\)/, 'session signature compared in constant time');
    // No secret is compared with === / !== (a length check before timingSafeEqual is fine).
    for (const [file, src] of [
      ['auth.ts', auth],
      ['apikeys.ts', apikeys],
    ] as const) {
      assert.doesNotMatch(src, /(mac|hash|expected|actual|cached|key)\s*[!=]==\s*(mac|hash|expected|actual|cached|key)\b/, `${file}: no direct comparison of secrets`);
      assert.doesNotMatch(src, /\.equals\(/, `${file}: no Buffer.equals on secrets`);
    }
  });

  test('a key differing only in its last character is refused on the PBKDF2 path and on the cached path; the compare runs through timingSafeEqual', async () => {
    const id = uniqueTenantId('lastchar');
    const { apiKey } = await p.tenants.create(id, 'Last char');
    const flipped = apiKey.slice(0, -1) + (apiKey.endsWith('0') ? '1' : '0');
    const orig = crypto.timingSafeEqual;
    let calls = 0;
    crypto.timingSafeEqual = ((a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
      calls++;
      return orig(a, b);
    }) as typeof crypto.timingSafeEqual;
    try {
      // Cold: the prefix was never seen by this process, so the key goes through PBKDF2.
      let r = await call('GET', '/api/tenant', { key: flipped, from: loopback() });
      assert.equal(r.status, 401, 'cold path');
      const coldMs = r.ms;
      assert.ok(calls >= 1, 'PBKDF2 result compared with timingSafeEqual');
      // Warm the cache with the real key, then the cached HMAC path.
      assert.equal((await call('GET', '/api/tenant', { key: apiKey })).status, 200);
      calls = 0;
      r = await call('GET', '/api/tenant', { key: flipped, from: loopback() });
      assert.equal(r.status, 401, 'cached path');
      assert.equal(r.json.error.code, 'UNAUTHORIZED');
      assert.ok(calls >= 1, 'cached HMAC compared with timingSafeEqual');
      assert.ok(r.ms < Math.max(200, coldMs / 2), `the cached path refuses without PBKDF2 (${r.ms} ms, cold ${coldMs} ms)`);
    } finally {
      crypto.timingSafeEqual = orig;
    }
  });

  test(`brute force from one address: ${AUTH_FAILURES_PER_MINUTE} failures are 401, then 429 RATE_LIMITED with Retry-After; other addresses unaffected`, async () => {
    const from = loopback();
    const statuses: number[] = [];
    let limited: Res | null = null;
    // Fixed one-minute windows: across a boundary it takes at most 2 × limit + 1 attempts.
    for (let i = 0; i < 2 * AUTH_FAILURES_PER_MINUTE + 2 && !limited; i++) {
      const r = await call('GET', '/api/sync/logs/', { key: `sk_live_${crypto.randomBytes(24).toString('hex')}`, from });
      statuses.push(r.status);
      if (r.status === 429) limited = r;
      else assert.equal(r.status, 401, r.text);
    }
    assert.ok(limited, `rate limited after ${statuses.length} attempts`);
    assert.ok(statuses.filter((s) => s === 401).length >= AUTH_FAILURES_PER_MINUTE, 'the first failures were plain 401s');
    assert.equal(limited.json.error.code, 'RATE_LIMITED');
    const retry = Number(limited.headers['retry-after']);
    assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 61, `Retry-After ${limited.headers['retry-after']}`);
    // Still refused while blocked, also for sign-in; another address is not.
    assert.equal((await call('GET', '/api/sync/logs/', { key: `sk_live_${'0'.repeat(48)}`, from })).status, 429);
    assert.equal((await call('POST', '/api/session', { headers: { 'content-type': 'application/json' }, body: '{"api_key":"sk_live_x"}', from })).status, 429);
    assert.equal((await call('GET', '/api/sync/logs/', { key: `sk_live_${'0'.repeat(48)}`, from: loopback() })).status, 401);
  });

  test(
    'a blocked address is refused before its key is checked: no PBKDF2 work per attempt once rate limited',
    async () => {
      // A real tenant's prefix with a wrong rest, never verified by this process: every attempt costs a PBKDF2.
      const id = uniqueTenantId('pbkdf');
      const { apiKey } = await p.tenants.create(id, 'PBKDF2 cost');
      const wrong = () => apiKey.slice(0, 16) + crypto.randomBytes(20).toString('hex');
      const from = loopback();
      let blocked = false;
      for (let i = 0; i < 2 * AUTH_FAILURES_PER_MINUTE + 2 && !blocked; i++) blocked = (await call('GET', '/api/tenant', { key: `sk_live_${crypto.randomBytes(24).toString('hex')}`, from })).status === 429;
      assert.ok(blocked);
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await call('GET', '/api/tenant', { key: wrong(), from });
        assert.equal(r.status, 429);
        times.push(r.ms);
      }
      const median = times.sort((a, b) => a - b)[2];
      assert.ok(median < 50, `a 429 for a blocked address costs no PBKDF2 (median ${median} ms)`);
    },
  );
});

// ---------------------------------------------------------------------------------------------------- web sessions

describe('web sessions', () => {
  const signIn = (key: string) => call('POST', '/api/session', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ api_key: key }) });
  const cookieOf = (r: Res) => {
    const set = (r.headers['set-cookie'] ?? []).find((c) => c.startsWith('findata_session='));
    assert.ok(set, 'a findata_session cookie');
    return { pair: set.split(';')[0], attrs: set };
  };

  test('the session cookie is HttpOnly, SameSite=Strict, Path=/, and carries no key material', async () => {
    const r = await signIn(A.key);
    assert.equal(r.status, 200, r.text);
    const { pair, attrs } = cookieOf(r);
    assert.match(attrs, /;\s*HttpOnly/i);
    assert.match(attrs, /;\s*SameSite=Strict/i);
    assert.match(attrs, /;\s*Path=\//i);
    assert.match(attrs, /;\s*Max-Age=\d+/i, 'expires');
    assert.ok(!pair.includes(A.key.slice(8)) && !Buffer.from(pair.split('=')[1].split('.')[0], 'base64url').toString().includes(A.key.slice(8)));
    assert.ok(!r.text.includes(A.key), 'the key is not echoed');
  });

  test('cookie-authenticated state-changing requests without (or with a wrong, or another session’s) X-CSRF-Token → 403 CSRF_FAILED', async () => {
    const a = await signIn(A.key);
    const b = await signIn(B.key);
    const cookieA = cookieOf(a).pair;
    const writes: [string, string, string | undefined, Record<string, string>][] = [
      ['POST', '/api/sync/', '{"loan_type":"RETAIL"}', { 'content-type': 'application/json' }],
      ['PUT', '/api/uploads/RETAIL/credit', `${H}\n${row('CSRF1', 'TRY', '20240115')}\n`, { 'content-type': 'text/csv' }],
      ['DELETE', '/api/uploads/RETAIL/credit', undefined, {}],
      ['PATCH', '/api/sync/configs/1/', '{"enabled":true}', { 'content-type': 'application/json' }],
      ['POST', '/api/tenant/rotate-key', undefined, {}],
    ];
    for (const [method, url, body, headers] of writes) {
      for (const [what, token] of [
        ['no token', undefined],
        ['wrong token', 'x'.repeat(24)],
        ['empty token', ''],
        ['B’s token', b.json.csrf_token as string],
      ] as const) {
        const r = await call(method, url, { cookie: cookieA, body, headers: token === undefined ? headers : { ...headers, 'x-csrf-token': token } });
        assert.equal(r.status, 403, `${method} ${url} (${what}): ${r.text.slice(0, 200)}`);
        assert.equal(r.json.error.code, 'CSRF_FAILED');
      }
    }
    // Nothing happened: A's key still works (no rotation), no sync was started.
    assert.equal((await call('GET', '/api/tenant', { key: A.key })).status, 200);
    const logs = await call('GET', '/api/sync/logs/', { key: A.key });
    assert.equal(logs.json.total, 1, 'no sync started by the forged requests');
    // A cookie GET needs no token.
    assert.equal((await call('GET', '/api/uploads/', { cookie: cookieA })).status, 200);
  });
});
