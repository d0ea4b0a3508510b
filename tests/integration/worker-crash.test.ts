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

type Mode = 'full' | 'creditOnly' | 'failedCommit';

/**
 * full: one sync of both files. creditOnly: a baseline sync, then a credit file alone (payments carried over).
 * failedCommit: a baseline sync, then a sync whose commit fails for good (rolled back, designed outcome FAILED).
 */
async function scenario(faultPoint: string, phase: string, lastStep: string | null, credits: number, mode: Mode = 'full') {
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
  const faults = { FAULT_DELAYS: `${faultPoint}=6000`, ...(mode === 'failedCommit' ? { FAULT_FAILURES: 'commit.between=always' } : {}) };
  const dir = path.join(tmp, faultPoint);
  const truth: any = await generateFiles({ loanType: 'RETAIL', credits, outDir: dir, errorRate: 0.05, seed: 11 });

  let child: Child;
  let baseline: any = null;
  const syncNow = async (api: ReturnType<typeof apiClient>, fileTypes: string[], files: Record<string, Buffer>) => {
    for (const ft of fileTypes) {
      const r = await api.upload('RETAIL', ft, files[ft]);
      assert.equal(r.status, 201, await r.clone().text());
    }
    const r = await api.send('POST', '/api/sync/', { loan_type: 'RETAIL' });
    assert.equal(r.status, 202);
    return ((await r.json()) as { sync_id: string }).sync_id;
  };
  const files = {
    credit: fs.readFileSync(path.join(dir, 'credit.csv')),
    payment_plan: fs.readFileSync(path.join(dir, 'payment_plan.csv')),
  };
  if (mode !== 'full') {
    // The baseline: both files, no faults (a failing commit would fail it too).
    child = await startChild(env);
    children.push(child);
    const id = await syncNow(apiClient(child.url, apiKey), ['credit', 'payment_plan'], files);
    baseline = await waitForSync(child.url, apiKey, id, 120_000);
    assert.equal(baseline.status, 'SUCCESS', baseline.message);
    // The log is final before the workflow ends (it still starts the profiles run). Stopped in between, the
    // workflow's last task waits for the dead worker's sticky queue to time out, and a sync started meanwhile is
    // rightly 409 SYNC_ALREADY_RUNNING: stop this child only once the workflow is done.
    const baselineApi = apiClient(child.url, apiKey);
    for (const deadline = Date.now() + 60_000; ; ) {
      const { body } = await baselineApi.json(`/api/sync/logs/${id}/progress/`);
      // Answered by the workflow itself (live), not the log's fallback.
      if (body.live && body.phase === 'done') break;
      if (Date.now() > deadline) assert.fail(`the baseline sync's workflow never ended (phase ${body.phase}, live ${body.live})`);
      await new Promise((res) => setTimeout(res, 100));
    }
    await child.kill('SIGTERM');
  }
  child = await startChild({ ...env, ...faults });
  children.push(child);
  let api = apiClient(child.url, apiKey);
  // creditOnly: the same credit file without its last 20 % of lines, so some loans (and their payments) go.
  const lines = files.credit.toString('utf8').trimEnd().split('\n');
  const shortCredit = Buffer.from(lines.slice(0, Math.ceil(lines.length * 0.8)).join('\n') + '\n');
  const sync_id =
    mode === 'creditOnly' ? await syncNow(api, ['credit'], { credit: shortCredit }) : await syncNow(api, ['credit', 'payment_plan'], files);

  const deadline = Date.now() + 90_000;
  for (;;) {
    const { body } = await api.json(`/api/sync/logs/${sync_id}/progress/`);
    const last = body.steps?.at(-1);
    if (body.phase === phase && last?.finishedAt === null && (lastStep === null || last.name === lastStep)) break;
    if (body.phase === 'done') assert.fail(`the sync finished before reaching ${phase}`);
    if (Date.now() > deadline) assert.fail(`never reached ${phase}`);
    await new Promise((res) => setTimeout(res, 100));
  }
  await new Promise((res) => setTimeout(res, 1500)); // inside the activity's pause
  await child.kill('SIGKILL');

  child = await startChild(env);
  children.push(child);
  api = apiClient(child.url, apiKey);
  const log = await waitForSync(child.url, apiKey, sync_id, 180_000);
  const errors = (await api.json(`/api/sync/logs/${sync_id}/errors/?limit=1`)).body;
  const expectedErrors = Object.values(log.errors_by_code as Record<string, number>).reduce((a, b) => a + b, 0);
  assert.equal(errors.total, expectedErrors, 'no duplicated validation-error rows');
  if (mode === 'failedCommit') {
    assert.equal(log.status, 'FAILED', log.message);
    const pending = (await api.json('/api/uploads/')).body as { loan_type: string; file_type: string }[];
    for (const ft of ['credit', 'payment_plan']) {
      assert.ok(pending.some((u) => u.loan_type === 'RETAIL' && u.file_type === ft), `the ${ft} upload is pending again`);
    }
  } else {
    assert.equal(log.status, 'SUCCESS', log.message);
    if (mode === 'full') {
      for (const ft of ['credit', 'payment_plan'] as const) {
        assert.equal(log.files[ft].rows_total, truth.files[ft].rows, `${ft} rows_total`);
        assert.equal(log.files[ft].rows_invalid, truth.files[ft].invalid_rows, `${ft} rows_invalid`);
      }
    }
  }
  await child.kill('SIGTERM');

  // The child is gone: open its warehouse here and check rows one by one.
  const valid = (ft: 'credit' | 'payment_plan') => truth.files[ft].rows - truth.files[ft].invalid_rows;
  const expected =
    mode === 'full' || mode === 'failedCommit'
      ? { credit: valid('credit'), payment_plan: valid('payment_plan') }
      : { credit: log.files.credit.rows_total - log.files.credit.rows_invalid, payment_plan: baseline.rows_written.payment_plan - log.rows_removed.payment_plan };
  if (mode === 'creditOnly') assert.ok(log.rows_removed.payment_plan > 0, 'the shorter credit file removed payments');
  const wh = await openWarehouse(config.clickhouse);
  try {
    for (const [table, key, ft] of [
      ['fact_credit', 'loan_account_number', 'credit'],
      ['fact_payment', 'loan_account_number, installment_number', 'payment_plan'],
    ] as const) {
      const [row] = await wh.query<{ n: string; u: string }>(`SELECT count() AS n, uniqExact(${key}) AS u FROM ${qualified(tenantId, table)} WHERE loan_type = 'RETAIL'`);
      assert.equal(Number(row.n), expected[ft], `${table}: exactly the expected rows`);
      assert.equal(Number(row.u), expected[ft], `${table}: no duplicates`);
    }
    const [orphans] = await wh.query<{ n: string }>(
      `SELECT count() AS n FROM ${qualified(tenantId, 'fact_payment')} WHERE loan_account_number NOT IN (SELECT loan_account_number FROM ${qualified(tenantId, 'fact_credit')})`,
    );
    assert.equal(Number(orphans.n), 0, 'every payment references a credit');
    if (mode === 'failedCommit') {
      const [n] = await wh.query<{ n: string }>(`SELECT count() AS n FROM ${qualified(tenantId, 'fact_credit')} WHERE sync_id = {s:String}`, { s: baseline.sync_id });
      assert.equal(Number(n.n), expected.credit, 'the warehouse holds the baseline sync\'s rows, restored from the snapshot');
    }
  } finally {
    await wh.close();
  }
}

describe('worker crashes', () => {
  // Every activity of a sync in order, each with a pause point in its middle where the worker is killed.
  const cases: [string, string, string | null, string, number, Mode][] = [
    ['begin.afterMark', 'starting', null, 'begin (sync log marked RUNNING, warehouse not yet ensured)', 300, 'full'],
    ['claim.afterClaim', 'claiming', null, 'claim (uploads already moved into the sync, result not yet reported)', 300, 'full'],
    ['validate.afterFirstChunk', 'validating', null, 'validate (first chunk staged)', 3000, 'full'],
    ['carry.afterStage', 'committing', 'carry over payments', 'carry over (credit-only sync, kept payments staged)', 300, 'creditOnly'],
    ['commit.between', 'committing', 'commit', 'commit (between the two partition replaces)', 1000, 'full'],
    ['rollback.between', 'cleaning_up', 'roll back', 'roll back of a commit that failed for good (between the two restores)', 300, 'failedCommit'],
    ['cleanup.beforeDrop', 'cleaning_up', 'clean up', 'clean up (claim released, staging not yet dropped)', 300, 'full'],
    ['record.afterFinish', 'recording', null, 'record (final log written, metrics not yet counted)', 300, 'full'],
  ];
  for (const [point, phase, lastStep, what, credits, mode] of cases) {
    const outcome = mode === 'failedCommit' ? 'still ends FAILED with the old data restored and the uploads pending' : 'still yields exact results';
    test(`a worker killed during ${what} ${outcome} after restart`, { timeout: 300_000 }, async () => {
      await scenario(point, phase, lastStep, credits, mode);
    });
  }
});
