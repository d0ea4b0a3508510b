/**
 * validateFile: streams one claimed file out of Redis, parses and validates every row (spec §2–§6), writes valid
 * normalized rows to the loan type's staging partition in ClickHouse, batches errors into PostgreSQL and keeps
 * failed rows in Redis for 72 h. Idempotent: a retry (e.g. after a worker crash) clears what an earlier attempt
 * wrote for this sync and file, then starts over, so counts are exact and nothing is duplicated.
 *
 * Parsing and validating is the CPU-bound part: it runs in worker threads, by default several per file
 * (`parallelBatches`: segments cut at line breaks, merged back in file order — domain/file-validator.ts says
 * how DUPLICATE and row numbers stay exact). A file the cuts do not suit (a quoted value spanning a cut, a
 * file-level error) is validated again in one thread, in order (`orderedBatches`), which is also the mode with
 * VALIDATE_THREADS=1.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { faultPoint, type ActivityDeps } from './deps.ts';
import { FACT_TABLE, STAGING_TABLE, type ErrorCode, type FileType, type LoanType } from '../domain/columns.ts';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { buildSync, stop as stopEsbuild } from 'esbuild';
import { FileLevelError, type FileErrorCode, type FileErrorDetails } from '../domain/file-errors.ts';
import {
  SegmentCutError,
  SegmentCutter,
  SegmentCounter,
  SegmentMerger,
  ownsBuffer,
  type FileValidatorInit,
  type Segment,
  type ValidateBatch,
} from '../domain/file-validator.ts';
import type { WorkerData, WorkerIn, WorkerOut } from './validate-worker.ts';
import type { FileProgress, FileValidation } from '../domain/sync-types.ts';
import { PROGRESS_SIGNAL } from '../domain/sync-types.ts';
import { keys } from '../lib/keys.ts';
import { ChunkedListWriter, readChunks } from '../lib/staging.ts';
import { deleteValidationErrors, insertValidationErrorRows } from '../lib/sync-logs.ts';
import { qualified } from '../lib/warehouse.ts';
import { buildSharedKeySet, type SharedKeySet } from '../domain/key-table.ts';
import { nativeBlock, sinkOwned, type BlockArena } from '../domain/staged-rows.ts';

export interface ValidateInput {
  tenantId: string;
  loanType: LoanType;
  syncId: string;
  fileType: FileType;
  /** CROSS_REFERENCE set (spec §6): this sync's staged credit rows, the warehouse's, or none (credit files). */
  references: 'staging' | 'warehouse' | 'none';
}

/** Bytes of COPY rows per error insert (≈ 5,000 errors). */
const ERROR_BATCH_BYTES = 1 << 20;
/**
 * Rows and bytes per insert: large inserts make few parts (cheaper for the engine), bytes bound memory (two
 * batches at most: one in flight, one filling, each an arena of the file's). 16 MiB rather than 32: M files with
 * errors peaked 16 MB lower in the worker, at the same sync time (round 7); 12 MiB measured no lower (round 10).
 */
const DEFAULT_INSERT_ROWS = 400_000;
const INSERT_BYTES = 16 << 20;
/** Room in a batch's arena past INSERT_BYTES: the last block before a flush (a larger one gets a buffer of its own). */
const ARENA_SLACK = 2 << 20;
const DEFAULT_SEGMENT_BYTES = 2 << 20;
const PROGRESS_EVERY_MS = 2_000;

export function createValidateActivities(deps: ActivityDeps) {
  const insertRows = deps.insertBatchRows ?? DEFAULT_INSERT_ROWS;

  /** The CROSS_REFERENCE set, built once in shared memory that every validation thread reads; null for none. */
  async function loadReferences(input: ValidateInput): Promise<SharedKeySet | null> {
    if (input.references === 'none') return null;
    const table = input.references === 'staging' ? STAGING_TABLE.credit : FACT_TABLE.credit;
    const text = await deps.warehouse.queryText(`SELECT loan_account_number FROM ${qualified(input.tenantId, table)} WHERE loan_type = {lt:String}`, {
      lt: input.loanType,
    });
    return buildSharedKeySet(text);
  }

  return {
    async validateFile(input: ValidateInput): Promise<FileValidation> {
      const threads = deps.validateThreads ?? 1;
      if (threads > 1) {
        try {
          return await validateOnce(input, threads);
        } catch (err) {
          if (!(err instanceof SegmentCutError)) throw err;
          deps.log.info('validating the file again in one thread', { tenantId: input.tenantId, syncId: input.syncId, fileType: input.fileType, reason: err.message });
        }
      }
      return validateOnce(input, 1);
    },
  };

  async function validateOnce(input: ValidateInput, threads: number): Promise<FileValidation> {
    const { tenantId, loanType, syncId, fileType } = input;
    const ctx = Context.current();
    const wh = deps.warehouse;
    const stg = qualified(tenantId, STAGING_TABLE[fileType]);
    const claimed = keys.claimed(tenantId, loanType, fileType, syncId);
    const totalRows = Number((await deps.redis.staging.get(claimed.count)) ?? -1);
    if (totalRows < 0) {
      throw ApplicationFailure.nonRetryable(`claimed ${fileType} upload of sync ${syncId} is gone from staging`, 'BadData');
    }

    // Start from a clean slate for this sync and file (idempotent retry).
    await wh.command(`ALTER TABLE ${stg} DROP PARTITION {lt:String}`, { lt: loanType });
    // Staging parts are only ever moved or dropped: merging them competes with validation for the CPU. The fact
    // table merges them after the commit. Best effort (not persistent, and a server may deny SYSTEM).
    await wh.command(`SYSTEM STOP MERGES ${stg}`).catch((err) => deps.log.debug('SYSTEM STOP MERGES refused', { err }));
    await deleteValidationErrors(deps.db, tenantId, syncId, fileType);
    const failed = new ChunkedListWriter(deps.redis.staging, keys.failed(tenantId, loanType, fileType, syncId), deps.failedRowsTtlSeconds);
    await failed.reset();

    // Errors come back as COPY rows and failed rows as their lines (FileValidatorInit.store): bytes, not objects.
    const init: FileValidatorInit = { fileType, loanType, references: await loadReferences(input), store: { syncId } };
    // Stamped on every staged row by the INSERT (Warehouse.insertStaged).
    const fixed = { loan_type: loanType, sync_id: syncId, loaded_at: new Date().toISOString().replace('T', ' ').replace('Z', '') };

    // Where the wall time goes (logged at the end): waiting for the threads, for the engine, for Redis/PostgreSQL.
    const t = { start: performance.now(), thread: 0, insert: 0, read: 0, errors: 0, failed: 0 };
    const timed = async <T>(k: 'thread' | 'insert' | 'read' | 'errors' | 'failed', p: Promise<T>): Promise<T> => {
      const t0 = performance.now();
      try {
        return await p;
      } finally {
        t[k] += performance.now() - t0;
      }
    };

    // The batch's Native blocks are written into one of two arenas (domain/staged-rows.ts BlockArena): one filling,
    // one in flight. flushRows awaits the insert in flight before handing on the other, so an arena is reused
    // only once the engine has read it.
    const arenas: BlockArena[] = [];
    let arena = 0;
    const arenaFor = (i: number) => (arenas[i] ??= { buf: new Uint8Array(INSERT_BYTES + ARENA_SLACK), pos: 0 });
    // Each chunk's RowBinary goes back to its thread once turned into a block: the thread writes its next rows there.
    const recycler = new StagedRecycler();
    let stagedParts: Uint8Array[] = [];
    let stagedRows = 0;
    let stagedBytes = 0;
    let errRows: Uint8Array[] = [];
    let errBytes = 0;
    let rowsTotal = 0;
    let rowsInvalid = 0;
    let errorCount = 0;

    // One insert and one error batch in flight while the threads parse on: the engine and PostgreSQL work
    // meanwhile. A failure surfaces at the next await of the same kind.
    let inflight: Promise<void> | null = null;
    let errInflight: Promise<void> | null = null;
    const flushRows = async () => {
      if (stagedRows === 0) return;
      // The parts go out as they are, without a joined copy of the batch: with one insert in flight, the worker
      // holds at most two batches of rows.
      const body = stagedParts;
      stagedParts = [];
      stagedRows = 0;
      stagedBytes = 0;
      if (inflight) await timed('insert', inflight);
      const p = wh.insertStaged(stg, fileType, body, fixed);
      p.catch(() => {});
      inflight = p;
      arena = 1 - arena;
      if (arenas[arena]) arenas[arena].pos = 0;
    };
    const flushErrors = async () => {
      if (errRows.length === 0) return;
      const rows = errRows;
      errRows = [];
      errBytes = 0;
      if (errInflight) await timed('errors', errInflight);
      const p = insertValidationErrorRows(deps.db, tenantId, rows);
      p.catch(() => {});
      errInflight = p;
    };

    let lastProgress = 0;
    const report = async (force = false) => {
      const now = Date.now();
      if (!force && now - lastProgress < PROGRESS_EVERY_MS) return;
      lastProgress = now;
      const progress: FileProgress = { rowsTotal: totalRows, rowsProcessed: rowsTotal, rowsInvalid, errors: errorCount };
      ctx.heartbeat(progress);
      // Live progress for the workflow's query (API and web app); best effort.
      const wf = ctx.info.workflowExecution;
      if (!wf) return;
      await ctx.client.workflow
        .getHandle(wf.workflowId, wf.runId)
        .signal(PROGRESS_SIGNAL, { fileType, progress })
        .catch(() => {});
    };

    let first = true;
    const handle = async (b: ValidateBatch) => {
      if (b.staged) {
        // Here rather than in the thread: this thread has CPU to spare, the validation thread is the critical path.
        const block = nativeBlock(fileType, b.staged, b.stagedRows, arenaFor(arena));
        recycler.give(b.staged);
        stagedParts.push(block);
        stagedRows += b.stagedRows;
        stagedBytes += block.byteLength;
      }
      if (b.errorRows) {
        errRows.push(b.errorRows);
        errBytes += b.errorRows.byteLength;
      }
      if (b.failedBytes) await timed('failed', failed.writeBytes(b.failedBytes));
      rowsTotal = b.rowsTotal;
      rowsInvalid = b.rowsInvalid;
      errorCount = b.errorCount;
      if (stagedRows >= insertRows || stagedBytes >= INSERT_BYTES) await flushRows();
      if (errBytes >= ERROR_BATCH_BYTES) await flushErrors();
      if (first) {
        first = false;
        await report(true);
        await faultPoint(deps, 'validate.afterFirstChunk', () => ctx.heartbeat(), ctx.cancellationSignal);
      }
      await report();
      // A cancelled sync (the workflow waits for this activity to stop): end between batches, through the clean-up
      // below, so nothing of this attempt lands after the workflow puts the uploads back.
      if (ctx.cancellationSignal.aborted) await ctx.cancelled;
    };

    let final: Final;
    const chunks = readChunks(deps.redis.staging, claimed.chunks)[Symbol.asyncIterator]();
    const read = () => timed('read', chunks.next());
    const batches =
      threads > 1
        ? parallelBatches(init, read, threads, deps.validateSegmentBytes ?? DEFAULT_SEGMENT_BYTES, recycler)
        : orderedBatches(init, read, recycler);
    try {
      for (let r = await timed('thread', batches.next()); ; r = await timed('thread', batches.next())) {
        if (r.done) {
          final = r.value;
          break;
        }
        await handle(r.value);
      }
      await flushRows();
      await timed('insert', inflight ?? Promise.resolve());
      await flushErrors();
      await timed('errors', errInflight ?? Promise.resolve());
    } catch (err) {
      // A retry starts by dropping the staging partition: nothing of this attempt may land after that.
      await batches.return(undefined as never).catch(() => {});
      await (inflight as Promise<void> | null)?.catch(() => {});
      await (errInflight as Promise<void> | null)?.catch(() => {});
      await failed.settle();
      if (err instanceof FileLevelError) {
        // Accepted at upload, so this means the stored file changed or the rules did: do not retry.
        throw ApplicationFailure.nonRetryable(`${fileType}: ${err.message}`, 'BadData');
      }
      throw err;
    }
    await timed('failed', failed.close());
    await writeFailedHeader(deps, keys.failed(tenantId, loanType, fileType, syncId), () => final.header);
    rowsTotal = final.result.rowsTotal;
    await report(true);
    const ms = (v: number) => Math.round(v);
    deps.log.info('file validated', {
      tenantId, loanType, syncId, fileType, threads, rows: rowsTotal, invalid: final.result.rowsInvalid,
      ms: ms(performance.now() - t.start), waitThreadsMs: ms(t.thread), waitInsertMs: ms(t.insert), waitReadMs: ms(t.read), waitErrorsMs: ms(t.errors), waitFailedMs: ms(t.failed),
    });
    return final.result;
  }
}

type Final = { result: FileValidation; header: string[] };
type ReadChunk = () => Promise<IteratorResult<Buffer>>;

/** Chunks handed to the thread ahead of the one being handled (each ≤ 1 MiB of text). */
const WORKER_QUEUE = 3;

/**
 * Gives staged buffers back to the validation thread that wrote them (StagedSink.recycle), for its next rows:
 * the batch generators note where each batch's rows come from, the consumer gives them back once read. Opt-in: a
 * consumer that keeps batches (tests, benchmarks) passes none.
 */
export class StagedRecycler {
  private readonly origin = new WeakMap<ArrayBuffer, ValidationThread>();

  /** Notes that `thread` wrote `staged`. */
  from(thread: ValidationThread, staged: Uint8Array | null): void {
    if (staged && sinkOwned(staged)) this.origin.set(staged.buffer as ArrayBuffer, thread);
  }

  /** Gives `staged` back to its thread; it must not be read after this. */
  give(staged: Uint8Array): void {
    const buffer = staged.buffer as ArrayBuffer;
    const thread = this.origin.get(buffer);
    if (!thread) return;
    this.origin.delete(buffer);
    thread.post({ type: 'recycle', buf: staged });
  }
}

/** The whole file in order, one thread. */
export async function* orderedBatches(init: FileValidatorInit, read: ReadChunk, recycler?: StagedRecycler): AsyncGenerator<ValidateBatch, Final> {
  const worker = new ValidationThread({ init, header: null });
  const noted = (b: ValidateBatch) => {
    recycler?.from(worker, b.staged);
    return b;
  };
  try {
    // Keep a few chunks queued at the thread so it never waits for Redis or for us.
    const queued: Promise<Extract<WorkerOut, { type: 'batch' }>>[] = [];
    for (let c = await read(); !c.done; c = await read()) {
      queued.push(worker.send({ type: 'chunk', buf: c.value }) as Promise<Extract<WorkerOut, { type: 'batch' }>>);
      if (queued.length >= WORKER_QUEUE) yield noted((await queued.shift()!).batch);
    }
    while (queued.length) yield noted((await queued.shift()!).batch);
    const done = (await worker.send({ type: 'end' })) as Extract<WorkerOut, { type: 'done' }>;
    yield done.batch;
    return { result: done.result, header: done.header };
  } finally {
    await worker.terminate();
  }
}

/**
 * The file cut into segments at line breaks, validated by up to `threads` threads, batches yielded in file order
 * (domain/file-validator.ts SegmentValidator says how). This thread counts each segment's rows as it cuts
 * (SegmentCounter), so segment k goes straight to thread k mod n with its first row number; the segments' keys
 * are merged in file order (SegmentMerger) and a segment whose keys an earlier one claimed is validated again.
 * Throws SegmentCutError when the file does not suit this.
 */
export async function* parallelBatches(
  init: FileValidatorInit,
  read: ReadChunk,
  threads: number,
  segmentBytes: number,
  recycler?: StagedRecycler,
): AsyncGenerator<ValidateBatch, Final> {
  type Validated = Extract<WorkerOut, { type: 'validated' }>;
  const workers: ValidationThread[] = [];
  const waiting = new Map<number, { resolve: (v: Validated) => void; reject: (e: unknown) => void }>();
  const batches = new Map<number, Promise<Validated>>();
  const counter = new SegmentCounter();
  const merger = new SegmentMerger<Validated>();
  const again = new Set<number>(); // being validated again with conflicts
  let failure: unknown = null;

  const fail = (err: unknown) => {
    failure ??= err;
    for (const w of waiting.values()) w.reject(failure);
    waiting.clear();
  };
  const settle = (v: Validated) => {
    workers[v.seq % threads].post({ type: 'release', seq: v.seq });
    recycler?.from(workers[v.seq % threads], v.batch.staged);
    waiting.get(v.seq)?.resolve(v);
    waiting.delete(v.seq);
  };
  const onMessage = (m: WorkerOut) => {
    if (m.type !== 'validated') return;
    try {
      if (again.delete(m.seq)) return settle(m);
      for (const { segment, conflicts } of merger.add(m)) {
        if (conflicts.length === 0) settle(segment);
        else {
          again.add(segment.seq);
          workers[segment.seq % threads].post({ type: 'revalidate', seq: segment.seq, conflicts });
        }
      }
    } catch (err) {
      fail(err);
    }
  };
  // A file-level error in a segment: the one-thread pass reports it exactly.
  const onError = (err: unknown) => fail(err instanceof FileLevelError ? new SegmentCutError(`${err.code} in a segment`) : err);
  const dispatch = (s: Segment) => {
    const rowOffset = counter.add(s);
    const k = s.seq % threads;
    workers[k] ??= new ValidationThread({ init, header: counter.header! }, onMessage, onError);
    const p = failure ? Promise.reject(failure) : new Promise<Validated>((resolve, reject) => waiting.set(s.seq, { resolve, reject }));
    p.catch(() => {}); // awaited in order below; a failure may leave later ones unawaited
    batches.set(s.seq, p);
    // Its own ArrayBuffer, transferred: posting a view would copy the whole buffer behind it.
    const own = new Uint8Array(s.buf.length);
    own.set(s.buf);
    workers[k].post({ type: 'validate', seq: s.seq, buf: own, place: { first: s.first, last: s.last, byteOffset: s.byteOffset, rowOffset } });
  };

  const running: FileValidation = { rowsTotal: 0, rowsValid: 0, rowsInvalid: 0, errorsByCode: {}, errorsByField: {} };
  let errorCount = 0;
  try {
    const cutter = new SegmentCutter(segmentBytes);
    let sent = 0;
    let next = 0; // next segment to yield
    let lastSeq = -1; // known once the input has ended
    const maxInFlight = 3 * threads; // bounds memory: segments read but not yet handed on
    while (lastSeq < 0 || next <= lastSeq) {
      while (lastSeq < 0 && sent - next < maxInFlight) {
        const c = await read();
        const segs = c.done ? [cutter.end()] : cutter.push(c.value);
        for (const s of segs) dispatch(s);
        sent += segs.length;
        if (c.done) lastSeq = sent - 1;
      }
      const done = await batches.get(next)!;
      batches.delete(next);
      next++;
      const r = done.result;
      running.rowsTotal += r.rowsTotal;
      running.rowsValid += r.rowsValid;
      running.rowsInvalid += r.rowsInvalid;
      for (const [c, n] of Object.entries(r.errorsByCode)) running.errorsByCode[c as ErrorCode] = (running.errorsByCode[c as ErrorCode] ?? 0) + (n ?? 0);
      for (const [f, n] of Object.entries(r.errorsByField)) running.errorsByField[f] = (running.errorsByField[f] ?? 0) + n;
      errorCount += done.batch.errorCount;
      yield { ...done.batch, rowsTotal: running.rowsTotal, rowsInvalid: running.rowsInvalid, errorCount };
    }
    return { result: running, header: counter.header!.names };
  } finally {
    await Promise.all(workers.map((w) => w?.terminate()));
  }
}

let threadCode: string | null | undefined;

/**
 * The validation thread's code as one CommonJS script, bundled once per process and started with `eval` (no file:
 * nothing on disk another user could replace or a temp cleaner could remove). Loading the TypeScript through tsx
 * instead (validate-worker-boot.mjs, the fallback when bundling fails) costs every thread a module-loader thread
 * of its own and the transform of each module: ≈ 30 MB per thread, and a fresh thread per file.
 */
function bundledThreadCode(): string | null {
  if (threadCode !== undefined) return threadCode;
  try {
    const source = fileURLToPath(new URL('./validate-worker.ts', import.meta.url));
    const out = buildSync({ entryPoints: [source], bundle: true, platform: 'node', format: 'cjs', target: 'node20', write: false, logLevel: 'silent' });
    threadCode = out.outputFiles[0].text;
  } catch {
    threadCode = null;
  } finally {
    // buildSync keeps a service thread (and its child process) alive for later calls: there are none.
    stopEsbuild();
  }
  return threadCode;
}

/**
 * A validation thread's young generation. Its live objects are few (a row's values, the batch being built), so a
 * smaller nursery is scavenged as fast and holds less. `scripts/bench-thread-memory.ts` (M-err payment file,
 * two to four runs each): default 245–246 MB peak RSS, 43.0–45.1 s; 16 MB 200–216 MB, 42.9–43.6 s; 8 MB 187–194 MB
 * but 52–53 s.
 */
const THREAD_YOUNG_GENERATION_MB = 16;

/** One worker thread, as promises (one reply per message, in order) or as callbacks (parallel validation). */
class ValidationThread {
  private readonly worker: Worker;
  private readonly waiting: { resolve: (m: WorkerOut) => void; reject: (e: unknown) => void }[] = [];
  private failure: unknown = null;

  constructor(data: WorkerData, onMessage?: (m: WorkerOut) => void, onError?: (e: unknown) => void) {
    const code = bundledThreadCode();
    const options = { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: THREAD_YOUNG_GENERATION_MB } };
    this.worker = code === null ? new Worker(new URL('./validate-worker-boot.mjs', import.meta.url), options) : new Worker(code, { ...options, eval: true });
    const fail = (err: unknown) => {
      if (this.failure === null) this.failure = err;
      for (const w of this.waiting.splice(0)) w.reject(this.failure);
      onError?.(this.failure);
    };
    this.worker.on('message', (m: WorkerOut) => {
      if (m.type === 'error') {
        const e = m.error;
        fail(e.fileLevel ? new FileLevelError(e.code as FileErrorCode, e.message, e.details as FileErrorDetails) : Object.assign(new Error(e.message), { stack: e.stack }));
        return;
      }
      if (onMessage) onMessage(m);
      else this.waiting.shift()?.resolve(m);
    });
    this.worker.on('error', (err) => fail(err));
    this.worker.on('exit', (code) => fail(new Error(`validation worker exited (code ${code})`)));
  }

  post(msg: WorkerIn): void {
    if (this.failure !== null) return;
    const buf = msg.type === 'chunk' || msg.type === 'validate' || msg.type === 'recycle' ? msg.buf : null;
    const transfer = buf !== null && (msg.type === 'recycle' ? sinkOwned(buf) : ownsBuffer(buf));
    this.worker.postMessage(msg, transfer ? [buf.buffer as ArrayBuffer] : []);
  }

  send(msg: WorkerIn): Promise<WorkerOut> {
    if (this.failure !== null) return Promise.reject(this.failure);
    const reply = new Promise<WorkerOut>((resolve, reject) => this.waiting.push({ resolve, reject }));
    reply.catch(() => {}); // a queued reply may be abandoned when an earlier one fails
    this.post(msg);
    return reply;
  }

  async terminate(): Promise<void> {
    this.failure ??= new Error('validation worker terminated');
    await this.worker.terminate();
  }
}

async function writeFailedHeader(deps: ActivityDeps, failedKey: string, header: () => string[]): Promise<void> {
  const h = header();
  if (h.length) await deps.redis.staging.set(`${failedKey}:header`, JSON.stringify(h), 'EX', deps.failedRowsTtlSeconds);
}
