/**
 * Cache-aside over the cache Redis. Every call degrades to the source of truth when Redis is down or slow:
 * a cache problem costs speed, never a failed request.
 */
import type { Redis } from 'ioredis';
import type { Logger } from './logger.ts';

export interface Cache {
  getOrLoad<T>(key: string, ttlSeconds: number, load: () => Promise<T>): Promise<T>;
  get<T>(key: string): Promise<T | null>;
  set(key: string, value: unknown, ttlSeconds: number): Promise<void>;
  /** Invalidation: retried in the background until it succeeds, so a cache outage cannot leave stale entries. */
  del(...keys: string[]): Promise<void>;
  /** Deletes every key matching a glob pattern (SCAN, never KEYS); retried like del. */
  delPattern(pattern: string): Promise<void>;
  /** Runs another Redis operation under the same timeout and circuit breaker; `fallback` when unavailable. */
  run<T>(op: (r: Redis) => Promise<T>, fallback: T): Promise<T>;
  readonly redis: Redis;
}

const TIMEOUT_MS = 250;
/** After a failure, skip the cache for this long: a hung Redis must not add a timeout to every request. */
const BREAKER_MS = 3000;
const RETRY_MS = 1000;

function withTimeout<T>(p: Promise<T>, ms = TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error('cache timeout')), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export function createCache(redis: Redis, log: Logger): Cache {
  let downUntil = 0;
  const available = () => redis.status === 'ready' && Date.now() >= downUntil;
  const trip = (op: string, key: string, err: unknown) => {
    if (Date.now() >= downUntil) log.warn('cache unavailable, using source of truth', { op, key, err: String(err) });
    downUntil = Date.now() + BREAKER_MS;
  };
  const guarded = async <T>(op: string, key: string, fn: () => Promise<T>, fallback: T): Promise<T> => {
    if (!available()) return fallback;
    try {
      return await withTimeout(fn());
    } catch (err) {
      trip(op, key, err);
      return fallback;
    }
  };

  // Invalidations that could not be applied: retried until the cache answers again.
  const pending = new Map<string, (ms: number) => Promise<void>>();
  let retryTimer: NodeJS.Timeout | null = null;
  const drain = async () => {
    for (const [id, apply] of [...pending]) {
      if (!available()) return;
      try {
        await apply(TIMEOUT_MS);
        pending.delete(id);
      } catch (err) {
        trip('retry', id, err);
        return;
      }
    }
  };
  const scheduleRetry = () => {
    if (retryTimer) return;
    retryTimer = setTimeout(async () => {
      retryTimer = null;
      await drain();
      if (pending.size) scheduleRetry();
    }, RETRY_MS);
    retryTimer.unref();
  };
  const invalidate = async (id: string, apply: (ms: number) => Promise<void>) => {
    pending.delete(id);
    // A client that is still connecting (a CLI that just started) gets the offline queue and a longer wait.
    const connecting = ['wait', 'connecting', 'connect', 'reconnecting'].includes(redis.status);
    if (Date.now() >= downUntil && (redis.status === 'ready' || connecting)) {
      try {
        await apply(connecting ? 2000 : TIMEOUT_MS);
        return;
      } catch (err) {
        trip('invalidate', id, err);
      }
    }
    pending.set(id, apply);
    scheduleRetry();
  };

  const cache: Cache = {
    redis,
    async get<T>(key: string) {
      // Never read while an invalidation is outstanding: the entry could be one it was meant to remove
      // (a revoked key's auth entry, a pre-sync count).
      if (pending.size) {
        await drain();
        if (pending.size) return null;
      }
      return guarded('get', key, async () => {
        const raw = await redis.get(key);
        return raw === null ? null : (JSON.parse(raw) as T);
      }, null as T | null);
    },
    set: (key, value, ttlSeconds) => guarded('set', key, async () => void (await redis.set(key, JSON.stringify(value), 'EX', ttlSeconds)), undefined),
    async getOrLoad<T>(key: string, ttlSeconds: number, load: () => Promise<T>) {
      const hit = await cache.get<T>(key);
      if (hit !== null) return hit;
      const value = await load();
      void cache.set(key, value, ttlSeconds);
      return value;
    },
    async del(...ks) {
      if (ks.length === 0) return;
      await invalidate(`k:${ks.join(',')}`, async (ms) => void (await withTimeout(redis.del(...ks), ms)));
    },
    async delPattern(pattern) {
      await invalidate(`p:${pattern}`, async (ms) => {
        let cursor = '0';
        do {
          const [next, found] = await withTimeout(redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500), ms);
          cursor = next;
          if (found.length) await withTimeout(redis.del(...found), ms);
        } while (cursor !== '0');
      });
    },
    run: (op, fallback) => guarded('run', '', () => op(redis), fallback),
  };
  return cache;
}
