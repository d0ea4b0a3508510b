/**
 * The in-process layer of the cache (lib/cache.ts `near`) and the rate limiter's leases, against the real cache
 * Redis: copies are served from memory, every invalidation made by any process drops them at once, a read that
 * Redis answers after an invalidation is not kept, nothing is served from memory while the invalidation
 * subscription is down, and leases never let more than the limit through.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { TEST_DATA_DIR } from '../helpers/platform.ts'; // selects this file's own cache database
import { createCache, type Cache } from '../../lib/cache.ts';
import { createRedis } from '../../lib/redis.ts';
import { silentLogger } from '../../lib/logger.ts';
import { keys } from '../../lib/keys.ts';
import { checkRateLimit, leaseSize } from '../../api/middleware/rate-limit.ts';
import { AppError } from '../../lib/errors.ts';

void TEST_DATA_DIR;
const url = process.env.REDIS_CACHE_URL ?? process.env.REDIS_URL!;
const opened: Redis[] = [];
const caches: Cache[] = [];
let direct: Redis;

/** A cache as another process would have it: its own connections. */
function processCache(ttlMs = 60_000): Cache {
  const r = createRedis(url, 'near-test', { autoPipelining: true });
  opened.push(r);
  const c = createCache(r, silentLogger, { near: { ttlMs } });
  caches.push(c);
  return c;
}

async function until(what: string, check: () => Promise<boolean>, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Waits until the cache serves copies (a fresh cache subscribes to invalidations asynchronously). */
async function live(c: Cache, key: string): Promise<void> {
  let n = 0;
  await until('in-process copies served', async () => {
    const k = `${key}:${n++}`;
    await direct.set(k, JSON.stringify('a'));
    await c.get(k);
    await direct.set(k, JSON.stringify('b'));
    return (await c.get(k)) === 'a';
  });
}

before(async () => {
  direct = new Redis(url);
  opened.push(direct);
});
after(async () => {
  for (const c of caches) c.close();
  for (const r of opened) r.disconnect();
});

describe('in-process cache copies', () => {
  test('a copy is served from memory: a change made behind the cache’s back is not seen until invalidated', async () => {
    const a = processCache();
    await live(a, 'near:probe:1');
    await direct.set('near:k1', JSON.stringify({ v: 1 }));
    assert.deepEqual(await a.get('near:k1'), { v: 1 });
    await direct.set('near:k1', JSON.stringify({ v: 2 }));
    assert.deepEqual(await a.get('near:k1'), { v: 1 }, 'served from memory');
    await a.del('near:k1');
    assert.equal(await a.get('near:k1'), null, 'its own invalidation drops the copy at once');
  });

  test('del and delPattern in one process drop the copies of every other process', async () => {
    const a = processCache();
    const b = processCache();
    await Promise.all([live(a, 'near:probe:a'), live(b, 'near:probe:b')]);
    await direct.set('near:t1:logs:1', JSON.stringify('old-1'));
    await direct.set('near:t1:logs:2', JSON.stringify('old-2'));
    await direct.set('near:t2:logs:1', JSON.stringify('other'));
    for (const k of ['near:t1:logs:1', 'near:t1:logs:2', 'near:t2:logs:1']) await b.get(k);

    await direct.set('near:t1:logs:1', JSON.stringify('new-1'));
    await a.del('near:t1:logs:1');
    await until('b sees the del of a', async () => (await b.get('near:t1:logs:1')) === null);

    await direct.set('near:t1:logs:2', JSON.stringify('new-2'));
    await direct.set('near:t2:logs:1', JSON.stringify('other-new'));
    await a.delPattern('near:t1:logs:*');
    await until('b sees the delPattern of a', async () => (await b.get('near:t1:logs:2')) === null);
    assert.equal(await b.get('near:t2:logs:1'), 'other', 'keys outside the pattern keep their copy');
  });

  test('a read that Redis answers after an invalidation is not kept (no stale copy for the TTL)', async () => {
    const a = processCache();
    await live(a, 'near:probe:race');
    await direct.set('near:race', JSON.stringify('before'));
    // The GET is sent, then an invalidation happens before its answer is processed.
    const reading = a.get('near:race');
    void a.del('near:unrelated');
    assert.equal(await reading, 'before');
    await direct.set('near:race', JSON.stringify('after'));
    assert.equal(await a.get('near:race'), 'after', 'the answer that raced the invalidation was not kept');
  });

  test('copies expire after the TTL even without an invalidation', async () => {
    const a = processCache(1000);
    await live(a, 'near:probe:ttl');
    await direct.set('near:ttl', JSON.stringify(1));
    assert.equal(await a.get('near:ttl'), 1);
    await direct.set('near:ttl', JSON.stringify(2));
    assert.equal(await a.get('near:ttl'), 1);
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal(await a.get('near:ttl'), 2);
  });

  test('when the invalidation subscription breaks, the copies made before are dropped (invalidations may have been missed)', async () => {
    const a = processCache();
    await live(a, 'near:probe:sub');
    await direct.set('near:sub', JSON.stringify('copy'));
    assert.equal(await a.get('near:sub'), 'copy');
    await direct.set('near:sub', JSON.stringify('fresh'));
    assert.equal(await a.get('near:sub'), 'copy');
    // Kill the subscriber connection: invalidations could be missed, so the copies must go.
    await direct.client('KILL', 'TYPE', 'pubsub');
    await until('copies dropped when the subscription broke', async () => (await a.get('near:sub')) === 'fresh');
  });
});

describe('rate-limit leases', () => {
  /** A minimal Hono context: the limiter reads the services and sets headers. */
  function ctx(cache: Cache) {
    const headers: Record<string, string> = {};
    return { c: { get: () => ({ cache }), header: (k: string, v: string) => (headers[k] = v) } as never, headers };
  }

  test('lease size: 1 below 200 per minute (exact limits), 1 % above, at most 1,000', () => {
    assert.equal(leaseSize(20), 1);
    assert.equal(leaseSize(199), 1);
    assert.equal(leaseSize(600), 6);
    assert.equal(leaseSize(1_000_000), 1000);
  });

  test('concurrent requests that find the lease empty share one Redis increment', async () => {
    const cache = processCache();
    await until('cache connected', async () => cache.redis.status === 'ready');
    const bucket = `lease-concurrent-${Date.now()}`;
    const window = Math.floor(Date.now() / 1000 / 60);
    await Promise.all(Array.from({ length: 25 }, () => checkRateLimit(ctx(cache).c, bucket, 1000)));
    const counted = Number(await direct.get(keys.cache.rateLimit(bucket, window)));
    // 25 requests need 3 leases of 10; one increment per request in flight would have taken 250.
    assert.ok(counted === 30 || Math.floor(Date.now() / 1000 / 60) !== window, `counted ${counted}`);
  });

  test('a large limit costs one Redis increment per lease, and leases never let more than the limit through', async () => {
    // The counters are per minute: start well inside one.
    const second = (Date.now() / 1000) % 60;
    if (second > 50) await new Promise((r) => setTimeout(r, (61 - second) * 1000));
    const cache = processCache();
    await until('cache connected', async () => cache.redis.status === 'ready');
    const bucket = `lease-${Date.now()}`;
    const window = Math.floor(Date.now() / 1000 / 60);
    const key = keys.cache.rateLimit(bucket, window);
    const { c } = ctx(cache);
    await checkRateLimit(c, bucket, 1000);
    assert.equal(await direct.get(key), '10', 'the first request takes a lease of 10');
    for (let i = 0; i < 9; i++) await checkRateLimit(c, bucket, 1000);
    assert.equal(await direct.get(key), '10', 'the next 9 requests use the lease, no Redis increment');
    // Other processes used almost everything: only 5 of the next lease may be granted.
    await direct.set(key, '995');
    let passed = 0;
    let limited: unknown = null;
    for (let i = 0; i < 10 && !limited; i++) {
      try {
        await checkRateLimit(ctx(cache).c, bucket, 1000);
        passed++;
      } catch (err) {
        limited = err;
      }
    }
    assert.equal(passed, 5, 'exactly the 5 requests left under the limit pass');
    assert.ok(limited instanceof AppError && limited.code === 'RATE_LIMITED');
  });
});
