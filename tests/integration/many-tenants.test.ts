/**
 * Many tenants syncing at once (20 tenants × 2 loan types) with uploads arriving during the syncs: each sync
 * sees exactly its own files; nothing is mixed across tenants or loan types.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiClient, startTestPlatform, uniqueTenantId, waitForSync } from '../helpers/platform.ts';
import type { Platform } from '../../server/platform.ts';
import { generateInMemory } from '../../domain/generator.ts';
import { LOAN_TYPES } from '../../domain/columns.ts';
import { qualified } from '../../lib/warehouse.ts';

const TENANTS = 20;
let p: Platform;
before(async () => {
  p = await startTestPlatform({ FAULT_DELAYS: 'validate.afterFirstChunk=1000', RATE_LIMIT_PER_MINUTE: '100000' });
});
after(async () => {
  await p?.close();
});

test(`${TENANTS} tenants × 2 loan types sync at once, with uploads arriving mid-sync: every sync sees exactly its own files`, { timeout: 600_000 }, async () => {
  const tenants = await Promise.all(
    Array.from({ length: TENANTS }, async (_, i) => {
      const id = uniqueTenantId(`many${i}`);
      const { apiKey } = await p.tenants.create(id, `Many ${i}`);
      await p.db.query(`UPDATE "${id}".sync_configs SET enabled = false`); // only the manual syncs below
      return { id, key: apiKey, api: apiClient(p.url!, apiKey), i };
    }),
  );
  // Different sizes per tenant and loan type, so a mix-up would show in the counts.
  const files = new Map<string, Awaited<ReturnType<typeof generateInMemory>>>();
  for (const t of tenants) {
    for (const [j, lt] of LOAN_TYPES.entries()) {
      const f = await generateInMemory({ loanType: lt, credits: 10 + t.i * 2 + j, errorRate: 0.1, seed: t.i * 10 + j });
      files.set(`${t.id}:${lt}`, f);
      for (const ft of ['credit', 'payment_plan'] as const) assert.equal((await t.api.upload(lt, ft, f[ft])).status, 201);
    }
  }
  const syncs = await Promise.all(
    tenants.flatMap((t) =>
      LOAN_TYPES.map(async (lt) => {
        const r = await t.api.send('POST', '/api/sync/', { loan_type: lt });
        assert.equal(r.status, 202, await r.clone().text());
        return { t, lt, syncId: ((await r.json()) as { sync_id: string }).sync_id };
      }),
    ),
  );
  // Once a sync has claimed its files, a newer credit file arrives for every even tenant's RETAIL: it must wait
  // for the next sync. (Before the claim, a newer upload replaces the pending one and is what the sync takes.)
  const late = new Map<string, string>();
  for (const t of tenants.filter((x) => x.i % 2 === 0)) {
    const s = syncs.find((x) => x.t === t && x.lt === 'RETAIL')!;
    for (const deadline = Date.now() + 120_000; ; ) {
      const { body } = await t.api.json(`/api/sync/logs/${s.syncId}/progress/`);
      if (body.steps?.some((x: { name: string; finishedAt: string | null }) => x.name === 'claim' && x.finishedAt)) break;
      assert.ok(Date.now() < deadline, `${t.id}: the sync never claimed its files`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const f = await generateInMemory({ loanType: 'RETAIL', credits: 5, seed: 999 });
    const r = await t.api.upload('RETAIL', 'credit', f.credit);
    assert.equal(r.status, 201);
    late.set(t.id, ((await r.json()) as { sha256: string }).sha256);
  }
  for (const s of syncs) {
    const log = await waitForSync(p.url!, s.t.key, s.syncId, 300_000);
    const truth = files.get(`${s.t.id}:${s.lt}`)!.summary.files;
    assert.equal(log.status, 'SUCCESS', `${s.t.id} ${s.lt}: ${log.message}`);
    for (const ft of ['credit', 'payment_plan'] as const) {
      assert.equal(log.files[ft].rows_total, truth[ft].rows, `${s.t.id} ${s.lt} ${ft} rows`);
      assert.equal(log.files[ft].rows_invalid, truth[ft].invalid_rows, `${s.t.id} ${s.lt} ${ft} invalid`);
      const table = qualified(s.t.id, ft === 'credit' ? 'fact_credit' : 'fact_payment');
      const [row] = await p.warehouse.query<{ n: string; other: string }>(
        `SELECT count() AS n, countIf(sync_id != toUUID({sid:String})) AS other FROM ${table} WHERE loan_type = {lt:String}`,
        { sid: s.syncId, lt: s.lt },
      );
      assert.equal(Number(row.n), truth[ft].rows - truth[ft].invalid_rows, `${s.t.id} ${s.lt} ${ft} warehouse rows`);
      assert.equal(Number(row.other), 0, `${s.t.id} ${s.lt} ${ft}: rows written by another sync`);
    }
  }
  for (const t of tenants) {
    const pending = (await t.api.json('/api/uploads/')).body as { loan_type: string; file_type: string; sha256: string }[];
    if (late.has(t.id)) assert.deepEqual(pending.map((u) => [u.loan_type, u.file_type, u.sha256]), [['RETAIL', 'credit', late.get(t.id)]], `${t.id}: the mid-sync upload waits`);
    else assert.deepEqual(pending, [], `${t.id}: nothing left pending`);
  }
});
