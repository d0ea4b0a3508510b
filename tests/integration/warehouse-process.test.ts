/**
 * EMBEDDED_WAREHOUSE=separate: a FINDATA_ROLE=warehouse process owns the embedded engine, and the worker reads
 * and writes through it (lib/warehouse-owner.ts). Here the warehouse is a child process and the platform (role
 * all: API and worker) runs in the test process without opening chdb. A sync with invalid rows stages, commits
 * and counts through the socket as with an in-process engine; the warehouse process serves health and metrics;
 * a second one on the same data folder is refused; and a sync started while it is down finishes once it is back.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiClient, startTestPlatform, testConfig, uniqueTenantId, waitForSync } from '../helpers/platform.ts';
import { freePort, startChild, type Child } from '../helpers/child.ts';
import type { Platform } from '../../server/platform.ts';
import { generateInMemory } from '../../domain/generator.ts';
import { SPOOL_OWNER_FILE, qualified } from '../../lib/warehouse.ts';
import { ownerSocket, ownerWarehouse } from '../../lib/warehouse-owner.ts';
import { L_DATE32, L_STRING, StagedRowEncoder, StagedSink, columnLayout, nativeBlock, stagedColumns } from '../../domain/staged-rows.ts';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { assertInsertInParts } from '../helpers/warehouse-parts.ts';

const embedded = !process.env.CLICKHOUSE_URL;

describe('a separate warehouse process', { skip: embedded ? false : 'CLICKHOUSE_URL is set: the server is the warehouse' }, () => {
  let dataDir: string;
  let whPort: number;
  let warehouse: Child;
  let p: Platform;
  let api: ReturnType<typeof apiClient>;
  let apiKey: string;
  let tenantId: string;

  const startWarehouse = () => startChild({ FINDATA_ROLE: 'warehouse', DATA_DIR: dataDir, WAREHOUSE_METRICS_PORT: String(whPort) });

  before(async () => {
    dataDir = testConfig().dataDir;
    whPort = await freePort();
    warehouse = await startWarehouse();
    p = await startTestPlatform({ DATA_DIR: dataDir, EMBEDDED_WAREHOUSE: 'separate', RATE_LIMIT_PER_MINUTE: '100000' });
    tenantId = uniqueTenantId('whp');
    ({ apiKey } = await p.tenants.create(tenantId, 'Separate Engine Bank'));
    api = apiClient(p.url!, apiKey);
  });
  after(async () => {
    await p?.close();
    await warehouse?.kill('SIGTERM');
  });

  async function syncFiles(seed: number, start: () => Promise<void> = async () => {}) {
    const files = await generateInMemory({ loanType: 'RETAIL', credits: 60, errorRate: 0.1, seed });
    for (const ft of ['credit', 'payment_plan'] as const) assert.equal((await api.upload('RETAIL', ft, files[ft])).status, 201);
    await start();
    const r = await api.send('POST', '/api/sync/', { loan_type: 'RETAIL' });
    assert.equal(r.status, 202, await r.clone().text());
    return ((await r.json()) as { sync_id: string }).sync_id;
  }

  /** A raw insert request to the warehouse process (a credit table's, with made-up sync columns): its status and message. */
  const postToOwner = (route: string, table: string, body: string) =>
    new Promise<{ status: number; message: string }>((resolve, reject) => {
      const fixed = { loan_type: 'RETAIL', sync_id: '00000000-0000-0000-0000-000000000000', loaded_at: '2026-01-01 00:00:00.000' };
      const req = http.request(
        { socketPath: ownerSocket(dataDir), method: 'POST', path: route, headers: { 'x-findata-insert': JSON.stringify({ table, fileType: 'credit', fixed }) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let message = text;
            try {
              message = String((JSON.parse(text) as { message?: unknown }).message ?? text);
            } catch {}
            resolve({ status: res.statusCode ?? 0, message });
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  test('the platform holds no engine of its own: it has no ClickHouse client', () => {
    assert.throws(() => p.warehouse.client, /owns the embedded warehouse/);
  });

  test('a sync with invalid rows stages, commits and counts through the warehouse process', async () => {
    const syncId = await syncFiles(501);
    const log = await waitForSync(p.url!, apiKey, syncId);
    assert.equal(log.status, 'SUCCESS', log.message);
    assert.ok(log.files.credit.rows_invalid > 0 && log.files.payment_plan.rows_invalid > 0, 'the files carried invalid rows');
    for (const [ft, table] of [
      ['credit', 'fact_credit'],
      ['payment_plan', 'fact_payment'],
    ] as const) {
      const [{ n }] = await p.warehouse.query<{ n: string }>(`SELECT count() AS n FROM ${qualified(tenantId, table)} WHERE sync_id = {s:UUID}`, { s: syncId });
      assert.equal(Number(n), log.files[ft].rows_valid, `${ft}: the warehouse holds exactly the valid rows`);
    }
    // Payment rows of loans that failed validation are CROSS_REFERENCE errors: the reference list came through the socket.
    const errs = await api.json(`/api/sync/logs/${syncId}/errors/?code=CROSS_REFERENCE&limit=1`);
    assert.equal(errs.status, 200, JSON.stringify(errs.body));
    assert.ok(errs.body.total > 0, 'payment rows of invalid loans were found by the reference check');
    // An empty reference list would have made every payment row a CROSS_REFERENCE error.
    assert.ok(errs.body.total < log.files.payment_plan.rows_total / 2, `${errs.body.total} of ${log.files.payment_plan.rows_total} payment rows`);
  });

  test('the warehouse process takes inserts only into a tenant’s staging or fact table', async () => {
    const insert = async (table: string) => (await postToOwner('/insert', table, 'x\n')).status;
    assert.equal(await insert('`system`.`tables`'), 400);
    assert.equal(await insert(`\`${tenantId}_dw\`.\`bak_credit\``), 400, 'not the commit snapshot either');
  });

  test('an insert sent in parts reaches the engine as one batch, parts split inside a row included', async () => {
    await assertInsertInParts(p.warehouse, tenantId);
  });

  test('the worker hands its batches over as files in the engine’s spool folder (no bytes through the socket), and none is left behind', async () => {
    const spool = path.join(dataDir, 'insert-spool');
    const seen: string[] = [];
    const watcher = fs.watch(spool, (_event, name) => {
      if (name) seen.push(String(name));
    });
    const other = uniqueTenantId('whs'); // assertInsertInParts counts its own rows: a tenant of its own
    await p.warehouse.ensureTenant(other);
    try {
      await assertInsertInParts(p.warehouse, other);
      await new Promise((r) => setTimeout(r, 100)); // inotify events arrive after the fact
    } finally {
      watcher.close();
    }
    assert.ok(
      seen.some((n) => /^w[0-9]+-[0-9]+-[0-9a-f]{8}\.native$/.test(n)),
      `the worker wrote its batch into ${spool} (saw ${JSON.stringify([...new Set(seen)])})`,
    );
    assert.deepEqual(fs.readdirSync(spool).filter((n) => n !== SPOOL_OWNER_FILE), [], 'each file is removed once inserted');
  });

  test('the warehouse process inserts only a client’s file of its spool folder: no other name, no path', async () => {
    const insertFile = (name: string) => postToOwner('/insert-file', qualified(tenantId, 'stg_credit'), JSON.stringify({ name }));
    for (const name of ['../clickhouse/status', '/etc/passwd', 'w1-1-0000000a.native/../../x', '1-1.native', 'w1-1-zzzzzzzz.native']) {
      assert.equal((await insertFile(name)).status, 400, name);
    }
    // A well-formed name of a file that is not there reaches the engine, which finds no such file in the folder.
    const missing = await insertFile('w1-1-0000000a.native');
    assert.equal(missing.status, 500);
    assert.match(missing.message, /FILE_DOESNT_EXIST|doesn't exist|No such file|not exist/i);
  });

  test('a worker that does not see the owner’s spool folder at its path (another host or mount) sends its batch in the request, and the rows land', async () => {
    const spool = path.join(dataDir, 'insert-spool');
    const tokenFile = path.join(spool, SPOOL_OWNER_FILE);
    const token = fs.readFileSync(tokenFile, 'utf8');
    // The folder this client sees holds another owner's token: what a same-named folder elsewhere would.
    fs.writeFileSync(tokenFile, 'another-host');
    const seen: string[] = [];
    const watcher = fs.watch(spool, (_e, name) => name && seen.push(String(name)));
    const client = ownerWarehouse(ownerSocket(dataDir), { writes: true });
    try {
      const enc = new StagedRowEncoder('credit');
      const sink = new StagedSink();
      // A value of each column's kind (NULL where allowed): only the path the bytes take is under test here.
      const values = stagedColumns('credit')
        .slice(0, -1)
        .map((c) => columnLayout(c.chType))
        .map((l) => (l.nullable ? null : l.kind === L_STRING ? 'BODY-1' : l.kind === L_DATE32 ? '2024-01-31' : '1'));
      enc.writeRow(sink, values, 1);
      const fixed = { loan_type: 'RETAIL', sync_id: '00000000-0000-4000-8000-00000000b0d1', loaded_at: '2026-01-01 00:00:00.000' };
      await client.insertStaged(qualified(tenantId, 'stg_credit'), 'credit', nativeBlock('credit', sink.take()!, 1), fixed);
      const rows = await p.warehouse.query<{ n: string }>(`SELECT count() AS n FROM ${qualified(tenantId, 'stg_credit')} WHERE sync_id = {s:UUID}`, { s: fixed.sync_id });
      assert.equal(Number(rows[0].n), 1);
      assert.deepEqual(
        seen.filter((n) => n.startsWith('w')),
        [],
        'no file of the client went through the folder',
      );
    } finally {
      watcher.close();
      await client.close();
      fs.writeFileSync(tokenFile, token);
    }
  });

  test('the warehouse process answers its health check and serves process metrics', async () => {
    assert.equal((await fetch(`${warehouse.url}/healthz`)).status, 200);
    assert.match(await (await fetch(`${warehouse.url}/metrics`)).text(), /^process_resident_memory_bytes \d+/m);
  });

  test('a second warehouse process on the same data folder is refused (the engine allows one per folder)', async () => {
    const other = await freePort();
    await assert.rejects(startChild({ FINDATA_ROLE: 'warehouse', DATA_DIR: dataDir, WAREHOUSE_METRICS_PORT: String(other) }, 30_000), /child exited 1[\s\S]*lock/i);
  });

  test('a sync started while the warehouse process is down finishes once it is back, with nothing lost', async () => {
    await warehouse.kill('SIGKILL');
    const syncId = await syncFiles(502);
    await new Promise((r) => setTimeout(r, 1500)); // the sync's first warehouse request fails and is retried
    warehouse = await startWarehouse();
    const log = await waitForSync(p.url!, apiKey, syncId, 180_000);
    assert.equal(log.status, 'SUCCESS', log.message);
    const [{ n }] = await p.warehouse.query<{ n: string }>(`SELECT count() AS n FROM ${qualified(tenantId, 'fact_payment')} WHERE sync_id = {s:UUID}`, { s: syncId });
    assert.equal(Number(n), log.files.payment_plan.rows_valid);
  });
});
