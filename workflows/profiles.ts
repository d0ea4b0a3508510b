/**
 * ProfilesWorkflow: started by a SyncWorkflow once its log is recorded. Computes the loan type's column profiles
 * into the cache, so that the profiling page's first read after a sync does not scan the tables. Best effort:
 * when it fails, the first read computes them as before.
 */
import { proxyActivities } from '@temporalio/workflow';
import type * as activities from '../activities/index.ts';
import type { LoanType } from '../domain/columns.ts';

const { precomputeProfiles } = proxyActivities<typeof activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 3, nonRetryableErrorTypes: ['TenantNotFound'] },
});

export async function profilesWorkflow(input: { tenantId: string; loanType: LoanType; syncId: string }): Promise<{ stored: boolean; ms: number }> {
  return precomputeProfiles(input);
}
