import { Redis } from 'ioredis';

export interface Redises {
  /** staged uploads and claimed sync data: must never be evicted (noeviction) */
  staging: Redis;
  /** cache, rate limits, auth cache: bounded (allkeys-lru); losing it only costs speed */
  cache: Redis;
}

export function createRedis(url: string, name: string, opts: { autoPipelining?: boolean } = {}): Redis {
  const r = new Redis(url, {
    connectionName: name,
    // Many small commands from concurrent requests (auth, rate limit, cached reads) share one write per tick.
    enableAutoPipelining: opts.autoPipelining ?? false,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    lazyConnect: false,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  // Connection errors surface on the commands that need Redis; an unhandled 'error' event would crash.
  r.on('error', () => {});
  return r;
}

export function createRedises(stagingUrl: string, cacheUrl: string): Redises {
  const staging = createRedis(stagingUrl, 'findata-staging');
  const cache = cacheUrl === stagingUrl ? staging : createRedis(cacheUrl, 'findata-cache', { autoPipelining: true });
  return { staging, cache };
}

export async function closeRedises(r: Redises): Promise<void> {
  r.staging.disconnect();
  if (r.cache !== r.staging) r.cache.disconnect();
}
