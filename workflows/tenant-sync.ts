/**
 * TenantSyncWorkflow: started by the tenant's Temporal Schedule. Looks up which enabled loan types have
 * pending uploads (O(1) counts, no blind syncs) and starts one SyncWorkflow per loan type. A loan type whose
 * sync is already running is skipped: the workflow id `sync-<tenant>-<LOAN_TYPE>` allows one at a time.
 */
import {
  ParentClosePolicy,
  WorkflowIdReusePolicy,
  proxyActivities,
  startChild,
  uuid4,
  log,
} from '@temporalio/workflow';
import type * as activities from '../activities/index.ts';
import type { LoanType } from '../domain/columns.ts';
import { syncWorkflowId } from '../domain/sync-types.ts';
import { syncSearchAttributes } from './search-attributes.ts';
import { syncWorkflow } from './sync.ts';

const { findPendingLoanTypes } = proxyActivities<typeof activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 3 },
});

export async function tenantSyncWorkflow(input: { tenantId: string }): Promise<{ started: LoanType[]; skipped: LoanType[] }> {
  const pending = await findPendingLoanTypes({ tenantId: input.tenantId });
  const started: LoanType[] = [];
  const skipped: LoanType[] = [];
  for (const loanType of pending) {
    const syncId = uuid4();
    try {
      await startChild(syncWorkflow, {
        workflowId: syncWorkflowId(input.tenantId, loanType),
        args: [{ tenantId: input.tenantId, loanType, syncId, trigger: 'SCHEDULE' }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        typedSearchAttributes: syncSearchAttributes(input.tenantId, loanType),
        staticSummary: `Scheduled sync of ${input.tenantId} ${loanType} (sync ${syncId})`,
      });
      started.push(loanType);
    } catch (err) {
      if ((err as Error).name === 'WorkflowExecutionAlreadyStartedError') {
        log.info('sync already running, skipped', { tenantId: input.tenantId, loanType });
        skipped.push(loanType);
      } else {
        throw err;
      }
    }
  }
  return { started, skipped };
}
