/**
 * Embedded mode with more than one process: chdb lets one process open the data folder, so that process owns the
 * warehouse and serves the others over a Unix socket in the data folder. The owner is the `all` or `worker`
 * process, or with EMBEDDED_WAREHOUSE=separate a `warehouse` process that runs nothing but the engine (the
 * layout of a ClickHouse server: the worker's memory and the engine's are apart). API processes get reads and
 * tenant provisioning; a worker of the separate layout also gets commands and inserts, since it runs the syncs.
 * A ClickHouse server (CLICKHOUSE_URL) needs none of this: every process connects.
 */
import http from 'node:http';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { FACT_TABLE, FILE_TYPES, STAGING_TABLE, type FileType } from '../domain/columns.ts';
import { isOwnersSpool, stagedBytes, stagedParts, writeParts, type FixedColumns, type StagedBody, type Warehouse } from './warehouse.ts';
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

/** What an insert carries besides its body of staged rows (in a header, so the body is the rows as they are). */
interface InsertMeta {
  table: string;
  fileType: FileType;
  fixed: FixedColumns;
}

const MAX_REQUEST_BYTES = 1 << 20;
/** An insert batch is at most 16 MiB of staged rows plus one chunk's rows (INSERT_BYTES, activities/validate.ts). */
const MAX_INSERT_BYTES = 256 << 20;
const INSERT_HEADER = 'x-findata-insert';
/** Files a client writes into the owner's spool folder (the owner's own are `<pid>-<n>.native`). */
const CLIENT_SPOOL_FILE = /^w[0-9]+-[0-9]+-[0-9a-f]{8}\.native$/;
/** A client's spool file older than this was left by a client killed before it sent the insert. */
const STALE_SPOOL_MS = 3_600_000;

/** A request's body as the chunks it arrived in. */
async function readParts(req: http.IncomingMessage, max: number): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n > max) throw new Error('request too large');
    chunks.push(c as Buffer);
  }
  return chunks;
}
const readJson = async <T>(req: http.IncomingMessage): Promise<T> => JSON.parse(Buffer.concat(await readParts(req, MAX_REQUEST_BYTES)).toString('utf8')) as T;

export interface ServeOptions {
  /**
   * Serve commands and inserts too (the warehouse process, whose worker runs the syncs through it). They run one
   * at a time in arrival order, so a retried activity's first command (dropping its staging partition) runs after
   * every insert an earlier attempt had sent, even one whose worker died before the answer came.
   */
  writes?: boolean;
}

/** Insert targets: a tenant's staging or fact table, as `qualified()` writes them. */
const INSERT_TABLE = new RegExp(`^\`[a-z][a-z0-9_]*_dw\`\\.\`(${[...Object.values(STAGING_TABLE), ...Object.values(FACT_TABLE)].join('|')})\`$`);

/** Serves the owner's warehouse on `socketPath` (owner only: the caller holds the data folder's lock). */
export async function serveWarehouse(wh: Warehouse, socketPath: string, log: Logger, opts: ServeOptions = {}): Promise<{ close(): Promise<void> }> {
  let writes: Promise<unknown> = Promise.resolve();
  const serial = <T>(run: () => Promise<T>): Promise<T> => {
    const next = writes.then(run, run);
    writes = next.catch(() => {});
    return next;
  };
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
      if (req.method === 'POST' && req.url === '/query-text') {
        const q = await readJson<QueryRequest>(req);
        const text = await wh.queryText(q.sql, q.params);
        res.writeHead(200, { 'content-type': 'text/tab-separated-values; charset=utf-8', 'content-length': Buffer.byteLength(text) });
        return res.end(text);
      }
      if (opts.writes && req.method === 'POST' && req.url === '/command') {
        const q = await readJson<QueryRequest>(req);
        await serial(() => wh.command(q.sql, q.params));
        return reply(200, {});
      }
      if (opts.writes && req.method === 'POST' && req.url === '/insert') {
        const meta = parseInsertMeta(req.headers[INSERT_HEADER]);
        if (!meta) return reply(400, { message: `an insert needs a valid ${INSERT_HEADER} header (a tenant's staging or fact table, a file type)` } satisfies RemoteError);
        // The parts as they came: a joined copy would double the buffers this process's heap sees per insert
        // (lib/heap.ts: V8 collects after every 64 MB of them).
        const body = await readParts(req, MAX_INSERT_BYTES);
        await serial(() => wh.insertStaged(meta.table, meta.fileType, body, meta.fixed));
        return reply(200, {});
      }
      if (opts.writes && req.method === 'POST' && req.url === '/spool') {
        await readParts(req, MAX_REQUEST_BYTES);
        return reply(200, { dir: wh.spool?.dir ?? null, token: wh.spool?.token ?? null });
      }
      if (opts.writes && wh.spool && req.method === 'POST' && req.url === '/insert-file') {
        const meta = parseInsertMeta(req.headers[INSERT_HEADER]);
        const { name } = await readJson<{ name?: unknown }>(req);
        if (!meta || typeof name !== 'string' || !CLIENT_SPOOL_FILE.test(name)) {
          return reply(400, { message: `an insert from a file needs a valid ${INSERT_HEADER} header and the name of a client's file in the spool folder` } satisfies RemoteError);
        }
        sweepStale(wh.spool.dir, log);
        const spool = wh.spool;
        await serial(() => spool.insertFile(meta.table, meta.fileType, name, meta.fixed));
        return reply(200, {});
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

let lastSweep = 0;
/** Removes the files of clients killed between writing a batch and sending its insert (at most every 10 minutes). */
function sweepStale(dir: string, log: Logger): void {
  const now = Date.now();
  if (now - lastSweep < 600_000) return;
  lastSweep = now;
  void (async () => {
    for (const name of await fs.promises.readdir(dir)) {
      if (!CLIENT_SPOOL_FILE.test(name)) continue;
      const file = path.join(dir, name);
      const st = await fs.promises.stat(file).catch(() => null);
      if (st && now - st.mtimeMs > STALE_SPOOL_MS) await fs.promises.rm(file, { force: true });
    }
  })().catch((err) => log.warn('sweeping the insert spool failed', { dir, err: String(err) }));
}

function parseInsertMeta(header: string | string[] | undefined): InsertMeta | null {
  try {
    const m = JSON.parse(String(header ?? 'null')) as InsertMeta | null;
    if (!m || !INSERT_TABLE.test(m.table) || !(FILE_TYPES as readonly string[]).includes(m.fileType) || typeof m.fixed !== 'object' || m.fixed === null) return null;
    return m;
  } catch {
    return null;
  }
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
  throw new Error(`${what} runs in the process that owns the embedded warehouse (FINDATA_ROLE all, worker or warehouse) or its worker, not in the api role`);
};

export interface OwnerWarehouseOptions {
  /** Commands and inserts too (the worker of the separate layout); API processes only read. */
  writes?: boolean;
  /** Longest a request waits for the owner. */
  timeoutMs?: number;
}

/** The warehouse as seen from a process that does not own the embedded engine: through the owner's socket. */
export function ownerWarehouse(socketPath: string, opts: OwnerWarehouseOptions = {}): Warehouse {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16, timeout: IDLE_MS });
  const timeoutMs = opts.timeoutMs ?? QUERY_TIMEOUT_MS;
  const ensured = new Set<string>();
  // Reads and tenant provisioning are idempotent: a connection the owner dropped (restart, idle close) is retried
  // once. Commands and inserts are not (an insert that reached the engine must not run twice): the activity that
  // issued them is retried as a whole instead.
  const call = async <T>(route: string, body: unknown, parse: (b: Buffer) => T = parseJson<T>): Promise<T> => {
    const payload = JSON.stringify(body);
    try {
      return await once<T>(route, payload, {}, parse);
    } catch (err) {
      if (!(err as { retryable?: boolean }).retryable) throw err;
      return once<T>(route, payload, {}, parse);
    }
  };
  const parseJson = <T>(b: Buffer): T => JSON.parse(b.toString('utf8')) as T;
  const once = <T>(route: string, payload: string | StagedBody, headers: Record<string, string>, parse: (b: Buffer) => T): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const type = typeof payload === 'string' ? 'application/json' : 'application/octet-stream';
      const length = typeof payload === 'string' ? Buffer.byteLength(payload) : stagedBytes(payload);
      const req = http.request(
        { socketPath, agent, method: 'POST', path: route, headers: { 'content-type': type, 'content-length': length, ...headers } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err) => reject(ownerUnavailable(socketPath, err)));
          res.on('end', () => {
            try {
              const body = Buffer.concat(chunks);
              if (res.statusCode === 200) return resolve(parse(body));
              const e = parseJson<RemoteError>(body);
              reject(new OwnerWarehouseError(e.message, e.code, e.type));
            } catch (err) {
              reject(err);
            }
          });
        },
      );
      req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('warehouse owner did not answer in time'), { code: 'ETIMEDOUT' })));
      req.on('error', (err: NodeJS.ErrnoException) => {
        // Every transport failure is the owner being unavailable (503), never a client error; a dropped
        // connection (ECONNRESET, "socket hang up") may be retried by `call`.
        const retryable = RETRYABLE.has(err.code ?? '') || /socket hang up/i.test(err.message);
        reject(Object.assign(ownerUnavailable(socketPath, err), { retryable }));
      });
      if (typeof payload === 'string' || payload instanceof Uint8Array) req.end(payload);
      else {
        for (const part of payload) req.write(part);
        req.end();
      }
    });
  const write = <T>(route: string, payload: string | StagedBody, headers: Record<string, string> = {}) => once<T>(route, payload, headers, parseJson<T>);
  // On the owner's host, a batch goes into the owner's spool folder as a file the client writes itself, and the
  // insert names it: its bytes cross no socket (≈ 0.7 s less CPU per GB between the two processes, and none of
  // it on the owner's heap). The folder comes from the owner once; a client that cannot write there, or sees another
  // folder at that path (another host or mount: the owner's token file is not in it), sends bodies.
  let spoolDir: Promise<string | null> | null = null;
  let spooled = 0;
  const spoolTarget = () =>
    (spoolDir ??= call<{ dir: string | null; token?: string | null }>('/spool', {}).then(
      ({ dir, token }) => (dir && token && isOwnersSpool(dir, token) ? dir : null),
      (err) => {
        if (err instanceof OwnerWarehouseError) return null; // an owner without the route: bodies it is
        spoolDir = null; // the owner was down: ask again with the next insert
        throw err;
      },
    ));
  return {
    get client(): never {
      throw new Error('the ClickHouse client is only in the process that owns the embedded warehouse, not in the api role');
    },
    embedded: true,
    command: opts.writes ? async (sql, params) => void (await write('/command', JSON.stringify({ sql, params }))) : notHere('a warehouse command'),
    insertStaged: opts.writes
      ? async (table, fileType, staged, fixed) => {
          if (stagedBytes(staged) === 0) return;
          const headers = { [INSERT_HEADER]: JSON.stringify({ table, fileType, fixed } satisfies InsertMeta) };
          const dir = await spoolTarget();
          if (!dir) return void (await write('/insert', staged, headers));
          const name = `w${process.pid}-${++spooled}-${crypto.randomBytes(4).toString('hex')}.native`;
          const file = path.join(dir, name);
          try {
            await writeParts(file, stagedParts(staged));
            await write('/insert-file', JSON.stringify({ name }), headers);
          } finally {
            // The owner removes it once inserted; this covers an insert that never reached it.
            await fs.promises.rm(file, { force: true }).catch(() => {});
          }
        }
      : notHere('a warehouse insert'),
    query: <T>(sql: string, params?: Record<string, unknown>) => call<T[]>('/query', { sql, params }),
    queryText: (sql, params) => call('/query-text', { sql, params }, (b) => b.toString('utf8')),
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
