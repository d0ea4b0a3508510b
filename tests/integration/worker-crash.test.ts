/**
 * A worker killed (SIGKILL) in the middle of an activity: after a restart the sync still ends SUCCESS with
 * exact counts, no duplicated or missing warehouse rows, no duplicated validation errors, and every payment
 * references a credit. The whole platform runs as a child process (it owns the embedded warehouse).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { apiClient, testConfig, uniqueTenantId, waitForSync } from '../helpers/platform.ts';
import { freePort, startChild, type Child } from '../helpers/child.ts';
import { generateFiles } from '../../domain/generator.ts';
import { createDb } from '../../lib/db.ts';
import { migratePublic } from '../../lib/migrations.ts';
import { createTenantService } from '../../lib/tenants.ts';
import { openWarehouse } from '../../lib/warehouse.ts';
import { qualified } from '../../lib/warehouse.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'findata-crash-'));
const children: Child[] = [];
after(async () => {
  for (const c of children) await c.kill();
});

async function scenario(faultPoint: string, phase: string, credits: number) {
  const config = testConfig();
  const db = createDb(config.databaseUrl, 2);
  await migratePublic(db);
  const tenantId = uniqueTenantId('crash');
  // Provisioned from here without the warehouse: the child reconciles it at start.
  const { apiKey } = await createTenantService(db).create(tenantId, 'Crash Bank');
  await db.end();
  const port = String(await freePort());
  const env = {
    DATA_DIR: config.dataDir,
    PORT: port,
    DATABASE_URL: config.databaseUrl,
    REDIS_URL: config.redisUrl,
    REDIS_CACHE_URL: config.redisCacheUrl,
    TEMPORAL_ADDRESS: config.temporal.address,
    TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
    TEMPORAL_METRICS_PORT: String(await freePort()),
  };
  let child = await startChild({ ...env, FAULT_DELAYS: `${faultPoint}=6000` });
  children.push(child);
  const api = apiClient(child.url, apiKey);

  const dir = path.join(tmp, faultPoint);
  const truth: any = await generateFiles({ loanType: 'RETAIL', credits, outDir: dir, errorRate: 0.05, seed: 11 });
  for (const ft of ['credit', 'payment_plan']) {
    const r = await api.upload('RETAIL', ft, fs.readFileSync(path.join(dir, `${ft}.csv`)));
    assert.equal(r.status, 201, await r.clone().text());
  }
  const r = await api.send('POST', '/api/sync/', { loan_type: 'RETAIL' });
  assert.equal(r.status, 202);
  const { sync_id } = (await r.json()) as { sync_id: string };

  const deadline = Date.now() + 60_000;
  for (;;) {
    const { body } = await api.json(`/api/sync/logs/${sync_id}/progress/`);
    if (body.phase === phase && body.steps?.at(-1)?.finishedAt === null) break;
    if (body.phase === 'done') assert.fail(`the sync finished before reaching ${phase}`);
    if (Date.now() > deadline) assert.fail(`never reached ${phase}`);
    await new Promise((res) => setTimeout(res, 100));
  }
  await new Promise((res) => setTimeout(res, 1500)); // inside the activity's pause
  await child.kill('SIGKILL');

  child = await startChild(env);
  children.push(child);
  const log = await waitForSync(child.url, apiKey, sync_id, 180_000);
  assert.equal(log.status, 'SUCCESS', log.message);
  for (const ft of ['credit', 'payment_plan'] as const) {
    assert.equal(log.files[ft].rows_total, truth.files[ft].rows, `${ft} rows_total`);
    assert.equal(log.files[ft].rows_invalid, truth.files[ft].invalid_rows, `${ft} rows_invalid`);
  }
  const errors = (await apiClient(child.url, apiKey).json(`/api/sync/logs/${sync_id}/errors/?limit=1`)).body;
  const expectedErrors = Object.values(log.errors_by_code as Record<string, number>).reduce((a, b) => a + b, 0);
  assert.equal(errors.total, expectedErrors, 'no duplicated validation-error rows');
  await child.kill('SIGTERM');

  // The child is gone: open its warehouse here and check rows one by one.
  const wh = await openWarehouse(config.clickhouse);
  try {
    for (const [table, key, ft] of [
      ['fact_credit', 'loan_account_number', 'credit'],
      ['fact_payment', 'loan_account_number, installment_number', 'payment_plan'],
    ] as const) {
      const [row] = await wh.query<{ n: string; u: string }>(`SELECT count() AS n, uniqExact(${key}) AS u FROM ${qualified(tenantId, table)} WHERE loan_type = 'RETAIL'`);
      const valid = truth.files[ft].rows - truth.files[ft].invalid_rows;
      assert.equal(Number(row.n), valid, `${table}: exactly the valid rows`);
      assert.equal(Number(row.u), valid, `${table}: no duplicates`);
    }
    const [orphans] = await wh.query<{ n: string }>(
      `SELECT count() AS n FROM ${qualified(tenantId, 'fact_payment')} WHERE loan_account_number NOT IN (SELECT loan_account_number FROM ${qualified(tenantId, 'fact_credit')})`,
    );
    assert.equal(Number(orphans.n), 0, 'every payment references a credit');
  } finally {
    await wh.close();
  }
}

describe('worker crashes', () => {
  // Every activity of a sync in order, each with a pause point in its middle where the worker is killed.
  const cases = [
    ['begin.afterMark', 'starting', 'begin (sync log marked RUNNING, warehouse not yet ensured)', 300],
    ['claim.afterClaim', 'claiming', 'claim (uploads already moved into the sync, result not yet reported)', 300],
    ['validate.afterFirstChunk', 'validating', 'validate (first chunk staged)', 3000],
    ['commit.between', 'committing', 'commit (between the two partition replaces)', 1000],
    ['cleanup.afterDrop', 'cleaning_up', 'clean up (staging dropped, claim not yet released)', 300],
    ['record.afterFinish', 'recording', 'record (final log written, metrics not yet counted)', 300],
  ] as const;
  for (const [point, phase, what, credits] of cases) {
    test(`a worker killed during ${what} still yields exact results after restart`, { timeout: 240_000 }, async () => {
      await scenario(point, phase, credits);
    });
  }
});
