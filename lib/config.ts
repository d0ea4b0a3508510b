/**
 * Configuration: parsed once at startup from the environment (valibot). Nothing else reads process.env;
 * modules receive the parsed Config (or parts of it) as arguments, so tests never import this module's env.
 */
import * as v from 'valibot';
import os from 'node:os';
import path from 'node:path';

const bool = v.pipe(
  v.picklist(['true', 'false', '1', '0', 'yes', 'no']),
  v.transform((s) => s === 'true' || s === '1' || s === 'yes'),
);
const int = (min: number, max: number) =>
  v.pipe(v.string(), v.regex(/^[0-9]+$/, 'must be a whole number'), v.transform(Number), v.minValue(min), v.maxValue(max));
const url = (schemes: string[]) =>
  v.pipe(
    v.string(),
    v.url('must be a URL'),
    v.check((s) => schemes.some((p) => s.startsWith(p)), `must start with ${schemes.join(' or ')}`),
  );
const secret = v.pipe(v.string(), v.minLength(32, 'must be at least 32 characters'));

export const EnvSchema = v.object({
  FINDATA_ROLE: v.optional(v.picklist(['all', 'api', 'worker', 'warehouse']), 'all'),
  /**
   * Embedded warehouse only: `in-process` (the all/worker process opens the engine) or `separate` (a
   * FINDATA_ROLE=warehouse process of the same DATA_DIR owns it; the worker reads and writes through it).
   */
  EMBEDDED_WAREHOUSE: v.optional(v.picklist(['in-process', 'separate']), 'in-process'),
  /** FINDATA_ROLE=api only: HTTP processes sharing PORT (node:cluster), metrics aggregated across them. */
  API_PROCESSES: v.optional(int(1, 64), '1'),
  PORT: v.optional(int(0, 65535), '8000'),
  HOST: v.optional(v.pipe(v.string(), v.minLength(1)), '127.0.0.1'),
  DATA_DIR: v.optional(v.pipe(v.string(), v.minLength(1)), '.data'),
  DATABASE_URL: url(['postgres://', 'postgresql://']),
  PG_POOL_MAX: v.optional(int(1, 500), '10'),
  REDIS_URL: url(['redis://', 'rediss://']),
  REDIS_CACHE_URL: v.optional(url(['redis://', 'rediss://'])),
  TEMPORAL_ADDRESS: v.optional(v.pipe(v.string(), v.regex(/^[^\s:]+:[0-9]+$/, 'must be host:port')), '127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: v.optional(v.pipe(v.string(), v.minLength(1)), 'default'),
  TEMPORAL_TASK_QUEUE: v.optional(v.pipe(v.string(), v.minLength(1)), 'findata-sync'),
  TEMPORAL_UI_URL: v.optional(url(['http://', 'https://']), 'http://127.0.0.1:8233'),
  CLICKHOUSE_URL: v.optional(url(['http://', 'https://'])),
  CLICKHOUSE_USER: v.optional(v.string(), 'default'),
  CLICKHOUSE_PASSWORD: v.optional(v.string(), ''),
  UPLOAD_MAX_BYTES: v.optional(int(1, Number.MAX_SAFE_INTEGER), '2147483648'),
  AUTH_CACHE_SECRET: v.optional(secret),
  SESSION_SECRET: v.optional(secret),
  /** Bearer token that GET /metrics on the API port requires; unset: open (keep the port private). */
  METRICS_TOKEN: v.optional(secret),
  RATE_LIMIT_PER_MINUTE: v.optional(int(1, 1_000_000), '600'),
  /** Reverse proxies in front of the API whose X-Forwarded-For / -Proto are trusted (0: none, the socket's peer is the client). */
  TRUST_PROXY: v.optional(int(0, 10), '0'),
  /** How long an API process may serve a cache entry from memory (0: always ask Redis); invalidations drop it at once. */
  NEAR_CACHE_TTL_MS: v.optional(int(0, 60_000), '2000'),
  LOG_LEVEL: v.optional(v.picklist(['debug', 'info', 'warn', 'error']), 'info'),
  WORKER_METRICS_PORT: v.optional(int(0, 65535), '9465'),
  /** FINDATA_ROLE=warehouse: its health check and process metrics. */
  WAREHOUSE_METRICS_PORT: v.optional(int(0, 65535), '9466'),
  TEMPORAL_METRICS_PORT: v.optional(int(0, 65535), '9464'),
  DEMO_TENANTS: v.optional(bool, 'true'),
  SYNC_INTERVAL_SECONDS: v.optional(int(5, 86_400), '60'),
  FAILED_ROWS_TTL_HOURS: v.optional(int(1, 24 * 30), '72'),
  STAGING_TTL_HOURS: v.optional(int(1, 24 * 30), '24'),
  /** Threads that parse and validate one file; default: the cores minus one, 1 to 4 (the engine and the activity need CPU too). */
  VALIDATE_THREADS: v.optional(int(1, 64)),
  /** Bytes of a file per parallel validation segment, in KiB. */
  VALIDATE_SEGMENT_KB: v.optional(int(16, 1 << 20), '2048'),
  /** Fault injection for reliability tests only: "validate.afterFirstChunk=3000,commit.between=3000" (ms). */
  FAULT_DELAYS: v.optional(v.pipe(v.string(), v.regex(/^([a-zA-Z.]+=[0-9]+)(,[a-zA-Z.]+=[0-9]+)*$/, 'must be point=ms[,point=ms]'))),
  /** Fault injection for reliability tests only: "commit.between=2" fails twice (retried), "=always" for good. */
  FAULT_FAILURES: v.optional(v.pipe(v.string(), v.regex(/^([a-zA-Z.]+=([0-9]+|always))(,[a-zA-Z.]+=([0-9]+|always))*$/, 'must be point=count|always[,…]'))),
});

export type Env = v.InferOutput<typeof EnvSchema>;

export interface Config {
  role: 'all' | 'api' | 'worker' | 'warehouse';
  /** Embedded warehouse: does a separate FINDATA_ROLE=warehouse process own the engine? */
  separateWarehouse: boolean;
  apiProcesses: number;
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string;
  pgPoolMax: number;
  redisUrl: string;
  redisCacheUrl: string;
  temporal: { address: string; namespace: string; taskQueue: string; uiUrl: string };
  /** null = embedded chdb on disk under dataDir/clickhouse */
  clickhouse: { url: string | null; user: string; password: string; path: string };
  uploadMaxBytes: number;
  authCacheSecret: string | null;
  /** GET /metrics on the API port requires `Authorization: Bearer <token>` when set. */
  metricsToken: string | null;
  sessionSecret: string | null;
  rateLimitPerMinute: number;
  /** TRUST_PROXY: how many reverse proxies in front of the API add X-Forwarded-For / X-Forwarded-Proto. */
  trustProxyHops: number;
  nearCacheTtlMs: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  workerMetricsPort: number;
  warehouseMetricsPort: number;
  temporalMetricsPort: number;
  demoTenants: boolean;
  syncIntervalSeconds: number;
  failedRowsTtlSeconds: number;
  stagingTtlSeconds: number;
  validateThreads: number;
  validateSegmentBytes: number;
  faultDelays: Record<string, number>;
  faultFailures: Record<string, number | 'always'>;
}

export class ConfigError extends Error {}

/** Parses the environment; throws ConfigError with one line naming the first bad variable. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const input: Record<string, string> = {};
  for (const key of Object.keys(EnvSchema.entries)) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const result = v.safeParse(EnvSchema, input);
  if (!result.success) {
    const issue = result.issues[0];
    const name = v.getDotPath(issue) ?? '?';
    const got = input[name];
    const reason = got === undefined ? 'is required but not set' : `${issue.message} (got ${JSON.stringify(redact(name, got))})`;
    throw new ConfigError(`config: ${name} ${reason}`);
  }
  const e = result.output;
  if (e.API_PROCESSES > 1 && e.FINDATA_ROLE !== 'api') {
    // The all and worker roles run the Temporal worker (and may own the embedded warehouse): one per host.
    throw new ConfigError(`config: API_PROCESSES ${e.API_PROCESSES} needs FINDATA_ROLE=api (got ${e.FINDATA_ROLE})`);
  }
  if (e.FINDATA_ROLE === 'warehouse' && e.CLICKHOUSE_URL) {
    // A ClickHouse server is the warehouse process of that layout: nothing here would open an engine.
    throw new ConfigError('config: FINDATA_ROLE warehouse runs the embedded engine; with CLICKHOUSE_URL set the ClickHouse server is the warehouse');
  }
  const dataDir = path.resolve(e.DATA_DIR);
  return {
    role: e.FINDATA_ROLE,
    separateWarehouse: e.EMBEDDED_WAREHOUSE === 'separate' && !e.CLICKHOUSE_URL,
    apiProcesses: e.API_PROCESSES,
    port: e.PORT,
    host: e.HOST,
    dataDir,
    databaseUrl: e.DATABASE_URL,
    pgPoolMax: e.PG_POOL_MAX,
    redisUrl: e.REDIS_URL,
    redisCacheUrl: e.REDIS_CACHE_URL ?? e.REDIS_URL,
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      uiUrl: e.TEMPORAL_UI_URL.replace(/\/+$/, ''),
    },
    clickhouse: {
      url: e.CLICKHOUSE_URL ?? null,
      user: e.CLICKHOUSE_USER,
      password: e.CLICKHOUSE_PASSWORD,
      path: path.join(dataDir, 'clickhouse'),
    },
    uploadMaxBytes: e.UPLOAD_MAX_BYTES,
    authCacheSecret: e.AUTH_CACHE_SECRET ?? null,
    sessionSecret: e.SESSION_SECRET ?? null,
    metricsToken: e.METRICS_TOKEN ?? null,
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    trustProxyHops: e.TRUST_PROXY,
    nearCacheTtlMs: e.NEAR_CACHE_TTL_MS,
    logLevel: e.LOG_LEVEL,
    workerMetricsPort: e.WORKER_METRICS_PORT,
    warehouseMetricsPort: e.WAREHOUSE_METRICS_PORT,
    temporalMetricsPort: e.TEMPORAL_METRICS_PORT,
    demoTenants: e.DEMO_TENANTS,
    syncIntervalSeconds: e.SYNC_INTERVAL_SECONDS,
    failedRowsTtlSeconds: e.FAILED_ROWS_TTL_HOURS * 3600,
    stagingTtlSeconds: e.STAGING_TTL_HOURS * 3600,
    // One core is left to the activity's own thread and the engine (the embedded one, or a server on the same host):
    // on 2 cores two validation threads made the sync slower than one (docs/BENCHMARKS.md, round 6).
    validateThreads: e.VALIDATE_THREADS ?? Math.max(1, Math.min(4, os.availableParallelism() - 1)),
    validateSegmentBytes: e.VALIDATE_SEGMENT_KB * 1024,
    faultFailures: Object.fromEntries(
      (e.FAULT_FAILURES ?? '').split(',').filter(Boolean).map((kv) => {
        const [k, n] = kv.split('=');
        return [k, n === 'always' ? ('always' as const) : Number(n)];
      }),
    ),
    faultDelays: Object.fromEntries((e.FAULT_DELAYS ?? '').split(',').filter(Boolean).map((kv) => [kv.split('=')[0], Number(kv.split('=')[1])])),
  };
}

function redact(name: string, value: string): string {
  if (/SECRET|PASSWORD|TOKEN/.test(name)) return '***';
  return value.replace(/\/\/([^:@/]+):([^@/]+)@/, '//$1:***@');
}
