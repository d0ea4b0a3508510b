/**
 * Embedded mode with more than one process: chdb lets one process open the data folder, so that process (role
 * `all` or `worker`) owns the warehouse and serves reads to the others (role `api`) over a Unix socket in the
 * data folder. The socket carries what the API needs (queries and tenant provisioning); writes stay with the
 * owner, which runs the syncs. A ClickHouse server (CLICKHOUSE_URL) needs none of this: every process connects.
 */
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import type { Warehouse } from './warehouse.ts';
import type { Logger } from './logger.ts';

// In a directory only the owner's user can enter: a socket's own mode is applied only after listen().
export const ownerSocket = (dataDir: string) => path.join(dataDir, 'run', 'owner', 'warehouse.sock');

interface QueryRequest {
  sql: string;
  params?: Record<string, unknown>;
}

interface RemoteError {
  message: string;
  code?: string;
  type?: string;
}

const MAX_REQUEST_BYTES = 1 << 20;

async function readJson<T>(req: http.IncomingMessage): Promise<T> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n > MAX_REQUEST_BYTES) throw new Error('request too large');
    chunks.push(c as Buffer);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as T;
}

/** Serves the owner's warehouse on `socketPath` (owner only: the caller holds the data folder's lock). */
export async function serveWarehouse(wh: Warehouse, socketPath: string, log: Logger): Promise<{ close(): Promise<void> }> {
  fs.mkdirSync(path.dirname(socketPath), { recursive: true, mode: 0o700 });
  fs.chmodSync(path.dirname(socketPath), 0o700);
  fs.rmSync(socketPath, { force: true }); // left by a killed owner; we hold the lock now
  const server = http.createServer(async (req, res) => {
    const reply = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    try {
      if (req.method === 'POST' && req.url === '/query') {
        const q = await readJson<QueryRequest>(req);
        return reply(200, await wh.query(q.sql, q.params));
      }
      if (req.method === 'POST' && req.url === '/ensure-tenant') {
        const { tenantId } = await readJson<{ tenantId: string }>(req);
        await wh.ensureTenant(tenantId);
        return reply(200, {});
      }
      return reply(404, { message: `no route ${req.method} ${req.url}` } satisfies RemoteError);
    } catch (err) {
      const e = err as { message?: string; code?: string; type?: string };
      log.debug('warehouse request failed', { url: req.url, err: String(err) });
      return reply(500, { message: String(e?.message ?? err), code: e?.code, type: e?.type } satisfies RemoteError);
    }
  });
  // Longer than the clients' idle sockets live (IDLE_MS), so a client never reuses one the owner is closing.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  fs.chmodSync(socketPath, 0o600);
  return {
    // Stop taking connections, give running queries a moment, then cut the rest (their API requests get 503).
    close: () =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), 5000);
        server.closeIdleConnections();
        server.close(() => {
          clearTimeout(force);
          fs.rmSync(socketPath, { force: true });
          resolve();
        });
      }),
  };
}

/** An error from the owner's engine, with ClickHouse's code and type kept for the callers that look at them. */
export class OwnerWarehouseError extends Error {
  constructor(
    message: string,
    readonly code?: string,
    readonly type?: string,
  ) {
    super(message);
    this.name = 'OwnerWarehouseError';
  }
}

/** The owner cannot be reached or dropped the connection: the API answers 503 for it (api/app.ts dependencyDown). */
function ownerUnavailable(socketPath: string, cause: unknown): Error {
  // The cause stays out of the message: api/app.ts tells a client hang-up from a dependency by the message too.
  return Object.assign(new Error(`connect ECONNREFUSED: the process that owns the embedded warehouse is not available (${socketPath})`), {
    code: 'ECONNREFUSED',
    detail: String(cause),
  });
}

/** Idle sockets to the owner are dropped well before the owner's keep-alive timeout. */
const IDLE_MS = 20_000;
/** Longest read the API waits for (a profile of a large table takes seconds, not minutes). */
const QUERY_TIMEOUT_MS = 300_000;
const RETRYABLE = new Set(['ECONNRESET', 'EPIPE']);

const notHere = (what: string) => async (): Promise<never> => {
  throw new Error(`${what} runs in the process that owns the embedded warehouse (FINDATA_ROLE all or worker), not in the api role`);
};

/** The warehouse as seen from an API-role process of an embedded deployment: reads through the owner. */
export function ownerWarehouse(socketPath: string): Warehouse {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16, timeout: IDLE_MS });
  const ensured = new Set<string>();
  // Reads and tenant provisioning are idempotent: a connection the owner dropped (restart, idle close) is retried once.
  const call = async <T>(route: string, body: unknown): Promise<T> => {
    try {
      return await once<T>(route, body);
    } catch (err) {
      if (!(err as { retryable?: boolean }).retryable) throw err;
      return once<T>(route, body);
    }
  };
  const once = <T>(route: string, body: unknown): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const payload = JSON.stringify(body);
      const req = http.request(
        { socketPath, agent, method: 'POST', path: route, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err) => reject(ownerUnavailable(socketPath, err)));
          res.on('end', () => {
            try {
              const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
              if (res.statusCode === 200) resolve(parsed as T);
              else reject(new OwnerWarehouseError((parsed as RemoteError).message, (parsed as RemoteError).code, (parsed as RemoteError).type));
            } catch (err) {
              reject(err);
            }
          });
        },
      );
      req.setTimeout(QUERY_TIMEOUT_MS, () => req.destroy(Object.assign(new Error('warehouse owner did not answer in time'), { code: 'ETIMEDOUT' })));
      req.on('error', (err: NodeJS.ErrnoException) => {
        // Every transport failure is the owner being unavailable (503), never a client error; a dropped
        // connection (ECONNRESET, "socket hang up") may be retried by `call`.
        const retryable = RETRYABLE.has(err.code ?? '') || /socket hang up/i.test(err.message);
        reject(Object.assign(ownerUnavailable(socketPath, err), { retryable }));
      });
      req.end(payload);
    });
  return {
    get client(): never {
      throw new Error('the ClickHouse client is only in the process that owns the embedded warehouse, not in the api role');
    },
    embedded: true,
    compactRows: true,
    command: notHere('a warehouse command'),
    insertTsv: notHere('a warehouse insert'),
    query: <T>(sql: string, params?: Record<string, unknown>) => call<T[]>('/query', { sql, params }),
    // Reads ensure their tenant's database on every request: one round trip to the owner per tenant is enough.
    async ensureTenant(tenantId: string) {
      if (ensured.has(tenantId)) return;
      await call('/ensure-tenant', { tenantId });
      ensured.add(tenantId);
    },
    async close() {
      agent.destroy();
    },
  };
}
