/** Foundation: configuration, migrations, tenant provisioning and isolation, the tenant CLI. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { apiClient, startTestPlatform, uniqueTenantId } from '../helpers/platform.ts';
import type { Platform } from '../../server/platform.ts';
import { ConfigError, parseConfig } from '../../lib/config.ts';
import { migrateAllTenants, migratePublic } from '../../lib/migrations.ts';
import { withTenant } from '../../lib/db.ts';
import { createPendingLog, getLog, insertValidationErrorRows, listValidationErrors, markRunning } from '../../lib/sync-logs.ts';
import { errorRow, errorRowPrefix } from '../../domain/error-rows.ts';
import { randomUUID } from 'node:crypto';
import { isAppError } from '../../lib/errors.ts';
import { assertInsertInParts } from '../helpers/warehouse-parts.ts';
import { qualified, tenantDDL } from '../../lib/warehouse.ts';
import { StagedRowEncoder, StagedSink, nativeBlock } from '../../domain/staged-rows.ts';

const run = promisify(execFile);
let p: Platform;
let a: string;
let b: string;

before(async () => {
  p = await startTestPlatform();
  a = uniqueTenantId('iso_a');
  b = uniqueTenantId('iso_b');
  await p.tenants.create(a, 'Bank A');
  await p.tenants.create(b, 'Bank B');
});
after(async () => {
  await p?.close();
});

describe('configuration', () => {
  test('a missing required variable fails with one line naming it', () => {
    assert.throws(() => parseConfig({ REDIS_URL: 'redis://127.0.0.1:1' }), (e: Error) => e instanceof ConfigError && /^config: DATABASE_URL is required/.test(e.message));
  });
  test('a bad value fails naming the variable and the problem', () => {
    assert.throws(
      () => parseConfig({ DATABASE_URL: 'postgres://x@127.0.0.1/db', REDIS_URL: 'redis://127.0.0.1:1', PORT: 'eighty' }),
      (e: Error) => /config: PORT must be a whole number/.test(e.message),
    );
  });
  test('secrets are never echoed in config errors', () => {
    assert.throws(
      () => parseConfig({ DATABASE_URL: 'postgres://x@127.0.0.1/db', REDIS_URL: 'redis://127.0.0.1:1', SESSION_SECRET: 'short-secret' }),
      (e: Error) => /SESSION_SECRET/.test(e.message) && !e.message.includes('short-secret'),
    );
  });
  test('API_PROCESSES above 1 is refused unless FINDATA_ROLE=api (the other roles run the Temporal worker)', () => {
    const base = { DATABASE_URL: 'postgres://x@127.0.0.1/db', REDIS_URL: 'redis://127.0.0.1:1', API_PROCESSES: '2' };
    assert.throws(() => parseConfig(base), (e: Error) => e instanceof ConfigError && e.message === 'config: API_PROCESSES 2 needs FINDATA_ROLE=api (got all)');
    assert.equal(parseConfig({ ...base, FINDATA_ROLE: 'api' }).apiProcesses, 2);
    assert.equal(parseConfig({ ...base, API_PROCESSES: undefined }).apiProcesses, 1);
  });
  test('split roles are accepted without a ClickHouse server (the api role reads through the embedded owner)', () => {
    for (const role of ['api', 'worker'] as const) {
      const c = parseConfig({ DATABASE_URL: 'postgres://x@127.0.0.1/db', REDIS_URL: 'redis://127.0.0.1:1', FINDATA_ROLE: role });
      assert.equal(c.role, role);
      assert.equal(c.clickhouse.url, null);
    }
    assert.throws(() => parseConfig({ DATABASE_URL: 'postgres://x@127.0.0.1/db', REDIS_URL: 'redis://127.0.0.1:1', FINDATA_ROLE: 'reader' }), /FINDATA_ROLE/);
  });
  test('the warehouse role and EMBEDDED_WAREHOUSE=separate are for the embedded engine; with CLICKHOUSE_URL the server is the warehouse', () => {
    const base = { DATABASE_URL: 'postgres://x@127.0.0.1/db', REDIS_URL: 'redis://127.0.0.1:1' };
    assert.equal(parseConfig({ ...base, FINDATA_ROLE: 'warehouse' }).role, 'warehouse');
    assert.equal(parseConfig({ ...base, FINDATA_ROLE: 'worker', EMBEDDED_WAREHOUSE: 'separate' }).separateWarehouse, true);
    assert.equal(parseConfig({ ...base, FINDATA_ROLE: 'worker' }).separateWarehouse, false, 'in-process by default');
    assert.equal(parseConfig({ ...base, EMBEDDED_WAREHOUSE: 'separate', CLICKHOUSE_URL: 'http://127.0.0.1:8123' }).separateWarehouse, false, 'a server needs no owner');
    assert.throws(
      () => parseConfig({ ...base, FINDATA_ROLE: 'warehouse', CLICKHOUSE_URL: 'http://127.0.0.1:8123' }),
      (e: Error) => e instanceof ConfigError && /FINDATA_ROLE warehouse runs the embedded engine; with CLICKHOUSE_URL/.test(e.message),
    );
    assert.throws(() => parseConfig({ ...base, EMBEDDED_WAREHOUSE: 'elsewhere' }), /EMBEDDED_WAREHOUSE/);
  });
  test('the server process exits 1 with a single line on bad config', async () => {
    const r = await run('node', ['--import', 'tsx', 'server/main.ts'], { env: { PATH: process.env.PATH!, DATABASE_URL: 'nope' } }).catch((e) => e);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^config: DATABASE_URL must be a URL/);
  });
});

describe('migrations', () => {
  test('running the migrations again changes nothing', async () => {
    assert.equal(await migratePublic(p.db), 0);
    assert.equal(await migrateAllTenants(p.db), 0);
  });

  test('migration 2 leaves validation_errors without the foreign key that cost a third of each error insert', async () => {
    const { rows } = await p.db.query(
      `SELECT conname FROM pg_constraint WHERE conrelid = format('%I.validation_errors', $1::text)::regclass AND contype = 'f'`,
      [a],
    );
    assert.deepEqual(rows, []);
    const { rows: versions } = await p.db.query(`SELECT version FROM "${a}".schema_migrations ORDER BY version`);
    assert.deepEqual(versions.map((r) => r.version), [1, 2]);
  });
});

describe('validation error storage', () => {
  test('errors go into PostgreSQL through COPY with tabs, line breaks, backslashes, NUL, quotes and non-ASCII values intact', async () => {
    const syncId = randomUUID();
    const values = ['a\tb', 'line1\nline2\r\n', 'C:\\path\\N', '\\N', 'nul\u0000byte', '"quoted",x', 'KREDİ ıÇ €', '', null];
    const errs = values.map((value, i) => ({ file_type: 'credit' as const, row: i + 1, field: i === 0 ? 'tab\tfield' : 'customer_id', code: 'FORMAT', message: `message ${i}\\ with \t tab`, value }));
    const prefix = errorRowPrefix(syncId, 'credit');
    await insertValidationErrorRows(p.db, a, [Buffer.from(errs.map((e) => errorRow(prefix, e)).join(''), 'utf8')]);
    const { total, items } = await listValidationErrors(p.db, a, syncId, { limit: 100, offset: 0 });
    assert.equal(total, values.length);
    assert.deepEqual(
      items,
      errs.map((e) => ({ ...e, value: e.value === null ? null : e.value.replace('\u0000', '\\0') })),
    );
  });
});

describe('sync log shape', () => {
  test('a PENDING and a RUNNING log already carry every error code and both files of rows_written, at 0', async () => {
    const syncId = randomUUID();
    const zeros = { errors_by_code: { REQUIRED: 0, TYPE: 0, FORMAT: 0, RANGE: 0, VALUE: 0, DUPLICATE: 0, CROSS_REFERENCE: 0 }, rows_written: { credit: 0, payment_plan: 0 } };
    await createPendingLog(p.db, a, syncId, 'RETAIL', 'MANUAL', `wf-${syncId}`);
    const pending = (await getLog(p.db, a, syncId))!;
    assert.equal(pending.status, 'PENDING');
    assert.deepEqual({ errors_by_code: pending.errors_by_code, rows_written: pending.rows_written }, zeros);
    await markRunning(p.db, a, syncId, 'RETAIL', 'MANUAL', `wf-${syncId}`, 'run-1');
    const running = (await getLog(p.db, a, syncId))!;
    assert.equal(running.status, 'RUNNING');
    assert.deepEqual({ errors_by_code: running.errors_by_code, rows_written: running.rows_written }, zeros);
  });
});

describe('tenant provisioning and isolation', () => {
  test('each tenant has its own PostgreSQL schema and ClickHouse database with the spec tables', async () => {
    for (const t of [a, b]) {
      const { rows } = await p.db.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`, [t]);
      assert.deepEqual(
        rows.map((r) => r.table_name).filter((n) => n !== 'schema_migrations'),
        ['sync_configs', 'sync_logs', 'validation_errors'],
      );
      const tables = await p.warehouse.query<{ name: string }>(`SELECT name FROM system.tables WHERE database = {db:String} ORDER BY name`, { db: `${t}_dw` });
      assert.ok(tables.map((x) => x.name).includes('fact_credit') && tables.map((x) => x.name).includes('fact_payment'));
    }
    const cols = await p.warehouse.query<{ n: string }>(`SELECT count() AS n FROM system.columns WHERE database = {db:String} AND table = 'fact_credit'`, { db: `${a}_dw` });
    assert.equal(Number(cols[0].n), 35);
    const pcols = await p.warehouse.query<{ n: string }>(`SELECT count() AS n FROM system.columns WHERE database = {db:String} AND table = 'fact_payment'`, { db: `${a}_dw` });
    assert.equal(Number(pcols[0].n), 16);
  });

  test('an insert sent in parts reaches the warehouse as one batch, parts split inside a row included', async () => {
    await assertInsertInParts(p.warehouse, a);
  });

  test('a staged batch of insert size becomes a Compact part (one data file, not two per column), so an insert creates few files', async () => {
    // 200k rows: above the 10 MB from which ClickHouse would write a Wide part by default.
    const enc = new StagedRowEncoder('payment_plan');
    const sink = new StagedSink();
    for (let i = 1; i <= 200_000; i++) {
      enc.writeRow(sink, [`LP${i >> 4}`, String(i & 15), '2024-01-31', '10.00', '9.00', '1.00', '0.00', '91.00', null, '0.00', 'PENDING', '0'], i);
    }
    const block = nativeBlock('payment_plan', sink.take()!, 200_000);
    assert.ok(block.length > 10 << 20, `${block.length} bytes`);
    const fixed = { loan_type: 'RETAIL', sync_id: '3b0f6c1e-8d2a-4f5b-9c7e-1a2b3c4d5e6f', loaded_at: '2026-01-01 00:00:00.000' };
    await p.warehouse.insertStaged(qualified(b, 'stg_payment'), 'payment_plan', block, fixed);
    const parts = await p.warehouse.query<{ part_type: string; rows: string }>(
      `SELECT part_type, toString(sum(rows)) AS rows FROM system.parts WHERE database = {db:String} AND table = 'stg_payment' AND active GROUP BY part_type`,
      { db: `${b}_dw` },
    );
    const [{ bytes }] = await p.warehouse.query<{ bytes: string }>(
      `SELECT toString(sum(data_uncompressed_bytes)) AS bytes FROM system.parts WHERE database = {db:String} AND table = 'stg_payment' AND active`,
      { db: `${b}_dw` },
    );
    assert.deepEqual(parts, [{ part_type: 'Compact', rows: '200000' }]);
    assert.ok(Number(bytes) > 10 << 20, `the part holds ${bytes} bytes, past the default Wide threshold`);
  });

  test('a tenant whose staging tables predate Compact parts gets the setting from its DDL (run as each process first ensures the tenant)', async () => {
    const t = uniqueTenantId('compact');
    await p.warehouse.ensureTenant(t);
    const setting = async () =>
      (
        await p.warehouse.query<{ engine_full: string }>(`SELECT engine_full FROM system.tables WHERE database = {db:String} AND name = 'stg_payment'`, {
          db: `${t}_dw`,
        })
      )[0].engine_full;
    // As a table created before the setting stood.
    await p.warehouse.command(`ALTER TABLE ${qualified(t, 'stg_payment')} MODIFY SETTING min_bytes_for_wide_part = 10485760`);
    assert.match(await setting(), /min_bytes_for_wide_part = 10485760/);
    // ensureTenant runs the DDL once per process: a restarted worker would, as here.
    for (const sql of tenantDDL(t)) await p.warehouse.command(sql);
    assert.match(await setting(), /min_bytes_for_wide_part = 1073741824/);
  });

  test('a query under tenant A’s search path cannot see tenant B’s rows', async () => {
    const syncId = '00000000-0000-4000-8000-000000000001';
    await withTenant(p.db, b, (c) => c.query(`INSERT INTO sync_logs (sync_id, loan_type, status, trigger) VALUES ($1, 'RETAIL', 'SUCCESS', 'MANUAL')`, [syncId]));
    const seenByA = await withTenant(p.db, a, (c) => c.query('SELECT count(*)::int AS n FROM sync_logs WHERE sync_id = $1', [syncId]));
    const seenByB = await withTenant(p.db, b, (c) => c.query('SELECT count(*)::int AS n FROM sync_logs WHERE sync_id = $1', [syncId]));
    assert.equal(seenByA.rows[0].n, 0);
    assert.equal(seenByB.rows[0].n, 1);
  });

  test('a pooled connection’s search_path is back to default after a tenant transaction', async () => {
    const client = await p.db.connect();
    try {
      const before = (await client.query('SHOW search_path')).rows[0].search_path;
      await client.query('BEGIN');
      await client.query(`SET LOCAL search_path TO "${a}", public`);
      assert.match((await client.query('SHOW search_path')).rows[0].search_path, new RegExp(a));
      await client.query('COMMIT');
      assert.equal((await client.query('SHOW search_path')).rows[0].search_path, before);
    } finally {
      client.release();
    }
    // And through the helper, on every connection of the pool.
    await Promise.all(Array.from({ length: 5 }, () => withTenant(p.db, a, (c) => c.query('SELECT 1'))));
    const paths = await Promise.all(Array.from({ length: 5 }, () => p.db.query('SHOW search_path')));
    for (const r of paths) assert.doesNotMatch(r.rows[0].search_path, new RegExp(a));
  });

  test('bad tenant ids are refused before anything is created', async () => {
    for (const bad of ['Bank1', '1bank', 'ab', 'bank-1', 'bank;drop', 'x'.repeat(33), 'public', 'pg_bank', 'bank 1', "b'; DROP SCHEMA public; --"]) {
      await assert.rejects(p.tenants.create(bad, 'Bad'), (e: unknown) => isAppError(e) && e.code === 'VALIDATION_FAILED', bad);
    }
  });

  test('creating an existing tenant is refused with TENANT_EXISTS', async () => {
    await assert.rejects(p.tenants.create(a, 'Again'), (e: unknown) => isAppError(e) && e.code === 'TENANT_EXISTS');
  });

  test('API keys are stored only as PBKDF2-SHA256 hashes with an indexed 16-char prefix', async () => {
    const { rows } = await p.db.query('SELECT api_key_prefix, api_key_hash FROM public.tenants WHERE id = $1', [a]);
    assert.match(rows[0].api_key_prefix, /^sk_live_[0-9a-f]{8}$/);
    assert.match(rows[0].api_key_hash, /^pbkdf2_sha256\$600000\$/);
    const idx = await p.db.query(`SELECT indexdef FROM pg_indexes WHERE tablename = 'tenants' AND indexdef ILIKE '%api_key_prefix%'`);
    assert.match(idx.rows[0].indexdef, /UNIQUE/);
  });
});

describe('tenant CLI (while the platform owns the embedded warehouse)', () => {
  const cli = (...args: string[]) =>
    run('node', ['--import', 'tsx', 'scripts/tenants.ts', ...args], {
      env: { ...process.env, DATA_DIR: p.config.dataDir, TEMPORAL_TASK_QUEUE: p.config.temporal.taskQueue },
    });

  test('create --json prints only the tenant id and the key; the running server provisions its warehouse', async () => {
    const id = uniqueTenantId('cli');
    const { stdout } = await cli('create', id, '--name', 'CLI Bank', '--json');
    const out = JSON.parse(stdout);
    assert.deepEqual(Object.keys(out).sort(), ['api_key', 'tenant_id']);
    assert.equal(out.tenant_id, id);
    assert.match(out.api_key, /^sk_live_[0-9a-f]{48}$/);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const dbs = await p.warehouse.query(`SELECT name FROM system.databases WHERE name = {db:String}`, { db: `${id}_dw` });
      if (dbs.length === 1) break;
      if (Date.now() > deadline) assert.fail('warehouse database was not provisioned');
      await new Promise((r) => setTimeout(r, 200));
    }
    const api = apiClient(p.url!, out.api_key);
    assert.equal((await api.get('/api/uploads/')).status, 200);

    const list = JSON.parse((await cli('list', '--json')).stdout) as { tenant_id: string }[];
    assert.ok(list.some((t) => t.tenant_id === id));

    const rotated = JSON.parse((await cli('rotate-key', id, '--json')).stdout);
    assert.equal((await api.get('/api/uploads/')).status, 401, 'the old key stops working at once');
    assert.equal((await apiClient(p.url!, rotated.api_key).get('/api/uploads/')).status, 200);

    await cli('deactivate', id);
    assert.equal((await apiClient(p.url!, rotated.api_key).get('/api/uploads/')).status, 401, 'a deactivated tenant’s key is refused');
  });

  test('create refuses a bad id with a clear message and exit code 1', async () => {
    const r = await cli('create', 'Bad-Id', '--name', 'X').catch((e) => e);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /tenant id must match/);
  });
});
