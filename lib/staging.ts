/**
 * Staging of uploads in Redis (spec §8). The raw body is stored gzip-compressed in bounded chunks (a Redis list),
 * with an O(1) row-count key and a metadata hash. An upload is written under an `incoming` key and made visible
 * atomically (MULTI/RENAME) only once complete, replacing the previous pending upload; a failed or half-received
 * upload leaves the previous one untouched. Syncs claim pending uploads atomically into their own keys.
 */
import crypto from 'node:crypto';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { Redis } from 'ioredis';
import type { FileType, LoanType } from '../domain/columns.ts';
import { FILE_TYPES, LOAN_TYPES } from '../domain/columns.ts';
import { CsvParser } from '../domain/csv.ts';
import { FileLevelError } from '../domain/file-errors.ts';
import { ownsBuffer } from '../domain/file-validator.ts';
import { bindHeader } from '../domain/validate.ts';
import type { ClaimedFile, ClaimedFiles } from '../domain/sync-types.ts';
import { AppError } from './errors.ts';
import { keys, type StagedKeys } from './keys.ts';

const gzip = promisify(zlib.gzip);
const gunzip = promisify(zlib.gunzip);

/** Raw bytes per stored chunk: bounds memory on both sides and keeps each Redis value small. */
export const CHUNK_BYTES = 1 << 20;
/**
 * zlib's output piece when a chunk is compressed or decompressed: larger than a stored chunk (≤ CHUNK_BYTES + one
 * body part), so a chunk comes out in one piece, not dozens of 16 KiB pieces handed to JavaScript and joined
 * (half the CPU of decompressing a file).
 */
const ZLIB_CHUNK = 2 * CHUNK_BYTES;
/** Chunks compressing at once during an upload: two cores' worth (zlib's thread pool has four threads). */
const COMPRESS_AHEAD = 2;
const INCOMING_TTL = 3600;
const MAX_WARNINGS = 100;
/** Claimed data must outlive the longest sync; it is deleted by the sync's clean-up. */
const CLAIMED_TTL = 7 * 24 * 3600;

export interface StagedMeta {
  loan_type: LoanType;
  file_type: FileType;
  rows: number;
  bytes: number;
  sha256: string;
  original_name: string;
  uploaded_at: string;
  warnings: string[];
}

export interface StageRequest {
  tenantId: string;
  loanType: LoanType;
  fileType: FileType;
  originalName: string;
  body: AsyncIterable<Uint8Array>;
  maxBytes: number;
  ttlSeconds: number;
  onBytes?(bytes: number): void;
}

/** Parses and checks the body as it streams in (spec §7), stores it compressed, then publishes it atomically. */
export async function stageUpload(redis: Redis, req: StageRequest): Promise<StagedMeta> {
  const uploadId = crypto.randomUUID();
  const inc = keys.incoming(req.tenantId, req.loanType, req.fileType, uploadId);
  const hash = crypto.createHash('sha256');
  let warnings: string[] = [];
  const parser = new CsvParser({
    onHeader(names) {
      const all = bindHeader(req.fileType, req.loanType, names).warnings;
      // A header of a million unknown columns must not become a megabyte of warnings.
      warnings = all.length > MAX_WARNINGS ? [...all.slice(0, MAX_WARNINGS), `… and ${all.length - MAX_WARNINGS} more unknown columns`] : all;
    },
    onRow() {},
  }, { countOnly: true }); // rows, record ends and file-level errors as a full parse finds them, without splitting rows
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let chunks = 0;
  // Chunks compress in zlib's thread pool, COMPRESS_AHEAD at a time, while the next ones are read and parsed
  // (compression is most of an upload's CPU: ≈ 18 s for a 1 GB file at level 1), and go to Redis in order, each
  // push after the one before. A failure surfaces at a later flush or at the end.
  const inflight: Promise<void>[] = [];
  let lastPush: Promise<void> = Promise.resolve();
  const push = async (packed: Buffer) => {
    if (chunks === 0) {
      await redis.multi().rpush(inc.chunks, packed).expire(inc.chunks, INCOMING_TTL).exec();
    } else {
      await redis.rpush(inc.chunks, packed);
    }
    chunks++;
  };
  const flush = async () => {
    if (pendingBytes === 0) return;
    const raw = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    if (inflight.length >= COMPRESS_AHEAD) await inflight.shift();
    const packed = gzip(raw, { level: 1, chunkSize: ZLIB_CHUNK });
    const pushed = Promise.all([packed, lastPush]).then(([p]) => push(p));
    pushed.catch(() => {});
    lastPush = pushed;
    inflight.push(pushed);
  };
  let bytes = 0;
  try {
    for await (const part of req.body) {
      const buf = Buffer.isBuffer(part) ? part : Buffer.from(part.buffer, part.byteOffset, part.byteLength);
      bytes += buf.length;
      if (bytes > req.maxBytes) {
        throw new AppError('FILE_TOO_LARGE', `The file exceeds the upload limit of ${req.maxBytes} bytes.`, { limit_bytes: req.maxBytes });
      }
      req.onBytes?.(buf.length);
      hash.update(buf);
      parser.push(buf);
      pending.push(buf);
      pendingBytes += buf.length;
      if (pendingBytes >= CHUNK_BYTES) await flush();
    }
    parser.end();
    await flush();
    await Promise.all(inflight);
    const meta: StagedMeta = {
      loan_type: req.loanType,
      file_type: req.fileType,
      rows: parser.rows,
      bytes,
      sha256: hash.digest('hex'),
      original_name: req.originalName,
      uploaded_at: new Date().toISOString(),
      warnings,
    };
    const target = keys.pending(req.tenantId, req.loanType, req.fileType);
    // Publish atomically: the previous pending upload is replaced in one step, never half-visible.
    await redis
      .multi()
      .del(target.chunks, target.count, target.meta)
      .rename(inc.chunks, target.chunks)
      .set(target.count, String(meta.rows), 'EX', req.ttlSeconds)
      .hset(target.meta, metaToHash(meta))
      .expire(target.meta, req.ttlSeconds)
      .expire(target.chunks, req.ttlSeconds)
      .exec()
      .then(assertExec);
    return meta;
  } catch (err) {
    // Nothing of this upload may land after its incoming key is removed.
    await Promise.allSettled(inflight);
    await redis.del(inc.chunks).catch(() => {});
    if (err instanceof FileLevelError) throw fileErrorToApp(err);
    throw err;
  }
}

export function fileErrorToApp(err: FileLevelError): AppError {
  return new AppError(err.code, err.message, { ...err.details });
}

function assertExec(results: [Error | null, unknown][] | null) {
  if (!results) throw new Error('redis transaction aborted');
  for (const [err] of results) if (err) throw err;
}

function metaToHash(m: StagedMeta): Record<string, string> {
  return {
    loan_type: m.loan_type,
    file_type: m.file_type,
    rows: String(m.rows),
    bytes: String(m.bytes),
    sha256: m.sha256,
    original_name: m.original_name,
    uploaded_at: m.uploaded_at,
    warnings: JSON.stringify(m.warnings),
  };
}

function hashToMeta(h: Record<string, string>): StagedMeta | null {
  if (!h.sha256) return null;
  return {
    loan_type: h.loan_type as LoanType,
    file_type: h.file_type as FileType,
    rows: Number(h.rows),
    bytes: Number(h.bytes),
    sha256: h.sha256,
    original_name: h.original_name ?? '',
    uploaded_at: h.uploaded_at,
    warnings: JSON.parse(h.warnings ?? '[]') as string[],
  };
}

/** O(1): rows pending for a tenant/loan type/file type (0 when nothing is pending). */
export async function pendingRows(redis: Redis, tenantId: string, lt: LoanType, ft: FileType): Promise<number> {
  return Number((await redis.get(keys.pending(tenantId, lt, ft).count)) ?? 0);
}

export async function listPending(redis: Redis, tenantId: string): Promise<StagedMeta[]> {
  const out: StagedMeta[] = [];
  for (const lt of LOAN_TYPES) {
    for (const ft of FILE_TYPES) {
      const k = keys.pending(tenantId, lt, ft);
      const [count, meta] = await Promise.all([redis.exists(k.count), redis.hgetall(k.meta)]);
      const m = count ? hashToMeta(meta) : null;
      if (m) out.push(m);
    }
  }
  return out;
}

export async function dropPending(redis: Redis, tenantId: string, lt: LoanType, ft: FileType): Promise<boolean> {
  const k = keys.pending(tenantId, lt, ft);
  const n = await redis.del(k.chunks, k.count, k.meta);
  return n > 0;
}

const CLAIM_LUA = `
if redis.call('EXISTS', KEYS[5]) == 1 then return 1 end
if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
redis.call('RENAME', KEYS[1], KEYS[4])
redis.call('RENAME', KEYS[2], KEYS[5])
redis.call('RENAME', KEYS[3], KEYS[6])
for i = 4, 6 do redis.call('EXPIRE', KEYS[i], ARGV[1]) end
return 1`;

const RELEASE_LUA = `
if ARGV[1] == 'putback' and redis.call('EXISTS', KEYS[5]) == 0 and redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('RENAME', KEYS[1], KEYS[4])
  redis.call('RENAME', KEYS[2], KEYS[5])
  redis.call('RENAME', KEYS[3], KEYS[6])
  for i = 4, 6 do redis.call('EXPIRE', KEYS[i], ARGV[2]) end
  return 1
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return 0`;

const six = (a: StagedKeys, b: StagedKeys) => [a.chunks, a.count, a.meta, b.chunks, b.count, b.meta];

/**
 * Atomically moves the pending uploads of a loan type into the sync's own keys, so an upload arriving during
 * the sync waits for the next one. Idempotent: a retried claim returns what this sync already holds.
 */
export async function claimUploads(redis: Redis, tenantId: string, lt: LoanType, syncId: string): Promise<ClaimedFiles> {
  const out: ClaimedFiles = {};
  for (const ft of FILE_TYPES) {
    const got = await redis.eval(CLAIM_LUA, 6, ...six(keys.pending(tenantId, lt, ft), keys.claimed(tenantId, lt, ft, syncId)), CLAIMED_TTL);
    if (Number(got) !== 1) continue;
    const meta = hashToMeta(await redis.hgetall(keys.claimed(tenantId, lt, ft, syncId).meta));
    if (!meta) continue;
    const file: ClaimedFile = { rows: meta.rows, bytes: meta.bytes, sha256: meta.sha256, originalName: meta.original_name };
    out[ft] = file;
  }
  return out;
}

/**
 * Ends the sync's hold on its uploads. `putback` (a FAILED sync) returns them to pending unless a newer upload
 * arrived meanwhile; `drop` (SUCCESS or ABORTED, spec §6) deletes them.
 */
export async function releaseClaim(redis: Redis, tenantId: string, lt: LoanType, syncId: string, mode: 'putback' | 'drop', ttlSeconds: number): Promise<void> {
  for (const ft of FILE_TYPES) {
    await redis.eval(RELEASE_LUA, 6, ...six(keys.claimed(tenantId, lt, ft, syncId), keys.pending(tenantId, lt, ft)), mode, ttlSeconds);
  }
}

/**
 * A stored chunk decompressed into a buffer of its own, exactly its size (the gzip trailer's ISIZE): the validate
 * activity transfers it to its thread. zlib's output is otherwise a view of a larger buffer, which postMessage
 * cannot transfer and copies whole, leaving 2 MiB per chunk to each thread's garbage collector (an M file's 1,200
 * chunks made the worker's collector use more CPU than its main thread did).
 */
export async function gunzipOwned(packed: Buffer): Promise<Buffer> {
  const size = packed.length >= 18 ? packed.readUInt32LE(packed.length - 4) : 0;
  const out = await gunzip(packed, { chunkSize: Math.max(64, Math.min(size, ZLIB_CHUNK)) });
  if (ownsBuffer(out)) return out;
  const own = Buffer.from(new ArrayBuffer(out.length));
  own.set(out);
  return own;
}

/** Streams the decompressed bytes of a stored chunk list, a few chunks at a time. */
export async function* readChunks(redis: Redis, listKey: string): AsyncGenerator<Buffer> {
  const total = await redis.llen(listKey);
  const BATCH = 4;
  // Read ahead one batch: the next chunks are fetched and decompressed (libuv pool) while the caller parses.
  const fetchBatch = (i: number) =>
    redis.lrangeBuffer(listKey, i, Math.min(i + BATCH, total) - 1).then((parts) => Promise.all(parts.map(gunzipOwned)));
  let next = total > 0 ? fetchBatch(0) : null;
  for (let i = 0; i < total; i += BATCH) {
    const batch = await next!;
    next = i + BATCH < total ? fetchBatch(i + BATCH) : null;
    next?.catch(() => {}); // awaited on the next turn; a consumer that stops early must not leak a rejection
    for (const b of batch) yield b;
  }
}

/**
 * Appends JSON lines as compressed chunks to a list (failed records), bounded in memory. One chunk is compressed
 * and pushed while the caller goes on (a 5 %-error file fills a chunk every few hundred milliseconds, and waiting
 * for each one stalled validation); chunks land in the order written.
 */
export class ChunkedListWriter {
  /** Bytes of whole lines, each ending in a line break. */
  private bytes: Uint8Array[] = [];
  private size = 0;
  private first = true;
  private inflight: Promise<void> | null = null;
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly ttlSeconds: number,
  ) {}
  async reset(): Promise<void> {
    await this.redis.del(this.key);
  }
  /** Bytes of whole lines, each ending in a line break (a chunk of the list never cuts a line). */
  async writeBytes(b: Uint8Array): Promise<void> {
    this.bytes.push(b);
    this.size += b.byteLength;
    if (this.size >= CHUNK_BYTES) await this.flush();
  }
  /** Starts pushing what is buffered; waits only for the chunk before it, so at most two are in memory. */
  async flush(): Promise<void> {
    if (this.size === 0) return;
    const text = Buffer.concat(this.bytes);
    this.bytes = [];
    this.size = 0;
    const prev = this.inflight;
    const first = this.first;
    this.first = false;
    const push = (async () => {
      const packed = await gzip(text, { level: 1 });
      if (prev) await prev;
      const m = this.redis.multi().rpush(this.key, packed);
      if (first) m.expire(this.key, this.ttlSeconds);
      await m.exec().then(assertExec);
    })();
    push.catch(() => {}); // surfaces at the next flush or at close
    this.inflight = push;
    if (prev) await prev;
  }
  async close(): Promise<void> {
    await this.flush();
    await this.inflight;
    await this.redis.expire(this.key, this.ttlSeconds);
  }
  /** Waits for any push in flight, ignoring its failure (an attempt that failed must not write after it ends). */
  async settle(): Promise<void> {
    await this.inflight?.catch(() => {});
  }
}

/** Streams the lines of a ChunkedListWriter list. */
export async function* readLines(redis: Redis, key: string): AsyncGenerator<string> {
  for await (const chunk of readChunks(redis, key)) {
    const text = chunk.toString('utf8');
    let start = 0;
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', start)) {
      yield text.slice(start, i);
      start = i + 1;
    }
  }
}
