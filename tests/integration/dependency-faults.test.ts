/**
 * Dependency faults against the real platform, with Redis instances this file owns (PostgreSQL and Temporal come
 * from the shared test services and are never touched):
 *
 * (a) cache Redis down (killed) or unresponsive (frozen with SIGSTOP): authenticated reads still answer 200 from the
 *     source of truth, a sync still completes, and reads are fresh once the cache is back;
 * (b) staging Redis killed -9 in the middle of a sync and restarted on the same port and AOF directory: the sync
 *     retries and ends SUCCESS with exact counts — or FAILED cleanly (previous warehouse data intact, uploads back
 *     to pending);
 * (c) staging Redis killed -9 in the middle of an upload and restarted: the client gets an error, and the upload
 *     staged before it is intact — or, if the server rides out the restart, what it staged is exactly the body.
 *
 * The staging Redis runs like production (docker-compose.yml): AOF with appendfsync everysec, noeviction; the cache
 * without persistence, allkeys-lru. A sync is held at a known point with FAULT_DELAYS (validate.afterFirstChunk).
 */
import { after, before, describe, test } from 'node:test';
import { readResponse, type RawResponse, loopbackAddress, writeBody } from '../helpers/http.ts';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { startTestPlatform, uniqueTenantId } from '../helpers/platform.ts';
import { freePort } from '../helpers/child.ts';
import type { Platform } from '../../server/platform.ts';
import { generateFiles } from '../../domain/generator.ts';
import { qualified } from '../../lib/warehouse.ts';
import { keys } from '../../lib/keys.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'findata-depfaults-'));
const PAUSE_MS = 4000;
const figures: Record<string, unknown> = {};

// ----------------------------------------------------------------------------------------------- own Redis servers

/** A redis-server child of this test: start, SIGKILL, restart on the same port and directory, freeze/thaw. */
class RedisServer {
  proc: ChildProcess | null = null;
  port = 0;
  constructor(
    readonly name: string,
    readonly dir: string,
    readonly args: string[],
  ) {
    fs.mkdirSync(dir, { recursive: true });
  }
  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }
  async start(): Promise<void> {
    if (!this.port) this.port = await freePort();
    const proc = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--dir', this.dir, ...this.args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout!.on('data', (d) => (out += d));
    proc.stderr!.on('data', (d) => (out += d));
    this.proc = proc;
    const deadline = Date.now() + 15_000;
    while (!(await this.ping())) {
      if (proc.exitCode !== null) throw new Error(`${this.name} redis exited: ${out}`);
      if (Date.now() > deadline) throw new Error(`${this.name} redis did not start: ${out}`);
      await sleep(50);
    }
  }
  /** Waits until the server has loaded its AOF and answers. */
  ping(): Promise<boolean> {
    return new Promise((resolve) => {
      const s = net.connect(this.port, '127.0.0.1');
      let buf = '';
      s.setTimeout(1000, () => {
        s.destroy();
        resolve(false);
      });
      s.on('error', () => resolve(false));
      s.on('connect', () => s.write('PING\r\n'));
      s.on('data', (d) => {
        buf += d;
        if (buf.includes('\r\n')) {
          s.destroy();
          resolve(buf.startsWith('+PONG'));
        }
      });
    });
  }
  async kill9(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const done = new Promise((r) => p.once('exit', r));
    p.kill('SIGCONT');
    p.kill('SIGKILL');
    await done;
  }
  freeze() {
    this.proc?.kill('SIGSTOP');
  }
  thaw() {
    this.proc?.kill('SIGCONT');
  }
}

const staging = new RedisServer('staging', path.join(tmp, 'staging'), ['--appendonly', 'yes', '--appendfsync', 'everysec', '--maxmemory-policy', 'noeviction']);
const cacheRedis = new RedisServer('cache', path.join(tmp, 'cache'), ['--appendonly', 'no', '--maxmemory', '64mb', '--maxmemory-policy', 'allkeys-lru']);

let p: Platform;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  await staging.start();
  await cacheRedis.start();
  p = await startTestPlatform({ REDIS_URL: staging.url, REDIS_CACHE_URL: cacheRedis.url, FAULT_DELAYS: `validate.afterFirstChunk=${PAUSE_MS}` });
});
after(async () => {
  console.log('dependency-faults figures:', JSON.stringify(figures));
  staging.thaw();
  cacheRedis.thaw();
  await p?.close();
  await staging.kill9();
  await cacheRedis.kill9();
  fs.rmSync(tmp, { recursive: true, force: true });
});

// --------------------------------------------------------------------------------------------------- HTTP helpers

interface Res {
  status: number;
  text: string;
  json: any;
  ms: number;
  error?: string;
}

/** One request on a fresh connection with a hard deadline; a transport error is returned, not thrown. */
function request(method: string, urlPath: string, o: { key?: string; body?: Buffer | AsyncIterable<Buffer>; headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<Res> {
  const u = new URL(p.url! + urlPath);
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  if (o.key) headers.authorization = `Api-Key ${o.key}`;
  if (Buffer.isBuffer(o.body)) headers['content-length'] = String(o.body.length);
  const t0 = Date.now();
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: Omit<Res, 'ms'>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ ...r, ms: Date.now() - t0 });
    };
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers, agent: false }, (res) => {
      readResponse(res).then(
        (r) => finish({ status: r.status, text: r.text, json: r.json }),
        (err) => finish({ status: 0, text: '', json: null, error: String(err) }),
      );
    });
    const timer = setTimeout(() => {
      finish({ status: 0, text: '', json: null, error: `timeout after ${o.timeoutMs ?? 30_000} ms` });
      req.destroy();
    }, o.timeoutMs ?? 30_000);
    req.on('error', (err) => finish({ status: 0, text: '', json: null, error: String(err) }));
    void writeBody(req, o.body, () => done);
  });
}

const json = (key: string, urlPath: string, timeoutMs = 30_000) => request('GET', urlPath, { key, timeoutMs });
const upload = (key: string, lt: string, ft: string, body: Buffer | AsyncIterable<Buffer>, timeoutMs = 60_000) =>
  request('PUT', `/api/uploads/${lt}/${ft}`, { key, body, headers: { 'content-type': 'text/csv' }, timeoutMs });

async function startSync(key: string, loanType = 'RETAIL'): Promise<string> {
  const r = await request('POST', '/api/sync/', { key, body: Buffer.from(JSON.stringify({ loan_type: loanType })), headers: { 'content-type': 'application/json' } });
  assert.equal(r.status, 202, r.error ?? r.text);
  return r.json.sync_id;
}

async function waitFinal(key: string, syncId: string, timeoutMs = 180_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await json(key, `/api/sync/logs/${syncId}/`);
    if (r.status === 200 && ['SUCCESS', 'ABORTED', 'FAILED'].includes(r.json.status)) return r.json;
    if (Date.now() > deadline) assert.fail(`sync ${syncId} not final after ${timeoutMs} ms: ${r.error ?? r.text.slice(0, 300)}`);
    await sleep(250);
  }
}

async function waitValidating(key: string, syncId: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await json(key, `/api/sync/logs/${syncId}/progress/`);
    if (r.status === 200 && r.json.phase === 'validating' && r.json.steps?.at(-1)?.finishedAt === null && (r.json.files?.credit?.rowsProcessed ?? 0) > 0) return;
    if (Date.now() > deadline) assert.fail(`sync ${syncId} never reached validating: ${r.text.slice(0, 300)}`);
    await sleep(100);
  }
}

/** A tenant whose schedule never starts syncs on its own (the tests decide when a sync runs). */
async function newTenant(name: string) {
  const id = uniqueTenantId(name);
  const { apiKey } = await p.tenants.create(id, `Faults ${name}`);
  await p.db.query(`UPDATE "${id}".sync_configs SET enabled = false`);
  return { id, key: apiKey };
}

const H =
  'loan_account_number,customer_id,customer_type,branch_code,product_code,currency,original_amount,outstanding_principal,interest_rate,disbursement_date,maturity_date,installment_count,paid_installment_count,installment_frequency,loan_status,days_past_due,insurance_included';
const row = (lan: string) => `${lan},C1,I,101,PRD,TRY,1000.50,500.25,18.5,20240115,20250115,12,3,M,A,0,E`;
const creditFile = (...lans: string[]) => Buffer.from(`${H}\n${lans.map(row).join('\n')}\n`);
const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

async function whCount(tenantId: string, table: string, lt = 'RETAIL'): Promise<{ n: number; u: number }> {
  const key = table === 'fact_payment' ? 'loan_account_number, installment_number' : 'loan_account_number';
  const [r] = await p.warehouse.query<{ n: string; u: string }>(`SELECT count() AS n, uniqExact(${key}) AS u FROM ${qualified(tenantId, table)} WHERE loan_type = {lt:String}`, { lt });
  return { n: Number(r.n), u: Number(r.u) };
}

// ------------------------------------------------------------------------------------------------ (a) cache Redis

describe('(a) cache Redis faults: reads degrade to the source of truth', () => {
  let t: { id: string; key: string };
  let firstSync: string;
  const readPaths = () => [
    '/api/sync/logs/',
    `/api/sync/logs/${firstSync}/`,
    `/api/sync/logs/${firstSync}/errors/`,
    '/api/data/?loan_type=RETAIL',
    '/api/sync/configs/',
    '/api/uploads/',
    '/api/profiling/?loan_type=RETAIL',
    '/api/tenant',
  ];

  before(async () => {
    t = await newTenant('cache');
    assert.equal((await upload(t.key, 'RETAIL', 'credit', creditFile('A1', 'A2', 'A3'))).status, 201);
    firstSync = await startSync(t.key);
    assert.equal((await waitFinal(t.key, firstSync)).status, 'SUCCESS');
    // Warm every cache entry the reads use.
    for (const path of readPaths()) assert.equal((await json(t.key, path)).status, 200, path);
  });

  test('cache Redis killed: every authenticated read answers 200 with the same content, a new key authenticates, a sync completes, reads are fresh', async () => {
    const before: Record<string, string> = {};
    for (const path of readPaths()) before[path] = (await json(t.key, path)).text;
    await cacheRedis.kill9();
    try {
      const times: number[] = [];
      for (const path of readPaths()) {
        const r = await json(t.key, path, 10_000);
        assert.equal(r.status, 200, `${path} with the cache down: ${r.error ?? r.text.slice(0, 300)}`);
        times.push(r.ms);
        const strip = (s: string) => s.replace(/"(profiled_at|temporal_url)":"[^"]*"/g, '');
        assert.equal(strip(r.text), strip(before[path]), `${path}: same answer from the source of truth`);
      }
      figures['cache down: slowest read ms'] = Math.max(...times);
      // A key never seen before (nothing cached): PBKDF2 path.
      const fresh = await newTenant('cachefresh');
      assert.equal((await json(fresh.key, '/api/tenant', 10_000)).status, 200, 'a new key authenticates without the cache');
      // Write path + a whole sync while the cache is down (record's cache invalidation degrades).
      assert.equal((await upload(t.key, 'RETAIL', 'credit', creditFile('A1', 'A2', 'A3', 'A4'))).status, 201);
      const s = await startSync(t.key);
      const log = await waitFinal(t.key, s);
      assert.equal(log.status, 'SUCCESS', log.message);
      const logs = await json(t.key, '/api/sync/logs/', 10_000);
      assert.equal(logs.status, 200);
      assert.equal(logs.json.items[0].sync_id, s, 'the new sync is listed first');
      const data = await json(t.key, '/api/data/?loan_type=RETAIL', 10_000);
      assert.equal(data.json.total, 4, 'fresh count from the warehouse');
    } finally {
      await cacheRedis.start();
    }
    // Back: the restarted (empty) cache fills again and answers are still right.
    const deadline = Date.now() + 10_000;
    while (p.redis.cache.status !== 'ready' && Date.now() < deadline) await sleep(100);
    const data = await json(t.key, '/api/data/?loan_type=RETAIL');
    assert.equal(data.status, 200);
    assert.equal(data.json.total, 4);
  });

  test(
    'cache Redis unresponsive (SIGSTOP): authenticated reads still answer 200 within seconds',
    async () => {
      cacheRedis.freeze();
      try {
        const times: Record<string, number | string> = {};
        for (const path of readPaths()) {
          const r = await json(t.key, path, 5_000);
          times[path] = r.status === 200 ? r.ms : (r.error ?? r.status);
          assert.equal(r.status, 200, `${path} with a frozen cache: ${r.error ?? r.text.slice(0, 200)}`);
        }
        figures['cache frozen: read ms'] = times;
      } finally {
        cacheRedis.thaw();
      }
    },
  );

  test(
    'a sync recorded while the cache was unreachable: reads are fresh once it is back (no stale sync list or row count)',
    async () => {
      // Warm the entries a sync makes stale.
      const logs0 = await json(t.key, '/api/sync/logs/');
      const data0 = await json(t.key, '/api/data/?loan_type=RETAIL');
      assert.equal(data0.status, 200);
      assert.equal((await upload(t.key, 'RETAIL', 'credit', creditFile('A1', 'A2', 'A3', 'A4', 'A5', 'A6'))).status, 201);
      const s = await startSync(t.key);
      await waitValidating(t.key, s);
      cacheRedis.freeze(); // unreachable while the sync records and invalidates
      try {
        // While frozen, watch the sync log in PostgreSQL (the API may be stuck on the cache, see the test above).
        const deadline = Date.now() + 120_000;
        for (;;) {
          const { rows } = await p.db.query<{ status: string }>(`SELECT status FROM "${t.id}".sync_logs WHERE sync_id = $1`, [s]);
          if (['SUCCESS', 'ABORTED', 'FAILED'].includes(rows[0]?.status)) break;
          if (Date.now() > deadline) assert.fail('the sync did not finish while the cache was frozen');
          await sleep(250);
        }
        await sleep(1000); // recordSync's invalidation has run against the frozen cache
      } finally {
        cacheRedis.thaw();
      }
      const log = await waitFinal(t.key, s);
      assert.equal(log.status, 'SUCCESS', log.message);
      await sleep(500);
      const logs = await json(t.key, '/api/sync/logs/');
      const data = await json(t.key, '/api/data/?loan_type=RETAIL');
      figures['after a frozen-cache sync'] = { listedFirst: logs.json?.items?.[0]?.sync_id === s, total: data.json?.total, itemsOnPage: data.json?.items?.length, logsBefore: logs0.json?.total };
      assert.equal(logs.json.items[0].sync_id, s, 'the sync list shows the new sync');
      assert.equal(data.json.total, 6, 'the row count is the warehouse’s');
    },
  );
});

// ---------------------------------------------------------------------------------------------- (b) staging Redis

describe('(b) staging Redis killed -9 and restarted in the middle of a sync', () => {
  test('the sync retries and ends SUCCESS with exact counts, or FAILED with the old partition intact and the uploads pending again', { timeout: 240_000 }, async () => {
    const t = await newTenant('stgsync');
    // Baseline warehouse content the fault must never damage.
    assert.equal((await upload(t.key, 'RETAIL', 'credit', creditFile('OLD1', 'OLD2'))).status, 201);
    assert.equal((await waitFinal(t.key, await startSync(t.key))).status, 'SUCCESS');
    assert.deepEqual(await whCount(t.id, 'fact_credit'), { n: 2, u: 2 });

    const dir = path.join(tmp, 'gen-b');
    const truth: any = await generateFiles({ loanType: 'RETAIL', credits: 2000, outDir: dir, errorRate: 0.05, seed: 17 });
    const shas: Record<string, string> = {};
    for (const ft of ['credit', 'payment_plan']) {
      const body = fs.readFileSync(path.join(dir, `${ft}.csv`));
      const r = await upload(t.key, 'RETAIL', ft, body);
      assert.equal(r.status, 201, r.error ?? r.text);
      shas[ft] = r.json.sha256;
    }
    const syncId = await startSync(t.key);
    await waitValidating(t.key, syncId);
    await sleep(1200); // inside the validate activity's pause (AOF everysec has flushed the claim by now)
    const t0 = Date.now();
    await staging.kill9();
    await sleep(PAUSE_MS + 1000); // down while the activity resumes: its next staging command fails
    await staging.start();
    figures['(b) staging down ms'] = Date.now() - t0;
    const log = await waitFinal(t.key, syncId);
    figures['(b) outcome'] = { status: log.status, message: log.message, durationMs: Date.parse(log.finished_at) - Date.parse(log.started_at) };

    if (log.status === 'SUCCESS') {
      for (const ft of ['credit', 'payment_plan'] as const) {
        assert.equal(log.files[ft].rows_total, truth.files[ft].rows, `${ft} rows_total`);
        assert.equal(log.files[ft].rows_invalid, truth.files[ft].invalid_rows, `${ft} rows_invalid`);
      }
      const errs = await json(t.key, `/api/sync/logs/${syncId}/errors/?limit=1`);
      const expected = Object.values(log.errors_by_code as Record<string, number>).reduce((a, b) => a + b, 0);
      assert.equal(errs.json.total, expected, 'no duplicated validation errors after the retry');
      for (const [table, ft] of [
        ['fact_credit', 'credit'],
        ['fact_payment', 'payment_plan'],
      ] as const) {
        const valid = truth.files[ft].rows - truth.files[ft].invalid_rows;
        assert.deepEqual(await whCount(t.id, table), { n: valid, u: valid }, `${table}: exactly the valid rows, no duplicates`);
      }
      assert.deepEqual((await json(t.key, '/api/uploads/')).json, [], 'the claimed uploads are consumed');
    } else {
      assert.equal(log.status, 'FAILED', `a clean outcome, not ${log.status}: ${log.message}`);
      assert.deepEqual(await whCount(t.id, 'fact_credit'), { n: 2, u: 2 }, 'the previous credit partition is intact');
      const pending = (await json(t.key, '/api/uploads/')).json as any[];
      for (const ft of ['credit', 'payment_plan']) {
        assert.equal(pending.find((u) => u.file_type === ft)?.sha256, shas[ft], `${ft} upload is back to pending`);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------- (c) staging Redis

/** The bytes staged under a key list, decompressed (what a sync would read). */
async function stagedBytes(tenantId: string, lt: 'RETAIL', ft: 'credit'): Promise<Buffer> {
  const parts = await p.redis.staging.lrangeBuffer(keys.pending(tenantId, lt, ft).chunks, 0, -1);
  return Buffer.concat(parts.map((x) => zlib.gunzipSync(x)));
}

async function uploadThroughRestart(restartAfterMs: number, label: string): Promise<void> {
    const t = await newTenant('stgupload');
    const first = creditFile('KEEP1', 'KEEP2');
    const r0 = await upload(t.key, 'RETAIL', 'credit', first);
    assert.equal(r0.status, 201);
    await sleep(1500); // AOF everysec: the staged upload is on disk

    // ~8 MiB body sent in 256 KiB pieces, slowly enough to kill Redis in the middle.
    const lines = Array.from({ length: 100_000 }, (_, i) => row(`N${i}`)).join('\n');
    const body = Buffer.from(`${H}\n${lines}\n`);
    const piece = 256 * 1024;
    let sent = 0;
    let killed = false;
    async function* slow() {
      for (let off = 0; off < body.length; off += piece) {
        yield body.subarray(off, off + piece);
        sent += Math.min(piece, body.length - off);
        await sleep(40);
        if (!killed && sent >= 3 * 1024 * 1024) {
          killed = true;
          await staging.kill9();
          setTimeout(() => void staging.start(), restartAfterMs);
        }
      }
    }
    const r = await upload(t.key, 'RETAIL', 'credit', slow(), 60_000);
    // Wait until staging is back before inspecting it.
    const deadline = Date.now() + 20_000;
    while (!(await staging.ping()) && Date.now() < deadline) await sleep(100);
    while (p.redis.staging.status !== 'ready' && Date.now() < deadline) await sleep(100);
    figures[`(c) upload, restart after ${label}`] = { status: r.status, code: r.json?.error?.code, error: r.error, ms: r.ms, sentBytes: sent, bodyBytes: body.length };

    assert.ok(r.status !== 0 || r.error, 'an answer or a transport error, never a hang');
    assert.ok(r.status < 400 || r.status >= 500, `an infrastructure fault is not blamed on the client: ${r.status} ${r.text.slice(0, 200)}`);
    const pending = await json(t.key, '/api/uploads/', 10_000);
    assert.equal(pending.status, 200, pending.error ?? pending.text);
    const staged = (pending.json as any[]).find((u) => u.file_type === 'credit');
    if (r.status === 201) {
      // The server rode out the restart: then what it staged must be exactly the body it acknowledged.
      assert.equal(r.json.sha256, sha(body));
      assert.equal(staged?.sha256, sha(body));
      const bytes = await stagedBytes(t.id, 'RETAIL', 'credit');
      assert.equal(bytes.length, body.length, 'staged bytes: none lost across the Redis restart');
      assert.equal(sha(bytes), sha(body), 'staged bytes are the acknowledged body');
    } else {
      assert.ok(staged, 'the previously staged upload is still pending');
      assert.equal(staged.sha256, sha(first), 'and unchanged');
      assert.equal(sha(await stagedBytes(t.id, 'RETAIL', 'credit')), sha(first), 'byte for byte');
    }
    // The server is healthy afterwards: a fresh upload works.
    const again = await upload(t.key, 'RETAIL', 'credit', creditFile('AFTER1'));
    assert.equal(again.status, 201, again.error ?? again.text);
}

describe('(c) staging Redis killed -9 and restarted in the middle of an upload', () => {
  test('down 1.5 s: the client gets an error (5xx), the previously staged upload is intact byte for byte', { timeout: 120_000 }, async () => {
    await uploadThroughRestart(1500, '1.5 s');
  });
  test('restarted at once: an error, or a 201 whose staged bytes are exactly the acknowledged body (no chunk lost with the AOF tail)', { timeout: 120_000 }, async () => {
    await uploadThroughRestart(0, '0 s');
  });
});
