/**
 * validateFile: streams one claimed file out of Redis, parses and validates every row (spec §2–§6), writes valid
 * normalized rows to the loan type's staging partition in ClickHouse, batches errors into PostgreSQL and keeps
 * failed rows in Redis for 72 h. Idempotent: a retry (e.g. after a worker crash) clears what an earlier attempt
 * wrote for this sync and file, then starts over, so counts are exact and nothing is duplicated.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { faultPoint, type ActivityDeps } from './deps.ts';
import { FACT_TABLE, STAGING_TABLE, type FileType, type LoanType } from '../domain/columns.ts';
import { Worker } from 'node:worker_threads';
import { FileLevelError, type FileErrorCode, type FileErrorDetails } from '../domain/file-errors.ts';
import { ownsBuffer, type FileValidatorInit, type ValidateBatch } from '../domain/file-validator.ts';
import type { WorkerIn, WorkerOut } from './validate-worker.ts';
import type { FileProgress, FileValidation } from '../domain/sync-types.ts';
import { PROGRESS_SIGNAL } from '../domain/sync-types.ts';
import { keys } from '../lib/keys.ts';
import { ChunkedListWriter, readChunks } from '../lib/staging.ts';
import { deleteValidationErrors, insertValidationErrors, type ValidationErrorRow } from '../lib/sync-logs.ts';
import { qualified } from '../lib/warehouse.ts';

export interface ValidateInput {
  tenantId: string;
  loanType: LoanType;
  syncId: string;
  fileType: FileType;
  /** CROSS_REFERENCE set (spec §6): this sync's staged credit rows, the warehouse's, or none (credit files). */
  references: 'staging' | 'warehouse' | 'none';
}

const ERROR_BATCH = 5_000;
const DEFAULT_INSERT_ROWS = 100_000;
const PROGRESS_EVERY_MS = 2_000;

export function createValidateActivities(deps: ActivityDeps) {
  const insertRows = deps.insertBatchRows ?? DEFAULT_INSERT_ROWS;

  /** The CROSS_REFERENCE set as newline-terminated text (cheap to hand to the worker thread), or null. */
  async function loadReferences(input: ValidateInput): Promise<string | null> {
    if (input.references === 'none') return null;
    const table = input.references === 'staging' ? STAGING_TABLE.credit : FACT_TABLE.credit;
    const rs = await deps.warehouse.client.query({
      query: `SELECT loan_account_number FROM ${qualified(input.tenantId, table)} WHERE loan_type = {lt:String}`,
      query_params: { lt: input.loanType },
      format: 'TabSeparated',
    });
    return rs.text();
  }

  return {
    async validateFile(input: ValidateInput): Promise<FileValidation> {
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
      await deleteValidationErrors(deps.db, tenantId, syncId, fileType);
      const failed = new ChunkedListWriter(deps.redis.staging, keys.failed(tenantId, loanType, fileType, syncId), deps.failedRowsTtlSeconds);
      await failed.reset();

      const init: FileValidatorInit = {
        fileType,
        loanType,
        syncId,
        loadedAt: new Date().toISOString().replace('T', ' ').replace('Z', ''),
        references: await loadReferences(input),
      };
      const worker = new ValidationThread(init);

      let tsvParts: Uint8Array[] = [];
      let tsvRows = 0;
      let errBatch: ValidationErrorRow[] = [];
      let rowsTotal = 0;
      let rowsInvalid = 0;
      let errorCount = 0;

      // One insert in flight while the worker parses on: the engine works on its own threads meanwhile.
      let inflight: Promise<void> | null = null;
      const flushRows = async () => {
        if (tsvRows === 0) return;
        const body = Buffer.concat(tsvParts);
        tsvParts = [];
        tsvRows = 0;
        if (inflight) await inflight;
        const p = wh.insertTsv(stg, body);
        p.catch(() => {}); // surfaced by the next await of `inflight`
        inflight = p;
      };
      const flushErrors = async () => {
        if (errBatch.length === 0) return;
        const batch = errBatch;
        errBatch = [];
        await insertValidationErrors(deps.db, tenantId, syncId, fileType, batch);
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
        if (b.tsv) {
          tsvParts.push(b.tsv);
          tsvRows += b.tsvRows;
        }
        for (const e of b.errors) errBatch.push(e);
        for (const l of b.failedLines) await failed.write(l);
        rowsTotal = b.rowsTotal;
        rowsInvalid = b.rowsInvalid;
        errorCount = b.errorCount;
        if (tsvRows >= insertRows) await flushRows();
        if (errBatch.length >= ERROR_BATCH) await flushErrors();
        if (first) {
          first = false;
          await report(true);
          await faultPoint(deps, 'validate.afterFirstChunk', () => ctx.heartbeat());
        }
        await report();
      };

      let final: Awaited<ReturnType<ValidationThread['end']>>;
      try {
        // Keep a few chunks queued at the worker so it never waits for Redis or for us.
        const queued: Promise<ValidateBatch>[] = [];
        for await (const chunk of readChunks(deps.redis.staging, claimed.chunks)) {
          queued.push(worker.push(chunk));
          if (queued.length >= WORKER_QUEUE) await handle(await queued.shift()!);
        }
        while (queued.length) await handle(await queued.shift()!);
        final = await worker.end();
        await handle(final.batch);
        await flushRows();
        await inflight;
      } catch (err) {
        // A retry starts by dropping the staging partition: no insert of this attempt may land after that.
        await (inflight as Promise<void> | null)?.catch(() => {});
        if (err instanceof FileLevelError) {
          // Accepted at upload, so this means the stored file changed or the rules did: do not retry.
          throw ApplicationFailure.nonRetryable(`${fileType}: ${err.message}`, 'BadData');
        }
        throw err;
      } finally {
        await worker.terminate();
      }
      await flushErrors();
      await failed.close();
      await writeFailedHeader(deps, keys.failed(tenantId, loanType, fileType, syncId), () => final.header);
      rowsTotal = final.result.rowsTotal;
      await report(true);
      return final.result;
    },
  };
}

/** Chunks handed to the worker ahead of the one being handled (each ≤ 1 MiB of text). */
const WORKER_QUEUE = 3;

/** The worker thread of one file, as promises: one reply per message, in order. */
class ValidationThread {
  private readonly worker: Worker;
  private readonly waiting: { resolve: (m: WorkerOut) => void; reject: (e: unknown) => void }[] = [];
  private failure: unknown = null;

  constructor(init: FileValidatorInit) {
    this.worker = new Worker(new URL('./validate-worker-boot.mjs', import.meta.url), { workerData: init });
    this.worker.on('message', (m: WorkerOut) => {
      if (m.type === 'error') {
        const e = m.error;
        this.fail(e.fileLevel ? new FileLevelError(e.code as FileErrorCode, e.message, e.details as FileErrorDetails) : Object.assign(new Error(e.message), { stack: e.stack }));
        return;
      }
      this.waiting.shift()?.resolve(m);
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`validation worker exited (code ${code})`)));
  }

  private fail(err: unknown): void {
    if (this.failure === null) this.failure = err;
    for (const w of this.waiting.splice(0)) w.reject(this.failure);
  }

  private send(msg: WorkerIn): Promise<WorkerOut> {
    if (this.failure !== null) return Promise.reject(this.failure);
    const reply = new Promise<WorkerOut>((resolve, reject) => this.waiting.push({ resolve, reject }));
    reply.catch(() => {}); // a queued reply may be abandoned when an earlier one fails
    const buf = msg.type === 'chunk' ? msg.buf : null;
    this.worker.postMessage(msg, buf && ownsBuffer(buf) ? [buf.buffer as ArrayBuffer] : []);
    return reply;
  }

  async push(buf: Uint8Array): Promise<ValidateBatch> {
    return ((await this.send({ type: 'chunk', buf })) as Extract<WorkerOut, { type: 'batch' }>).batch;
  }

  async end(): Promise<Extract<WorkerOut, { type: 'done' }>> {
    return (await this.send({ type: 'end' })) as Extract<WorkerOut, { type: 'done' }>;
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

