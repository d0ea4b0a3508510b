import { ApplicationFailure } from '@temporalio/activity';
import type { Db } from '../lib/db.ts';
import type { Redises } from '../lib/redis.ts';
import type { Warehouse } from '../lib/warehouse.ts';
import type { Cache } from '../lib/cache.ts';
import type { Metrics } from '../lib/metrics.ts';
import type { Logger } from '../lib/logger.ts';

/** Everything activities touch, injected by the worker (and by tests) — activities never build their own. */
export interface ActivityDeps {
  db: Db;
  redis: Redises;
  warehouse: Warehouse;
  cache: Cache;
  metrics: Metrics;
  log: Logger;
  failedRowsTtlSeconds: number;
  stagingTtlSeconds: number;
  /** Rows per ClickHouse insert batch. */
  insertBatchRows?: number;
  /** Threads validating one file (1 = the whole file in order in one thread). */
  validateThreads?: number;
  /** Bytes per segment of parallel validation. */
  validateSegmentBytes?: number;
  /** Fault injection (tests only): pause at named points so a test can kill the worker there. */
  faultDelays?: Record<string, number>;
  /** Fault injection (tests only): fail at named points, a number of times (retried) or always (for good). */
  faultFailures?: Record<string, number | 'always'>;
}

export async function faultPoint(deps: ActivityDeps, point: string, heartbeat?: () => void, signal?: AbortSignal): Promise<void> {
  faultFailure(deps, point);
  const ms = deps.faultDelays?.[point];
  if (!ms || signal?.aborted) return; // an abort listener added after the abort would never fire
  heartbeat?.();
  // A pause that a cancellation of the activity ends early, as real work would notice it between batches.
  await new Promise<void>((r) => {
    const timer = setTimeout(r, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), r()), { once: true });
  });
}

export function faultFailure(deps: ActivityDeps, point: string): void {
  const f = deps.faultFailures?.[point];
  if (f === 'always') throw ApplicationFailure.nonRetryable(`injected failure at ${point}`, 'InjectedFault');
  if (typeof f === 'number' && f > 0) {
    deps.faultFailures![point] = f - 1;
    throw new Error(`injected transient failure at ${point}`);
  }
}
