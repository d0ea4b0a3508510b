import type { Cache } from './cache.ts';
import type { LoanType } from '../domain/columns.ts';

/**
 * After a sync: everything derived from sync logs or warehouse data is stale; auth entries are not. Profiles are
 * per loan type and costly to recompute, so a sync drops only its own loan type's.
 */
export async function invalidateTenantCache(cache: Cache, tenantId: string, syncId?: string, loanType?: LoanType): Promise<void> {
  await Promise.all([
    cache.delPattern(`findata:${tenantId}:sync_logs:*`),
    cache.delPattern(`findata:${tenantId}:ch_count:*`),
    cache.delPattern(`findata:${tenantId}:profile:${loanType ?? '*'}:*`),
    cache.delPattern(`findata:${tenantId}:data_page:*`),
    cache.delPattern(`findata:${tenantId}:existing_loans:*`),
    syncId ? cache.del(`findata:${tenantId}:val_errors:${syncId}`) : Promise.resolve(),
  ]);
}
