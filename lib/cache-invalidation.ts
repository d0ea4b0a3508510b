import type { Cache } from './cache.ts';

/** After a sync: everything derived from sync logs or warehouse data is stale; auth entries are not. */
export async function invalidateTenantCache(cache: Cache, tenantId: string, syncId?: string): Promise<void> {
  await Promise.all([
    cache.delPattern(`findata:${tenantId}:sync_logs:*`),
    cache.delPattern(`findata:${tenantId}:ch_count:*`),
    cache.delPattern(`findata:${tenantId}:profile:*`),
    cache.delPattern(`findata:${tenantId}:data_page:*`),
    cache.delPattern(`findata:${tenantId}:existing_loans:*`),
    syncId ? cache.del(`findata:${tenantId}:val_errors:${syncId}`) : Promise.resolve(),
  ]);
}
