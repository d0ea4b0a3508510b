/**
 * Tenant isolation through the API: two tenants with real synced data, and every endpoint called with tenant A's
 * key (and A's web session) on tenant B's tenant_id or B's sync ids. Expected: 403 for a foreign tenant_id (query
 * or body), 404 for B's sync ids, never a success, and A's reads never return B's rows. Each 403 has a positive
 * control (A's own tenant_id is accepted), so the check is not just "tenant_id present".
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { apiClient, startTestPlatform, uniqueTenantId, waitForSync } from '../helpers/platform.ts';
import type { Platform } from '../../server/platform.ts';

let p: Platform;

const CREDIT_HEADER =
  'loan_account_number,customer_id,customer_type,branch_code,product_code,currency,original_amount,outstanding_principal,interest_rate,disbursement_date,maturity_date,installment_count,paid_installment_count,installment_frequency,loan_status,days_past_due,insurance_included';
const credit = (lan: string, rate = '18.5') => `${lan},C-${lan},I,101,PRD,TRY,1000.50,500.25,${rate},20240115,20250115,12,3,M,A,0,E`;
const PAY_HEADER = 'loan_account_number,installment_number,due_date,installment_amount,principal_amount,interest_amount,remaining_principal,payment_status,payment_date';
const payment = (lan: string, n: number) => `${lan},${n},202402${String(n).padStart(2, '0')},100.00,90.00,10.00,${1000 - n * 90}.00,B,`;

interface TenantFixture {
  id: string;
  key: string;
  api: ReturnType<typeof apiClient>;
  loans: string[];
  syncId: string;
  configIds: number[];
}
let A: TenantFixture;
let B: TenantFixture;
/** B's upload left pending after its sync. */
let bPendingSha: string;

async function setUp(base: string, loans: string[], invalid: string[]): Promise<TenantFixture> {
  const id = uniqueTenantId(base);
  const { apiKey: key } = await p.tenants.create(id, `Isolation ${base}`);
  // No scheduled syncs during the test: the pending uploads stay where the test put them.
  await p.sync!.ensureSchedule(id, false, 60);
  const api = apiClient(p.url!, key);
  const up1 = await api.upload('RETAIL', 'credit', [CREDIT_HEADER, ...loans.map((l) => credit(l)), ...invalid.map((l) => credit(l, 'bad'))].join('\n'));
  assert.equal(up1.status, 201, await up1.clone().text());
  const up2 = await api.upload('RETAIL', 'payment_plan', [PAY_HEADER, ...loans.flatMap((l) => [payment(l, 1), payment(l, 2)])].join('\n'));
  assert.equal(up2.status, 201, await up2.clone().text());
  const r = await api.send('POST', '/api/sync/', { loan_type: 'RETAIL' });
  assert.equal(r.status, 202, await r.clone().text());
  const { sync_id: syncId } = (await r.json()) as { sync_id: string };
  const log = await waitForSync(p.url!, key, syncId);
  assert.equal(log.status, 'SUCCESS', log.message);
  const configs = (await api.json('/api/sync/configs/')).body as { id: number }[];
  return { id, key, api, loans, syncId, configIds: configs.map((c) => c.id) };
}

before(async () => {
  p = await startTestPlatform();
  [A, B] = await Promise.all([setUp('iso_a', ['LA1', 'LA2', 'LA3'], []), setUp('iso_b', ['LB1', 'LB2', 'LB3', 'LB4'], ['LB9'])]);
  const pending = await B.api.upload('RETAIL', 'credit', [CREDIT_HEADER, credit('LB5')].join('\n'));
  assert.equal(pending.status, 201);
  bPendingSha = ((await pending.json()) as { sha256: string }).sha256;
});
after(async () => {
  await p?.close();
});

interface Attempt {
  what: string;
  method: string;
  path: string;
  body?: unknown;
  csv?: string;
}

async function send(key: string | null, a: Attempt, cookie?: { pair: string; csrf: string }): Promise<Response> {
  const headers: Record<string, string> = {};
  if (key) headers.authorization = `Api-Key ${key}`;
  if (cookie) {
    headers.cookie = cookie.pair;
    headers['x-csrf-token'] = cookie.csrf;
  }
  let body: string | undefined;
  if (a.csv !== undefined) {
    headers['content-type'] = 'text/csv';
    body = a.csv;
  } else if (a.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(a.body);
  }
  return fetch(p.url! + a.path, { method: a.method, headers, body });
}

/** Every endpoint of api.md (and the extensions) with a tenant_id that is not the caller's: 403. */
function foreignTenantAttempts(other: string): Attempt[] {
  const q = `tenant_id=${encodeURIComponent(other)}`;
  return [
    { what: 'data credit', method: 'GET', path: `/api/data/?${q}&loan_type=RETAIL` },
    { what: 'data payments', method: 'GET', path: `/api/data/?${q}&loan_type=RETAIL&file_type=payment_plan` },
    { what: 'profiling credit', method: 'GET', path: `/api/profiling/?${q}&loan_type=RETAIL` },
    { what: 'profiling payments', method: 'GET', path: `/api/profiling/?${q}&loan_type=RETAIL&file_type=payment_plan` },
    { what: 'start sync (body)', method: 'POST', path: '/api/sync/', body: { tenant_id: other, loan_type: 'RETAIL' } },
    { what: 'start sync (query)', method: 'POST', path: `/api/sync/?${q}`, body: { loan_type: 'RETAIL' } },
    { what: 'sync configs', method: 'GET', path: `/api/sync/configs/?${q}` },
    { what: 'sync config', method: 'GET', path: `/api/sync/configs/1/?${q}` },
    { what: 'update config (body)', method: 'PATCH', path: '/api/sync/configs/1/', body: { tenant_id: other, enabled: false } },
    { what: 'update config (query)', method: 'PATCH', path: `/api/sync/configs/1/?${q}`, body: { enabled: false } },
    { what: 'sync logs', method: 'GET', path: `/api/sync/logs/?${q}` },
    { what: 'sync logs filtered', method: 'GET', path: `/api/sync/logs/?${q}&loan_type=RETAIL&status=SUCCESS` },
    { what: 'pending uploads', method: 'GET', path: `/api/uploads/?${q}` },
    { what: 'upload', method: 'PUT', path: `/api/uploads/RETAIL/credit?${q}`, csv: [CREDIT_HEADER, credit('HIJACK')].join('\n') },
    { what: 'drop upload', method: 'DELETE', path: `/api/uploads/RETAIL/credit?${q}` },
    { what: 'tenant', method: 'GET', path: `/api/tenant?${q}` },
    { what: 'rotate key', method: 'POST', path: `/api/tenant/rotate-key?${q}` },
    { what: 'session', method: 'GET', path: `/api/session?${q}` },
  ];
}

/** Every endpoint addressed by a sync id, with another tenant's sync id: 404 as for an unknown id. */
function foreignSyncAttempts(syncId: string): Attempt[] {
  return [
    { what: 'sync log', method: 'GET', path: `/api/sync/logs/${syncId}/` },
    { what: 'sync log (no slash)', method: 'GET', path: `/api/sync/logs/${syncId}` },
    { what: 'validation errors', method: 'GET', path: `/api/sync/logs/${syncId}/errors/` },
    { what: 'validation errors filtered', method: 'GET', path: `/api/sync/logs/${syncId}/errors/?file_type=credit&code=TYPE` },
    { what: 'failed records', method: 'GET', path: `/api/sync/logs/${syncId}/failed-records.csv` },
    { what: 'failed records of a file', method: 'GET', path: `/api/sync/logs/${syncId}/failed-records.csv?file_type=credit` },
    { what: 'progress', method: 'GET', path: `/api/sync/logs/${syncId}/progress/` },
  ];
}

async function expectAll(key: string | null, attempts: Attempt[], status: number, code: string, cookie?: { pair: string; csrf: string }): Promise<number> {
  let successes = 0;
  for (const a of attempts) {
    const r = await send(key, a, cookie);
    const text = await r.text();
    if (r.ok) successes++;
    assert.equal(r.status, status, `${a.what}: ${a.method} ${a.path} → ${r.status} ${text.slice(0, 300)}`);
    const body = JSON.parse(text);
    assert.equal(body.error.code, code, a.what);
    for (const loan of B.loans) assert.ok(!text.includes(loan), `${a.what}: the refusal leaks none of B's data`);
  }
  return successes;
}

describe('tenant isolation', () => {
  test('A’s key with B’s tenant_id (query or body) is 403 FORBIDDEN on every endpoint; 0 successes', async () => {
    const successes = await expectAll(A.key, foreignTenantAttempts(B.id), 403, 'FORBIDDEN');
    assert.equal(successes, 0);
    // A tenant that does not exist at all is refused the same way (no tenant enumeration).
    assert.equal(await expectAll(A.key, foreignTenantAttempts(uniqueTenantId('nobody')), 403, 'FORBIDDEN'), 0);
    // However it is spelled: longer than any tenant id is 403 in a body as in a query, not a 400 for its length.
    assert.equal(await expectAll(A.key, foreignTenantAttempts('x'.repeat(65)), 403, 'FORBIDDEN'), 0);
  });

  test('the same requests with A’s own tenant_id are accepted (positive control)', async () => {
    const own = foreignTenantAttempts(A.id).filter((a) => !['rotate key', 'upload', 'drop upload', 'start sync (body)', 'start sync (query)'].includes(a.what));
    for (const a of own) {
      const r = await send(A.key, a);
      assert.ok(r.ok, `${a.what} with the key's own tenant_id: ${r.status} ${(await r.text()).slice(0, 300)}`);
    }
    // Restore what the PATCH controls changed.
    for (const id of A.configIds) assert.equal((await A.api.send('PATCH', `/api/sync/configs/${id}/`, { enabled: true })).status, 200);
  });

  test('A’s key with B’s sync ids is 404 on log, errors, failed-records.csv and progress; 0 successes', async () => {
    assert.equal(await expectAll(A.key, foreignSyncAttempts(B.syncId), 404, 'NOT_FOUND'), 0);
    assert.equal(await expectAll(B.key, foreignSyncAttempts(A.syncId), 404, 'NOT_FOUND'), 0, 'and the other way round');
    // Positive control: each owner reads its own.
    for (const a of foreignSyncAttempts(B.syncId)) {
      const r = await send(B.key, a);
      assert.equal(r.status, 200, `${a.what} by its owner: ${(await r.text()).slice(0, 200)}`);
    }
  });

  test('A’s web session is held to the same rules (403 for B’s tenant_id, 404 for B’s sync ids)', async () => {
    const s = await fetch(`${p.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ api_key: A.key }) });
    assert.equal(s.status, 200);
    const pair = s.headers.getSetCookie().find((c) => c.startsWith('findata_session='))!.split(';')[0];
    const cookie = { pair, csrf: ((await s.json()) as { csrf_token: string }).csrf_token };
    assert.equal(await expectAll(null, foreignTenantAttempts(B.id), 403, 'FORBIDDEN', cookie), 0);
    assert.equal(await expectAll(null, foreignSyncAttempts(B.syncId), 404, 'NOT_FOUND', cookie), 0);
  });

  test('A’s reads never return B’s rows: data, profiling, logs, errors, configs and uploads are A’s alone', async () => {
    for (const ft of ['credit', 'payment_plan']) {
      const { status, body } = await A.api.json(`/api/data/?loan_type=RETAIL&file_type=${ft}&limit=1000`);
      assert.equal(status, 200);
      assert.equal(body.tenant_id, A.id);
      assert.equal(body.total, ft === 'credit' ? A.loans.length : A.loans.length * 2, `${ft} total counts A's rows only`);
      assert.equal(body.items.length, body.total);
      for (const row of body.items) {
        assert.ok(A.loans.includes(row.loan_account_number), `${ft} row ${row.loan_account_number} is A's`);
        assert.equal(row.sync_id, A.syncId);
      }
      const prof = await A.api.json(`/api/profiling/?loan_type=RETAIL&file_type=${ft}`);
      assert.equal(prof.status, 200);
      assert.equal(prof.body.tenant_id, A.id);
      assert.equal(prof.body.row_count, body.total);
      const lan = prof.body.columns.find((c: any) => c.name === 'loan_account_number');
      assert.equal(lan.distinct, A.loans.length);
      assert.ok(A.loans.includes(lan.min) && A.loans.includes(lan.max));
    }
    const logs = await A.api.json('/api/sync/logs/?limit=100');
    assert.equal(logs.body.total, 1);
    assert.deepEqual(logs.body.items.map((l: any) => [l.sync_id, l.tenant_id]), [[A.syncId, A.id]]);
    const errs = await A.api.json(`/api/sync/logs/${A.syncId}/errors/`);
    assert.equal(errs.body.total, 0, 'A’s clean sync has no errors (B’s invalid row is not counted)');
    const csv = await (await A.api.get(`/api/sync/logs/${A.syncId}/failed-records.csv`)).text();
    assert.equal(csv.trim().split('\n').length, 1, 'A’s failed records: the header only');
    const configs = await A.api.json('/api/sync/configs/');
    assert.ok(configs.body.length > 0);
    for (const c of configs.body) assert.equal(c.tenant_id, A.id);
    assert.deepEqual(configs.body.map((c: any) => c.pending), configs.body.map(() => ({ credit: 0, payment_plan: 0 })), 'B’s pending upload is not counted for A');
    for (const id of B.configIds) {
      // Configuration ids are per tenant: the same number names A's own configuration, never B's.
      const one = await A.api.json(`/api/sync/configs/${id}/`);
      assert.equal(one.status, 200);
      assert.equal(one.body.tenant_id, A.id);
    }
    assert.deepEqual((await A.api.json('/api/uploads/')).body, [], 'B’s pending upload is not listed for A');
    const me = await A.api.json('/api/tenant');
    assert.equal(me.body.id, A.id);
  });

  test('nothing A tried changed B: B’s pending upload, configurations, data and key are intact', async () => {
    // A drops "its" RETAIL credit upload: there is none, and B's stays.
    const drop = await A.api.send('DELETE', '/api/uploads/RETAIL/credit');
    assert.equal(drop.status, 404);
    const pending = (await B.api.json('/api/uploads/')).body as any[];
    assert.deepEqual(pending.map((u) => [u.loan_type, u.file_type, u.sha256]), [['RETAIL', 'credit', bPendingSha]]);
    for (const c of (await B.api.json('/api/sync/configs/')).body) assert.equal(c.enabled, true, `B config ${c.id} still enabled`);
    const data = await B.api.json('/api/data/?loan_type=RETAIL&limit=1000');
    assert.deepEqual(data.body.items.map((r: any) => r.loan_account_number).sort(), B.loans);
    const logs = await B.api.json('/api/sync/logs/');
    assert.deepEqual(logs.body.items.map((l: any) => l.sync_id), [B.syncId], 'A started no sync for B');
    assert.equal((await A.api.json('/api/tenant')).status, 200, 'A’s key was not rotated by the refused rotate-key');
    assert.equal((await B.api.json('/api/tenant')).status, 200);
    const bogus = crypto.randomUUID();
    assert.equal((await A.api.json(`/api/sync/logs/${bogus}/`)).status, 404, 'an unknown id is the same 404 as a foreign one');
  });
});
