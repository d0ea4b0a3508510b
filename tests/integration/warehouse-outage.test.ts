/**
 * A real warehouse outage on the remote path (CLICKHOUSE_URL, as in compose): the ClickHouse engine runs in
 * its own process behind the ClickHouse HTTP interface (tests/helpers/chdb-http-server.ts), and the test
 * SIGKILLs it in the middle of a commit — after the credit partition was replaced, before the payment one —
 * then brings it back on the same data folder. The commit is retried and the sync ends SUCCESS with exactly
 * the new data; during the outage PostgreSQL-backed reads and cached pages keep answering, other warehouse reads answer 503.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { apiClient, startTestPlatform, uniqueTenantId, waitForSync } from '../helpers/platform.ts';
import { freePort } from '../helpers/child.ts';
import type { Platform } from '../../server/platform.ts';
import { generateInMemory } from '../../domain/generator.ts';
import { qualified } from '../../lib/warehouse.ts';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'findata-chserver-'));
let port: number;
let server: ChildProcess | null = null;

async function startWarehouseServer(): Promise<void> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'tests/helpers/chdb-http-server.ts', String(port), dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`warehouse server exited ${proc.exitCode}: ${out}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/ping`)).ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`warehouse server did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  server = proc;
}
async function killWarehouseServer(): Promise<void> {
  const proc = server!;
  server = null;
  const gone = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGKILL');
  await gone;
}

let p: Platform;
let tenantId: string;
let key: string;
let api: ReturnType<typeof apiClient>;
before(async () => {
  port = await freePort();
  await startWarehouseServer();
  p = await startTestPlatform({ CLICKHOUSE_URL: `http://127.0.0.1:${port}` });
  tenantId = uniqueTenantId('whout');
  ({ apiKey: key } = await p.tenants.create(tenantId, 'Warehouse outage'));
  await p.db.query(`UPDATE "${tenantId}".sync_configs SET enabled = false`);
  api = apiClient(p.url!, key);
});
after(async () => {
  await p?.close();
  if (server) await killWarehouseServer();
});

async function facts() {
  const q = async (t: string, k: string) =>
    (await p.warehouse.query<{ n: string; u: string }>(`SELECT count() AS n, uniqExact(${k}) AS u FROM ${qualified(tenantId, t)} WHERE loan_type = 'RETAIL'`))[0];
  const c = await q('fact_credit', 'loan_account_number');
  const pay = await q('fact_payment', 'loan_account_number, installment_number');
  return { credit: Number(c.n), creditKeys: Number(c.u), payment: Number(pay.n), paymentKeys: Number(pay.u) };
}

async function startSync(credits: number, seed: number) {
  const f = await generateInMemory({ loanType: 'RETAIL', credits, seed });
  for (const ft of ['credit', 'payment_plan'] as const) assert.equal((await api.upload('RETAIL', ft, f[ft])).status, 201);
  const r = await api.send('POST', '/api/sync/', { loan_type: 'RETAIL' });
  assert.equal(r.status, 202);
  return { f, syncId: ((await r.json()) as { sync_id: string }).sync_id };
}

test('the remote path works end to end: a sync through CLICKHOUSE_URL lands exactly its rows', async () => {
  const { f, syncId } = await startSync(40, 1);
  const log = await waitForSync(p.url!, key, syncId, 120_000);
  assert.equal(log.status, 'SUCCESS', log.message);
  const rows = { credit: f.summary.files.credit.rows, payment: f.summary.files.payment_plan.rows };
  assert.deepEqual(await facts(), { credit: rows.credit, creditKeys: rows.credit, payment: rows.payment, paymentKeys: rows.payment });
  const page = await api.json(`/api/data/?loan_type=RETAIL&file_type=credit&limit=5`);
  assert.equal(page.status, 200);
  assert.equal(page.body.total, rows.credit);
});

test('the warehouse server killed mid-commit and back 5 s later: cached reads still answer and the others say 503, the commit is retried, the sync ends SUCCESS with exactly the new data', { timeout: 240_000 }, async () => {
  p.config.faultDelays['commit.between'] = 3000;
  const { f, syncId } = await startSync(25, 2);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { body } = await api.json(`/api/sync/logs/${syncId}/progress/`);
    if (body.phase === 'committing' && body.steps?.at(-1)?.name === 'commit') break;
    assert.ok(body.phase !== 'done' && Date.now() < deadline, `never reached the commit (${JSON.stringify(body)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 1000)); // inside the pause between the two partition replaces
  delete p.config.faultDelays['commit.between'];
  await killWarehouseServer();
  const downAt = Date.now();

  // Outage: reads served from PostgreSQL answer as usual; warehouse reads say "retry shortly", never 500.
  const logs = await api.json('/api/sync/logs/');
  assert.equal(logs.status, 200, 'sync logs answer while the warehouse is down');
  const one = await api.json(`/api/sync/logs/${syncId}/`);
  assert.equal(one.status, 200);
  assert.equal(one.body.status, 'RUNNING');
  const cached = await api.get('/api/data/?loan_type=RETAIL&file_type=credit&limit=5');
  assert.equal(cached.status, 200, 'a page read before the outage is served from the cache');
  const data = await api.get('/api/data/?loan_type=RETAIL&file_type=credit&limit=7');
  assert.equal(data.status, 503, await data.clone().text());
  assert.equal(((await data.json()) as { error: { code: string } }).error.code, 'SERVICE_UNAVAILABLE');
  assert.ok(data.headers.get('retry-after'));

  await new Promise((r) => setTimeout(r, Math.max(0, 5000 - (Date.now() - downAt))));
  await startWarehouseServer();
  const log = await waitForSync(p.url!, key, syncId, 180_000);
  assert.equal(log.status, 'SUCCESS', log.message);
  const rows = { credit: f.summary.files.credit.rows, payment: f.summary.files.payment_plan.rows };
  assert.deepEqual(await facts(), { credit: rows.credit, creditKeys: rows.credit, payment: rows.payment, paymentKeys: rows.payment }, 'exactly the new rows, no duplicates');
  const [orphans] = await p.warehouse.query<{ n: string }>(
    `SELECT count() AS n FROM ${qualified(tenantId, 'fact_payment')} WHERE loan_account_number NOT IN (SELECT loan_account_number FROM ${qualified(tenantId, 'fact_credit')})`,
  );
  assert.equal(Number(orphans.n), 0, 'every payment references a credit');
  const steps = log.steps.map((s: { name: string }) => s.name);
  assert.ok(steps.includes('commit') && !steps.includes('roll back'), `no roll back was needed (${steps.join(', ')})`);
});
