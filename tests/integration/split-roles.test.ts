/**
 * Embedded warehouse with split roles: a `worker` process owns the data folder's engine and an `api` process on
 * the same DATA_DIR reads through it (lib/warehouse-owner.ts). The API process provisions tenants, takes uploads
 * and starts syncs, which the owner's worker runs; its data and profiling answers equal the owner's own queries;
 * it has no engine to write with; and while the owner is down its warehouse reads answer 503 and uploads still
 * work.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { apiClient, startTestPlatform, uniqueTenantId, waitForSync } from '../helpers/platform.ts';
import type { Platform } from '../../server/platform.ts';
import { generateInMemory } from '../../domain/generator.ts';
import { qualified } from '../../lib/warehouse.ts';
import { ownerSocket } from '../../lib/warehouse-owner.ts';
import { computeProfile } from '../../lib/profiles.ts';

let owner: Platform;
let apiOnly: Platform;
let tenantId: string;
let api: ReturnType<typeof apiClient>;

before(async () => {
  // One chdb per process: the owner opens it, the api-role platform in the same test process does not.
  owner = await startTestPlatform({ FINDATA_ROLE: 'worker' });
  apiOnly = await startTestPlatform({ FINDATA_ROLE: 'api', DATA_DIR: owner.config.dataDir, TEMPORAL_TASK_QUEUE: owner.config.temporal.taskQueue });
  tenantId = uniqueTenantId('split');
  const { apiKey } = await apiOnly.tenants.create(tenantId, 'Split Bank');
  api = apiClient(apiOnly.url!, apiKey);
  const files = await generateInMemory({ loanType: 'RETAIL', credits: 40, errorRate: 0.1, seed: 77 });
  for (const ft of ['credit', 'payment_plan'] as const) assert.equal((await api.upload('RETAIL', ft, files[ft])).status, 201);
  const start = await api.send('POST', '/api/sync/', { loan_type: 'RETAIL' });
  assert.equal(start.status, 202);
  const log = await waitForSync(apiOnly.url!, apiKey, ((await start.json()) as { sync_id: string }).sync_id);
  assert.equal(log.status, 'SUCCESS', log.message);
});
after(async () => {
  await apiOnly?.close();
  await owner?.close();
});

test('the owner serves its warehouse on a socket in the data folder, in a directory only its user can enter', () => {
  assert.equal(owner.http, null, 'a worker-role process has no HTTP API');
  const socket = ownerSocket(owner.config.dataDir);
  assert.ok(fs.statSync(socket).isSocket());
  assert.equal(fs.statSync(path.dirname(socket)).mode & 0o777, 0o700);
  assert.equal(fs.statSync(socket).mode & 0o777, 0o600);
});

test('an api-role process provisions the tenant and reads data pages through the owner, equal to the owner’s own query', async () => {
  const { status, body } = await api.json('/api/data/?loan_type=RETAIL&file_type=payment_plan&limit=1000');
  assert.equal(status, 200, JSON.stringify(body));
  const truth = await owner.warehouse.query<{ n: string }>(`SELECT count() AS n FROM ${qualified(tenantId, 'fact_payment')}`);
  assert.equal(body.total, Number(truth[0].n));
  assert.ok(body.total > 0);
  const loans = await owner.warehouse.query<{ loan_account_number: string }>(
    `SELECT loan_account_number FROM ${qualified(tenantId, 'fact_payment')} ORDER BY loan_account_number, installment_number LIMIT 5`,
  );
  const first = await api.json('/api/data/?loan_type=RETAIL&file_type=payment_plan&limit=5&sort=loan_account_number');
  assert.deepEqual(
    first.body.items.map((r: any) => r.loan_account_number),
    loans.map((r) => r.loan_account_number),
  );
});

test('profiling through the owner equals the profile computed on the owner’s engine', async () => {
  const { status, body } = await api.json('/api/profiling/?loan_type=RETAIL&file_type=credit');
  assert.equal(status, 200, JSON.stringify(body));
  const truth = await computeProfile(owner.warehouse, tenantId, 'RETAIL', 'credit');
  assert.ok(truth.row_count > 0);
  assert.deepEqual({ ...body, profiled_at: null }, { ...truth, profiled_at: null });
});

test('the api role has no engine: a write is refused with a message that names the owner, and the owner’s socket serves no writes', async () => {
  await assert.rejects(apiOnly.warehouse.command('SELECT 1'), /owns the embedded warehouse/);
  const status = await new Promise<number>((resolve, reject) => {
    const req = http.request({ socketPath: ownerSocket(owner.config.dataDir), method: 'POST', path: '/command', headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(JSON.stringify({ sql: 'SELECT 1' }));
  });
  assert.equal(status, 404, 'an in-process owner runs its own writes; the socket is for reads');
  await assert.rejects(apiOnly.warehouse.query('SELECT * FROM no_such_db.no_such_table'), (e: Error & { code?: string }) => /no_such/i.test(e.message) && Boolean(e.code), 'engine errors arrive with their ClickHouse code');
});

test('with the owner stopped, warehouse reads answer 503 SERVICE_UNAVAILABLE with Retry-After; uploads are still accepted', async () => {
  await owner.close();
  const r = await api.get('/api/data/?loan_type=RETAIL&file_type=credit&limit=7&offset=3');
  assert.equal(r.status, 503, await r.clone().text());
  assert.equal(((await r.json()) as any).error.code, 'SERVICE_UNAVAILABLE');
  assert.equal(r.headers.get('retry-after'), '5');
  const up = await api.upload('RETAIL', 'credit', (await generateInMemory({ loanType: 'RETAIL', credits: 3, seed: 5 })).credit);
  assert.equal(up.status, 201, 'staging does not need the warehouse');
});
