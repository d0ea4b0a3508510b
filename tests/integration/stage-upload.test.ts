/**
 * lib/staging.ts stageUpload against the real staging Redis: chunks compress several at a time, and one that
 * compresses quickly may finish before the one read before it, so this pins down that the stored chunks still
 * read back as the upload's exact bytes, in order. Also the stored format (lib/chunk-codec.ts): zstd frames, with
 * the gzip chunks of earlier versions still readable.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import type { Redis } from 'ioredis';
import { TEST_DATA_DIR } from '../helpers/platform.ts';
import { createRedis } from '../../lib/redis.ts';
import { CHUNK_BYTES, readChunks, readLines, stageUpload } from '../../lib/staging.ts';
import { packChunk, unpackChunk } from '../../lib/chunk-codec.ts';
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

test('stored chunks are zstd frames, and chunks staged as gzip before (an upload and failed rows) still read back as their exact bytes and lines', async () => {
  const tenantId = `stage_${crypto.randomBytes(3).toString('hex')}`;
  const header = Buffer.from(COLUMNS.payment_plan.map((c) => c.name).join(',') + '\n');
  const pieces = [header, lines(CHUNK_BYTES, false), lines(CHUNK_BYTES, true)];
  const body = Buffer.concat(pieces);
  const k = keys.pending(tenantId, 'RETAIL', 'payment_plan');
  const oldKey = `${k.chunks}:gzip-test`;
  const failedKey = `${k.chunks}:failed-gzip-test`;
  try {
    await stageUpload(redis, {
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
    const stored = await redis.lrangeBuffer(k.chunks, 0, -1);
    assert.ok(stored.length >= 2);
    for (const c of stored) assert.equal(c.subarray(0, 4).toString('hex'), '28b52ffd', 'zstd magic number');

    // A list as findata wrote it with gzip (level 1), then one zstd chunk appended: read in order, each its own buffer.
    const old = [body.subarray(0, CHUNK_BYTES), body.subarray(CHUNK_BYTES, 2 * CHUNK_BYTES)];
    await redis.rpush(oldKey, ...old.map((b) => zlib.gzipSync(b, { level: 1 })), stored[stored.length - 1]);
    const back: Buffer[] = [];
    for await (const c of readChunks(redis, oldKey)) back.push(c);
    assert.equal(back.length, 3);
    assert.ok(back.every(ownsBuffer), 'gzip and zstd chunks alike come back in buffers of their own');
    assert.ok(back[0].equals(old[0]) && back[1].equals(old[1]), 'the gzip chunks are their exact bytes');
    assert.ok(back[2].equals(await unpackChunk(stored[stored.length - 1])));

    const failed = ['{"row":2,"fields":["a"],"errors":[]}', '{"row":9,"fields":["ç"],"errors":[]}'];
    await redis.rpush(failedKey, zlib.gzipSync(Buffer.from(failed.join('\n') + '\n'), { level: 1 }));
    const linesBack: string[] = [];
    for await (const l of readLines(redis, failedKey)) linesBack.push(l);
    assert.deepEqual(linesBack, failed);
  } finally {
    await redis.del(k.chunks, k.count, k.meta, oldKey, failedKey);
  }
});

test('a stored chunk that is neither zstd nor gzip is an error naming its size, never bytes passed on as a file', async () => {
  await assert.rejects(unpackChunk(Buffer.from('loan_account_number,installment_number\n')), / 39 bytes is neither zstd nor gzip/);
  // A zstd frame cut short (a damaged value) fails too, rather than yielding part of a chunk.
  const frame = await packChunk(lines(64 << 10, true));
  await assert.rejects(unpackChunk(frame.subarray(0, frame.length - 10)));
});
