/**
 * lib/staging.ts ChunkedListWriter (the failed records of a sync, kept 72 h) against the real staging Redis: it
 * pushes one chunk while the caller goes on, so these tests pin down that pipelining loses nothing: chunks land
 * in the order written, the list gets its TTL, and a push that fails surfaces to the caller.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import type { Redis } from 'ioredis';
import { TEST_DATA_DIR } from '../helpers/platform.ts';
import { createRedis } from '../../lib/redis.ts';
import { CHUNK_BYTES, ChunkedListWriter, readLines } from '../../lib/staging.ts';

void TEST_DATA_DIR;
let redis: Redis;
/** Lines as ChunkedListWriter takes them: their bytes, each ending in a line break (as the validation threads send them). */
const bytesOf = (lines: string[]) => Buffer.from(lines.map((l) => `${l}\n`).join(''), 'utf8');
const key = (name: string) => `findata:test:failed-writer:${name}:${crypto.randomBytes(4).toString('hex')}`;

before(() => {
  redis = createRedis(process.env.REDIS_URL!, 'failed-writer-test');
});
after(async () => {
  await redis.quit();
});

test('lines written in batches of any size while chunks are in flight read back complete and in order, with the TTL', async () => {
  const k = key('order');
  const w = new ChunkedListWriter(redis, k, 3600);
  await w.reset();
  const lines: string[] = [];
  let n = 0;
  // ~6 chunks; batch sizes vary, so the cuts (after the batch that fills a chunk) fall at varying lines.
  while (lines.length * 200 < 6 * CHUNK_BYTES) {
    const batch = Array.from({ length: 1 + ((n * 7919) % 3000) }, () => JSON.stringify({ row: n++, fields: ['x'.repeat(n % 300)] }));
    lines.push(...batch);
    await w.writeBytes(bytesOf(batch));
  }
  await w.close();
  assert.ok((await redis.llen(k)) >= 5, 'several chunks were pushed');
  const back: string[] = [];
  for await (const l of readLines(redis, k)) back.push(l);
  assert.equal(back.length, lines.length);
  assert.deepEqual(back, lines);
  const ttl = await redis.ttl(k);
  assert.ok(ttl > 3500 && ttl <= 3600, `ttl ${ttl}`);
  await redis.del(k);
});

test('a push that fails in flight is not lost silently: the writer rejects by close at the latest', async () => {
  const k = key('fail');
  const w = new ChunkedListWriter(redis, k, 3600);
  await w.reset();
  await redis.set(k, 'not a list'); // RPUSH on it fails with WRONGTYPE
  const line = JSON.stringify({ row: 1, fields: ['y'.repeat(1000)] });
  await assert.rejects(async () => {
    for (let i = 0; i < 3; i++) await w.writeBytes(bytesOf(Array.from({ length: Math.ceil(CHUNK_BYTES / 1000) }, () => line)));
    await w.close();
  }, /WRONGTYPE/);
  await w.settle();
  assert.equal(await redis.get(k), 'not a list');
  await redis.del(k);
});
