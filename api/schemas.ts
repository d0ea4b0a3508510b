/**
 * Request and response schemas (valibot). The same objects validate requests and generate /api/openapi.json,
 * so the document cannot drift from what the server accepts.
 */
import * as v from 'valibot';
import { ERROR_CODES, FILE_TYPES, LOAN_TYPES, asciiLower, asciiUpper } from '../domain/columns.ts';

const intText = (min: number, max: number, dflt: number) =>
  v.optional(
    v.pipe(v.string(), v.regex(/^[0-9]{1,9}$/, 'must be a whole number'), v.transform(Number), v.minValue(min), v.maxValue(max)),
    String(dflt),
  );

export const LoanTypeQ = v.pipe(v.string(), v.transform(asciiUpper), v.picklist(LOAN_TYPES, 'must be RETAIL or COMMERCIAL'));
export const FileTypeQ = v.pipe(v.string(), v.transform(asciiLower), v.picklist(FILE_TYPES, 'must be credit or payment_plan'));
export const SyncStatusQ = v.pipe(v.string(), v.transform(asciiUpper), v.picklist(['PENDING', 'RUNNING', 'SUCCESS', 'ABORTED', 'FAILED'], 'must be a sync status'));
const TenantIdQ = v.optional(v.pipe(v.string(), v.maxLength(64)));

export const Page = { limit: intText(1, 1000, 50), offset: intText(0, 10_000_000, 0) };

export const SyncLogsQuery = v.object({ loan_type: v.optional(LoanTypeQ), status: v.optional(SyncStatusQ), ...Page });
export const ErrorsQuery = v.object({
  file_type: v.optional(FileTypeQ),
  code: v.optional(v.pipe(v.string(), v.transform(asciiUpper), v.picklist(ERROR_CODES, 'must be an error code'))),
  // Column names never hold control characters, and PostgreSQL refuses a NUL in text: 400, not a failed query.
  field: v.optional(v.pipe(v.string(), v.maxLength(64), v.regex(/^[^\u0000-\u001f\u007f-\u009f]*$/, 'must not contain control characters'))),
  ...Page,
});
export const FailedRecordsQuery = v.object({ file_type: v.optional(FileTypeQ) });
export const StartSyncBody = v.object({ tenant_id: TenantIdQ, loan_type: LoanTypeQ });
export const UpdateSyncConfigBody = v.object({
  tenant_id: TenantIdQ,
  enabled: v.optional(v.boolean()),
  interval_seconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(5), v.maxValue(86_400))),
});
export const DataQuery = v.object({
  tenant_id: TenantIdQ,
  loan_type: LoanTypeQ,
  file_type: v.optional(FileTypeQ, 'credit'),
  ...Page,
  columns: v.optional(v.pipe(v.string(), v.maxLength(2000), v.description('comma-separated column names; default all'))),
  sort: v.optional(v.pipe(v.string(), v.maxLength(64), v.description('column name; prefix with - for descending'))),
});
export const ProfilingQuery = v.object({ tenant_id: TenantIdQ, loan_type: LoanTypeQ, file_type: v.optional(FileTypeQ, 'credit') });
export const SessionBody = v.object({ api_key: v.pipe(v.string(), v.maxLength(200)) });

// ---- responses ----
export const ErrorEnvelope = v.object({
  error: v.looseObject({ code: v.string(), message: v.string(), requestId: v.optional(v.string()) }),
});
export const Health = v.object({ status: v.literal('ok') });
const LoanTypeOut = v.picklist(LOAN_TYPES);
const FileTypeOut = v.picklist(FILE_TYPES);
export const UploadResult = v.object({
  tenant_id: v.string(),
  loan_type: LoanTypeOut,
  file_type: FileTypeOut,
  rows: v.number(),
  bytes: v.number(),
  sha256: v.string(),
  warnings: v.array(v.string()),
});
export const PendingUpload = v.object({
  loan_type: LoanTypeOut,
  file_type: FileTypeOut,
  rows: v.number(),
  bytes: v.number(),
  sha256: v.string(),
  uploaded_at: v.string(),
  original_name: v.string(),
  warnings: v.array(v.string()),
});
export const SyncStarted = v.object({ sync_id: v.string(), workflow_id: v.string(), run_id: v.string() });
export const SyncConfig = v.object({
  id: v.number(),
  tenant_id: v.string(),
  loan_type: LoanTypeOut,
  enabled: v.boolean(),
  interval_seconds: v.number(),
  pending: v.object({ credit: v.number(), payment_plan: v.number() }),
  created_at: v.string(),
  updated_at: v.string(),
});
const FileCounts = v.object({ rows_total: v.number(), rows_valid: v.number(), rows_invalid: v.number(), sha256: v.string() });
export const SyncLog = v.object({
  sync_id: v.string(),
  tenant_id: v.string(),
  loan_type: LoanTypeOut,
  status: v.picklist(['PENDING', 'RUNNING', 'SUCCESS', 'ABORTED', 'FAILED']),
  trigger: v.picklist(['SCHEDULE', 'MANUAL']),
  workflow_id: v.nullable(v.string()),
  run_id: v.nullable(v.string()),
  started_at: v.string(),
  finished_at: v.nullable(v.string()),
  files: v.object({ credit: v.optional(FileCounts), payment_plan: v.optional(FileCounts) }),
  error_rate: v.number(),
  errors_by_code: v.record(v.string(), v.number()),
  errors_by_field: v.record(v.string(), v.number()),
  rows_written: v.record(v.string(), v.number()),
  rows_removed: v.object({ payment_plan: v.number() }),
  message: v.string(),
  steps: v.array(v.object({ name: v.string(), startedAt: v.string(), finishedAt: v.nullable(v.string()) })),
  temporal_url: v.optional(v.string()),
});
export const SyncLogList = v.object({ total: v.number(), limit: v.number(), offset: v.number(), items: v.array(SyncLog) });
const FileProgress = v.object({ rowsTotal: v.number(), rowsProcessed: v.number(), rowsInvalid: v.number(), errors: v.number() });
export const SyncProgress = v.object({
  sync_id: v.string(),
  status: v.string(),
  live: v.boolean(),
  phase: v.string(),
  files: v.object({ credit: v.optional(FileProgress), payment_plan: v.optional(FileProgress) }),
  errors_so_far: v.number(),
  steps: v.array(v.object({ name: v.string(), startedAt: v.string(), finishedAt: v.nullable(v.string()) })),
});
export const ValidationErrorList = v.object({
  total: v.number(),
  limit: v.number(),
  offset: v.number(),
  items: v.array(
    v.object({ file_type: FileTypeOut, row: v.number(), field: v.string(), code: v.string(), message: v.string(), value: v.nullable(v.string()) }),
  ),
});
export const DataPage = v.object({
  tenant_id: v.string(),
  loan_type: LoanTypeOut,
  file_type: FileTypeOut,
  total: v.number(),
  limit: v.number(),
  offset: v.number(),
  columns: v.array(v.object({ name: v.string(), type: v.string() })),
  items: v.array(v.record(v.string(), v.unknown())),
});
export const Profile = v.object({
  tenant_id: v.string(),
  loan_type: LoanTypeOut,
  file_type: FileTypeOut,
  row_count: v.number(),
  profiled_at: v.pipe(v.string(), v.description('when the figures were computed: right after the sync that loaded the data (each sync that does not fail precomputes its loan type\'s profiles), or by the first read when that did not happen')),
  columns: v.array(
    v.object({
      name: v.string(),
      type: v.string(),
      nulls: v.number(),
      distinct: v.number(),
      min: v.nullable(v.union([v.string(), v.number()])),
      max: v.nullable(v.union([v.string(), v.number()])),
      mean: v.optional(v.nullable(v.string())),
      sum: v.optional(v.nullable(v.string())),
      top: v.optional(v.array(v.object({ value: v.string(), count: v.number() }))),
      histogram: v.optional(v.array(v.object({ from: v.number(), to: v.number(), count: v.number() }))),
    }),
  ),
});
export const SessionInfo = v.object({
  tenant_id: v.string(),
  tenant_name: v.string(),
  csrf_token: v.string(),
  temporal_ui_url: v.string(),
});
export const TenantInfo = v.object({
  id: v.string(),
  name: v.string(),
  pg_schema: v.string(),
  ch_database: v.string(),
  api_key_prefix: v.string(),
  active: v.boolean(),
  created_at: v.string(),
});
export const RotatedKey = v.object({
  tenant_id: v.string(),
  api_key: v.string(),
  api_key_prefix: v.string(),
  /** Only for web sessions: the session cookie was re-issued with this CSRF token. */
  csrf_token: v.optional(v.string()),
});
