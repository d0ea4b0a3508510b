/**
 * A sync's failure paths when a backing service stays down longer than an activity's retries (injected at the
 * activities' fault points as failures for good): the uploads are never stranded under the sync's own keys, an
 * abort stays an abort, and the sync log always ends final instead of RUNNING.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiClient, startTestPlatform, uniqueTenantId, waitForSync } from '../helpers/platform.ts';
import type { Platform } from '../../server/platform.ts';
import { generateInMemory } from '../../domain/generator.ts';
import { syncWorkflowId } from '../../domain/sync-types.ts';

let p: Platform;
let key: string;
let tenantId: string;
let api: ReturnType<typeof apiClient>;
before(async () => {
  p = await startTestPlatform();
  tenantId = uniqueTenantId('fpath');
  ({ apiKey: key } = await p.tenants.create(tenantId, 'Failure paths'));
  await p.db.query(`UPDATE "${tenantId}".sync_configs SET enabled = false`);
  api = apiClient(p.url!, key);
});
after(async () => {
  await p?.close();
});

async function upload(seed: number) {
  const f = await generateInMemory({ loanType: 'RETAIL', credits: 30, seed, errorRate: 0.05 });
  for (const ft of ['credit', 'payment_plan'] as const) assert.equal((await api.upload('RETAIL', ft, f[ft])).status, 201);
  return f;
}
async function startSync() {
  const r = await api.send('POST', '/api/sync/', { loan_type: 'RETAIL' });
  assert.equal(r.status, 202, await r.clone().text());
  return waitForSync(p.url!, key, ((await r.json()) as { sync_id: string }).sync_id);
}
const pendingRows = async () =>
  ((await api.json('/api/uploads/')).body as { file_type: string; rows: number }[]).map((u) => [u.file_type, u.rows]).sort();
async function withFaults<T>(faults: Record<string, 'always'>, fn: () => Promise<T>): Promise<T> {
  Object.assign(p.config.faultFailures, faults);
  try {
    return await fn();
  } finally {
    for (const k of Object.keys(faults)) delete p.config.faultFailures[k];
  }
}

test('validation and the staging clean-up both failing for good: FAILED, and the uploads are back in pending', async () => {
  const f = await upload(1);
  const log = await withFaults({ 'validate.afterFirstChunk': 'always', 'cleanup.beforeDrop': 'always' }, startSync);
  assert.equal(log.status, 'FAILED', log.message);
  assert.match(log.message, /Clean-up failed too: .*cleanup\.beforeDrop/);
  assert.deepEqual(await pendingRows(), [['credit', f.summary.files.credit.rows], ['payment_plan', f.summary.files.payment_plan.rows]]);
  // Nothing stranded: the next sync takes them.
  assert.equal((await startSync()).status, 'SUCCESS');
});

test('an abort whose staging clean-up fails for good stays ABORTED with its message, and its uploads are dropped', async () => {
  // Every credit row's loan account number malformed: all rows invalid, well over half (spec §6).
  const f = await generateInMemory({ loanType: 'RETAIL', credits: 30, seed: 2 });
  const [header, ...rows] = f.credit.trimEnd().split('\n');
  const broken = [header, ...rows.map((r) => `BAD#${r.slice(r.indexOf(','))}`)].join('\n');
  assert.equal((await api.upload('RETAIL', 'credit', broken)).status, 201);
  const log = await withFaults({ 'cleanup.beforeDrop': 'always' }, startSync);
  assert.equal(log.status, 'ABORTED', log.message);
  assert.match(log.message, /^Aborted: .* Clean-up failed: /);
  assert.deepEqual(await pendingRows(), [], 'an aborted upload is not picked up again (spec §6)');
});

test('a begin that fails for good ends the sync FAILED in its log, not RUNNING, and leaves the uploads pending', async () => {
  const f = await upload(3);
  const log = await withFaults({ 'begin.afterMark': 'always' }, startSync);
  assert.equal(log.status, 'FAILED', log.message);
  assert.match(log.message, /begin\.afterMark/);
  assert.ok(log.finished_at, 'the log is final');
  assert.deepEqual(await pendingRows(), [['credit', f.summary.files.credit.rows], ['payment_plan', f.summary.files.payment_plan.rows]]);
  assert.equal((await startSync()).status, 'SUCCESS');
});

test('a record step retried after writing the final log counts the sync in the metrics exactly once', async () => {
  const counted = async () =>
    (await p.metrics.syncOperations.get()).values.filter((v) => v.labels.tenant === tenantId).reduce((n, v) => n + v.value, 0);
  const before = await counted();
  await upload(4);
  p.config.faultFailures['record.afterFinish'] = 1; // the first attempt dies right after the final log
  try {
    assert.equal((await startSync()).status, 'SUCCESS');
    // The log turns final before the retried attempt counts: wait for the workflow to end.
    await p.sync!.client.workflow.getHandle(syncWorkflowId(tenantId, 'RETAIL')).result();
    assert.equal(p.config.faultFailures['record.afterFinish'], 0, 'the first attempt died after the final log');
  } finally {
    delete p.config.faultFailures['record.afterFinish'];
  }
  assert.equal(await counted(), before + 1);
});

/** Starts a sync held at `point` for `pauseMs`, cancels it once its progress shows `phase`, and checks the outcome. */
async function cancelDuring(point: string, phase: string, pauseMs: number) {
  const f = await upload(5);
  p.config.faultDelays[point] = pauseMs;
  try {
    const r = await api.send('POST', '/api/sync/', { loan_type: 'RETAIL' });
    assert.equal(r.status, 202);
    const syncId = ((await r.json()) as { sync_id: string }).sync_id;
    const handle = p.sync!.client.workflow.getHandle(syncWorkflowId(tenantId, 'RETAIL'));
    for (let now = ''; now !== phase; await new Promise((res) => setTimeout(res, 20))) {
      now = (await api.json(`/api/sync/logs/${syncId}/progress/`)).body.phase ?? '';
    }
    const t0 = Date.now();
    await handle.cancel();
    const log = await waitForSync(p.url!, key, syncId);
    assert.ok(Date.now() - t0 < 60_000, 'the cancel is honoured without waiting for the pause to end');
    assert.equal(log.status, 'FAILED', log.message);
    assert.match(log.message, /^Cancelled before the commit/);
    await assert.rejects(handle.result(), (err: Error) => /cancel/i.test(`${err.name} ${err.message} ${(err as { cause?: Error }).cause?.name}`));
    assert.equal((await handle.describe()).status.name, 'CANCELLED');
  } finally {
    delete p.config.faultDelays[point];
  }
  assert.deepEqual(await pendingRows(), [['credit', f.summary.files.credit.rows], ['payment_plan', f.summary.files.payment_plan.rows]]);
  const next = await startSync();
  assert.equal(next.status, 'SUCCESS', next.message);
  assert.equal(next.files.credit.rows_total, f.summary.files.credit.rows, "the cancelled sync's files, complete");
  assert.equal(next.files.payment_plan.rows_total, f.summary.files.payment_plan.rows);
}

test('an operator cancelling a sync during validation: the log ends FAILED (cancelled), uploads pending again, the execution Canceled, and the next sync takes them', async () => {
  await cancelDuring('validate.afterFirstChunk', 'validating', 120_000);
});

test('a cancel during the claim waits for the claim to finish, then puts the claimed uploads back: nothing stranded', async () => {
  await cancelDuring('claim.afterClaim', 'claiming', 3_000);
});
