/**
 * Assembles a findata process from its Config: PostgreSQL (migrated), Redis, the warehouse, Temporal client and
 * worker, and the HTTP server — each only where the role needs it. Embedded mode (no CLICKHOUSE_URL): only one
 * process can open the chdb data folder, so the `all` or `worker` process owns it and serves reads to `api`
 * processes of the same DATA_DIR over a Unix socket (lib/warehouse-owner.ts).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createServer, type Server } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { DefaultLogger, Runtime, type Worker } from '@temporalio/worker';
import pg from 'pg';
import type { Config } from '../lib/config.ts';
import { createDb, type Db } from '../lib/db.ts';
import { migrateAllTenants, migratePublic } from '../lib/migrations.ts';
import { createRedises, closeRedises, type Redises } from '../lib/redis.ts';
import { createCache, type Cache } from '../lib/cache.ts';
import { ownerSocket, ownerWarehouse, serveWarehouse } from '../lib/warehouse-owner.ts';
import { openWarehouse, type Warehouse } from '../lib/warehouse.ts';
import { createMetrics, type Metrics } from '../lib/metrics.ts';
import cluster from 'node:cluster';
import { joinApiCluster } from './api-cluster.ts';
import { createLogger, type Logger } from '../lib/logger.ts';
import { connectTemporal, createSyncControl, type SyncControl } from '../lib/temporal.ts';
import { createTenantService, type TenantService } from '../lib/tenants.ts';
import { createApp } from '../api/app.ts';
import { onClientError, onRequestError } from '../api/transport-errors.ts';
import { invalidateAuth } from '../api/middleware/auth.ts';
import type { ApiServices } from '../api/services.ts';
import { createSyncWorker, type WorkerSettings } from './worker.ts';

export const TENANT_CHANNEL = 'findata_tenants';
/** Names the process that owns the embedded warehouse of a data folder (read by the tenant CLI). */
export const ownerFile = (dataDir: string) => path.join(dataDir, 'run', 'warehouse.owner');

/** Names this process as the owner of DATA_DIR's embedded warehouse; the returned function takes it back. */
export function markOwner(dataDir: string): () => void {
  fs.mkdirSync(path.dirname(ownerFile(dataDir)), { recursive: true });
  fs.writeFileSync(ownerFile(dataDir), String(process.pid));
  return () => fs.rmSync(ownerFile(dataDir), { force: true });
}

export interface Platform {
  config: Config;
  log: Logger;
  db: Db;
  redis: Redises;
  cache: Cache;
  metrics: Metrics;
  warehouse: Warehouse;
  sync: SyncControl | null;
  tenants: TenantService;
  services: ApiServices | null;
  worker: Worker | null;
  http: Server | null;
  url: string | null;
  close(): Promise<void>;
}

export interface PlatformOptions {
  log?: Logger;
  workflowBundle?: WorkerSettings['workflowBundle'];
  /** Start the HTTP server (roles all/api). Default true. */
  http?: boolean;
  /** Start the Temporal worker (roles all/worker). Default true. */
  worker?: boolean;
  /** Install Temporal's Prometheus exporter (once per process). */
  temporalMetrics?: boolean;
}

let runtimeInstalled = false;
/** Once per process, before any worker: SDK log level and (in workers) Temporal's Prometheus exporter. */
function installTemporalRuntime(config: Config, metrics: boolean): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  // The SDK's INFO level prints the whole webpack module list at every start: keep it for LOG_LEVEL=debug.
  const level = ({ debug: 'DEBUG', info: 'WARN', warn: 'WARN', error: 'ERROR' } as const)[config.logLevel];
  Runtime.install({
    logger: new DefaultLogger(level),
    ...(metrics
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: `${config.host === '127.0.0.1' ? '127.0.0.1' : '0.0.0.0'}:${config.temporalMetricsPort}` } } } }
      : {}),
  });
}

/** Local defaults for secrets, kept in the data folder; production passes them in the environment. */
export function localSecret(dataDir: string, name: string, given: string | null): Buffer {
  if (given) return Buffer.from(given);
  const file = path.join(dataDir, 'secrets.json');
  fs.mkdirSync(dataDir, { recursive: true });
  const all = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>) : {};
  if (!all[name]) {
    all[name] = crypto.randomBytes(32).toString('hex');
    fs.writeFileSync(file, JSON.stringify(all, null, 2), { mode: 0o600 });
  }
  return Buffer.from(all[name]);
}

/** A sync's requests to a separate warehouse process: as long as a ClickHouse server's (lib/warehouse.ts). */
const SYNC_REQUEST_TIMEOUT_MS = 600_000;
const OWNER_WAIT_MS = 60_000;

/** A worker of the separate layout starts once the warehouse process answers, so its first activities do not fail. */
async function waitForOwner(warehouse: Warehouse, dataDir: string, log: Logger): Promise<void> {
  const deadline = Date.now() + OWNER_WAIT_MS;
  for (let said = false; ; said = true) {
    try {
      await warehouse.query('SELECT 1');
      return;
    } catch (err) {
      if (Date.now() > deadline) {
        throw new Error(`EMBEDDED_WAREHOUSE=separate: no FINDATA_ROLE=warehouse process answers for DATA_DIR ${dataDir} (${String(err)})`);
      }
      if (!said) log.info('waiting for the warehouse process', { socket: ownerSocket(dataDir) });
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

export async function startPlatform(config: Config, opts: PlatformOptions = {}): Promise<Platform> {
  const log = opts.log ?? createLogger(config.logLevel, { role: config.role });
  const wantHttp = (opts.http ?? true) && config.role !== 'worker';
  const wantWorker = (opts.worker ?? true) && config.role !== 'api';
  if (config.role === 'warehouse') throw new Error('FINDATA_ROLE=warehouse runs server/warehouse-process.ts, not a platform');
  // Embedded: the api role reads through the process that opened the data folder (lib/warehouse-owner.ts), and so
  // does a worker when a separate warehouse process owns it.
  const ownsEmbedded = config.clickhouse.url === null && config.role !== 'api' && !config.separateWarehouse;
  const owner = wantWorker || ownsEmbedded;

  installTemporalRuntime(config, Boolean(opts.temporalMetrics && wantWorker));

  const db = createDb(config.databaseUrl, config.pgPoolMax);
  await migratePublic(db);
  await migrateAllTenants(db);
  const redis = createRedises(config.redisUrl, config.redisCacheUrl);
  // In-process copies serve API reads; a worker-only process reads nothing hot.
  const cache = createCache(redis.cache, log, config.nearCacheTtlMs > 0 && wantHttp ? { near: { ttlMs: config.nearCacheTtlMs } } : {});
  const metrics = createMetrics();
  if (cluster.isWorker && wantHttp) metrics.setRender(joinApiCluster(metrics.registry));
  const warehouse =
    config.clickhouse.url === null && !ownsEmbedded
      ? ownerWarehouse(ownerSocket(config.dataDir), wantWorker ? { writes: true, timeoutMs: SYNC_REQUEST_TIMEOUT_MS } : {})
      : await openWarehouse(config.clickhouse).catch((err: Error) => {
          // The usual cause: a warehouse process owns DATA_DIR and this worker was not told to use it.
          if (/lock/i.test(err.message) && fs.existsSync(ownerFile(config.dataDir))) {
            throw new Error(`${err.message} (another process owns the embedded warehouse of ${config.dataDir}; with a FINDATA_ROLE=warehouse process, start workers with EMBEDDED_WAREHOUSE=separate)`);
          }
          throw err;
        });
  if (config.separateWarehouse && wantWorker) await waitForOwner(warehouse, config.dataDir, log);
  let warehouseServer: { close(): Promise<void> } | null = null;
  let unmarkOwner = () => {};
  if (ownsEmbedded) {
    unmarkOwner = markOwner(config.dataDir);
    // Only needed by api-role processes next to this one: a failure (e.g. a data folder path too long for a Unix
    // socket) must not stop this process.
    warehouseServer = await serveWarehouse(warehouse, ownerSocket(config.dataDir), log.child({ component: 'warehouse-owner' })).catch((err) => {
      log.warn('warehouse socket for api-role processes not available', { err: String(err) });
      return null;
    });
  }

  const temporalClient = await connectTemporal(config.temporal);
  const sync = createSyncControl(temporalClient, config.temporal);
  const scheduleEvery = async (tenantId: string): Promise<number> => {
    const { rows } = await db.query<{ every: number | null }>(`SELECT min(interval_seconds) AS every FROM "${tenantId}".sync_configs WHERE enabled`);
    return rows[0]?.every ?? config.syncIntervalSeconds;
  };
  const tenants = createTenantService(db, {
    ensureWarehouse: (id) => warehouse.ensureTenant(id),
    ensureSchedule: async (id, active) => sync.ensureSchedule(id, active, await scheduleEvery(id)),
    invalidateAuth: (id, prefix) => invalidateAuth({ cache }, id, prefix),
  });

  // Reconcile in the background: every tenant has its warehouse database and a schedule in the right state.
  // Nothing waits for it: syncs and reads ensure their tenant's warehouse on first use anyway.
  const queue: Awaited<ReturnType<typeof tenants.list>> = [];
  const reconciled = (async () => {
    queue.push(...(await tenants.list()));
    const one = async () => {
      for (let t = queue.shift(); t; t = queue.shift()) {
        try {
          if (owner) await warehouse.ensureTenant(t.id);
          await sync.ensureSchedule(t.id, t.active, await scheduleEvery(t.id));
        } catch (err) {
          log.error('tenant reconciliation failed', { tenantId: t.id, err: String(err) });
        }
      }
    };
    await Promise.all([one(), one(), one(), one()]);
  })();

  // The tenant CLI cannot open the embedded warehouse while we own it: it notifies us instead.
  let listener: pg.Client | null = null;
  if (owner) {
    listener = new pg.Client({ connectionString: config.databaseUrl });
    listener.on('error', (err) => log.warn('tenant listener error', { err: String(err) }));
    await listener.connect();
    listener.on('notification', (n) => {
      if (n.channel !== TENANT_CHANNEL || !n.payload) return;
      warehouse.ensureTenant(n.payload).then(
        () => log.info('tenant warehouse provisioned', { tenantId: n.payload }),
        (err) => log.error('tenant warehouse provisioning failed', { tenantId: n.payload, err: String(err) }),
      );
    });
    await listener.query(`LISTEN ${TENANT_CHANNEL}`);
  }

  let worker: Worker | null = null;
  let workerRun: Promise<void> | null = null;
  if (wantWorker) {
    worker = await createSyncWorker(
      {
        address: config.temporal.address,
        namespace: config.temporal.namespace,
        taskQueue: config.temporal.taskQueue,
        workflowBundle: opts.workflowBundle,
        bundleDir: path.join(config.dataDir, 'run'),
      },
      { db, redis, warehouse, cache, metrics, log: log.child({ component: 'worker' }), failedRowsTtlSeconds: config.failedRowsTtlSeconds, stagingTtlSeconds: config.stagingTtlSeconds, validateThreads: config.validateThreads, validateSegmentBytes: config.validateSegmentBytes, faultDelays: config.faultDelays, faultFailures: config.faultFailures },
    );
    workerRun = worker.run().catch((err) => log.error('worker stopped', { err }));
  }

  let services: ApiServices | null = null;
  let http: Server | null = null;
  let url: string | null = null;
  if (wantHttp) {
    const webDist = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../web/dist');
    services = {
      config,
      db,
      redis,
      cache,
      warehouse,
      sync,
      tenants,
      metrics,
      log,
      authSecret: localSecret(config.dataDir, 'AUTH_CACHE_SECRET', config.authCacheSecret),
      sessionSecret: localSecret(config.dataDir, 'SESSION_SECRET', config.sessionSecret),
      webDist: fs.existsSync(webDist) ? webDist : null,
    };
    const app = createApp(services);
    // @hono/node-server's listener with our envelope for requests it cannot read, and for those Node's parser refuses.
    const server = createServer(getRequestListener(app.fetch, { hostname: config.host, errorHandler: onRequestError }));
    server.on('clientError', onClientError);
    http = await new Promise<Server>((resolve, reject) => {
      server.once('error', reject); // e.g. the port is taken: startup fails with the cause
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve(server);
      });
    });
    // Large uploads may take minutes; the default 5-minute request timeout would cut them.
    http.requestTimeout = 0;
    const addr = http.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.port;
    url = `http://${config.host}:${port}`;
  }

  return {
    config,
    log,
    db,
    redis,
    cache,
    metrics,
    warehouse,
    sync,
    tenants,
    services,
    worker,
    http,
    url,
    async close() {
      queue.length = 0; // stop reconciling; the next start finishes it
      await reconciled.catch(() => {});
      if (http) await new Promise<void>((r) => http!.close(() => r()));
      if (worker) {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await workerRun;
      }
      await listener?.end().catch(() => {});
      await temporalClient.connection.close().catch(() => {});
      await warehouseServer?.close().catch(() => {});
      await warehouse.close().catch(() => {});
      unmarkOwner();
      cache.close();
      await closeRedises(redis);
      await db.end().catch(() => {});
    },
  };
}
