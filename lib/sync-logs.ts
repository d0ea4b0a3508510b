/** Sync log and validation error storage (tenant schema), shaped for api.md's sync log. */
import type { Db } from './db.ts';
import { copyIn, withTenant } from './db.ts';
import { ERROR_CODES, FILE_TYPES, type FileType, type LoanType } from '../domain/columns.ts';
import type { SyncOutcome, SyncProgress, SyncStatus, SyncTrigger } from '../domain/sync-types.ts';

export interface SyncLog {
  sync_id: string;
  tenant_id: string;
  loan_type: LoanType;
  status: SyncStatus;
  trigger: SyncTrigger;
  workflow_id: string | null;
  run_id: string | null;
  started_at: string;
  finished_at: string | null;
  files: Partial<Record<FileType, { rows_total: number; rows_valid: number; rows_invalid: number; sha256: string }>>;
  error_rate: number;
  errors_by_code: Record<string, number>;
  errors_by_field: Record<string, number>;
  rows_written: Record<string, number>;
  rows_removed: { payment_plan: number };
  message: string;
  /** Step timeline of a finished sync (from the workflow); empty while it runs. */
  steps: SyncProgress['steps'];
}

const COLS = `sync_id, loan_type, status, trigger, workflow_id, run_id, started_at, finished_at, files, error_rate,
  errors_by_code, errors_by_field, rows_written, rows_removed, message, phases`;

const ZERO_BY_CODE: Readonly<Record<string, number>> = Object.fromEntries(ERROR_CODES.map((c) => [c, 0]));
const ZERO_BY_FILE: Readonly<Record<string, number>> = Object.fromEntries(FILE_TYPES.map((f) => [f, 0]));

function toLog(tenantId: string, r: Record<string, unknown>): SyncLog {
  return {
    sync_id: r.sync_id as string,
    tenant_id: tenantId,
    loan_type: r.loan_type as LoanType,
    status: r.status as SyncStatus,
    trigger: r.trigger as SyncTrigger,
    workflow_id: (r.workflow_id as string) ?? null,
    run_id: (r.run_id as string) ?? null,
    started_at: (r.started_at as Date).toISOString(),
    finished_at: r.finished_at ? (r.finished_at as Date).toISOString() : null,
    files: r.files as SyncLog['files'],
    error_rate: r.error_rate as number,
    // Every code and both files from the first read on (api.md's shape): a PENDING or RUNNING log holds `{}`.
    errors_by_code: { ...ZERO_BY_CODE, ...(r.errors_by_code as Record<string, number>) },
    errors_by_field: r.errors_by_field as Record<string, number>,
    rows_written: { ...ZERO_BY_FILE, ...(r.rows_written as Record<string, number>) },
    rows_removed: r.rows_removed as { payment_plan: number },
    message: r.message as string,
    steps: (r.phases as SyncProgress['steps']) ?? [],
  };
}

export async function createPendingLog(db: Db, tenantId: string, syncId: string, loanType: LoanType, trigger: SyncTrigger, workflowId: string): Promise<void> {
  await withTenant(db, tenantId, (c) =>
    c.query(`INSERT INTO sync_logs (sync_id, loan_type, status, trigger, workflow_id) VALUES ($1, $2, 'PENDING', $3, $4)`, [syncId, loanType, trigger, workflowId]),
  );
}

export async function deleteLog(db: Db, tenantId: string, syncId: string): Promise<void> {
  await withTenant(db, tenantId, async (c) => {
    await c.query('DELETE FROM validation_errors WHERE sync_id = $1', [syncId]);
    await c.query('DELETE FROM sync_logs WHERE sync_id = $1', [syncId]);
  });
}

/** Idempotent: a scheduled sync has no PENDING row yet; a manual one does. */
export async function markRunning(db: Db, tenantId: string, syncId: string, loanType: LoanType, trigger: SyncTrigger, workflowId: string, runId: string): Promise<void> {
  await withTenant(db, tenantId, (c) =>
    c.query(
      `INSERT INTO sync_logs (sync_id, loan_type, status, trigger, workflow_id, run_id, started_at)
       VALUES ($1, $2, 'RUNNING', $3, $4, $5, now())
       ON CONFLICT (sync_id) DO UPDATE SET status = 'RUNNING', workflow_id = EXCLUDED.workflow_id, run_id = EXCLUDED.run_id
       WHERE sync_logs.status IN ('PENDING', 'RUNNING')`,
      [syncId, loanType, trigger, workflowId, runId],
    ),
  );
}

export async function finishLog(db: Db, tenantId: string, syncId: string, o: SyncOutcome, steps: SyncProgress['steps'] = []): Promise<void> {
  const files: SyncLog['files'] = {};
  const byCode: Record<string, number> = {};
  const byField: Record<string, number> = {};
  for (const [ft, f] of Object.entries(o.files) as [FileType, NonNullable<SyncOutcome['files'][FileType]>][]) {
    files[ft] = { rows_total: f.rowsTotal, rows_valid: f.rowsValid, rows_invalid: f.rowsInvalid, sha256: f.sha256 };
    for (const [k, n] of Object.entries(f.errorsByCode)) byCode[k] = (byCode[k] ?? 0) + (n ?? 0);
    for (const [k, n] of Object.entries(f.errorsByField)) byField[k] = (byField[k] ?? 0) + n;
  }
  const written = { credit: o.rowsWritten.credit ?? 0, payment_plan: o.rowsWritten.payment_plan ?? 0 };
  await withTenant(db, tenantId, (c) =>
    c.query(
      `UPDATE sync_logs SET status = $2, finished_at = now(), files = $3, error_rate = $4, errors_by_code = $5,
         errors_by_field = $6, rows_written = $7, rows_removed = $8, message = $9, phases = $10
       WHERE sync_id = $1`,
      [syncId, o.status, files, o.errorRate, byCode, byField, written, o.rowsRemoved, o.message, JSON.stringify(steps)],
    ),
  );
}

export async function getLog(db: Db, tenantId: string, syncId: string): Promise<SyncLog | null> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(syncId)) return null;
  const { rows } = await withTenant(db, tenantId, (c) => c.query(`SELECT ${COLS} FROM sync_logs WHERE sync_id = $1`, [syncId]));
  return rows[0] ? toLog(tenantId, rows[0]) : null;
}

export async function listLogs(
  db: Db,
  tenantId: string,
  f: { loanType?: LoanType; status?: SyncStatus; limit: number; offset: number },
): Promise<{ total: number; items: SyncLog[] }> {
  return withTenant(db, tenantId, async (c) => {
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.loanType) where.push(`loan_type = $${args.push(f.loanType)}`);
    if (f.status) where.push(`status = $${args.push(f.status)}`);
    const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM sync_logs ${w}`, args);
    const { rows } = await c.query(
      `SELECT ${COLS} FROM sync_logs ${w} ORDER BY started_at DESC, sync_id LIMIT $${args.length + 1} OFFSET $${args.length + 2}`,
      [...args, f.limit, f.offset],
    );
    return { total: total.rows[0].n, items: rows.map((r) => toLog(tenantId, r)) };
  });
}

export interface ValidationErrorRow {
  file_type: FileType;
  row: number;
  field: string;
  code: string;
  message: string;
  value: string | null;
}

/**
 * Errors written as COPY rows (domain/error-rows.ts errorRow), as the UTF-8 bytes the validation threads send, in
 * parts: one round trip.
 */
export async function insertValidationErrorRows(db: Db, tenantId: string, rows: readonly Uint8Array[]): Promise<void> {
  if (rows.length === 0) return;
  await withTenant(db, tenantId, (c) => copyIn(c, 'COPY validation_errors (sync_id, file_type, row, field, code, message, value) FROM STDIN', rows));
}

export async function deleteValidationErrors(db: Db, tenantId: string, syncId: string, fileType: FileType): Promise<void> {
  await withTenant(db, tenantId, (c) => c.query('DELETE FROM validation_errors WHERE sync_id = $1 AND file_type = $2', [syncId, fileType]));
}

export async function listValidationErrors(
  db: Db,
  tenantId: string,
  syncId: string,
  f: { fileType?: FileType; code?: string; field?: string; limit: number; offset: number },
): Promise<{ total: number; items: ValidationErrorRow[] }> {
  return withTenant(db, tenantId, async (c) => {
    const args: unknown[] = [syncId];
    const where = ['sync_id = $1'];
    if (f.fileType) where.push(`file_type = $${args.push(f.fileType)}`);
    if (f.code) where.push(`code = $${args.push(f.code)}`);
    if (f.field) where.push(`field = $${args.push(f.field)}`);
    const w = where.join(' AND ');
    const total = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM validation_errors WHERE ${w}`, args);
    const { rows } = await c.query<ValidationErrorRow>(
      `SELECT file_type, row, field, code, message, value FROM validation_errors WHERE ${w}
       ORDER BY file_type, row, id LIMIT $${args.length + 1} OFFSET $${args.length + 2}`,
      [...args, f.limit, f.offset],
    );
    return { total: total.rows[0].n, items: rows };
  });
}
