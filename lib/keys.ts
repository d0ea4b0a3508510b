/**
 * Redis key layout (one place). Staging keys live on the staging Redis (noeviction); `findata:` cache keys
 * live on the cache Redis (allkeys-lru). See docs/ARCHITECTURE.md "Redis".
 */
import type { FileType, LoanType } from '../domain/columns.ts';

const base = (t: string, lt: LoanType, ft: FileType) => `extbank:${t}:${lt}:${ft}`;

export interface StagedKeys {
  /** list of compressed chunks of the raw upload, in order */
  chunks: string;
  /** data-row count: the O(1) "is there pending data" check */
  count: string;
  /** hash: bytes, rows, sha256, original_name, uploaded_at, warnings */
  meta: string;
}
const triple = (k: string): StagedKeys => ({ chunks: k, count: `${k}:count`, meta: `${k}:meta` });

export const keys = {
  pending: (t: string, lt: LoanType, ft: FileType) => triple(base(t, lt, ft)),
  incoming: (t: string, lt: LoanType, ft: FileType, uploadId: string) => triple(`${base(t, lt, ft)}:incoming:${uploadId}`),
  claimed: (t: string, lt: LoanType, ft: FileType, syncId: string) => triple(`${base(t, lt, ft)}:sync:${syncId}`),
  /** failed rows of one sync (spec §8: kept 72 h). Suffixed by sync id so each sync's rows stay downloadable. */
  failed: (t: string, lt: LoanType, ft: FileType, syncId: string) => `extbank_failed:${t}:${lt}:${ft}:${syncId}`,
  /** which fact partitions a sync's commit snapshotted (for roll back); deleted by the sync's clean-up */
  commitSnapshot: (t: string, lt: LoanType, syncId: string) => `extbank_commit:${t}:${lt}:${syncId}`,
  /** set once the sync's metrics are counted, so a retried record counts them exactly once (expires after a week) */
  metricsCounted: (t: string, syncId: string) => `extbank_metrics:${t}:${syncId}`,
  cache: {
    syncConfigs: (t: string) => `findata:${t}:sync_configs`,
    // The serialized response body (was the page object under sync_logs:recent:{limit}).
    syncLogsRecent: (t: string, limit: number) => `findata:${t}:sync_logs:recent_body:${limit}`,
    chCount: (t: string, table: string, lt: LoanType) => `findata:${t}:ch_count:${table}:${lt}`,
    chSchema: (t: string, table: string) => `findata:${t}:ch_schema:${table}`,
    profile: (t: string, lt: LoanType, ft: FileType) => `findata:${t}:profile:${lt}:${ft}`,
    /** the sync whose precomputed profiles may be stored; under the profile pattern so an invalidation drops it */
    profileGeneration: (t: string, lt: LoanType) => `findata:${t}:profile:${lt}:generation`,
    /** one page of /api/data/, keyed by a hash of its normalized query */
    dataPage: (t: string, queryHash: string) => `findata:${t}:data_page:${queryHash}`,
    valErrors: (t: string, logId: string) => `findata:${t}:val_errors:${logId}`,
    existingLoans: (t: string, lt: LoanType) => `findata:${t}:existing_loans:${lt}`,
    tenantAuth: (t: string, prefix: string) => `findata:${t}:tenant_auth:${prefix}`,
    /** prefix → tenant id, so auth can find the tenant-scoped entry without PostgreSQL */
    authPrefix: (prefix: string) => `findata:auth_prefix:${prefix}`,
    rateLimit: (bucket: string, window: number) => `findata:ratelimit:${bucket}:${window}`,
    tenantPattern: (t: string) => `findata:${t}:*`,
  },
};

export const CACHE_TTL = {
  syncConfigs: 120,
  syncLogsRecent: 60,
  chCount: 300,
  chSchema: 3600,
  // Computed on a read: short, as a read that raced a sync's commit could store the old data's profile.
  profile: 600,
  // Computed by the sync itself after its commit and record: fresh until the loan type's next sync drops it.
  profilePrecomputed: 86_400,
  // Short: a page computed while a sync commits could be stored just after the sync's invalidation.
  dataPage: 60,
  valErrors: 1800,
  existingLoans: 300,
  tenantAuth: 300,
} as const;
