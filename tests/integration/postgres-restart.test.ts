/**
 * PostgreSQL restarted in the middle of a sync (its own throw-away cluster, started by scripts/services.sh):
 * the sync retries and ends SUCCESS with exact counts, or FAILED cleanly with the uploads back to pending.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { apiClient, testConfig, uniqueTenantId } from '../helpers/platform.ts';
import { freePort, startChild, type Child } from '../helpers/child.ts';
import { createDb } from '../../lib/db.ts';
import { migratePublic } from '../../lib/migrations.ts';
import { createTenantService } from '../../lib/tenants.ts';
import { generateInMemory } from '../../domain/generator.ts';

const run = promisify(execFile);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'findata-pg-'));
let child: Child | null = null;
let env: Record<string, string> = {};

const services = (...args: string[]) => run('bash', ['scripts/services.sh', ...args], { env: { ...process.env, ...env }, maxBuffer: 1 << 20 });

after(async () => {
  await child?.kill('SIGTERM');
  await services('down').catch(() => {});
});

test('PostgreSQL restarted mid-sync: the sync retries and ends SUCCESS with exact counts (or FAILED cleanly)', { timeout: 300_000 }, async () => {
  // Only PostgreSQL is started here: Redis and Temporal are the shared test services.
  env = { DATA_DIR: dir, PG_PORT: String(await freePort()), REDIS_URL: process.env.REDIS_URL!, TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS! };
  const { stdout } = await services('up');
  const databaseUrl = /DATABASE_URL=(\S+)/.exec(stdout)![1].replace(/^['"]|['"]$/g, '');
  const config = testConfig({ DATABASE_URL: databaseUrl });
  const db = createDb(databaseUrl, 2);
  await migratePublic(db);
  const tenantId = uniqueTenantId('pgr');
  const { apiKey } = await createTenantService(db).create(tenantId, 'PG restart');
  await db.query(`UPDATE "${tenantId}".sync_configs SET enabled = false`);
  await db.end();
  child = await startChild({
    DATABASE_URL: databaseUrl,
    DATA_DIR: config.dataDir,
    PORT: String(await freePort()),
    TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
    TEMPORAL_METRICS_PORT: String(await freePort()),
    FAULT_DELAYS: 'validate.afterFirstChunk=5000',
  });
  const api = apiClient(child.url, apiKey);
  const f = await generateInMemory({ loanType: 'RETAIL', credits: 300, errorRate: 0.05, seed: 8 });
  for (const ft of ['credit', 'payment_plan'] as const) assert.equal((await api.upload('RETAIL', ft, f[ft])).status, 201);
  const r = await api.send('POST', '/api/sync/', { loan_type: 'RETAIL' });
  assert.equal(r.status, 202);
  const { sync_id } = (await r.json()) as { sync_id: string };
  for (const deadline = Date.now() + 60_000; ; ) {
    const { body } = await api.json(`/api/sync/logs/${sync_id}/progress/`);
    if (body.phase === 'validating') break;
    assert.ok(Date.now() < deadline, 'never reached validating');
    await new Promise((res) => setTimeout(res, 100));
  }
  await services('down', 'postgres');
  await new Promise((res) => setTimeout(res, 3000));
  await services('up');

  let log: any;
  for (const deadline = Date.now() + 240_000; ; ) {
    const res = await api.json(`/api/sync/logs/${sync_id}/`).catch(() => null);
    if (res?.status === 200 && ['SUCCESS', 'ABORTED', 'FAILED'].includes(res.body.status)) {
      log = res.body;
      break;
    }
    assert.ok(Date.now() < deadline, `sync did not finish: ${JSON.stringify(res?.body)}`);
    await new Promise((res2) => setTimeout(res2, 500));
  }
  if (log.status === 'SUCCESS') {
    for (const ft of ['credit', 'payment_plan'] as const) {
      assert.equal(log.files[ft].rows_total, f.summary.files[ft].rows);
      assert.equal(log.files[ft].rows_invalid, f.summary.files[ft].invalid_rows);
    }
    const errors = (await api.json(`/api/sync/logs/${sync_id}/errors/?limit=1`)).body;
    assert.equal(errors.total, Object.values(log.errors_by_code as Record<string, number>).reduce((a, b) => a + b, 0), 'no duplicated validation errors');
    const data = (await api.json('/api/data/?loan_type=RETAIL&limit=1')).body;
    assert.equal(data.total, f.summary.files.credit.rows - f.summary.files.credit.invalid_rows);
  } else {
    assert.equal(log.status, 'FAILED', log.message);
    const pending = (await api.json('/api/uploads/')).body as unknown[];
    assert.equal(pending.length, 2, 'a failed sync puts its uploads back to pending');
  }
});
