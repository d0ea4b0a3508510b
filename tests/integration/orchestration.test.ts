/**
 * Orchestration: concurrency of syncs, uploads arriving during a sync, one sync per tenant + loan type,
 * live progress, schedules, and deterministic replay of recorded histories.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { apiClient, startTestPlatform, uniqueTenantId, waitForSync, workflowBundle } from '../helpers/platform.ts';
import type { Platform } from '../../server/platform.ts';
import { generateFiles } from '../../domain/generator.ts';
import { qualified } from '../../lib/warehouse.ts';

let p: Platform;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'findata-orch-'));

before(async () => {
  // Validation pauses after its first chunk so that a test can act while a sync is visibly running.
  p = await startTestPlatform({ FAULT_DELAYS: 'validate.afterFirstChunk=2500' });
});
after(async () => {
  await p?.close();
});

async function tenantWithKey(base: string) {
  const id = uniqueTenantId(base);
  const { apiKey } = await p.tenants.create(id, base);
  return { id, key: apiKey, api: apiClient(p.url!, apiKey) };
}

async function uploadGenerated(api: ReturnType<typeof apiClient>, loanType: 'RETAIL' | 'COMMERCIAL', credits: number, seed: number) {
  const dir = path.join(tmp, `${loanType}-${credits}-${seed}`);
  const summary = await generateFiles({ loanType, credits, outDir: dir, errorRate: 0, seed });
  for (const ft of ['credit', 'payment_plan']) {
    const r = await api.upload(loanType, ft, fs.readFileSync(path.join(dir, `${ft}.csv`)));
    assert.equal(r.status, 201, await r.clone().text());
  }
  return summary as any;
}

async function start(api: ReturnType<typeof apiClient>, loanType: string) {
  const r = await api.send('POST', '/api/sync/', { loan_type: loanType });
  assert.equal(r.status, 202, await r.clone().text());
  return ((await r.json()) as { sync_id: string }).sync_id;
}

async function waitForPhase(api: ReturnType<typeof apiClient>, syncId: string, phase: string, until: (b: any) => boolean = () => true) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { body } = await api.json(`/api/sync/logs/${syncId}/progress/`);
    if (body.phase === phase && until(body)) return body;
    if (Date.now() > deadline) assert.fail(`sync never reached ${phase}: ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const countRows = async (tenantId: string, table: string, lt: string) =>
  Number((await p.warehouse.query<{ n: string }>(`SELECT count() AS n FROM ${qualified(tenantId, table)} WHERE loan_type = {lt:String}`, { lt }))[0].n);

describe('orchestration', () => {
  test('while a sync runs: live progress, a second start is refused with 409, and a new upload waits for the next sync', async () => {
    const t = await tenantWithKey('busy');
    const first = await uploadGenerated(t.api, 'RETAIL', 200, 1);
    const syncId = await start(t.api, 'RETAIL');
    const progress = await waitForPhase(t.api, syncId, 'validating', (b) => (b.files.credit?.rowsProcessed ?? 0) > 0);
    assert.equal(progress.live, true);
    assert.ok(progress.files.credit.rowsProcessed <= progress.files.credit.rowsTotal);
    assert.equal(progress.files.credit.rowsTotal, first.files.credit.rows);

    const again = await t.api.send('POST', '/api/sync/', { loan_type: 'RETAIL' });
    assert.equal(again.status, 409);
    assert.equal(((await again.json()) as any).error.code, 'SYNC_ALREADY_RUNNING');

    const newer = await t.api.upload('RETAIL', 'credit', fs.readFileSync(path.join(tmp, 'RETAIL-200-1', 'credit.csv')).toString().split('\n').slice(0, 11).join('\n'));
    assert.equal(newer.status, 201);
    const log = await waitForSync(p.url!, t.key, syncId);
    assert.equal(log.status, 'SUCCESS', log.message);
    assert.equal(await countRows(t.id, 'fact_credit', 'RETAIL'), first.files.credit.rows, 'the sync used the files it claimed');
    const pending = (await t.api.json('/api/uploads/')).body as any[];
    assert.deepEqual(pending.map((u) => [u.loan_type, u.file_type, u.rows]), [['RETAIL', 'credit', 10]], 'the upload made during the sync is still pending');

    const next = await waitForSync(p.url!, t.key, await start(t.api, 'RETAIL'));
    assert.equal(next.status, 'SUCCESS');
    assert.equal(await countRows(t.id, 'fact_credit', 'RETAIL'), 10);
  });

  test('RETAIL and COMMERCIAL syncs of one tenant running at once do not disturb each other', async () => {
    const t = await tenantWithKey('both');
    const r = await uploadGenerated(t.api, 'RETAIL', 150, 2);
    const c = await uploadGenerated(t.api, 'COMMERCIAL', 80, 3);
    const [a, b] = await Promise.all([start(t.api, 'RETAIL'), start(t.api, 'COMMERCIAL')]);
    await Promise.all([waitForPhase(t.api, a, 'validating'), waitForPhase(t.api, b, 'validating')]);
    const [la, lb] = await Promise.all([waitForSync(p.url!, t.key, a), waitForSync(p.url!, t.key, b)]);
    assert.equal(la.status, 'SUCCESS', la.message);
    assert.equal(lb.status, 'SUCCESS', lb.message);
    assert.equal(await countRows(t.id, 'fact_credit', 'RETAIL'), r.files.credit.rows);
    assert.equal(await countRows(t.id, 'fact_payment', 'RETAIL'), r.files.payment_plan.rows);
    assert.equal(await countRows(t.id, 'fact_credit', 'COMMERCIAL'), c.files.credit.rows);
    assert.equal(await countRows(t.id, 'fact_payment', 'COMMERCIAL'), c.files.payment_plan.rows);
    for (const table of ['stg_credit', 'stg_payment']) {
      assert.equal(await countRows(t.id, table, 'RETAIL'), 0, `${table} RETAIL partition cleared`);
      assert.equal(await countRows(t.id, table, 'COMMERCIAL'), 0, `${table} COMMERCIAL partition cleared`);
    }
  });

  test('the schedule syncs a tenant with pending data and skips a tenant without data', async () => {
    const withData = await tenantWithKey('sched');
    const without = await tenantWithKey('idle');
    for (const t of [withData, without]) {
      const configs = (await t.api.json('/api/sync/configs/')).body as any[];
      for (const cfg of configs) {
        const r = await t.api.send('PATCH', `/api/sync/configs/${cfg.id}/`, { interval_seconds: 5 });
        assert.equal(r.status, 200);
      }
    }
    const gen = await uploadGenerated(withData.api, 'COMMERCIAL', 30, 4);
    const deadline = Date.now() + 40_000;
    let log: any;
    for (;;) {
      const { body } = await withData.api.json('/api/sync/logs/?limit=5');
      log = body.items.find((l: any) => l.trigger === 'SCHEDULE' && ['SUCCESS', 'ABORTED', 'FAILED'].includes(l.status));
      if (log) break;
      if (Date.now() > deadline) assert.fail('the schedule did not sync the pending upload');
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(log.status, 'SUCCESS', log.message);
    assert.equal(log.loan_type, 'COMMERCIAL', 'only the loan type with pending data is synced');
    assert.equal(log.files.credit.rows_total, gen.files.credit.rows);
    const idle = (await without.api.json('/api/sync/logs/')).body;
    assert.equal(idle.total, 0, 'no blind syncs for a tenant without data');
    const runs = [];
    for await (const wf of p.sync!.client.workflow.list({ query: `WorkflowType = 'tenantSyncWorkflow' AND TenantId = '${without.id}'` })) runs.push(wf);
    assert.ok(runs.length >= 1, 'the idle tenant’s schedule did fire');
    // Leave the schedules quiet for the rest of the run.
    for (const t of [withData, without]) await p.sync!.ensureSchedule(t.id, false, 5);
  });

  test('recorded workflow histories replay deterministically', async () => {
    const histories = [];
    for await (const wf of p.sync!.client.workflow.list({ query: `TaskQueue = '${p.config.temporal.taskQueue}' AND ExecutionStatus != 'Running'` })) {
      histories.push({ workflowId: wf.workflowId, history: await p.sync!.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory() });
      if (histories.length >= 12) break;
    }
    assert.ok(histories.length >= 4, `expected several finished workflows, got ${histories.length}`);
    const bundle = await workflowBundle();
    let replayed = 0;
    for await (const result of Worker.runReplayHistories({ workflowBundle: bundle }, histories)) {
      assert.equal(result.error, undefined, `${result.workflowId}: ${result.error}`);
      replayed++;
    }
    assert.equal(replayed, histories.length);
  });
});
