/**
 * The warehouse failing in the middle of a commit (after the credit partition was replaced, before the payment
 * partition): transient failures are retried to SUCCESS; a failure for good rolls both partitions back from the
 * commit snapshot, the sync is FAILED, and its uploads return to pending. (Injected at the activity's fault
 * point: the embedded warehouse cannot be taken away from its own process.)
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiClient, startTestPlatform, uniqueTenantId, waitForSync } from '../helpers/platform.ts';
import type { Platform } from '../../server/platform.ts';
import { generateInMemory } from '../../domain/generator.ts';
import { qualified } from '../../lib/warehouse.ts';

let p: Platform;
let tenantId: string;
let key: string;
let api: ReturnType<typeof apiClient>;
before(async () => {
  p = await startTestPlatform();
  tenantId = uniqueTenantId('cfault');
  ({ apiKey: key } = await p.tenants.create(tenantId, 'Commit faults'));
  await p.db.query(`UPDATE "${tenantId}".sync_configs SET enabled = false`);
  api = apiClient(p.url!, key);
});
after(async () => {
  await p?.close();
});

const counts = async () => {
  const q = async (t: string) =>
    Number((await p.warehouse.query<{ n: string }>(`SELECT count() AS n FROM ${qualified(tenantId, t)} WHERE loan_type = 'RETAIL'`))[0].n);
  return { credit: await q('fact_credit'), payment: await q('fact_payment') };
};

async function syncFiles(credits: number, seed: number) {
  const f = await generateInMemory({ loanType: 'RETAIL', credits, seed });
  for (const ft of ['credit', 'payment_plan'] as const) assert.equal((await api.upload('RETAIL', ft, f[ft])).status, 201);
  const r = await api.send('POST', '/api/sync/', { loan_type: 'RETAIL' });
  assert.equal(r.status, 202);
  const log = await waitForSync(p.url!, key, ((await r.json()) as { sync_id: string }).sync_id, 180_000);
  return { f, log };
}

test('transient warehouse failures during commit are retried and the sync ends SUCCESS with the new data', async () => {
  await syncFiles(40, 1);
  p.config.faultFailures['commit.between'] = 2;
  const { f, log } = await syncFiles(25, 2);
  assert.equal(log.status, 'SUCCESS', log.message);
  assert.equal(p.config.faultFailures['commit.between'], 0, 'both injected failures happened');
  assert.deepEqual(await counts(), { credit: f.summary.files.credit.rows, payment: f.summary.files.payment_plan.rows });
});

test('a commit that fails for good after replacing one table rolls both back: FAILED, old data intact, uploads pending again', async () => {
  const before = await counts();
  p.config.faultFailures['commit.between'] = 'always';
  try {
    const { f, log } = await syncFiles(15, 3);
    assert.equal(log.status, 'FAILED');
    assert.match(log.message, /injected failure/);
    assert.deepEqual(await counts(), before, 'the warehouse is exactly as before the sync');
    const pending = (await api.json('/api/uploads/')).body as { file_type: string; rows: number }[];
    assert.deepEqual(
      pending.map((u) => [u.file_type, u.rows]).sort(),
      [['credit', f.summary.files.credit.rows], ['payment_plan', f.summary.files.payment_plan.rows]],
      'the uploads are back to pending for the next sync',
    );
  } finally {
    delete p.config.faultFailures['commit.between'];
  }
  // And the next sync, without the fault, takes them.
  const r = await api.send('POST', '/api/sync/', { loan_type: 'RETAIL' });
  const log = await waitForSync(p.url!, key, ((await r.json()) as { sync_id: string }).sync_id);
  assert.equal(log.status, 'SUCCESS', log.message);
});

test('a credit-only sync whose commit fails for good reports rows_removed.payment_plan 0: the rollback kept every payment row', async () => {
  const before = await counts();
  assert.ok(before.payment > 0, 'payments in the warehouse that a new credit file could remove');
  const f = await generateInMemory({ loanType: 'RETAIL', credits: 10, seed: 4 }); // other loans: carry-over would drop every payment
  assert.equal((await api.upload('RETAIL', 'credit', f.credit)).status, 201);
  p.config.faultFailures['commit.between'] = 'always';
  try {
    const r = await api.send('POST', '/api/sync/', { loan_type: 'RETAIL' });
    const log = await waitForSync(p.url!, key, ((await r.json()) as { sync_id: string }).sync_id, 180_000);
    assert.equal(log.status, 'FAILED');
    assert.deepEqual(await counts(), before, 'the warehouse is exactly as before the sync');
    assert.deepEqual(log.rows_removed, { payment_plan: 0 });
  } finally {
    delete p.config.faultFailures['commit.between'];
  }
});
