/**
 * Cache-aside over the cache Redis. Every call degrades to the source of truth when Redis is down or slow:
 * a cache problem costs speed, never a failed request.
 *
 * With `near`, a process also keeps what it read in memory for a moment (hot API reads and auth entries then
 * cost no Redis round trip). Every invalidation is published on a Redis channel and drops the matching copies
 * in every process; a copy read before an invalidation but answered after it is not kept (epoch check), and
 * while the subscription is down nothing is served from memory.
 */
import type { Redis } from 'ioredis';
import type { Logger } from './logger.ts';

export interface Cache {
  getOrLoad<T>(key: string, ttlSeconds: number, load: () => Promise<T>): Promise<T>;
  get<T>(key: string): Promise<T | null>;
  /** The in-process copy of a key, synchronously (undefined: none, or an invalidation is outstanding). */
  peek<T>(key: string): T | undefined;
  set(key: string, value: unknown, ttlSeconds: number): Promise<void>;
  /** Invalidation: retried in the background until it succeeds, so a cache outage cannot leave stale entries. */
  del(...keys: string[]): Promise<void>;
  /** Deletes every key matching a glob pattern (SCAN, never KEYS); retried like del. */
  delPattern(pattern: string): Promise<void>;
  /** Runs another Redis operation under the same timeout and circuit breaker; `fallback` when unavailable. */
  run<T>(op: (r: Redis) => Promise<T>, fallback: T): Promise<T>;
  readonly redis: Redis;
  /** Stops the invalidation subscriber (near cache only). */
  close(): void;
}

export interface CacheOptions {
  /** In-process copies: at most `ttlMs` old (default 2 s), at most about `maxBytes` in total (default 64 MiB; an entry counts 3× its JSON). */
  near?: { ttlMs?: number; maxBytes?: number };
}

/** Pub/sub channels are server-wide, databases are not: one channel per database of the cache Redis. */
export const invalidationChannel = (redis: Redis) => `findata:cache:invalidate:${redis.options.db ?? 0}`;

type Invalidation = { k: string[] } | { p: string };

/** Redis glob (only `*`, `?` and literal characters are used by findata's patterns) as a RegExp. */
export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

interface NearEntry {
  value: unknown;
  expires: number;
  bytes: number;
}

/** The in-process layer: values are shared between callers, so they must be treated as read-only. */
function createNear(redis: Redis, log: Logger, opts: NonNullable<CacheOptions['near']>) {
  const ttlMs = opts.ttlMs ?? 2000;
  const maxBytes = opts.maxBytes ?? 64 * 2 ** 20;
  const entries = new Map<string, NearEntry>();
  let bytes = 0;
  let live = false;
  // Bumped by every invalidation: a Redis read that started before one must not be kept.
  let epoch = 0;
  const drop = (key: string) => {
    const e = entries.get(key);
    if (e) {
      bytes -= e.bytes;
      entries.delete(key);
    }
  };
  const clear = () => {
    entries.clear();
    bytes = 0;
    epoch++;
  };
  const apply = (msg: Invalidation) => {
    epoch++;
    if ('k' in msg) for (const k of msg.k) drop(k);
    else {
      const re = globToRegExp(msg.p);
      for (const k of [...entries.keys()]) if (re.test(k)) drop(k);
    }
  };
  const channel = invalidationChannel(redis);
  // TCP keep-alive: a subscriber whose connection died silently must notice (and drop the copies).
  const sub = redis.duplicate({ connectionName: 'findata-cache-invalidation', enableAutoPipelining: false, keepAlive: 10_000 });
  sub.on('error', () => {});
  const down = () => {
    live = false;
    clear();
  };
  sub.on('close', down);
  sub.on('reconnecting', down);
  sub.on('end', down);
  sub.on('ready', () => {
    sub.subscribe(channel).then(
      () => {
        clear();
        live = true;
      },
      (err) => log.warn('cache invalidation subscription failed; reads skip the in-process cache', { err: String(err) }),
    );
  });
  sub.on('message', (from, raw) => {
    if (from !== channel) return;
    try {
      apply(JSON.parse(raw) as Invalidation);
    } catch {
      clear();
    }
  });
  return {
    get(key: string): unknown {
      if (!live) return undefined;
      const e = entries.get(key);
      if (!e) return undefined;
      if (e.expires <= Date.now()) {
        drop(key);
        return undefined;
      }
      return e.value;
    },
    epoch: () => epoch,
    /** Keeps a value read from Redis, unless an invalidation arrived since the read started. */
    keep(key: string, value: unknown, rawLength: number, readEpoch: number) {
      if (!live || readEpoch !== epoch || rawLength > maxBytes / 16) return;
      drop(key);
      // The parsed value (and a body serialized from it) takes a few times its JSON text.
      const size = rawLength * 3;
      entries.set(key, { value, expires: Date.now() + ttlMs, bytes: size });
      bytes += size;
      // Oldest first (Map order is insertion order).
      for (const k of entries.keys()) {
        if (bytes <= maxBytes) break;
        drop(k);
      }
    },
    invalidate: apply,
    /** A write: drop the copy, and keep no read that was in flight. */
    written(key: string) {
      epoch++;
      drop(key);
    },
    close: () => sub.disconnect(),
  };
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

export function createCache(redis: Redis, log: Logger, options: CacheOptions = {}): Cache {
  const near = options.near ? createNear(redis, log, options.near) : null;
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
  // `apply` deletes the Redis entries and then publishes the message, on which other processes drop their copies.
  const invalidate = async (id: string, msg: Invalidation, apply: (ms: number) => Promise<void>) => {
    near?.invalidate(msg);
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
    peek<T>(key: string) {
      return near && !pending.size ? (near.get(key) as T | undefined) : undefined;
    },
    async get<T>(key: string) {
      // Never read while an invalidation is outstanding: the entry could be one it was meant to remove
      // (a revoked key's auth entry, a pre-sync count).
      if (pending.size) {
        await drain();
        if (pending.size) return null;
      }
      const local = cache.peek<T>(key);
      if (local !== undefined) return local;
      const readEpoch = near?.epoch() ?? 0;
      return guarded('get', key, async () => {
        const raw = await redis.get(key);
        if (raw === null) return null;
        const value = JSON.parse(raw) as T;
        near?.keep(key, value, raw.length, readEpoch);
        return value;
      }, null as T | null);
    },
    set: (key, value, ttlSeconds) => {
      near?.written(key);
      return guarded('set', key, async () => void (await redis.set(key, JSON.stringify(value), 'EX', ttlSeconds)), undefined);
    },
    async getOrLoad<T>(key: string, ttlSeconds: number, load: () => Promise<T>) {
      const local = cache.peek<T>(key);
      if (local !== undefined) return local;
      const hit = await cache.get<T>(key);
      if (hit !== null) return hit;
      const value = await load();
      void cache.set(key, value, ttlSeconds);
      return value;
    },
    async del(...ks) {
      if (ks.length === 0) return;
      const msg = { k: ks };
      // One MULTI: the entries can never be gone without the message going out.
      await invalidate(`k:${ks.join(',')}`, msg, async (ms) => {
        const res = await withTimeout(redis.multi().del(...ks).publish(invalidationChannel(redis), JSON.stringify(msg)).exec(), ms);
        const failed = res?.find(([err]) => err);
        if (!res || failed) throw failed?.[0] ?? new Error('cache invalidation not applied');
      });
    },
    async delPattern(pattern) {
      await invalidate(`p:${pattern}`, { p: pattern }, async (ms) => {
        let cursor = '0';
        do {
          const [next, found] = await withTimeout(redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500), ms);
          cursor = next;
          if (found.length) await withTimeout(redis.del(...found), ms);
        } while (cursor !== '0');
        await withTimeout(redis.publish(invalidationChannel(redis), JSON.stringify({ p: pattern })), ms);
      });
    },
    run: (op, fallback) => guarded('run', '', () => op(redis), fallback),
    close: () => near?.close(),
  };
  return cache;
}
