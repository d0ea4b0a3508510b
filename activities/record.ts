import { faultPoint, type ActivityDeps } from './deps.ts';
import type { LoanType } from '../domain/columns.ts';
import type { SyncOutcome, SyncProgress, SyncTrigger } from '../domain/sync-types.ts';
import { FACT_TABLE, type FileType } from '../domain/columns.ts';
import { finishLog } from '../lib/sync-logs.ts';
import { invalidateTenantCache } from '../lib/cache-invalidation.ts';
import { withTenant } from '../lib/db.ts';
import { CACHE_TTL, keys } from '../lib/keys.ts';

const METRICS_MARK_TTL = 7 * 24 * 3600;

export function createRecordActivities(deps: ActivityDeps) {
  return {
    /** Final sync log, Prometheus metrics and cache invalidation. */
    async recordSync(input: {
      tenantId: string;
      loanType: LoanType;
      syncId: string;
      trigger: SyncTrigger;
      outcome: SyncOutcome;
      steps?: SyncProgress['steps'];
    }): Promise<void> {
      const { tenantId, loanType, syncId, outcome } = input;
      const { rows } = await withTenant(deps.db, tenantId, (c) =>
        c.query<{ started_at: Date }>('SELECT started_at FROM sync_logs WHERE sync_id = $1', [syncId]),
      );
      // Before the final status becomes visible, so a client that sees it never reads pre-sync caches.
      await invalidateTenantCache(deps.cache, tenantId, syncId, loanType);
      await finishLog(deps.db, tenantId, syncId, outcome, input.steps ?? []);
      await faultPoint(deps, 'record.afterFinish');
      await invalidateTenantCache(deps.cache, tenantId, syncId, loanType);
      // After the invalidation that dropped the previous one: only this sync's profiles run may store profiles now.
      await deps.cache.run((r) => r.set(keys.cache.profileGeneration(tenantId, loanType), syncId, 'EX', CACHE_TTL.profilePrecomputed), null);
      // Exactly once per sync, whichever attempt gets here first: an attempt that wrote the final log and died
      // before this line left nothing counted, so the log's status cannot be the mark.
      const first = await deps.redis.staging.set(keys.metricsCounted(tenantId, syncId), '1', 'EX', METRICS_MARK_TTL, 'NX');
      if (first === null) return;
      const m = deps.metrics;
      m.syncOperations.inc({ tenant: tenantId, loan_type: loanType, status: outcome.status, trigger: input.trigger });
      if (rows[0]) {
        m.syncDuration.observe({ tenant: tenantId, loan_type: loanType, status: outcome.status }, (Date.now() - rows[0].started_at.getTime()) / 1000);
      }
      for (const [ft, f] of Object.entries(outcome.files) as [FileType, NonNullable<SyncOutcome['files'][FileType]>][]) {
        for (const [code, n] of Object.entries(f.errorsByCode)) {
          if (n) m.validationErrors.inc({ tenant: tenantId, loan_type: loanType, file_type: ft, code }, n);
        }
      }
      for (const [ft, n] of Object.entries(outcome.rowsWritten) as [FileType, number][]) {
        if (n) m.rowsInserted.inc({ tenant: tenantId, loan_type: loanType, table: FACT_TABLE[ft] }, n);
      }
    },
  };
}
