import { faultPoint, type ActivityDeps } from './deps.ts';
import { FILE_TYPES, STAGING_TABLE, type LoanType } from '../domain/columns.ts';
import { releaseClaim } from '../lib/staging.ts';
import { keys } from '../lib/keys.ts';
import { qualified } from '../lib/warehouse.ts';

export function createCleanupActivities(deps: ActivityDeps) {
  return {
    /**
     * SUCCESS / ABORTED: the claimed uploads are dropped (spec §6: an aborted upload is not picked up again).
     * FAILED: they go back to pending unless a newer upload arrived. Then the staging partitions are cleared.
     * The uploads come first: with the warehouse down this step can fail for good, and a failed sync's files must
     * still be back in pending, not left under the sync's own keys. Staging that stays behind is harmless: every
     * validate and carry-over drops its partition before it writes.
     */
    async cleanupSync(input: { tenantId: string; loanType: LoanType; syncId: string; outcome: 'SUCCESS' | 'ABORTED' | 'FAILED' }): Promise<void> {
      const { tenantId, loanType, syncId } = input;
      // The commit snapshot is only needed until the sync ends.
      await deps.redis.staging.del(keys.commitSnapshot(tenantId, loanType, syncId));
      await releaseClaim(deps.redis.staging, tenantId, loanType, syncId, input.outcome === 'FAILED' ? 'putback' : 'drop', deps.stagingTtlSeconds);
      await faultPoint(deps, 'cleanup.beforeDrop');
      for (const ft of FILE_TYPES) {
        // DROP PARTITION, never TRUNCATE: the other loan type's sync may be filling its own partition.
        await deps.warehouse.command(`ALTER TABLE ${qualified(tenantId, STAGING_TABLE[ft])} DROP PARTITION {lt:String}`, { lt: loanType });
      }
    },
  };
}
