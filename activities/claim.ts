import { faultPoint, type ActivityDeps } from './deps.ts';
import type { LoanType } from '../domain/columns.ts';
import type { ClaimedFiles } from '../domain/sync-types.ts';
import { claimUploads as claim } from '../lib/staging.ts';

export function createClaimActivities(deps: ActivityDeps) {
  return {
    /** Atomically takes the pending uploads into this sync's keys (idempotent on retry). */
    async claimUploads(input: { tenantId: string; loanType: LoanType; syncId: string }): Promise<ClaimedFiles> {
      const claimed = await claim(deps.redis.staging, input.tenantId, input.loanType, input.syncId);
      await faultPoint(deps, 'claim.afterClaim');
      return claimed;
    },
  };
}
