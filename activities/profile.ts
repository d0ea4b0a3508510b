import type { ActivityDeps } from './deps.ts';
import { FILE_TYPES, type LoanType } from '../domain/columns.ts';
import { CACHE_TTL, keys } from '../lib/keys.ts';
import { computeProfile } from '../lib/profiles.ts';

/** Stores a profile only while KEYS[1] (the loan type's profile generation) still names this sync. */
const STORE_IF_CURRENT = `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3]) return 1 end return 0`;

export function createProfileActivities(deps: ActivityDeps) {
  return {
    /**
     * After a sync is recorded: the loan type's profiles, computed by the worker that owns the warehouse, so the
     * profiling page's first read does not wait for a full scan (seconds on millions of rows). The record step
     * set the generation to this sync; a later sync's record drops it first, so a run that finishes after a newer
     * sync committed stores nothing (the old data's profile would otherwise outlive the sync that replaced it).
     */
    async precomputeProfiles(input: { tenantId: string; loanType: LoanType; syncId: string }): Promise<{ stored: boolean; ms: number }> {
      const { tenantId, loanType, syncId } = input;
      const t0 = performance.now();
      let stored = true;
      for (const ft of FILE_TYPES) {
        const profile = await computeProfile(deps.warehouse, tenantId, loanType, ft);
        const ok = await deps.cache.run(
          (r) => r.eval(STORE_IF_CURRENT, 2, keys.cache.profileGeneration(tenantId, loanType), keys.cache.profile(tenantId, loanType, ft), syncId, JSON.stringify(profile), CACHE_TTL.profilePrecomputed),
          0,
        );
        if (ok !== 1) {
          stored = false;
          break;
        }
      }
      const ms = Math.round(performance.now() - t0);
      deps.log.info(stored ? 'profiles precomputed' : 'profiles not stored: a newer sync or an unavailable cache', { tenantId, loanType, syncId, ms });
      return { stored, ms };
    },
  };
}
