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
  del(...keys: string[]): Promise<void>;
  /** Deletes every key matching a glob pattern (SCAN, never KEYS). */
  delPattern(pattern: string): Promise<void>;
  readonly redis: Redis;
}

const TIMEOUT_MS = 250;

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
  const warn = (op: string, key: string, err: unknown) => log.warn('cache unavailable, using source of truth', { op, key, err: String(err) });
  const cache: Cache = {
    redis,
    async get<T>(key: string) {
      if (redis.status !== 'ready') return null;
      try {
        const raw = await withTimeout(redis.get(key));
        return raw === null ? null : (JSON.parse(raw) as T);
      } catch (err) {
        warn('get', key, err);
        return null;
      }
    },
    async set(key, value, ttlSeconds) {
      if (redis.status !== 'ready') return;
      try {
        await withTimeout(redis.set(key, JSON.stringify(value), 'EX', ttlSeconds));
      } catch (err) {
        warn('set', key, err);
      }
    },
    async getOrLoad<T>(key: string, ttlSeconds: number, load: () => Promise<T>) {
      const hit = await cache.get<T>(key);
      if (hit !== null) return hit;
      const value = await load();
      void cache.set(key, value, ttlSeconds);
      return value;
    },
    async del(...ks) {
      if (ks.length === 0) return;
      try {
        // Invalidation must not be skipped while a fresh client is still connecting (offline queue).
        await withTimeout(redis.del(...ks), redis.status === 'ready' ? TIMEOUT_MS : 2000);
      } catch (err) {
        warn('del', ks.join(','), err);
      }
    },
    async delPattern(pattern) {
      if (redis.status !== 'ready') return;
      try {
        let cursor = '0';
        do {
          const [next, found] = await withTimeout(redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500));
          cursor = next;
          if (found.length) await withTimeout(redis.del(...found));
        } while (cursor !== '0');
      } catch (err) {
        warn('delPattern', pattern, err);
      }
    },
  };
  return cache;
}
