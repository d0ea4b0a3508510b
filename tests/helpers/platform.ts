/**
 * Test harness: a real platform (PostgreSQL, Redis, Temporal dev server and an embedded warehouse) per test
 * file. Services come from scripts/test.sh (env vars); each file gets its own warehouse folder, task queue and
 * tenants, so files never see each other's data.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { Redis } from 'ioredis';
import { parseConfig, type Config } from '../../lib/config.ts';
import { silentLogger, createLogger } from '../../lib/logger.ts';
import { startPlatform, type Platform } from '../../server/platform.ts';
import { WORKFLOWS_PATH } from '../../server/worker.ts';

export const TEST_DATA_DIR = path.resolve(process.env.FINDATA_TEST_DATA_DIR ?? '.data/test');

/**
 * Each test file gets its own database of the cache Redis (1..15, in turn): per-address limits such as the
 * failed-auth counter live there, and one file's deliberate failures (fuzzing, brute force from 127.0.0.1)
 * must not rate-limit the next file. Set in process.env so child processes and the CLI use the same one.
 */
async function isolateCacheDb(): Promise<void> {
  const url = process.env.REDIS_CACHE_URL;
  if (!url) return;
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    const n = await r.incr('findata:test:cache-db-seq');
    const db = 1 + (n % 15);
    await r.select(db);
    await r.flushdb();
    const u = new URL(url);
    u.pathname = `/${db}`;
    process.env.REDIS_CACHE_URL = u.toString();
  } finally {
    r.disconnect();
  }
}
await isolateCacheDb();

export function testConfig(overrides: Record<string, string> = {}): Config {
  const id = crypto.randomBytes(4).toString('hex');
  const dataDir = path.join(TEST_DATA_DIR, 'runs', `${path.basename(process.argv[1] ?? 'test', '.ts')}-${id}`);
  return parseConfig({
    DATABASE_URL: process.env.DATABASE_URL,
    REDIS_URL: process.env.REDIS_URL,
    REDIS_CACHE_URL: process.env.REDIS_CACHE_URL,
    TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS,
    TEMPORAL_UI_URL: process.env.TEMPORAL_UI_URL,
    CLICKHOUSE_URL: process.env.CLICKHOUSE_URL,
    DATA_DIR: dataDir,
    PORT: '0',
    TEMPORAL_TASK_QUEUE: `test-${id}`,
    DEMO_TENANTS: 'false',
    LOG_LEVEL: 'error',
    ...overrides,
  });
}

/** One workflow bundle per test run, shared by every test file (bundling takes seconds). */
export async function workflowBundle(): Promise<{ code: string }> {
  const file = path.join(TEST_DATA_DIR, 'workflow-bundle.js');
  const sources = fs.readdirSync(path.dirname(WORKFLOWS_PATH)).map((f) => fs.statSync(path.join(path.dirname(WORKFLOWS_PATH), f)).mtimeMs);
  if (fs.existsSync(file) && fs.statSync(file).mtimeMs > Math.max(...sources)) return { code: fs.readFileSync(file, 'utf8') };
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: { log() {}, info() {}, warn() {}, error() {}, debug() {}, trace() {} } as never });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(`${file}.tmp`, code);
  fs.renameSync(`${file}.tmp`, file);
  return { code };
}

export async function startTestPlatform(overrides: Record<string, string> = {}, opts: { worker?: boolean; http?: boolean } = {}): Promise<Platform> {
  const config = testConfig(overrides);
  const log = process.env.TEST_LOG ? createLogger('debug') : silentLogger;
  return startPlatform(config, { log, workflowBundle: await workflowBundle(), ...opts });
}

export const uniqueTenantId = (base = 't') => `${base}_${crypto.randomBytes(5).toString('hex')}`;

/**
 * A request sent once more when the keep-alive socket it went out on was closed under it: the server closes an idle
 * socket after its keep-alive timeout, and on a loaded machine a request can leave on it at that very moment
 * ("other side closed"). Only idempotent methods (GET, PUT, DELETE) with a body that can be sent again are retried,
 * as browsers retry them on a stale connection; a POST could have been taken, so it is not.
 */
async function idempotentFetch(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    const code = (err as { cause?: { code?: string } }).cause?.code;
    if (code !== 'UND_ERR_SOCKET' && code !== 'ECONNRESET') throw err;
    if (!['GET', 'PUT', 'DELETE'].includes((init.method ?? 'GET').toUpperCase())) throw err;
    if (init.body instanceof ReadableStream) throw err; // consumed by the first attempt
    return fetch(url, init);
  }
}

/** A small HTTP client bound to a platform and an API key. */
export function apiClient(baseUrl: string, apiKey?: string) {
  const headers = (extra: Record<string, string> = {}) => ({ ...(apiKey ? { authorization: `Api-Key ${apiKey}` } : {}), ...extra });
  return {
    async get(p: string, extra: Record<string, string> = {}) {
      return idempotentFetch(baseUrl + p, { headers: headers(extra) });
    },
    async json<T = any>(p: string): Promise<{ status: number; body: T }> {
      const r = await idempotentFetch(baseUrl + p, { headers: headers() });
      return { status: r.status, body: (await r.json()) as T };
    },
    async send(method: string, p: string, body?: unknown, extra: Record<string, string> = {}) {
      return idempotentFetch(baseUrl + p, {
        method,
        headers: headers({ ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...extra }),
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    },
    async upload(loanType: string, fileType: string, body: string | Uint8Array | ReadableStream, extra: Record<string, string> = {}) {
      return idempotentFetch(`${baseUrl}/api/uploads/${loanType}/${fileType}`, {
        method: 'PUT',
        headers: headers({ 'content-type': 'text/csv', ...extra }),
        body: body as BodyInit,
        duplex: 'half',
      } as RequestInit);
    },
  };
}

/** Polls a sync log until it reaches a final status. */
export async function waitForSync(baseUrl: string, apiKey: string, syncId: string, timeoutMs = 120_000): Promise<any> {
  const api = apiClient(baseUrl, apiKey);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status, body } = await api.json(`/api/sync/logs/${syncId}/`);
    if (status === 200 && ['SUCCESS', 'ABORTED', 'FAILED'].includes(body.status)) return body;
    if (Date.now() > deadline) throw new Error(`sync ${syncId} did not finish in ${timeoutMs} ms (last: ${JSON.stringify(body)})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
