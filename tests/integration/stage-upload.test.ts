/**
 * lib/staging.ts stageUpload against the real staging Redis: chunks compress several at a time, and one that
 * compresses quickly may finish before the one read before it, so this pins down that the stored chunks still
 * read back as the upload's exact bytes, in order.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import type { Redis } from 'ioredis';
import { TEST_DATA_DIR } from '../helpers/platform.ts';
import { createRedis } from '../../lib/redis.ts';
import { CHUNK_BYTES, readChunks, stageUpload } from '../../lib/staging.ts';
import { ownsBuffer } from '../../domain/file-validator.ts';
import { COLUMNS } from '../../domain/columns.ts';
import { keys } from '../../lib/keys.ts';

void TEST_DATA_DIR;
let redis: Redis;

before(() => {
  redis = createRedis(process.env.REDIS_URL!, 'stage-upload-test');
});
after(async () => {
  await redis.quit();
});

/** About `bytes` of CSV lines: random text (slow to compress) or one repeated line (fast). */
function lines(bytes: number, random: boolean): Buffer {
  const out: string[] = [];
  let n = 0;
  while (n < bytes) {
    const l = random ? crypto.randomBytes(60).toString('base64') : 'LP1,1,20240131,10.00,9.00,1.00,0.00,91.00,,0.00,O,0';
    out.push(l);
    n += l.length + 1;
  }
  return Buffer.from(out.join('\n') + '\n');
}

test('an upload whose chunks compress at different speeds is stored as its exact bytes, in order, and read back in buffers of their own (transferable)', async () => {
  const tenantId = `stage_${crypto.randomBytes(3).toString('hex')}`;
  const header = Buffer.from(COLUMNS.payment_plan.map((c) => c.name).join(',') + '\n');
  // Slow and fast chunks in turn: with chunks compressing side by side, each fast one finishes first.
  const pieces = [header, ...Array.from({ length: 8 }, (_, i) => lines(CHUNK_BYTES, i % 2 === 0))];
  const body = Buffer.concat(pieces);
  const meta = await stageUpload(redis, {
    tenantId,
    loanType: 'RETAIL',
    fileType: 'payment_plan',
    originalName: 'p.csv',
    body: (async function* () {
      for (const p of pieces) yield p;
    })(),
    maxBytes: 1 << 30,
    ttlSeconds: 600,
  });
  try {
    const listKey = keys.pending(tenantId, 'RETAIL', 'payment_plan').chunks;
    assert.ok((await redis.llen(listKey)) >= 8, 'stored in several chunks');
    const back: Buffer[] = [];
    for await (const c of readChunks(redis, listKey)) back.push(c);
    // Each chunk is a buffer of its own, which the validate activity transfers to its thread instead of copying.
    assert.ok(back.every(ownsBuffer), 'every chunk owns its ArrayBuffer (transferable)');
    const stored = Buffer.concat(back);
    assert.equal(stored.length, body.length);
    assert.ok(stored.equals(body), 'the stored chunks are the upload, in order');
    assert.equal(meta.sha256, crypto.createHash('sha256').update(body).digest('hex'));
    assert.equal(meta.rows, body.toString('latin1').split('\n').length - 2);
  } finally {
    const k = keys.pending(tenantId, 'RETAIL', 'payment_plan');
    await redis.del(k.chunks, k.count, k.meta);
  }
});
