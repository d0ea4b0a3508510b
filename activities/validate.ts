/**
 * validateFile: streams one claimed file out of Redis, parses and validates every row (spec §2–§6), writes valid
 * normalized rows to the loan type's staging partition in ClickHouse, batches errors into PostgreSQL and keeps
 * failed rows in Redis for 72 h. Idempotent: a retry (e.g. after a worker crash) clears what an earlier attempt
 * wrote for this sync and file, then starts over, so counts are exact and nothing is duplicated.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { faultPoint, type ActivityDeps } from './deps.ts';
import { FACT_TABLE, STAGING_TABLE, type FileType, type LoanType } from '../domain/columns.ts';
import { CsvParser, type CsvRow } from '../domain/csv.ts';
import { FileLevelError } from '../domain/file-errors.ts';
import { RowValidator, bindHeader, type HeaderBinding, type RowError } from '../domain/validate.ts';
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

  async function loadReferences(input: ValidateInput): Promise<Set<string> | undefined> {
    if (input.references === 'none') return undefined;
    const table = input.references === 'staging' ? STAGING_TABLE.credit : FACT_TABLE.credit;
    const rs = await deps.warehouse.client.query({
      query: `SELECT loan_account_number FROM ${qualified(input.tenantId, table)} WHERE loan_type = {lt:String}`,
      query_params: { lt: input.loanType },
      format: 'TabSeparated',
    });
    const text = await rs.text();
    const set = new Set<string>();
    let start = 0;
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', start)) {
      set.add(text.slice(start, i));
      start = i + 1;
    }
    return set;
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

      const references = await loadReferences(input);
      const loadedAt = new Date().toISOString().replace('T', ' ').replace('Z', '');
      const suffix = `\t${loanType}\t${syncId}\t`;
      const result: FileValidation = { rowsTotal: 0, rowsValid: 0, rowsInvalid: 0, errorsByCode: {}, errorsByField: {} };

      let validator: RowValidator | null = null;
      let header: string[] = [];
      let tsv: string[] = [];
      let errBatch: ValidationErrorRow[] = [];
      let failedLines: string[] = [];

      const parser = new CsvParser({
        onHeader(names, delimiter) {
          header = names;
          const { binding } = bindHeader(fileType, loanType, names);
          validator = new RowValidator(fileType, loanType, binding as HeaderBinding, { delimiter, references });
        },
        onRow(row: CsvRow) {
          const v = validator!.validate(row);
          result.rowsTotal++;
          if (v.errors.length === 0 && v.values) {
            result.rowsValid++;
            tsv.push(encodeTsv(v.values) + suffix + row.row + '\t' + loadedAt);
            return;
          }
          result.rowsInvalid++;
          for (const e of v.errors) countError(result, fileType, e);
          for (const e of v.errors) errBatch.push({ file_type: fileType, row: e.row, field: e.field, code: e.code, message: e.message, value: e.value });
          failedLines.push(JSON.stringify({ row: row.row, fields: row.fields, errors: v.errors.map((e) => ({ field: e.field, code: e.code, message: e.message })) }));
        },
      });

      // One insert in flight while the next batch is parsed: the engine works on its own threads meanwhile.
      let inflight: Promise<void> | null = null;
      const flushRows = async () => {
        if (tsv.length === 0) return;
        const body = Buffer.from(tsv.join('\n') + '\n');
        tsv = [];
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
      const flushFailed = async () => {
        const lines = failedLines;
        failedLines = [];
        for (const l of lines) await failed.write(l);
      };

      let lastProgress = 0;
      const report = async (force = false) => {
        const now = Date.now();
        if (!force && now - lastProgress < PROGRESS_EVERY_MS) return;
        lastProgress = now;
        const progress: FileProgress = {
          rowsTotal: totalRows,
          rowsProcessed: result.rowsTotal,
          rowsInvalid: result.rowsInvalid,
          errors: Object.values(result.errorsByCode).reduce((a, b) => a + (b ?? 0), 0),
        };
        ctx.heartbeat(progress);
        // Live progress for the workflow's query (API and web app); best effort.
        const wf = ctx.info.workflowExecution;
        if (!wf) return;
        await ctx.client.workflow
          .getHandle(wf.workflowId, wf.runId)
          .signal(PROGRESS_SIGNAL, { fileType, progress })
          .catch(() => {});
      };

      try {
        let first = true;
        for await (const chunk of readChunks(deps.redis.staging, claimed.chunks)) {
          parser.push(chunk);
          if (first) {
            first = false;
            await report(true);
            await faultPoint(deps, 'validate.afterFirstChunk', () => ctx.heartbeat());
          }
          if (tsv.length >= insertRows) await flushRows();
          if (errBatch.length >= ERROR_BATCH) await flushErrors();
          if (failedLines.length > 0) await flushFailed();
          await report();
        }
        parser.end();
      } catch (err) {
        // A retry starts by dropping the staging partition: no insert of this attempt may land after that.
        await (inflight as Promise<void> | null)?.catch(() => {});
        if (err instanceof FileLevelError) {
          // Accepted at upload, so this means the stored file changed or the rules did: do not retry.
          throw ApplicationFailure.nonRetryable(`${fileType}: ${err.message}`, 'BadData');
        }
        throw err;
      }
      await flushRows();
      await inflight;
      await flushErrors();
      await flushFailed();
      await failed.close();
      await writeFailedHeader(deps, keys.failed(tenantId, loanType, fileType, syncId), () => header);
      await report(true);
      return result;
    },
  };
}

async function writeFailedHeader(deps: ActivityDeps, failedKey: string, header: () => string[]): Promise<void> {
  const h = header();
  if (h.length) await deps.redis.staging.set(`${failedKey}:header`, JSON.stringify(h), 'EX', deps.failedRowsTtlSeconds);
}

function countError(r: FileValidation, fileType: FileType, e: RowError): void {
  r.errorsByCode[e.code] = (r.errorsByCode[e.code] ?? 0) + 1;
  const f = `${fileType}.${e.field}`;
  r.errorsByField[f] = (r.errorsByField[f] ?? 0) + 1;
}

const NEEDS_ESCAPE = /[\\\t\n\r]/;
/** TabSeparated encoding: NULL is \N; backslash, tab and line breaks are escaped. */
export function encodeTsv(values: (string | null)[]): string {
  let out = '';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i > 0) out += '\t';
    if (v === null) out += '\\N';
    else if (NEEDS_ESCAPE.test(v)) out += v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
    else out += v;
  }
  return out;
}
