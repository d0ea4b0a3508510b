import { faultPoint, type ActivityDeps } from './deps.ts';
import type { SyncInput } from '../domain/sync-types.ts';
import { markRunning } from '../lib/sync-logs.ts';

export function createBeginActivities(deps: ActivityDeps) {
  return {
    /** Marks the sync log RUNNING (creating it for scheduled syncs) and makes sure the tenant's warehouse exists. */
    async beginSync(input: SyncInput & { workflowId: string; runId: string }): Promise<void> {
      await markRunning(deps.db, input.tenantId, input.syncId, input.loanType, input.trigger, input.workflowId, input.runId);
      await faultPoint(deps, 'begin.afterMark');
      await deps.warehouse.ensureTenant(input.tenantId);
      await deps.cache.delPattern(`findata:${input.tenantId}:sync_logs:*`);
    },
  };
}
